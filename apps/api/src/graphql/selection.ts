import { type GraphQLResolveInfo, Kind, type SelectionSetNode } from 'graphql';

/**
 * The names of the fields selected on the objects found at `path` below the field being resolved
 * (`['edges', 'node']` for a connection's nodes), following fragments. `@skip`/`@include` are not
 * evaluated, so the answer is a superset: a resolver may skip work for fields outside it (such
 * as decrypting a personal field nobody asked for), never miss one.
 */
export const selectedFields = (
  info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments'>,
  path: readonly string[] = [],
): Set<string> => {
  let sets: SelectionSetNode[] = info.fieldNodes.flatMap((n) =>
    n.selectionSet ? [n.selectionSet] : [],
  );
  for (const step of path) {
    sets = fieldsOf(sets, info.fragments).flatMap((f) =>
      f.name.value === step && f.selectionSet ? [f.selectionSet] : [],
    );
  }
  return new Set(fieldsOf(sets, info.fragments).map((f) => f.name.value));
};

const fieldsOf = (
  sets: readonly SelectionSetNode[],
  fragments: GraphQLResolveInfo['fragments'],
) => {
  const fields = [];
  const pending = [...sets];
  for (let set = pending.pop(); set; set = pending.pop()) {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) fields.push(selection);
      else if (selection.kind === Kind.INLINE_FRAGMENT) pending.push(selection.selectionSet);
      else {
        const fragment = fragments[selection.name.value];
        if (fragment) pending.push(fragment.selectionSet);
      }
    }
  }
  return fields;
};

/**
 * The read-model columns a page must load for the fields selected on its nodes: `always` (ids and
 * the cursor's columns) plus each selected field's columns from `columnsOf`. Undefined, meaning
 * every column, as soon as one selected field is not in `columnsOf`, so a field added to the
 * schema and not to the map is still answered, only not sped up.
 */
export const columnsFor = <C extends string>(
  selected: ReadonlySet<string>,
  columnsOf: Readonly<Record<string, readonly C[]>>,
  always: readonly C[],
): C[] | undefined => {
  const columns = new Set<C>(always);
  for (const field of selected) {
    if (field === '__typename') continue;
    const needed = Object.hasOwn(columnsOf, field) ? columnsOf[field] : undefined;
    if (!needed) return undefined;
    for (const column of needed) columns.add(column);
  }
  return [...columns];
};
