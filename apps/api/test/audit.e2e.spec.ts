import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { ErasureAudit, exportHistory } from '#platform';
import { ERASED } from '#privacy';
import { TenantEntity } from '#projections';
import { sqlBackends } from '#testing';

import { runAuditCommand } from '../src/cli/audit.commands.js';
import { type CliCaller, cliCaller } from '../src/cli/cli-caller.js';
import { ApiTestApp } from './api-test-app.js';

const ADD = `mutation($input: AddRecipientInput!) { addRecipient(input: $input) { id } }`;
const ERASE = `mutation($input: EraseRecipientInput!) { eraseRecipient(input: $input) { receipt { receiptHash } } }`;
const VERIFY = `query($from: DateTime, $to: DateTime) { auditVerify(from: $from, to: $to) {
  ok checked streams complete checks sealsChecked
  firstBroken { streamId revision position code reason } } }`;
const ERASURES = `{ auditErasures { subjectType subjectId requestId ok problems keyDestroyed
  historyUnreadable readModelsPurged receiptHash receiptIntact } }`;

interface Verification {
  ok: boolean;
  checked: number;
  streams: number;
  complete: boolean;
  checks: string[];
  sealsChecked: number;
  firstBroken: { streamId: string; revision: number; code: string } | null;
}
interface ErasureRow {
  subjectType: string;
  subjectId: string;
  ok: boolean;
  problems: string[];
  keyDestroyed: boolean;
  historyUnreadable: boolean;
  readModelsPurged: boolean;
  receiptHash: string | null;
  receiptIntact: boolean | null;
}

/**
 * The auditor's tools end to end: `auditVerify` and `auditErasures` over GraphQL (scoped to the
 * caller's tenant), the `mailpackr audit` commands' dispatcher and exit codes, and the export.
 */
describe.each(sqlBackends())('Auditor tools (%s)', (backend) => {
  let api: ApiTestApp;
  let tenantA: { tenantId: string; apiKey: string };
  let tenantB: { tenantId: string; apiKey: string };
  const emails = {
    kept: `kept.${randomUUID().slice(0, 8)}@example.com`,
    erased: `gone.${randomUUID().slice(0, 8)}@example.com`,
    other: `other.${randomUUID().slice(0, 8)}@example.com`,
  };
  let keptId: string;
  let erasedId: string;
  let receiptHash: string;
  let auditor: CliCaller;
  let auditorKey: string;
  let viewerKey: string;
  let marketer: CliCaller;

  beforeAll(async () => {
    api = await ApiTestApp.start(backend);
    tenantA = await api.createTenant('Audited');
    tenantB = await api.createTenant('Neighbour');
    const add = async (apiKey: string, email: string) =>
      (await ok<{ addRecipient: { id: string } }>(apiKey, ADD, { input: { email, name: 'Ann' } }))
        .addRecipient.id;
    keptId = await add(tenantA.apiKey, emails.kept);
    erasedId = await add(tenantA.apiKey, emails.erased);
    await add(tenantB.apiKey, emails.other);
    receiptHash = (
      await ok<{ eraseRecipient: { receipt: { receiptHash: string } } }>(tenantA.apiKey, ERASE, {
        input: { id: erasedId, basis: 'GDPR_ART17' },
      })
    ).eraseRecipient.receipt.receiptHash;
    const issue = async (role: 'auditor' | 'viewer' | 'marketer') =>
      (
        await api.runtime.tenants.issueApiKey({
          tenantId: tenantA.tenantId,
          role,
          label: role,
          actor: 'test:owner',
        })
      ).apiKey;
    auditorKey = await issue('auditor');
    viewerKey = await issue('viewer');
    const marketerKey = await issue('marketer');
    await api.caughtUp(['recipients', 'erasure-receipts', 'tenants', 'api-keys']);
    auditor = await cliCaller(api.runtime, { apiKey: auditorKey }, undefined);
    marketer = await cliCaller(api.runtime, { apiKey: marketerKey }, undefined);
  });
  afterAll(async () => api.stop());

  const ok = async <T>(apiKey: string, query: string, variables: Record<string, unknown> = {}) => {
    const res = await api.graphql<T>(query, variables, apiKey);
    expect(res.errors).toBeUndefined();
    return res.data!;
  };

  /** Verification walks settled transactions only: wait until nothing is in flight. */
  const settled = async () => {
    for (let i = 0; i < 200; i++) {
      const { rows } = await api.runtime.pool.query<{ settled: boolean }>(
        `SELECT NOT EXISTS (SELECT 1 FROM mp_events
          WHERE transaction_id >= pg_snapshot_xmin(pg_current_snapshot())) AS settled`,
      );
      if (rows[0]!.settled) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  /** `mailpackr audit <action>` in-process, as the given API key or as an operator (null). */
  const cli = async (
    action: 'verify' | 'erasures' | 'export',
    values = {},
    caller: CliCaller | null = null,
  ) => {
    const lines: string[] = [];
    const code = await runAuditCommand(
      api.runtime,
      action,
      values,
      (l = '') => lines.push(l),
      caller,
    );
    return { code, text: lines.join('\n') };
  };

  describe('When the history is intact', () => {
    it('should verify the tenant over GraphQL, with and without a time range', async () => {
      await settled();
      const whole = await ok<{ auditVerify: Verification }>(auditorKey, VERIFY);
      expect(whole.auditVerify).toMatchObject({
        ok: true,
        complete: true,
        firstBroken: null,
        checks: ['CHAIN', 'ORDER', 'HEADS', 'SEALS'],
      });
      expect(whole.auditVerify.checked).toBeGreaterThanOrEqual(4);
      const ranged = await ok<{ auditVerify: Verification }>(auditorKey, VERIFY, {
        from: new Date(Date.now() - 3_600_000).toISOString(),
        to: new Date(Date.now() + 60_000).toISOString(),
      });
      expect(ranged.auditVerify).toMatchObject({ ok: true, checked: whole.auditVerify.checked });
      // A viewer may not audit
      const refused = await api.graphql(VERIFY, {}, viewerKey);
      expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    });

    it('should prove the erasure: key gone, history unreadable, read models purged, receipt intact', async () => {
      const { auditErasures } = await ok<{ auditErasures: ErasureRow[] }>(tenantA.apiKey, ERASURES);
      expect(auditErasures).toEqual([
        expect.objectContaining({
          subjectType: 'RECIPIENT',
          subjectId: erasedId,
          ok: true,
          problems: [],
          keyDestroyed: true,
          historyUnreadable: true,
          readModelsPurged: true,
          receiptHash,
          receiptIntact: true,
        }),
      ]);
      // And the other tenant sees none of it
      expect(
        (await ok<{ auditErasures: ErasureRow[] }>(tenantB.apiKey, ERASURES)).auditErasures,
      ).toEqual([]);
      const run = await cli('erasures');
      expect(run.code).toBe(0);
      expect(run.text).toContain(erasedId);
      expect(run.text).not.toContain(emails.erased);
    });

    it("should prove an account holder's erasure", async () => {
      const created = await api.runtime.tenants.createTenant({
        name: 'Owned',
        plan: 'pro',
        owner: { email: `owner.${randomUUID().slice(0, 8)}@example.com`, name: 'Olive' },
        actor: 'test:operator',
      });
      await api.caughtUp(['tenants']);
      const ownerId = (
        await api.runtime.readModels
          .getRepository(TenantEntity)
          .findOneByOrFail({ tenantId: created.tenantId })
      ).ownerAccountId!;
      await api.runtime.accounts.erase(
        { tenantId: created.tenantId, actor: 'test:owner' },
        { accountId: ownerId, basis: 'gdpr_art17', now: new Date() },
      );
      await api.caughtUp(['tenants', 'accounts']);
      const audit = new ErasureAudit({
        store: api.runtime.store,
        codec: api.runtime.codec,
        vault: api.runtime.vault,
        pool: api.runtime.pool,
        readModels: api.runtime.readModels,
      });
      expect(await audit.run({ tenantId: created.tenantId })).toEqual([
        expect.objectContaining({
          subjectType: 'account',
          subjectId: ownerId,
          ok: true,
          keyDestroyed: true,
          historyUnreadable: true,
          readModelsPurged: true,
          receipt: null,
        }),
      ]);
    });

    it('should verify the whole log from the CLI, seal it, and print no personal data', async () => {
      await settled();
      const run = await cli('verify');
      expect(run.code).toBe(0);
      expect(run.text).toMatch(/Hash chain intact: \d+ events in \d+ streams/);
      expect(run.text).toMatch(/New log seal #1 at log position \d+\/\d+/);
      for (const email of Object.values(emails)) expect(run.text).not.toContain(email);
    });

    it("should export the tenant's history decrypted, [erased] for the erased recipient, nothing of others", async () => {
      const lines: Array<{ stream: string; type: string; data: Record<string, unknown> }> = [];
      for await (const line of exportHistory(
        { store: api.runtime.store, codec: api.runtime.codec, pool: api.runtime.pool },
        { tenantId: tenantA.tenantId },
      )) {
        lines.push(line as never);
      }
      const added = lines.filter((l) => l.type === 'RecipientAdded');
      expect(added.find((l) => l.stream.endsWith(keptId))!.data.email).toBe(emails.kept);
      expect(added.find((l) => l.stream.endsWith(erasedId))!.data.email).toBe(ERASED);
      expect(JSON.stringify(lines)).not.toContain(emails.other);
      // The CLI writes the same lines to a file, and only for a caller of the tenant
      const out = join(mkdtempSync(join(tmpdir(), 'mailpackr-audit-')), 'history.jsonl');
      expect((await cli('export', { out }, auditor)).code).toBe(0);
      const written = readFileSync(out, 'utf8').trim().split('\n');
      expect(written).toHaveLength(lines.length);
      expect(JSON.parse(written[0]!)).toEqual(
        expect.objectContaining({
          position: expect.any(String),
          revision: 0,
          metadata: expect.any(Object),
        }),
      );
      await expect(cli('export', { out })).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
      await expect(cli('export', { out }, marketer)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    });
  });

  describe('When the history and the read models are tampered with', () => {
    it('should report the erasure problems', async () => {
      await api.runtime.pool.query(
        `UPDATE erasure_receipts SET receipt = jsonb_set(receipt, '{basis}', '"tenant_request"') WHERE recipient_id = $1`,
        [erasedId],
      );
      await api.runtime.pool.query(
        `UPDATE recipients SET email = '{"$pii":1,"s":"x","c":"eA"}'::jsonb WHERE recipient_id = $1`,
        [erasedId],
      );
      const [entry] = (await ok<{ auditErasures: ErasureRow[] }>(tenantA.apiKey, ERASURES))
        .auditErasures;
      expect(entry).toMatchObject({ ok: false, readModelsPurged: false, receiptIntact: false });
      expect(entry!.problems).toEqual([
        'recipients: email not purged',
        'the erasure receipt does not match its hash or the erasure event',
      ]);
      expect((await cli('erasures', {}, auditor)).code).toBe(3);
    });

    it("should name the first broken link, in the tenant's verification only", async () => {
      await api.runtime.pool.query(
        `UPDATE mp_events SET data = '{"tampered":true}' WHERE stream_id = $1 AND stream_revision = 0`,
        [`recipient-${keptId}`],
      );
      await settled();
      const { auditVerify } = await ok<{ auditVerify: Verification }>(tenantA.apiKey, VERIFY);
      expect(auditVerify).toMatchObject({
        ok: false,
        firstBroken: { streamId: `recipient-${keptId}`, revision: 0, code: 'HASH_MISMATCH' },
      });
      expect((await ok<{ auditVerify: Verification }>(tenantB.apiKey, VERIFY)).auditVerify.ok).toBe(
        true,
      );
      const run = await cli('verify');
      expect(run.code).toBe(3);
      expect(run.text).toContain(`First broken link: stream recipient-${keptId}, revision 0`);
      expect(run.text).toContain('HASH_MISMATCH');
    });
  });
});
