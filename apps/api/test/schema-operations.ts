import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLOutputType,
  type GraphQLSchema,
  buildSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
} from 'graphql';

import { packageRoot } from '#platform';

/** `schema.graphql`, the contract every sweep walks. */
export const schema: GraphQLSchema = buildSchema(
  readFileSync(join(packageRoot(), 'schema.graphql'), 'utf8'),
);

/**
 * A value of the right shape for an input type. `id` gives the value of every `ID` (by default
 * a fresh UUID, so nothing real is hit).
 */
export const dummyValue = (type: GraphQLInputType, id: () => string = randomUUID): unknown => {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) return [dummyValue(inner.ofType, id)];
  if (isEnumType(inner)) return inner.getValues().at(-1)!.value;
  if (isInputObjectType(inner))
    return Object.fromEntries(
      Object.values(inner.getFields())
        .filter((f) => isNonNullType(f.type) || getNamedType(f.type).name === 'ID')
        .map((f) => [f.name, dummyValue(f.type, id)]),
    );
  if (isScalarType(inner)) {
    switch (inner.name) {
      case 'ID':
        return id();
      case 'Int':
      case 'Float':
        return 1;
      case 'Boolean':
        return false;
      case 'DateTime':
        return '2030-01-01T00:00:00.000Z';
      case 'JSONObject':
        return {};
      default:
        return 'x';
    }
  }
  throw new Error(`No dummy value for ${String(type)}`);
};

/** Every leaf field down to `depth` levels, skipping fields that need arguments. */
export const selectionOf = (type: GraphQLOutputType, depth: number): string => {
  const named = getNamedType(type);
  if (isLeafType(named)) return '';
  if (!isObjectType(named) && !isInterfaceType(named)) return ' { __typename }';
  const fields = Object.values(named.getFields()).filter((f) =>
    f.args.every((a) => !isNonNullType(a.type)),
  );
  const parts = fields.flatMap((f) => {
    if (isLeafType(getNamedType(f.type))) return [f.name];
    return depth > 1 ? [`${f.name}${selectionOf(f.type, depth - 1)}`] : [];
  });
  return ` { ${parts.length ? parts.join(' ') : '__typename'} }`;
};

export interface SchemaOperation {
  /** `Query.recipient`, `Mutation.eraseRecipient`… */
  key: string;
  document: string;
  variables: Record<string, unknown>;
}

/**
 * One document per query and mutation of the schema, with values for its arguments (all
 * required ones, plus every optional `ID`) and the given selection depth.
 */
export const schemaOperations = (
  options: { depth?: number; id?: () => string } = {},
): SchemaOperation[] =>
  (['query', 'mutation'] as const).flatMap((kind) => {
    const root = kind === 'query' ? schema.getQueryType()! : schema.getMutationType()!;
    return Object.values(root.getFields()).map((field: GraphQLField<unknown, unknown>) => {
      const args = field.args.filter(
        (a) => isNonNullType(a.type) || (options.id && getNamedType(a.type).name === 'ID'),
      );
      const declared = args.map((a) => `$${a.name}: ${String(a.type)}`).join(', ');
      const passed = args.map((a) => `${a.name}: $${a.name}`).join(', ');
      const selection = options.depth
        ? selectionOf(field.type, options.depth)
        : isLeafType(getNamedType(field.type))
          ? ''
          : ' { __typename }';
      return {
        key: `${root.name}.${field.name}`,
        document: `${kind}${declared ? `(${declared})` : ''} { ${field.name}${passed ? `(${passed})` : ''}${selection} }`,
        variables: Object.fromEntries(args.map((a) => [a.name, dummyValue(a.type, options.id)])),
      };
    });
  });
