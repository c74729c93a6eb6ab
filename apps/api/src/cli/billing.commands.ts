import {
  OVER_QUOTA_POLICIES,
  type OverQuotaPolicy,
  type Plan,
  isTenantPlan,
  isUuid,
} from '#domain';
import type { MailpackrRuntime } from '#platform';

import { UsageError } from './recipient.commands.js';

const ACTOR = 'operator:cli';

/** `--messages 5000` or `unlimited`. */
const limit = (value: string | undefined, option: string): number | null => {
  if (value === undefined || value === 'unlimited') return null;
  if (!/^-?\d+$/.test(value)) throw new UsageError(`--${option} is a whole number or unlimited`);
  // Negative or absurd values go through to the catalogue, which refuses them (INVALID_PLAN).
  return Number(value);
};

const describePlan = (plan: Plan): string =>
  [
    plan.planId.padEnd(14),
    plan.name.padEnd(16),
    `messages/month ${plan.monthlyMessageQuota ?? 'unlimited'}`,
    `contacts ${plan.maxContacts ?? 'unlimited'}`,
    `api keys ${plan.maxApiKeys ?? 'unlimited'}`,
    `price ${plan.priceReference ?? '-'}`,
  ].join('  ');

/**
 * The platform operator's billing commands (no API key: they act on the platform's catalogue or
 * on any tenant): `tenant plan`, `tenant time-zone`, `tenant over-quota`,
 * `plans list|define|retire`. Returns
 * undefined for a command that is not one of them.
 */
export const runBillingCommand = async (
  runtime: MailpackrRuntime,
  command: string,
  args: readonly string[],
  values: Record<string, string | boolean | undefined>,
  out: (line?: string) => void,
): Promise<number | undefined> => {
  if (
    ![
      'tenant plan',
      'tenant time-zone',
      'tenant over-quota',
      'plans list',
      'plans define',
      'plans retire',
    ].includes(command)
  )
    return undefined;
  // Read your own writes: keep the read models moving while the command runs.
  await runtime.projections.start();
  const now = new Date();
  const option = (name: string) => {
    const value = values[name];
    return typeof value === 'string' ? value : undefined;
  };
  switch (command) {
    case 'tenant plan': {
      const [tenantId, planId] = args;
      if (!isUuid(tenantId) || !planId)
        throw new UsageError('tenant plan needs a tenant id and a plan id');
      if (!isTenantPlan(planId)) throw new UsageError(`Unknown plan: ${String(planId)}`);
      const result = await runtime.billing.changePlan({
        tenantId,
        planId,
        source: 'operator',
        actor: ACTOR,
        now,
      });
      out(
        result.events.length > 0
          ? `Tenant ${tenantId} is now on the ${planId} plan`
          : `Tenant ${tenantId} was already on the ${planId} plan`,
      );
      return 0;
    }
    case 'tenant time-zone': {
      const [tenantId, timeZone] = args;
      if (!isUuid(tenantId) || !timeZone)
        throw new UsageError('tenant time-zone needs a tenant id and a time zone');
      await runtime.billing.setTimeZone({ tenantId, timeZone, actor: ACTOR, now });
      out(`Tenant ${tenantId}: usage counted by calendar month in ${timeZone}`);
      return 0;
    }
    case 'tenant over-quota': {
      const [tenantId, policy] = args;
      if (!isUuid(tenantId) || !OVER_QUOTA_POLICIES.includes(policy as OverQuotaPolicy))
        throw new UsageError('tenant over-quota needs a tenant id and refuse or pause');
      const overQuota = policy as OverQuotaPolicy;
      await runtime.billing.setOverQuota({ tenantId, overQuota, actor: ACTOR, now });
      out(
        overQuota === 'pause'
          ? `Tenant ${tenantId}: a launch over the month's quota sends up to it, then pauses`
          : `Tenant ${tenantId}: a launch over the month's quota is refused`,
      );
      return 0;
    }
    case 'plans list': {
      for (const plan of await runtime.billing.plans()) out(describePlan(plan));
      return 0;
    }
    case 'plans define': {
      const [planId] = args;
      const name = option('name');
      if (!planId || !name) throw new UsageError('plans define needs a plan id and --name');
      const plan: Plan = {
        planId,
        name,
        monthlyMessageQuota: limit(option('messages'), 'messages'),
        maxContacts: limit(option('contacts'), 'contacts'),
        maxApiKeys: limit(option('api-keys'), 'api-keys'),
        priceReference: option('price') ?? null,
      };
      const result = await runtime.billing.definePlan(plan, ACTOR, now);
      out(result.events.length > 0 ? `Plan defined: ${describePlan(plan)}` : 'Plan unchanged');
      return 0;
    }
    case 'plans retire': {
      const [planId] = args;
      if (!planId) throw new UsageError('plans retire needs a plan id');
      await runtime.billing.retirePlan(planId, ACTOR, now);
      out(`Plan ${planId} retired: new tenants can no longer take it`);
      return 0;
    }
    default:
      return undefined;
  }
};
