import { type MailpackrRuntime, hashApiKey } from '#platform';
import { ApiKeyEntity } from '#projections';

export interface FirstStartResult {
  tenantId: string;
  /** Set only when a key was generated now: it is shown once and never again. */
  generatedApiKey?: string;
}

/**
 * On the very first start (no tenant in the log) create a default tenant and its owner API key.
 * `MAILPACKR_BOOTSTRAP_API_KEY` sets that key instead of a generated one, for scripts.
 */
export const ensureDefaultTenant = async (
  runtime: MailpackrRuntime,
  warn: (message: string) => void,
): Promise<FirstStartResult | undefined> => {
  const bootstrapKey = runtime.config.MAILPACKR_BOOTSTRAP_API_KEY;
  const existing = await runtime.store.readAll({
    filter: { categories: ['tenant'], eventTypes: ['TenantCreated'] },
    maxCount: 1,
  });
  if (existing.length > 0) {
    if (bootstrapKey) {
      await runtime.projections.catchUp(['api-keys']);
      const known = await runtime.readModels
        .getRepository(ApiKeyEntity)
        .findOne({ where: { keyHash: hashApiKey(bootstrapKey) } });
      if (!known)
        warn(
          'MAILPACKR_BOOTSTRAP_API_KEY only applies on the first start; this data folder already has tenants, so it was ignored.',
        );
    }
    return undefined;
  }
  const created = await runtime.tenants.createTenant({
    name: 'Default',
    // The installation's own tenant, for trying and developing: no quota gets in the way.
    plan: 'enterprise',
    apiKey: bootstrapKey,
    actor: 'system:first-start',
  });
  await runtime.projections.catchUp(['tenants', 'api-keys']);
  return { tenantId: created.tenantId, generatedApiKey: bootstrapKey ? undefined : created.apiKey };
};
