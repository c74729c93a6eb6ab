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
