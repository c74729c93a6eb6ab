import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { toContactListStreamId } from '#domain';
import { type ContactListRow, contactListsProjection } from '#projections';
import {
  ProjectionHarness,
  aContactListCreated,
  aContactListDeleted,
  aContactListRenamed,
  anId,
  sqlBackends,
} from '#testing';

describe.each(sqlBackends())('Contact lists projection on %s', (backend) => {
  let harness: ProjectionHarness;
  beforeAll(async () => {
    harness = await ProjectionHarness.start(backend, [contactListsProjection]);
  });
  afterAll(async () => harness.stop());

  const row = async (listId: string) =>
    (
      await harness.rows<ContactListRow>('SELECT * FROM contact_lists WHERE list_id = $1', [listId])
    )[0];

  describe('When a list is created, renamed and deleted', () => {
    it('should follow each step and keep the deleted list as a tombstone', async () => {
      const listId = anId();
      const tenantId = anId();
      const stream = toContactListStreamId(listId);
      await harness.append(stream, [aContactListCreated({ listId, tenantId, name: 'Newsletter' })]);
      await harness.runner.catchUp();
      expect(await row(listId)).toMatchObject({
        name: 'Newsletter',
        tenant_id: tenantId,
        deleted_at: null,
        last_revision: '0',
      });

      await harness.append(stream, [
        aContactListRenamed({ listId, tenantId, name: 'Weekly news' }),
      ]);
      await harness.append(stream, [aContactListDeleted({ listId, tenantId })]);
      await harness.runner.catchUp();
      const deleted = await row(listId);
      expect(deleted).toMatchObject({ name: 'Weekly news', last_revision: '2' });
      expect(deleted?.deleted_at).toBeInstanceOf(Date);
    });
  });

  describe('When events are redelivered', () => {
    it('should not bring a deleted list back', async () => {
      const listId = anId();
      const stream = toContactListStreamId(listId);
      await harness.append(stream, [
        aContactListCreated({ listId }),
        aContactListDeleted({ listId }),
      ]);
      await harness.runner.catchUp();
      const before = await row(listId);
      const events = await harness.store.readStream(stream);
      await contactListsProjection.apply(
        events,
        {
          query: async <R>(q: string, p?: unknown[]) =>
            (await harness.pool.query(q, p)).rows as R[],
        },
        { contact_lists: 'contact_lists' },
      );
      expect(await row(listId)).toEqual(before);
      expect(before?.deleted_at).not.toBeNull();
    });
  });
});
