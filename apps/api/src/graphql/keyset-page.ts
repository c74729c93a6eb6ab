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
  return query
    .orderBy(`${alias}.${timeColumn}`, 'DESC')
    .addOrderBy(`${alias}.${idColumn}`, 'DESC')
    .limit(first + 1)
    .getMany();
};
