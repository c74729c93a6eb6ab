import { describe, expect, it } from '@jest/globals';
import { Kind, type FieldNode, type FragmentDefinitionNode, parse } from 'graphql';

import { selectedFields } from './selection.js';

/** The root field of a document and its fragments, as a resolver's `info` has them. */
const infoOf = (document: string) => {
  const parsed = parse(document);
  const operation = parsed.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments = Object.fromEntries(
    parsed.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  );
  const root = operation.selectionSet.selections[0] as FieldNode;
  return { fieldNodes: [root], fragments };
};

describe('selectedFields', () => {
  it('should list the fields selected at a path below the field', () => {
    const info = infoOf(
      `{ recipients { edges { node { id email } cursor } pageInfo { hasNextPage } } }`,
    );
    expect(selectedFields(info, ['edges', 'node'])).toEqual(new Set(['id', 'email']));
    expect(selectedFields(info)).toEqual(new Set(['edges', 'pageInfo']));
  });

  it('should follow named and inline fragments, and repeated selections', () => {
    const info = infoOf(`
      query { recipients { edges { node { id ...Person } } edges { node { ... on Recipient { attributes } } } } }
      fragment Person on Recipient { name email }`);
    expect(selectedFields(info, ['edges', 'node'])).toEqual(
      new Set(['id', 'name', 'email', 'attributes']),
    );
  });

  it('should answer an empty set for a path nothing selects', () => {
    expect(
      selectedFields(infoOf(`{ recipients { pageInfo { hasNextPage } } }`), ['edges', 'node']),
    ).toEqual(new Set());
  });
});
