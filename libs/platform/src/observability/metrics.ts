import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** What a request was: a GraphQL operation type, or a plain HTTP route. */
export type RequestType = 'query' | 'mutation' | 'subscription' | 'http';

/** How a request ended: `success`, `client_error` (4xx, GraphQL user errors), `server_error`. */
export type RequestOutcome = 'success' | 'client_error' | 'server_error';

/** The message events that record what became of a message, and the outcome each counts as. */
export const MESSAGE_OUTCOME_OF_EVENT: Readonly<Record<string, string>> = {
  MessageSent: 'sent',
  MessageDeferred: 'deferred',
  MessageBounced: 'bounced',
  MessageFailed: 'failed',
  MessageComplained: 'complained',
  MessageCancelled: 'cancelled',
};

/** Where the projection lag gauge reads from at scrape time (`ProjectionRunner`). */
export interface ProjectionLagSource {
  lag(): Promise<ReadonlyArray<{ name: string; eventsBehind: number }>>;
}

/** Label values come from code (event types, schema fields); anything else is `other`. */
const LABEL = /^[A-Za-z_/][A-Za-z0-9_:./-]{0,99}$/;
const label = (value: string | undefined): string =>
  value !== undefined && LABEL.test(value) ? value : 'other';

/**
 * The Prometheus metrics of one runtime, in a registry of its own (never prom-client's global
 * one, so several runtimes in one process, as in the tests, do not collide). No label ever holds
 * personal data or a tenant id: operation names come from the schema, event types from code.
 */
export class MailpackrMetrics {
  readonly registry = new Registry();

  /** GraphQL operations and HTTP routes, by type, operation and outcome. */
  readonly requestDuration: Histogram<'type' | 'operation' | 'outcome'>;
  /** Calls to the event store's append (each one batch of events, in one or many streams). */
  readonly appends: Counter<'outcome'>;
  /** Events written, by event type. */
  readonly eventsAppended: Counter<'type'>;
  /** Message outcomes recorded (sent, deferred, bounced, failed, complained, cancelled). */
  readonly messages: Counter<'outcome'>;
  /** Events each projection has yet to apply, read at scrape time (capped at 10001). */
  readonly projectionLag: Gauge<'projection'>;

  #lagSource?: ProjectionLagSource;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    this.requestDuration = new Histogram({
      name: 'mailpackr_http_request_duration_seconds',
      help: 'GraphQL operations and HTTP requests: latency by operation type, name and outcome',
      labelNames: ['type', 'operation', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.appends = new Counter({
      name: 'mailpackr_event_store_appends_total',
      help: 'Append calls to the event store (one batch each), by outcome (ok, conflict, error)',
      labelNames: ['outcome'],
      registers,
    });
    this.eventsAppended = new Counter({
      name: 'mailpackr_events_appended_total',
      help: 'Events appended to the event store, by event type',
      labelNames: ['type'],
      registers,
    });
    this.messages = new Counter({
      name: 'mailpackr_messages_total',
      help: 'Campaign message outcomes recorded, by outcome',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of new Set(Object.values(MESSAGE_OUTCOME_OF_EVENT))) {
      this.messages.inc({ outcome }, 0);
    }
    const lagSource = (): ProjectionLagSource | undefined => this.#lagSource;
    this.projectionLag = new Gauge({
      name: 'mailpackr_projection_lag_events',
      help: 'Events in the log a projection handles and has not applied yet (at most 10001)',
      labelNames: ['projection'],
      registers,
      async collect() {
        const source = lagSource();
        if (!source) return;
        try {
          for (const l of await source.lag()) this.set({ projection: l.name }, l.eventsBehind);
        } catch {
          // The store is unreachable: the gauge keeps its last values, /ready says not ready.
        }
      },
    });
  }

  /** Reads the projection lag gauge from `source` at each scrape. */
  watchProjections(source: ProjectionLagSource): void {
    this.#lagSource = source;
  }

  /** One successful append call and the events it wrote. */
  recordAppended(events: ReadonlyArray<{ type: string }>): void {
    this.appends.inc({ outcome: 'ok' });
    for (const event of events) {
      this.eventsAppended.inc({ type: label(event.type) });
      const outcome = MESSAGE_OUTCOME_OF_EVENT[event.type];
      if (outcome) this.messages.inc({ outcome });
    }
  }

  /** An append call that wrote nothing. */
  recordAppendFailed(outcome: 'conflict' | 'error'): void {
    this.appends.inc({ outcome });
  }

  /** One request's latency. `operation` is bounded by the caller (schema fields, routes). */
  observeRequest(
    labels: { type: RequestType; operation: string; outcome: RequestOutcome },
    seconds: number,
  ): void {
    this.requestDuration.observe({ ...labels, operation: label(labels.operation) }, seconds);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition of every metric. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}
