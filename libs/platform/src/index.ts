export { AppConfig, ConfigError, loadConfig } from './config/app.config.js';
export { MailpackrRuntime, type RuntimeLogger } from './runtime/mailpackr-runtime.js';
export {
  CommandExecutor,
  type CommandContext,
  type CommandResult,
  uuidFromName,
} from './commands/command-executor.js';
export {
  API_KEY_PREFIX,
  TenantAdministration,
  type CreatedTenant,
  generateApiKey,
  hashApiKey,
} from './commands/tenant-administration.js';
export { packageRoot } from './package-root.js';
export { createLogger } from './logger.js';
