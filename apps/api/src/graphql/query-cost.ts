import {
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  OperationTypeNode,
  type SelectionSetNode,
  type ValueNode,
  getNamedType,
  getNullableType,
  isInterfaceType,
  isLeafType,
  isListType,
  isObjectType,
  valueFromASTUntyped,
} from 'graphql';

import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './pagination.js';

/** How an operation's cost is counted (see `operationCost`). */
export interface QueryCostWeights {
  /** Assumed for a paginated field whose `first`/`last` is absent (the resolvers' default). */
  readonly defaultPageSize: number;
  /** `first`/`last` count as at most this (the connections refuse more). */
  readonly maxPageSize: number;
  /** Assumed length of a list that takes no `first`/`last` (memberships, timeline…). */
  readonly defaultListSize: number;
  /** Each field that returns an object (or a list of them): a lookup or a row. */
  readonly objectCost: number;
  /** Each scalar or enum field: read from its parent, nearly free. */
  readonly scalarCost: number;
  /** Added for each root mutation field: a command, an append and a read-model wait. */
  readonly mutationCost: number;
}

export const DEFAULT_QUERY_COST_WEIGHTS: QueryCostWeights = {
  defaultPageSize: DEFAULT_PAGE_SIZE,
  maxPageSize: MAX_PAGE_SIZE,
  defaultListSize: 10,
  objectCost: 1,
  scalarCost: 0,
  mutationCost: 10,
};

export interface QueryCostInput {
  schema: GraphQLSchema;
  operation: OperationDefinitionNode;
  fragments: Readonly<Record<string, FragmentDefinitionNode>>;
  /** The request's variables: `first: $first` counts with the value sent. */
  variables?: Readonly<Record<string, unknown>> | null;
  weights?: QueryCostWeights;
}

const PAGE_ARGUMENTS = ['first', 'last'];

/**
 * The cost of one operation, in points, before it runs; the same points are what a tenant's
 * rate limit counts.
 *
 * A field that returns an object costs `objectCost` plus its selections; a scalar costs
 * `scalarCost`. A list multiplies the cost of one item by its length: the field's own
 * `first`/`last`, or, for the `edges` of a connection, the connection's `first`/`last`
 * (`defaultPageSize` when absent, at most `maxPageSize`); any other list counts
 * `defaultListSize` items. Root mutation fields add `mutationCost`. Introspection fields
 * (`__schema`, `__type`, `__typename`) are free. `@skip`/`@include` are ignored (the cost is an
 * upper bound). Fragments are expanded where they are spread, each computed once.
 */
export const operationCost = ({
  schema,
  operation,
  fragments,
  variables,
  weights = DEFAULT_QUERY_COST_WEIGHTS,
}: QueryCostInput): number => {
  const rootType =
    operation.operation === OperationTypeNode.MUTATION
      ? schema.getMutationType()
      : operation.operation === OperationTypeNode.SUBSCRIPTION
        ? schema.getSubscriptionType()
        : schema.getQueryType();
  if (!rootType) return 0;
  const isMutation = operation.operation === OperationTypeNode.MUTATION;

  const defaults = new Map<string, unknown>();
  for (const definition of operation.variableDefinitions ?? []) {
    if (definition.defaultValue)
      defaults.set(definition.variable.name.value, valueFromASTUntyped(definition.defaultValue));
  }
  const variableValue = (name: string): unknown =>
    variables && name in variables ? variables[name] : defaults.get(name);

  /** `first`/`last` of a field that takes them, clamped; undefined for other fields. */
  const pageSizeOf = (
    node: FieldNode,
    field: GraphQLField<unknown, unknown>,
  ): number | undefined => {
    if (!field.args.some((a) => PAGE_ARGUMENTS.includes(a.name))) return undefined;
    let size: number | undefined;
    for (const argument of node.arguments ?? []) {
      if (!PAGE_ARGUMENTS.includes(argument.name.value)) continue;
      const value = argumentValue(argument.value, variableValue);
      if (typeof value === 'number' && Number.isFinite(value)) size = Math.max(size ?? 0, value);
    }
    return Math.min(Math.max(Math.ceil(size ?? weights.defaultPageSize), 0), weights.maxPageSize);
  };

  /** Cost of a fragment's selections, by fragment and inherited page size: computed once each. */
  const fragmentCosts = new Map<string, number>();
  const expanding = new Set<string>();

  const selectionSetCost = (
    selectionSet: SelectionSetNode,
    parentType: GraphQLNamedType,
    inheritedPage: number | undefined,
    atRoot: boolean,
  ): number => {
    let total = 0;
    for (const selection of selectionSet.selections) {
      switch (selection.kind) {
        case Kind.FIELD:
          total += fieldCost(selection, parentType, inheritedPage, atRoot);
          break;
        case Kind.INLINE_FRAGMENT: {
          const condition = selection.typeCondition
            ? schema.getType(selection.typeCondition.name.value)
            : parentType;
          if (condition)
            total += selectionSetCost(selection.selectionSet, condition, inheritedPage, atRoot);
          break;
        }
        case Kind.FRAGMENT_SPREAD: {
          const name = selection.name.value;
          const fragment = fragments[name];
          const condition = fragment && schema.getType(fragment.typeCondition.name.value);
          if (!fragment || !condition || expanding.has(name)) break;
          const key = `${name}|${inheritedPage ?? ''}|${atRoot}`;
          let cost = fragmentCosts.get(key);
          if (cost === undefined) {
            expanding.add(name);
            cost = selectionSetCost(fragment.selectionSet, condition, inheritedPage, atRoot);
            expanding.delete(name);
            fragmentCosts.set(key, cost);
          }
          total += cost;
          break;
        }
      }
    }
    return total;
  };

  const fieldCost = (
    node: FieldNode,
    parentType: GraphQLNamedType,
    inheritedPage: number | undefined,
    atRoot: boolean,
  ): number => {
    if (node.name.value.startsWith('__')) return 0;
    if (!isObjectType(parentType) && !isInterfaceType(parentType)) return 0;
    const field = parentType.getFields()[node.name.value];
    if (!field) return 0; // unknown fields are refused by validation
    const type = getNamedType(field.type);
    const page = pageSizeOf(node, field);
    const isList = isListType(getNullableType(field.type));
    const own =
      (isLeafType(type) ? weights.scalarCost : weights.objectCost) +
      (atRoot && isMutation ? weights.mutationCost : 0);
    const children = node.selectionSet
      ? selectionSetCost(node.selectionSet, type, isList ? undefined : page, false)
      : 0;
    const items = isList ? (page ?? inheritedPage ?? weights.defaultListSize) : 1;
    return items * (own + children);
  };

  return selectionSetCost(operation.selectionSet, rootType, undefined, true);
};

const argumentValue = (value: ValueNode, variable: (name: string) => unknown): unknown =>
  value.kind === Kind.VARIABLE ? variable(value.name.value) : valueFromASTUntyped(value);
