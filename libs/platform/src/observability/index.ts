export {
  MESSAGE_OUTCOME_OF_EVENT,
  MailpackrMetrics,
  type ProjectionLagSource,
  type RequestOutcome,
  type RequestType,
} from './metrics.js';
export { instrumentEventStore } from './instrumented-event-store.js';
export {
  type DependencyCheck,
  type Readiness,
  type ReadinessDependencies,
  ReadinessProbe,
} from './readiness.js';
export { redactEmails, redactLogValue } from './redact.js';
export {
  type GracefulShutdownOptions,
  type ShutdownLogger,
  installGracefulShutdown,
} from './graceful-shutdown.js';
export { metricsAccess } from './metrics-access.js';
export { type OpsHttpServerOptions, startOpsHttpServer } from './ops-http-server.js';
