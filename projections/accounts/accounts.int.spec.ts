import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { type AccountEvent, toAccountStreamId } from '#domain';
import type { EncryptedField } from '#privacy';
import { type AccountRow, accountsProjection } from '#projections';
import {
  ProjectionHarness,
  anAccountErased,
  anAccountPasswordChanged,
  anAccountRegistered,
  anAccountRoleChanged,
  anId,
  sqlBackends,
} from '#testing';

/** Ciphertext as the codec leaves it in an event. The projection keeps it, never decrypts it. */
const cipher = (subjectId: string, label: string): EncryptedField => ({
  $pii: 1,
  s: subjectId,
  c: Buffer.from(`${label}:${subjectId}`).toString('base64'),
});

const withData = <E extends AccountEvent>(event: E, data: Record<string, unknown>): E => ({
  ...event,
  data: { ...event.data, ...data },
});

describe.each(sqlBackends())('Accounts projection on %s', (backend) => {
  let harness: ProjectionHarness;
  beforeAll(async () => {
    harness = await ProjectionHarness.start(backend, [accountsProjection]);
  });
  afterAll(async () => harness.stop());

  const row = async (accountId: string) =>
    (
      await harness.rows<AccountRow>('SELECT * FROM accounts WHERE account_id = $1', [accountId])
    )[0];

  /** `AccountRegistered` as stored: personal fields as ciphertext. */
  const registered = (tenantId: string, accountId: string) => {
    const fields = {
      email: cipher(accountId, 'email'),
      name: cipher(accountId, 'name'),
      company: cipher(accountId, 'company'),
      passwordHash: cipher(accountId, 'passwordHash'),
    };
    return {
      event: withData(anAccountRegistered({ tenantId, accountId, role: 'marketer' }), fields),
      fields,
    };
  };

  describe('When an account is registered and re-roled', () => {
    it('should hold its index, role and sealed fields, and never its password hash', async () => {
      const [tenantId, accountId] = [anId(), anId()];
      const { event, fields } = registered(tenantId, accountId);
      await harness.append(toAccountStreamId(accountId), [
        event,
        anAccountPasswordChanged({ tenantId, accountId }),
        anAccountRoleChanged({ tenantId, accountId, role: 'admin', previousRole: 'marketer' }),
      ]);
      await harness.runner.catchUp();
      const stored = await row(accountId);
      expect(stored).toMatchObject({
        tenant_id: tenantId,
        email_index: event.data.emailIndex,
        email: { context: 'AccountRegistered.email', field: fields.email },
        name: { context: 'AccountRegistered.name', field: fields.name },
        company: { context: 'AccountRegistered.company', field: fields.company },
        role: 'admin',
        erased_at: null,
        last_revision: '2',
      });
      expect(JSON.stringify(stored)).not.toContain(fields.passwordHash.c);
    });

    it('should drop a personal field that is not ciphertext', async () => {
      const [tenantId, accountId] = [anId(), anId()];
      await harness.append(toAccountStreamId(accountId), [
        anAccountRegistered({ tenantId, accountId, email: 'plain@example.org' }),
      ]);
      await harness.runner.catchUp();
      expect(await row(accountId)).toMatchObject({ email: null, name: null, company: null });
    });
  });

  describe('When an account is erased', () => {
    it('should clear its fields and its email index, and keep the row as erased', async () => {
      const [tenantId, accountId] = [anId(), anId()];
      await harness.append(toAccountStreamId(accountId), [
        registered(tenantId, accountId).event,
        anAccountErased({ tenantId, accountId }),
      ]);
      await harness.runner.catchUp();
      const stored = await row(accountId);
      expect(stored).toMatchObject({ email_index: null, email: null, name: null, company: null });
      expect(stored?.erased_at).toBeInstanceOf(Date);
    });
  });

  describe('When events are redelivered', () => {
    it('should not bring an erased account back', async () => {
      const [tenantId, accountId] = [anId(), anId()];
      const stream = toAccountStreamId(accountId);
      await harness.append(stream, [
        registered(tenantId, accountId).event,
        anAccountErased({ tenantId, accountId }),
      ]);
      await harness.runner.catchUp();
      const before = await row(accountId);
      const events = await harness.store.readStream(stream);
      await accountsProjection.apply(
        events.slice(0, 1),
        {
          query: async <R>(q: string, p?: unknown[]) =>
            (await harness.pool.query(q, p)).rows as R[],
        },
        { accounts: 'accounts' },
      );
      expect(await row(accountId)).toEqual(before);
      expect(before?.email_index).toBeNull();
    });
  });
});
