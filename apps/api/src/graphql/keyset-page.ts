import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';

import type { PageCursor } from './pagination.js';

/**
 * One page, newest first, of a read model ordered by (<time column>, <id column>) descending: rows
 * after the cursor, and one extra row so the caller knows whether another page follows.
 */
export const newestFirstPage = <T extends ObjectLiteral>(
  query: SelectQueryBuilder<T>,
  idColumn: string,
  first: number,
  after: PageCursor | undefined,
  timeColumn = 'created_at',
): Promise<T[]> => {
  const alias = query.alias;
  if (after) {
    query.andWhere(`(${alias}.${timeColumn}, ${alias}.${idColumn}) < (:afterCreatedAt, :afterId)`, {
      afterCreatedAt: after.createdAt,
      afterId: after.id,
    });
  }
  query
    .orderBy(`${alias}.${timeColumn}`, 'DESC')
    .addOrderBy(`${alias}.${idColumn}`, 'DESC')
    .limit(first + 1);
  return withStatementOnce(query).getMany();
};

/** Statements by shape; a bound, as a client choosing its fields can make many shapes. */
const statements = new Map<string, string>();
const MAX_STATEMENT_SHAPES = 1_000;

/**
 * The builder with its SQL written once per shape rather than on every request: TypeORM builds a
 * page's SQL (column lists, property names to columns, escaping) in about a twentieth of the
 * API's CPU per request, and a page has few shapes. The shape is everything in the builder that
 * the SQL depends on: the table and alias, the selected columns, the conditions, order, limit and
 * the parameters' names (and the length of an array parameter, which `:...name` expands); the
 * parameters' values go with each query as before. Only builders this key describes fully are
 * memoised: one table, no joins or CTEs, conditions written as SQL text. Any other builder is
 * left as it is.
 */
export const withStatementOnce = <T extends ObjectLiteral>(
  query: SelectQueryBuilder<T>,
): SelectQueryBuilder<T> => {
  const key = shapeOf(query);
  if (key === undefined) return query;
  let sql = statements.get(key);
  if (sql === undefined) {
    sql = query.getQuery();
    if (statements.size >= MAX_STATEMENT_SHAPES) statements.clear();
    statements.set(key, sql);
  }
  const statement = sql;
  query.getQuery = () => statement;
  return query;
};

const shapeOf = (query: SelectQueryBuilder<ObjectLiteral>): string | undefined => {
  const map = query.expressionMap;
  const table = map.mainAlias?.hasMetadata ? map.mainAlias.metadata.tablePath : undefined;
  if (
    table === undefined ||
    map.queryType !== 'select' ||
    map.aliases.length !== 1 ||
    map.joinAttributes.length > 0 ||
    map.relationIdAttributes.length > 0 ||
    map.commonTableExpressions.length > 0 ||
    map.subQuery ||
    !map.wheres.every((where) => typeof where.condition === 'string') ||
    !map.selects.every((select) => typeof select.selection === 'string')
  ) {
    return undefined;
  }
  return JSON.stringify([
    table,
    map.mainAlias!.name,
    map.selects,
    map.wheres,
    map.orderBys,
    map.limit,
    map.offset,
    map.skip,
    map.take,
    map.groupBys,
    map.havings,
    map.selectDistinct,
    map.selectDistinctOn,
    map.withDeleted,
    map.lockMode ?? null,
    map.lockTables ?? null,
    map.onLocked ?? null,
    map.maxExecutionTime,
    map.timeTravel ?? null,
    map.comment ?? null,
    map.useIndex ?? null,
    map.options,
    map.disableEscaping,
    map.aliasNamePrefixingEnabled,
    map.extraAppendedAndWhereCondition,
    Object.entries(map.parameters).map(([name, value]) =>
      Array.isArray(value) ? `${name}[${value.length}]` : name,
    ),
  ]);
};
