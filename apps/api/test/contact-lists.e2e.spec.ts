import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { sqlBackends } from '#testing';

import { ApiTestApp } from './api-test-app.js';

const FIELDS = 'id name revision createdAt updatedAt deletedAt';
const CREATE = `mutation($input: CreateContactListInput!) { createContactList(input: $input) { ${FIELDS} } }`;
const RENAME = `mutation($input: RenameContactListInput!) { renameContactList(input: $input) { ${FIELDS} } }`;
const DELETE = `mutation($input: DeleteContactListInput!) { deleteContactList(input: $input) { ${FIELDS} } }`;
const GET = `query($id: ID!) { contactList(id: $id) { ${FIELDS} } }`;
const LIST = `query($first: Int, $after: String) { contactLists(first: $first, after: $after) {
  edges { node { id name } } pageInfo { hasNextPage endCursor } } }`;

interface ListView {
  id: string;
  name: string;
  revision: number;
  deletedAt: string | null;
}

describe.each(sqlBackends())('Contact lists over GraphQL (%s)', (backend) => {
  let api: ApiTestApp;
  let apiKey: string;
  beforeAll(async () => {
    api = await ApiTestApp.start(backend);
    ({ apiKey } = await api.createTenant('Lists Ltd'));
  });
  afterAll(async () => api.stop());

  const create = async (name: string, key = apiKey): Promise<ListView> => {
    const res = await api.graphql<{ createContactList: ListView }>(
      CREATE,
      { input: { name } },
      key,
    );
    expect(res.errors).toBeUndefined();
    return res.data!.createContactList;
  };

  describe('When a list is created, renamed and deleted', () => {
    it('should reflect each step at once and hide the list once deleted', async () => {
      const list = await create('  Newsletter ');
      expect(list).toMatchObject({ name: 'Newsletter', revision: 0, deletedAt: null });

      const renamed = await api.graphql<{ renameContactList: ListView }>(
        RENAME,
        { input: { id: list.id, name: 'Weekly', expectedRevision: 0 } },
        apiKey,
      );
      expect(renamed.data?.renameContactList).toMatchObject({ name: 'Weekly', revision: 1 });

      const deleted = await api.graphql<{ deleteContactList: ListView }>(
        DELETE,
        { input: { id: list.id } },
        apiKey,
      );
      expect(deleted.data?.deleteContactList).toMatchObject({ id: list.id, revision: 2 });
      expect(deleted.data?.deleteContactList.deletedAt).toEqual(expect.any(String));

      expect((await api.graphql(GET, { id: list.id }, apiKey)).errors?.[0]?.extensions?.code).toBe(
        'NOT_FOUND',
      );
      const all = await api.graphql<{ contactLists: { edges: Array<{ node: ListView }> } }>(
        LIST,
        { first: 100 },
        apiKey,
      );
      expect(all.data!.contactLists.edges.map((e) => e.node.id)).not.toContain(list.id);
      // Deleting again is harmless; renaming a deleted list is not possible.
      expect(
        (await api.graphql(DELETE, { input: { id: list.id } }, apiKey)).errors,
      ).toBeUndefined();
      expect(
        (await api.graphql(RENAME, { input: { id: list.id, name: 'Back' } }, apiKey)).errors?.[0]
          ?.extensions?.code,
      ).toBe('NOT_FOUND');
    });
  });

  describe('When the input is wrong', () => {
    it('should answer with typed errors and change nothing', async () => {
      const list = await create('Stable');
      expect(
        (await api.graphql(CREATE, { input: { name: '' } }, apiKey)).errors?.[0]?.extensions?.code,
      ).toBe('BAD_USER_INPUT');
      expect(
        (await api.graphql(RENAME, { input: { id: list.id, name: 'A\nB' } }, apiKey)).errors?.[0]
          ?.extensions?.code,
      ).toBe('BAD_USER_INPUT');
      expect(
        (
          await api.graphql(
            RENAME,
            { input: { id: list.id, name: 'Late', expectedRevision: 3 } },
            apiKey,
          )
        ).errors?.[0]?.extensions?.code,
      ).toBe('CONFLICT');
      expect((await api.graphql(GET, { id: 'nope' }, apiKey)).errors?.[0]?.extensions?.code).toBe(
        'BAD_USER_INPUT',
      );
      expect(
        (
          await api.graphql(
            DELETE,
            { input: { id: '00000000-0000-4000-8000-000000000000' } },
            apiKey,
          )
        ).errors?.[0]?.extensions?.code,
      ).toBe('NOT_FOUND');
      expect(
        (await api.graphql<{ contactList: ListView }>(GET, { id: list.id }, apiKey)).data
          ?.contactList,
      ).toMatchObject({ name: 'Stable', revision: 0 });
    });
  });

  describe('When listing and across tenants', () => {
    it('should page newest first and keep each tenant to its own lists', async () => {
      const { apiKey: key } = await api.createTenant('Pager Lists');
      for (const name of ['L0', 'L1', 'L2']) await create(name, key);
      type Page = {
        contactLists: {
          edges: Array<{ node: ListView }>;
          pageInfo: { hasNextPage: boolean; endCursor: string };
        };
      };
      const first = await api.graphql<Page>(LIST, { first: 2 }, key);
      expect(first.data!.contactLists.edges.map((e) => e.node.name)).toEqual(['L2', 'L1']);
      const next = await api.graphql<Page>(
        LIST,
        { first: 2, after: first.data!.contactLists.pageInfo.endCursor },
        key,
      );
      expect(next.data!.contactLists.edges.map((e) => e.node.name)).toEqual(['L0']);
      expect(next.data!.contactLists.pageInfo.hasNextPage).toBe(false);

      const mine = await create('Mine only');
      expect((await api.graphql(GET, { id: mine.id }, key)).errors?.[0]?.extensions?.code).toBe(
        'NOT_FOUND',
      );
      expect(
        (await api.graphql(DELETE, { input: { id: mine.id } }, key)).errors?.[0]?.extensions?.code,
      ).toBe('NOT_FOUND');
    });
  });
});
