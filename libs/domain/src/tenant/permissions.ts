import type { ApiKeyRole } from './tenant.plans.js';

/**
 * What a caller may do. Every GraphQL operation, every field that exposes personal data and
 * every tenant-scoped CLI command needs exactly one of these (see `apps/api/src/auth` and the
 * CLI); which roles hold which is the matrix below, and only there.
 */
export const PERMISSIONS = [
  'read',
  'read_personal_data',
  'manage_audience',
  'rectify_recipients',
  'manage_campaigns',
  'handle_privacy_requests',
  'read_privacy_records',
  'manage_retention',
  'audit',
  'manage_access',
  'read_api_usage',
  'read_billing',
  'manage_account',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** One line per permission, for the README and for error messages. */
export const PERMISSION_DESCRIPTIONS: Readonly<Record<Permission, string>> = {
  read: 'read campaigns, lists, templates, delivery figures, suppressions (never addresses), sending state',
  read_personal_data: "read recipients' personal data: profiles, timelines, previews, exports",
  manage_audience: 'create, rename and delete lists; add, subscribe and import recipients; opt-in',
  rectify_recipients: 'correct a recipient (rectification) and unsubscribe them',
  manage_campaigns: 'templates, campaigns (draft, schedule, launch, pause, cancel), sending pause',
  handle_privacy_requests:
    'erasure, export, restriction, objection, child flag, privacy requests, suppressions',
  read_privacy_records: 'read privacy requests and erasure receipts',
  manage_retention: 'set retention policies and run them',
  audit: 'verify the event log, audit erasures, export the history',
  manage_access:
    'register accounts, change their roles, end their sessions; issue, revoke and re-role API keys (only an owner grants or touches the owner role)',
  read_api_usage: 'read API usage: requests, cost and errors per key, operation and day',
  read_billing: 'read the plan, its quota used and left this month, payment status and invoices',
  manage_account: "export and erase the account holder's own data",
};

const ALL: readonly Permission[] = PERMISSIONS;

/**
 * The role matrix. Marketers run campaigns but cannot erase; support handles data-subject
 * requests but cannot send; auditors read the history and verify it but change nothing; viewers
 * read figures and never personal data.
 */
export const ROLE_PERMISSIONS: Readonly<Record<ApiKeyRole, readonly Permission[]>> = {
  owner: ALL,
  admin: ALL.filter((p) => p !== 'manage_account'),
  marketer: [
    'read',
    'read_personal_data',
    'manage_audience',
    'rectify_recipients',
    'manage_campaigns',
  ],
  support: [
    'read',
    'read_personal_data',
    'rectify_recipients',
    'handle_privacy_requests',
    'read_privacy_records',
  ],
  auditor: ['read', 'read_personal_data', 'read_privacy_records', 'audit'],
  viewer: ['read'],
};

export const isPermission = (value: unknown): value is Permission =>
  (PERMISSIONS as readonly unknown[]).includes(value);

export const roleCan = (role: ApiKeyRole, permission: Permission): boolean =>
  ROLE_PERMISSIONS[role]?.includes(permission) ?? false;
