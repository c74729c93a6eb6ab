import { describe, expect, it } from '@jest/globals';
import {
  type FragmentDefinitionNode,
  Kind,
  type OperationDefinitionNode,
  buildSchema,
  parse,
} from 'graphql';

import { DEFAULT_QUERY_COST_WEIGHTS, operationCost } from './query-cost.js';

const schema = buildSchema(`
  type Query {
    viewer: Viewer!
    recipient(id: ID!): Recipient
    recipients(first: Int, last: Int, after: String): RecipientConnection!
    tags: [String!]!
  }
  type Mutation {
    addRecipient(email: String!): Recipient!
    login(email: String!, password: String!): Session!
  }
  type Session { token: String! }
  type Viewer { id: ID! name: String! }
  type Recipient {
    id: ID!
    email: String!
    memberships: [Membership!]!
    messages(first: Int, after: String): MessageConnection!
  }
  type Membership { listId: ID! list: ContactList }
  type ContactList { id: ID! name: String! }
  type Message { id: ID! status: String! }
  type RecipientEdge { cursor: String! node: Recipient! }
  type RecipientConnection { edges: [RecipientEdge!]! pageInfo: PageInfo! }
  type MessageEdge { cursor: String! node: Message! }
  type MessageConnection { edges: [MessageEdge!]! pageInfo: PageInfo! }
  type PageInfo { hasNextPage: Boolean! endCursor: String }
`);

const costOf = (source: string, variables: Record<string, unknown> = {}): number => {
  const document = parse(source);
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  )!;
  const fragments = Object.fromEntries(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  );
  return operationCost({ schema, operation, fragments, variables });
};

describe('Query cost', () => {
  describe('Given a query for one object', () => {
    it('should cost one point per object and nothing for scalars', () => {
      expect(costOf('{ viewer { id name } }')).toBe(1);
      expect(costOf('{ recipient(id: "r") { id email } viewer { id } }')).toBe(2);
    });
  });

  describe('Given a connection', () => {
    it('should count the default page size when `first` is absent', () => {
      // recipients 1 + 20 × (edge 1 + node 1)
      expect(costOf('{ recipients { edges { node { id } } } }')).toBe(
        1 + DEFAULT_QUERY_COST_WEIGHTS.defaultPageSize * 2,
      );
    });

    it('should count `first` items, from a literal or a variable', () => {
      expect(costOf('{ recipients(first: 50) { edges { node { id } } } }')).toBe(101);
      expect(
        costOf('query($n: Int) { recipients(first: $n) { edges { node { id } } } }', { n: 50 }),
      ).toBe(101);
      expect(costOf('query($n: Int = 5) { recipients(first: $n) { edges { cursor } } }')).toBe(6);
    });

    it('should count `last` like `first`', () => {
      expect(costOf('{ recipients(last: 30) { edges { node { id } } } }')).toBe(61);
    });

    it('should count `first` at most 100, the connections cap', () => {
      expect(costOf('{ recipients(first: 100000) { edges { node { id } } } }')).toBe(201);
    });

    it('should not multiply the page info', () => {
      expect(costOf('{ recipients(first: 50) { pageInfo { hasNextPage } } }')).toBe(2);
    });
  });

  describe('Given nested pages', () => {
    it('should multiply the pages', () => {
      const query = `{ recipients(first: 100) { edges { node {
        messages(first: 100) { edges { node { id status } } } } } } }`;
      // 1 + 100 × (edge 1 + node 1 + messages (1 + 100 × (edge 1 + node 1)))
      expect(costOf(query)).toBe(1 + 100 * (2 + 1 + 100 * 2));
    });

    it('should count a list without `first` as 10 items', () => {
      const query = '{ recipient(id: "r") { memberships { listId list { name } } } }';
      // recipient 1 + 10 × (membership 1 + list 1)
      expect(costOf(query)).toBe(1 + DEFAULT_QUERY_COST_WEIGHTS.defaultListSize * 2);
      expect(costOf('{ tags }')).toBe(0);
    });
  });

  describe('Given fragments', () => {
    it('should cost the same as the fields written out', () => {
      const inline = '{ recipients(first: 10) { edges { node { id memberships { listId } } } } }';
      const withFragments = `{ recipients(first: 10) { ...Page } }
        fragment Page on RecipientConnection { edges { ... on RecipientEdge { node { ...R } } } }
        fragment R on Recipient { id memberships { listId } }`;
      expect(costOf(withFragments)).toBe(costOf(inline));
    });

    it('should compute a fragment spread many times only once', () => {
      // Each fragment spreads the next twice: 2^40 expansions if each were walked.
      const fragments = Array.from(
        { length: 40 },
        (_, i) =>
          `fragment F${i} on Query { viewer { id } ${i < 39 ? `...F${i + 1} ...F${i + 1}` : ''} }`,
      ).join('\n');
      const started = Date.now();
      expect(costOf(`{ ...F0 }\n${fragments}`)).toBe(2 ** 40 - 1);
      expect(Date.now() - started).toBeLessThan(1000);
    });
  });

  describe('Given a mutation', () => {
    it('should add the mutation cost to each root field', () => {
      expect(costOf('mutation { addRecipient(email: "a@b.c") { id } }')).toBe(
        1 + DEFAULT_QUERY_COST_WEIGHTS.mutationCost,
      );
      expect(
        costOf(
          'mutation { a: login(email: "a", password: "b") { token } b: addRecipient(email: "x") { id } }',
        ),
      ).toBe(2 * (1 + DEFAULT_QUERY_COST_WEIGHTS.mutationCost));
    });
  });

  describe('Given introspection', () => {
    it('should cost nothing', () => {
      expect(costOf('{ __typename __schema { types { name fields { name } } } }')).toBe(0);
    });
  });
});
