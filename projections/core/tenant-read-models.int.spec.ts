import { randomBytes } from 'node:crypto';

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import pg from 'pg';

import {
  ContactListEntity,
  RecipientEntity,
  TENANT_READER_ROLE,
  TenantReadModels,
  contactListsProjection,
  createTenantReaderDataSource,
  openReadModels,
} from '#projections';
import { ProjectionHarness, anId, reportSkipped, sqlBackends } from '#testing';

/**
 * The two lines of tenant isolation on reads, each proven alone: the application filter that
 * `TenantScope` adds, and PostgreSQL row-level security for the reader role.
 */
describe.each(sqlBackends())('Tenant read models on %s', (backend) => {
  let harness: ProjectionHarness;
  let reads: TenantReadModels;
  const tenantA = anId();
  const tenantB = anId();
  const listOf = { [tenantA]: anId(), [tenantB]: anId() };

  beforeAll(async () => {
    harness = await ProjectionHarness.start(backend, [contactListsProjection]);
    // Written as the tables' owner, the way projections write: every tenant at once.
    for (const tenantId of [tenantA, tenantB]) {
      await harness.pool.query(
        `INSERT INTO contact_lists (list_id, tenant_id, name, created_at, updated_at, last_revision)
         VALUES ($1, $2, $3, now(), now(), 0)`,
        [listOf[tenantId], tenantId, `List of ${tenantId}`],
      );
    }
  });
  afterAll(async () => harness.stop());
  // As the runtime builds it: on PostgreSQL a pool of reader sessions, on PGlite transactions.
  const tenantReads = (max = 10) =>
    new TenantReadModels(
      harness.dataSource,
      backend === 'postgres'
        ? createTenantReaderDataSource(harness.database.connectionString, max)
        : undefined,
    );
  beforeEach(() => {
    reads = tenantReads();
  });
  afterEach(async () => reads.close());

  const listIdsSeenBy = (tenantId: string) =>
    reads.read(tenantId, async (scope) => ({
      find: (await scope.find(ContactListEntity)).map((l) => l.listId),
      select: (await scope.select(ContactListEntity, 'l').getMany()).map((l) => l.listId),
      // Raw SQL that forgets its tenant condition: only row security stands in its way.
      raw: (
        await scope.query<Array<{ list_id: string }>>(
          'SELECT list_id FROM contact_lists WHERE $1::uuid IS NOT NULL',
        )
      ).map((r) => r.list_id),
    }));

  describe('Given lists of two tenants, when tenant A reads with both lines on', () => {
    it('should see only its own list, whichever way it asks', async () => {
      expect(await listIdsSeenBy(tenantA)).toEqual({
        find: [listOf[tenantA]],
        select: [listOf[tenantA]],
        raw: [listOf[tenantA]],
      });
    });
  });

  describe('When the application filter is off', () => {
    it('should still see only its own list: row security alone holds', async () => {
      reads.checks = { applicationFilter: false, rowSecurity: true };
      expect(await listIdsSeenBy(tenantB)).toEqual({
        find: [listOf[tenantB]],
        select: [listOf[tenantB]],
        raw: [listOf[tenantB]],
      });
    });
  });

  describe('When row security is off', () => {
    it('should still see only its own list through the scope: the filter alone holds', async () => {
      reads.checks = { applicationFilter: true, rowSecurity: false };
      const seen = await listIdsSeenBy(tenantA);
      expect({ find: seen.find, select: seen.select }).toEqual({
        find: [listOf[tenantA]],
        select: [listOf[tenantA]],
      });
      // The unfiltered raw SQL shows what each line stops on its own.
      expect(seen.raw.sort()).toEqual([listOf[tenantA], listOf[tenantB]].sort());
    });
  });

  describe('When both lines are off', () => {
    it("should see the other tenant's rows (so the checks above can fail)", async () => {
      reads.checks = { applicationFilter: false, rowSecurity: false };
      expect((await listIdsSeenBy(tenantA)).find.sort()).toEqual(
        [listOf[tenantA], listOf[tenantB]].sort(),
      );
    });
  });

  describe('When the reader role runs without a tenant', () => {
    it('should see no row at all', async () => {
      const client = await harness.pool.connect();
      try {
        await client.query(`BEGIN; SET LOCAL ROLE ${TENANT_READER_ROLE}`);
        const { rows } = await client.query('SELECT list_id FROM contact_lists');
        expect(rows).toEqual([]);
      } finally {
        await client.query('ROLLBACK');
        client.release();
      }
    });
  });

  describe('When a scope tries to write', () => {
    it('should be refused, and nothing is written', async () => {
      const attempt = reads.read(tenantA, (scope) =>
        scope.query(
          `INSERT INTO contact_lists (list_id, tenant_id, name, created_at, updated_at, last_revision)
           VALUES (gen_random_uuid(), $1, 'sneaked in', now(), now(), 0)`,
        ),
      );
      await expect(attempt).rejects.toThrow(/read-only transaction/);
      const { rows } = await harness.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM contact_lists WHERE name = 'sneaked in'`,
      );
      expect(rows[0]!.n).toBe(0);
    });
  });

  describe('When the tenant id is not a UUID', () => {
    it('should refuse before any SQL is sent', async () => {
      await expect(
        reads.read(`${tenantA}'; SET LOCAL ROLE postgres; --`, (scope) =>
          scope.find(RecipientEntity),
        ),
      ).rejects.toThrow('A tenant id must be a UUID');
    });
  });

  describe('When the work fails', () => {
    it('should end its transaction and give the connection back clean', async () => {
      await expect(reads.read(tenantA, () => Promise.reject(new Error('boom')))).rejects.toThrow(
        'boom',
      );
      // The next read on the pool still sees its tenant only, as itself.
      expect((await listIdsSeenBy(tenantB)).find).toEqual([listOf[tenantB]]);
      const { rows } = await harness.pool.query<{ who: string }>('SELECT current_user AS who');
      expect(rows[0]!.who).not.toBe(TENANT_READER_ROLE);
    });
  });

  describe('When one connection serves tenant after tenant', () => {
    it('should switch it to each tenant in turn, and back to no row security and again', async () => {
      // One connection: every read below runs on the same session.
      reads = tenantReads(1);
      for (const tenantId of [tenantA, tenantB, tenantB, tenantA])
        expect(await listIdsSeenBy(tenantId)).toEqual({
          find: [listOf[tenantId]],
          select: [listOf[tenantId]],
          raw: [listOf[tenantId]],
        });
      reads.checks = { applicationFilter: false, rowSecurity: false };
      expect((await listIdsSeenBy(tenantA)).raw.sort()).toEqual(
        [listOf[tenantA], listOf[tenantB]].sort(),
      );
      reads.checks = { applicationFilter: false, rowSecurity: true };
      expect((await listIdsSeenBy(tenantB)).raw).toEqual([listOf[tenantB]]);
    });

    it('should keep every concurrent read to its own tenant', async () => {
      reads = tenantReads(3);
      reads.checks = { applicationFilter: false, rowSecurity: true };
      const tenants = Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? tenantA : tenantB));
      const seen = await Promise.all(tenants.map((tenantId) => listIdsSeenBy(tenantId)));
      expect(seen.map((s) => s.raw)).toEqual(tenants.map((tenantId) => [listOf[tenantId]]));
    });

    it('should stay read-only and keep its tenant after a statement fails', async () => {
      reads = tenantReads(1);
      await expect(
        reads.read(tenantA, (scope) => scope.query('SELECT no_such_column FROM contact_lists')),
      ).rejects.toThrow(/no_such_column/);
      reads.checks = { applicationFilter: false, rowSecurity: true };
      expect((await listIdsSeenBy(tenantA)).raw).toEqual([listOf[tenantA]]);
      await expect(
        reads.read(tenantB, (scope) =>
          scope.query('DELETE FROM contact_lists WHERE $1::uuid IS NOT NULL'),
        ),
      ).rejects.toThrow(/read-only transaction/);
      expect((await listIdsSeenBy(tenantB)).raw).toEqual([listOf[tenantB]]);
    });
  });

  describe('When a projection is rebuilt into fresh tables', () => {
    it('should switch in tables that keep row security and the reader grant', async () => {
      await harness.runner.rebuild('contact-lists');
      const { rows } = await harness.pool.query(
        `SELECT relrowsecurity AS secured, has_table_privilege($1, oid, 'SELECT') AS readable,
                (SELECT count(*)::int FROM pg_policies WHERE tablename = 'contact_lists') AS policies
           FROM pg_class WHERE oid = 'contact_lists'::regclass`,
        [TENANT_READER_ROLE],
      );
      expect(rows).toEqual([{ secured: true, readable: true, policies: 1 }]);
      // Rebuilt from a log without lists: the rows written behind its back are gone, and the
      // reader still reads (as itself, under the policy).
      expect((await listIdsSeenBy(tenantA)).find).toEqual([]);
    });
  });

  describe('Every tenant table', () => {
    it("should be a read model under row security, or out of the reader role's reach", async () => {
      const { rows } = await harness.pool.query<{
        table: string;
        secured: boolean;
        policies: number;
        readable: boolean;
      }>(
        `SELECT c.relname AS table, c.relrowsecurity AS secured,
                (SELECT count(*)::int FROM pg_policies p
                  WHERE p.tablename = c.relname AND p.schemaname = n.nspname
                    AND $1 = ANY(p.roles)) AS policies,
                has_table_privilege($1, c.oid, 'SELECT') AS readable
           FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
           JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
          WHERE n.nspname = current_schema() AND c.relkind = 'r'
          ORDER BY 1`,
        [TENANT_READER_ROLE],
      );
      const readModels = rows.filter((r) => !r.table.startsWith('mp_'));
      expect(readModels.length).toBeGreaterThanOrEqual(16);
      expect(readModels.filter((r) => !r.secured || r.policies !== 1 || !r.readable)).toEqual([]);
      // The event store's and the key vault's own tables: never readable by the reader role.
      expect(rows.filter((r) => r.table.startsWith('mp_') && r.readable)).toEqual([]);
    });
  });
});

/**
 * Production's shape on PostgreSQL: the application connects as the owner of its tables, neither
 * superuser nor BYPASSRLS. Its migrations must say what is missing when it may not create the
 * reader role, and its tenant reads must then be held by row security.
 */
const adminUrl = process.env.DATABASE_URL;
if (!adminUrl)
  reportSkipped('tenant reads as a non-superuser owner on PostgreSQL', 'DATABASE_URL not set');

(adminUrl ? describe : describe.skip)('Tenant read models for a non-superuser owner', () => {
  const suffix = randomBytes(4).toString('hex');
  const owner = `mp_owner_${suffix}`;
  const database = `mp_rls_${suffix}`;
  let admin: pg.Client;
  const ownerUrl = () => {
    const url = new URL(adminUrl!);
    url.username = owner;
    url.password = '';
    url.pathname = `/${database}`;
    return url.toString();
  };

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE ROLE ${owner} LOGIN NOSUPERUSER NOCREATEROLE NOBYPASSRLS`);
    await admin.query(`CREATE DATABASE ${database} OWNER ${owner}`);
  });
  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.query(`DROP ROLE IF EXISTS ${owner}`);
    await admin.end();
  });

  it('should refuse to migrate until it may read as the reader role, naming the fix', async () => {
    // The reader role exists in the cluster (the tests above made it); this owner is no member.
    await admin.query(
      `DO $$ BEGIN CREATE ROLE ${TENANT_READER_ROLE} NOLOGIN; EXCEPTION WHEN OTHERS THEN NULL; END $$`,
    );
    await expect(openReadModels(ownerUrl())).rejects.toMatchObject({
      message: expect.stringContaining(`${owner} is not a member of it`),
      hint: `As a superuser: GRANT ${TENANT_READER_ROLE} TO ${owner};`,
    });
  });

  it('should then read one tenant only, with the application filter off', async () => {
    await admin.query(`GRANT ${TENANT_READER_ROLE} TO ${owner}`);
    const readModels = await openReadModels(ownerUrl());
    try {
      const [mine, theirs] = [anId(), anId()];
      for (const tenantId of [mine, theirs])
        await readModels.query(
          `INSERT INTO contact_lists (list_id, tenant_id, name, created_at, updated_at, last_revision)
           VALUES ($1, $2, 'list', now(), now(), 0)`,
          [anId(), tenantId],
        );
      // The owner writes and reads every tenant, as projections do.
      expect(await readModels.query('SELECT tenant_id FROM contact_lists')).toHaveLength(2);
      // Both ways: reader sessions (as the runtime reads on PostgreSQL) and a transaction.
      for (const reads of [
        new TenantReadModels(readModels, createTenantReaderDataSource(ownerUrl())),
        new TenantReadModels(readModels),
      ]) {
        reads.checks = { applicationFilter: false, rowSecurity: true };
        const seen = await reads.read(mine, (scope) => scope.find(ContactListEntity));
        await reads.close();
        expect(seen.map((l) => l.tenantId)).toEqual([mine]);
      }
    } finally {
      await readModels.destroy();
      await admin.query(`REVOKE ${TENANT_READER_ROLE} FROM ${owner}`);
    }
  });
});
