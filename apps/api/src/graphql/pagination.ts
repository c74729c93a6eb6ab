import { ApiError } from './api-error.js';

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Keyset position in a newest-first list: (created_at, id) of the last row seen. */
export interface PageCursor {
  createdAt: Date;
  id: string;
}

/** An id argument that must be a UUID; anything else is a BAD_USER_INPUT, not a NOT_FOUND. */
export const assertUuid = (id: string, what: string): string => {
  if (!UUID.test(id)) throw new ApiError('BAD_USER_INPUT', `${what} id must be a UUID`);
  return id;
};

export const pageSize = (first: number | null | undefined): number => {
  const size = first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw new ApiError('BAD_USER_INPUT', `first must be between 1 and ${MAX_PAGE_SIZE}`);
  }
  return size;
};

export const encodeCursor = (cursor: PageCursor): string =>
  Buffer.from(`${cursor.createdAt.toISOString()}|${cursor.id}`, 'utf8').toString('base64url');

export const decodeCursor = (
  cursor: string | null | undefined,
  isId: (id: string) => boolean = (id) => UUID.test(id),
): PageCursor | undefined => {
  if (!cursor) return undefined;
  const [iso, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(iso ?? '');
  if (!id || !isId(id) || Number.isNaN(createdAt.getTime())) {
    throw new ApiError(
      'BAD_USER_INPUT',
      'Invalid cursor: pass back an `endCursor` or `cursor` you received',
    );
  }
  return { createdAt, id };
};

/**
 * An edge whose cursor is encoded only if it is read: a query that selects `endCursor` and no
 * edge `cursor` (the usual shape) encodes one cursor a page instead of one a row.
 */
class Edge<Row, Node> {
  constructor(
    private readonly row: Row,
    private readonly cursorOf: (row: Row) => PageCursor,
    readonly node: Node,
  ) {}

  get cursor(): string {
    return encodeCursor(this.cursorOf(this.row));
  }
}

/** A GraphQL connection from one page of rows (fetched with one extra row to know about the next). */
export const toConnection = <Row, Node>(
  rows: readonly Row[],
  size: number,
  cursorOf: (row: Row) => PageCursor,
  toNode: (row: Row) => Node,
): {
  edges: Array<{ cursor: string; node: Node }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
} => {
  const edges = rows.slice(0, size).map((row) => new Edge(row, cursorOf, toNode(row)));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > size,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
  };
};
