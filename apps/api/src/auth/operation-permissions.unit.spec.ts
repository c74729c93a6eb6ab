import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from '@jest/globals';

import {
  API_KEY_ROLES,
  PERMISSIONS,
  PERMISSION_DESCRIPTIONS,
  ROLE_PERMISSIONS,
  type Permission,
} from '#domain';
import { packageRoot } from '#platform';

import {
  CLI_PERMISSIONS,
  FIELD_PERMISSIONS,
  PUBLIC_OPERATIONS,
  SELF_SERVICE_OPERATIONS,
} from './operation-permissions.js';

/** The README's table, rebuilt from the code: the documentation cannot drift from what runs. */
const renderMatrix = (): string => {
  const operations = (permission: Permission): string =>
    [
      ...Object.entries(FIELD_PERMISSIONS)
        .filter(([key, p]) => p === permission && /^(Query|Mutation)\./.test(key))
        .map(([key]) => `\`${key.split('.')[1]}\``),
      ...Object.entries(CLI_PERMISSIONS)
        .filter(([, p]) => p === permission)
        .map(([command]) => `\`mailpackr ${command}\``),
    ].join(', ');
  const header = `| permission | what it allows | ${API_KEY_ROLES.join(' | ')} |`;
  const rule = `| --- | --- | ${API_KEY_ROLES.map(() => ':-:').join(' | ')} |`;
  const rows = PERMISSIONS.map(
    (p) =>
      `| \`${p}\` | ${PERMISSION_DESCRIPTIONS[p]}: ${operations(p) || '(fields only)'} | ${API_KEY_ROLES.map(
        (role) => (ROLE_PERMISSIONS[role].includes(p) ? '✓' : '✗'),
      ).join(' | ')} |`,
  );
  return [header, rule, ...rows].join('\n');
};

describe('Permissions', () => {
  it('should hold the documented matrix (a change here is a change of the product promise)', () => {
    expect(ROLE_PERMISSIONS).toEqual({
      owner: [...PERMISSIONS],
      admin: PERMISSIONS.filter((p) => p !== 'manage_account'),
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
    });
  });

  it('should keep auditors and viewers from changing anything', () => {
    // A person's own logout and password change are theirs, whatever their role.
    const changing = Object.entries(FIELD_PERMISSIONS)
      .filter(([key]) => key.startsWith('Mutation.') && !SELF_SERVICE_OPERATIONS.has(key))
      .map(([, p]) => p);
    for (const role of ['auditor', 'viewer'] as const)
      expect(changing.filter((p) => ROLE_PERMISSIONS[role].includes(p))).toEqual([]);
  });

  it('should let only login through without a permission, and keep self-service to itself', () => {
    expect([...PUBLIC_OPERATIONS]).toEqual(['Mutation.login']);
    expect(FIELD_PERMISSIONS['Mutation.login']).toBeUndefined();
    for (const key of SELF_SERVICE_OPERATIONS) expect(FIELD_PERMISSIONS[key]).toBe('read');
  });

  it('should keep erasure from marketers and sending from support', () => {
    expect(ROLE_PERMISSIONS.marketer).not.toContain(FIELD_PERMISSIONS['Mutation.eraseRecipient']);
    expect(ROLE_PERMISSIONS.support).not.toContain(FIELD_PERMISSIONS['Mutation.launchCampaign']);
    expect(ROLE_PERMISSIONS.support).toContain(FIELD_PERMISSIONS['Mutation.exportRecipientData']);
  });

  it('should be documented in the README exactly as enforced', () => {
    const readme = readFileSync(join(packageRoot(), 'README.md'), 'utf8');
    const expected = renderMatrix();
    if (!readme.includes(expected))
      throw new Error(`README.md must contain the permission matrix as enforced:\n\n${expected}\n`);
  });
});
