import {
  type GraphQLFieldResolver,
  type GraphQLSchema,
  defaultFieldResolver,
  isObjectType,
} from 'graphql';

import { type ApiKeyRole, type Permission, roleCan } from '#domain';

import { ApiError } from '../graphql/api-error.js';
import type { RequestWithPrincipal } from './principal.js';

/**
 * The permission each GraphQL field needs, keyed `Type.field`. Every `Query` and `Mutation`
 * field must be here (the API refuses to start otherwise, so a new operation cannot ship
 * unguarded); other types list only the fields that expose personal data. Which roles hold a
 * permission is `ROLE_PERMISSIONS` in the domain, the one role matrix.
 */
export const FIELD_PERMISSIONS: Readonly<Record<string, Permission>> = {
  // ── Reads ──
  'Query.viewer': 'read',
  'Query.campaign': 'read',
  'Query.campaigns': 'read',
  'Query.campaignMessages': 'read',
  'Query.projectionStatus': 'read',
  'Query.contactList': 'read',
  'Query.contactLists': 'read',
  'Query.suppressions': 'read',
  'Query.retentionPolicies': 'read',
  'Query.template': 'read',
  'Query.templates': 'read',
  'Query.sending': 'read',
  'Query.recipient': 'read_personal_data',
  'Query.recipients': 'read_personal_data',
  'Query.previewTemplate': 'read_personal_data',
  'Query.privacyRequests': 'read_privacy_records',
  'Query.privacyRequest': 'read_privacy_records',
  'Query.erasureReceipt': 'read_privacy_records',
  'Query.apiKeys': 'manage_access',
  'Query.apiUsage': 'read_api_usage',
  'Query.accounts': 'manage_access',
  'Query.auditVerify': 'audit',
  'Query.auditErasures': 'audit',
  'Query.billing': 'read_billing',
  'Query.plans': 'read',
  // ── Campaigns and templates ──
  'Mutation.draftCampaign': 'manage_campaigns',
  'Mutation.reviseCampaign': 'manage_campaigns',
  'Mutation.scheduleCampaign': 'manage_campaigns',
  'Mutation.cancelCampaign': 'manage_campaigns',
  'Mutation.launchCampaign': 'manage_campaigns',
  'Mutation.pauseCampaign': 'manage_campaigns',
  'Mutation.resumeCampaign': 'manage_campaigns',
  'Mutation.deleteCampaign': 'manage_campaigns',
  'Mutation.pauseSending': 'manage_campaigns',
  'Mutation.resumeSending': 'manage_campaigns',
  'Mutation.createTemplate': 'manage_campaigns',
  'Mutation.reviseTemplate': 'manage_campaigns',
  'Mutation.deleteTemplate': 'manage_campaigns',
  // ── Audience ──
  'Mutation.createContactList': 'manage_audience',
  'Mutation.renameContactList': 'manage_audience',
  'Mutation.deleteContactList': 'manage_audience',
  'Mutation.addRecipient': 'manage_audience',
  'Mutation.subscribeRecipient': 'manage_audience',
  'Mutation.requestOptIn': 'manage_audience',
  'Mutation.confirmOptIn': 'manage_audience',
  'Mutation.importContacts': 'manage_audience',
  'Mutation.correctRecipient': 'rectify_recipients',
  'Mutation.unsubscribeRecipient': 'rectify_recipients',
  // ── Data-subject rights ──
  'Mutation.restrictRecipient': 'handle_privacy_requests',
  'Mutation.liftRestriction': 'handle_privacy_requests',
  'Mutation.objectToProcessing': 'handle_privacy_requests',
  'Mutation.eraseRecipient': 'handle_privacy_requests',
  'Mutation.flagRecipientAsChild': 'handle_privacy_requests',
  'Mutation.exportRecipientData': 'handle_privacy_requests',
  'Mutation.openPrivacyRequest': 'handle_privacy_requests',
  'Mutation.rejectPrivacyRequest': 'handle_privacy_requests',
  'Mutation.extendPrivacyRequest': 'handle_privacy_requests',
  'Mutation.suppressEmail': 'handle_privacy_requests',
  'Mutation.liftSuppression': 'handle_privacy_requests',
  // ── Tenant administration ──
  'Mutation.setRetentionPolicy': 'manage_retention',
  'Mutation.runRetention': 'manage_retention',
  'Mutation.issueApiKey': 'manage_access',
  'Mutation.revokeApiKey': 'manage_access',
  'Mutation.changeApiKeyRole': 'manage_access',
  'Mutation.registerAccount': 'manage_access',
  'Mutation.changeAccountRole': 'manage_access',
  'Mutation.revokeSessions': 'manage_access',
  // Any signed-in person, on their own session and account only (API keys: SESSION_REQUIRED).
  'Mutation.logout': 'read',
  'Mutation.changePassword': 'read',
  'Mutation.exportAccountData': 'manage_account',
  'Mutation.eraseAccount': 'manage_account',
  // ── Fields that expose personal data, wherever they are reached from ──
  'Recipient.email': 'read_personal_data',
  'Recipient.name': 'read_personal_data',
  'Recipient.attributes': 'read_personal_data',
  'Recipient.timeline': 'read_personal_data',
  'ConsentEvidence.ipAddress': 'read_personal_data',
  'Suppression.email': 'read_personal_data',
  'Account.email': 'read_personal_data',
  'Account.name': 'read_personal_data',
  'Account.company': 'read_personal_data',
  'TemplatePreview.html': 'read_personal_data',
  'TemplatePreview.text': 'read_personal_data',
  'RecipientDataExport.json': 'read_personal_data',
  'RecipientDataExport.csv': 'read_personal_data',
  'AccountDataExport.json': 'read_personal_data',
};

/**
 * The permission each tenant-scoped CLI command needs (`mailpackr <command> [<action>]`). The
 * command runs as the API key in `MAILPACKR_API_KEY`, with its tenant and role.
 */
export const CLI_PERMISSIONS: Readonly<Record<string, Permission>> = {
  import: 'manage_audience',
  erase: 'handle_privacy_requests',
  export: 'handle_privacy_requests',
  restrict: 'handle_privacy_requests',
  'lift-restriction': 'handle_privacy_requests',
  object: 'handle_privacy_requests',
  requests: 'read_privacy_records',
  'retention set': 'manage_retention',
  'retention run': 'manage_retention',
  'account export': 'manage_account',
  'account erase': 'manage_account',
  'audit verify': 'audit',
  'audit erasures': 'audit',
  'audit export': 'audit',
  'audit replay': 'audit',
};

/**
 * Root fields anyone may call without `Authorization` (the guard authenticates nobody for them).
 * They hold no permission; the role-matrix sweep expects them allowed for every role.
 */
export const PUBLIC_OPERATIONS: ReadonlySet<string> = new Set(['Mutation.login']);

/**
 * Mutations a person runs on their own session or account only (`logout`, `changePassword`):
 * they need a session and change nothing of the tenant, so even read-only roles may run them.
 */
export const SELF_SERVICE_OPERATIONS: ReadonlySet<string> = new Set([
  'Mutation.logout',
  'Mutation.changePassword',
]);

export const isPublicOperation = (typeName: string, fieldName: string): boolean =>
  PUBLIC_OPERATIONS.has(`${typeName}.${fieldName}`);

const ROOT_TYPES = ['Query', 'Mutation'] as const;

export const permissionOf = (typeName: string, fieldName: string): Permission | undefined =>
  FIELD_PERMISSIONS[`${typeName}.${fieldName}`];

/** Throws `FORBIDDEN` unless the role holds the permission the field needs. */
export const assertAllowed = (
  role: ApiKeyRole | undefined,
  typeName: string,
  fieldName: string,
): void => {
  if (isPublicOperation(typeName, fieldName)) return;
  const needed = permissionOf(typeName, fieldName);
  if (needed === undefined) {
    // Fail closed: a root field without a declared permission is never served.
    if ((ROOT_TYPES as readonly string[]).includes(typeName))
      throw new ApiError('FORBIDDEN', `${typeName}.${fieldName} declares no permission`);
    return;
  }
  if (!role || !roleCan(role, needed))
    throw new ApiError(
      'FORBIDDEN',
      `The ${role ?? 'anonymous'} role cannot ${fieldName} (needs the ${needed} permission)`,
      { permission: needed },
    );
};

/**
 * Checks the table against the schema (every root field covered, no entry naming a field that
 * does not exist), then wraps the resolvers of the personal-data fields so that they check the
 * caller's role wherever the field is reached from. Root fields are checked by `ApiKeyGuard`,
 * after authentication.
 */
export const enforceFieldPermissions = (schema: GraphQLSchema): GraphQLSchema => {
  const problems: string[] = [];
  for (const rootName of ROOT_TYPES) {
    const root = schema.getType(rootName);
    if (!isObjectType(root)) continue;
    for (const [name, field] of Object.entries(root.getFields())) {
      if (!permissionOf(rootName, name) && !isPublicOperation(rootName, name))
        problems.push(`${rootName}.${name} has no permission`);
      // Only a Nest resolver runs the guard: an operation without one would answer null unchecked.
      if (!field.resolve) problems.push(`${rootName}.${name} has no resolver`);
    }
  }
  for (const [key, permission] of Object.entries(FIELD_PERMISSIONS)) {
    const [typeName, fieldName] = key.split('.') as [string, string];
    const type = schema.getType(typeName);
    const field = isObjectType(type) ? type.getFields()[fieldName] : undefined;
    if (!field) {
      problems.push(`${key} is not a field of schema.graphql`);
      continue;
    }
    if ((ROOT_TYPES as readonly string[]).includes(typeName)) continue;
    const resolve: GraphQLFieldResolver<unknown, unknown> = field.resolve ?? defaultFieldResolver;
    field.resolve = (source, args, context, info) => {
      const role = (context as { req?: RequestWithPrincipal }).req?.principal?.role;
      if (!role || !roleCan(role, permission))
        throw new ApiError(
          'FORBIDDEN',
          `The ${role ?? 'anonymous'} role cannot read ${key} (personal data)`,
          { permission },
        );
      return resolve(source, args, context, info);
    };
  }
  if (problems.length > 0)
    throw new Error(`GraphQL permissions do not match schema.graphql:\n  ${problems.join('\n  ')}`);
  return schema;
};
