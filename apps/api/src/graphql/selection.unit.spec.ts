import { describe, expect, it } from '@jest/globals';
import { Kind, type FieldNode, type FragmentDefinitionNode, parse } from 'graphql';

import { columnsFor, selectedFields } from './selection.js';

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

describe('columnsFor', () => {
  const columnsOf = { id: ['row_id'], name: ['name'], status: ['status', 'reason'], delivery: [] };

  it('should load the fixed columns and those of each selected field, once each', () => {
    expect(
      columnsFor(new Set(['id', 'status', 'delivery', '__typename']), columnsOf, [
        'row_id',
        'created_at',
      ]),
    ).toEqual(['row_id', 'created_at', 'status', 'reason']);
  });

  it('should load every column when a selected field is not in the map', () => {
    expect(columnsFor(new Set(['name', 'somethingNew']), columnsOf, ['row_id'])).toBeUndefined();
    expect(columnsFor(new Set(['constructor']), columnsOf, ['row_id'])).toBeUndefined();
  });
});
