import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';

import type { PageCursor } from './pagination.js';

/**
 * One page, newest first, of a read model ordered by (created_at, <id column>) descending: rows
 * after the cursor, and one extra row so the caller knows whether another page follows.
 */
export const newestFirstPage = <T extends ObjectLiteral>(
  query: SelectQueryBuilder<T>,
  idColumn: string,
  first: number,
  after: PageCursor | undefined,
): Promise<T[]> => {
  const alias = query.alias;
  if (after) {
    query.andWhere(`(${alias}.created_at, ${alias}.${idColumn}) < (:afterCreatedAt, :afterId)`, {
      afterCreatedAt: after.createdAt,
      afterId: after.id,
    });
  }
  return query
    .orderBy(`${alias}.created_at`, 'DESC')
    .addOrderBy(`${alias}.${idColumn}`, 'DESC')
    .limit(first + 1)
    .getMany();
};
