/**
 * The hash chains of an `mp_append_many` call, set-based: a recursive query whose first level is
 * each request's first event (`firstEvents` yields i, r, skip, cur, head: the event, its request,
 * whether the request is skipped, and its stream's revision and head hash before the call) and
 * whose k-th level holds the k-th event of every request that has one. Fills the per-event
 * arrays (NULL for a skipped request's events) and, per request, the revision and head after the
 * call and the place of its last event among the events to insert.
 */
const chainStatement = (firstEvents: string): string => /* sql */ `
  WITH RECURSIVE chain AS (
    SELECT f.i::int AS i, f.r, f.skip, f.cur + 1 AS rev, f.head AS prev,
           sha256(f.head || int8send(f.cur + 1) || substring(p_digests FROM (f.i::int - 1) * 32 + 1 FOR 32)) AS h
      FROM (${firstEvents}) AS f
    UNION ALL
    SELECT c.i + 1, c.r, c.skip, c.rev + 1, c.h,
           sha256(c.h || int8send(c.rev + 1) || substring(p_digests FROM c.i * 32 + 1 FOR 32))
      FROM chain c
     WHERE c.i < v_events AND p_request[c.i + 1] = c.r
  )
  SELECT array_agg(CASE WHEN c.skip THEN NULL ELSE c.rev END), array_agg(c.prev), array_agg(c.h),
         array_agg(CASE WHEN c.skip THEN NULL ELSE c.rev END) FILTER (WHERE c.last),
         array_agg(c.h) FILTER (WHERE c.last), array_agg(c.ordinal) FILTER (WHERE c.last)
    INTO v_revs, v_prev, v_hashes, v_next_rev, v_next_head, v_last
    -- One row per event, in event order (which is also request order).
    FROM (SELECT c.*, c.i = v_events OR p_request[c.i + 1] <> c.r AS last,
                 count(*) FILTER (WHERE NOT c.skip) OVER (ORDER BY c.i ROWS UNBOUNDED PRECEDING)::int AS ordinal
            FROM chain c ORDER BY c.i) AS c;`;

/** Each request's first event: the events whose request differs from the previous event's. */
const FIRST_EVENTS = /* sql */ `SELECT y.i, y.r FROM unnest(p_request) WITH ORDINALITY AS y(r, i)
       WHERE y.i = 1 OR p_request[y.i - 1] <> y.r`;

/**
 * The event log's schema, shared by PostgreSQL and embedded PGlite. Applied idempotently at start.
 *
 * Global order: rows carry the writing transaction's xid8. Readers only see rows whose transaction
 * is older than the oldest transaction still running (`pg_snapshot_xmin`), ordered by
 * (transaction_id, global_position): a transaction that commits late can never slip in behind a
 * checkpoint, so the log is gap-free for every subscriber.
 *
 * Tamper evidence: each event's hash covers the previous hash of its stream and the stored bytes
 * (ids, type, data and metadata as stored, ciphertext included). See `hash-chain.ts` for the same
 * computation in TypeScript, which auditors use to verify.
 */
export const EVENT_STORE_SCHEMA_SQL = /* sql */ `
CREATE TABLE IF NOT EXISTS mp_streams (
  stream_id   text PRIMARY KEY,
  revision    bigint NOT NULL,
  head_hash   bytea NOT NULL
);

CREATE TABLE IF NOT EXISTS mp_events (
  global_position bigint GENERATED ALWAYS AS IDENTITY,
  transaction_id  xid8 NOT NULL DEFAULT pg_current_xact_id(),
  stream_id       text NOT NULL,
  category        text NOT NULL,
  stream_revision bigint NOT NULL,
  event_id        uuid NOT NULL UNIQUE,
  event_type      text NOT NULL,
  data            json NOT NULL,
  metadata        json NOT NULL,
  previous_hash   bytea NOT NULL,
  hash            bytea NOT NULL,
  UNIQUE (stream_id, stream_revision),
  -- The log order readers page through: (writing transaction, position inside it).
  PRIMARY KEY (transaction_id, global_position)
);

-- One round trip per append: lock the stream, check idempotency and the expected revision,
-- chain the hashes and insert the whole batch in one statement.
-- Errors: SQLSTATE MP409 (wrong expected revision, DETAIL = actual revision or -1),
--         MP422 (event ids already used differently).
DROP FUNCTION IF EXISTS mp_append(text, text, uuid[], text[], text[], text[]);
DROP FUNCTION IF EXISTS mp_append(text, text, uuid[], text[], text[], text[], text[]);
DROP FUNCTION IF EXISTS mp_event_hash(bytea, uuid, text, bigint, text, text, text);

-- p_data / p_metadata: JSON arrays whose elements are stored verbatim (json keeps the text as sent).
-- p_digests: the 32-byte content digests (eventContentDigest) of those exact texts, concatenated, computed by the writer (hash-chain.ts);
-- auditors recompute it from the stored bytes, so a wrong digest shows up as a broken chain.
CREATE OR REPLACE FUNCTION mp_append(
  p_stream text, p_expected text,
  p_ids uuid[], p_types text[], p_data json, p_metadata json, p_digests bytea
) RETURNS TABLE (next_revision bigint, commit_position xid8, prepare_position bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_count    int := cardinality(p_ids);
  v_category text := split_part(p_stream, '-', 1);
  v_current  bigint;
  v_head     bytea;
  v_first    record;
  v_matches  int;
  v_hashes   bytea[] := '{}';
  v_prev     bytea[] := '{}';
  i          int;
BEGIN
  INSERT INTO mp_streams (stream_id, revision, head_hash)
    VALUES (p_stream, -1, decode(repeat('00', 32), 'hex'))
    ON CONFLICT (stream_id) DO NOTHING;
  SELECT s.revision, s.head_hash INTO v_current, v_head
    FROM mp_streams s WHERE s.stream_id = p_stream FOR UPDATE;

  -- Idempotent re-append: the same event ids at the same place return the first result.
  SELECT e.stream_id, e.stream_revision INTO v_first FROM mp_events e WHERE e.event_id = p_ids[1];
  IF FOUND THEN
    IF v_first.stream_id <> p_stream THEN
      RAISE EXCEPTION 'event id % already stored in another stream', p_ids[1] USING ERRCODE = 'MP422';
    END IF;
    SELECT count(*) INTO v_matches FROM mp_events e
      JOIN unnest(p_ids) WITH ORDINALITY AS x(id, n) ON e.event_id = x.id
      WHERE e.stream_id = p_stream AND e.stream_revision = v_first.stream_revision + x.n - 1;
    IF v_matches <> v_count THEN
      RAISE EXCEPTION 'event ids partly stored: not an idempotent re-append' USING ERRCODE = 'MP422';
    END IF;
    IF p_expected ~ '^[0-9]+$' AND p_expected::bigint <> v_first.stream_revision - 1 THEN
      RAISE EXCEPTION 'wrong expected revision' USING ERRCODE = 'MP409', DETAIL = v_current::text;
    END IF;
    IF p_expected = 'no_stream' AND v_first.stream_revision <> 0 THEN
      RAISE EXCEPTION 'wrong expected revision' USING ERRCODE = 'MP409', DETAIL = v_current::text;
    END IF;
    RETURN QUERY SELECT e.stream_revision, e.transaction_id, e.global_position FROM mp_events e
      WHERE e.stream_id = p_stream AND e.stream_revision = v_first.stream_revision + v_count - 1;
    RETURN;
  END IF;

  IF (p_expected = 'no_stream' AND v_current <> -1)
     OR (p_expected = 'stream_exists' AND v_current = -1)
     OR (p_expected ~ '^[0-9]+$' AND p_expected::bigint <> v_current) THEN
    RAISE EXCEPTION 'wrong expected revision' USING ERRCODE = 'MP409', DETAIL = v_current::text;
  END IF;

  FOR i IN 1..v_count LOOP
    v_prev[i] := v_head;
    v_head := sha256(v_head || int8send(v_current + i) || substring(p_digests FROM (i - 1) * 32 + 1 FOR 32));
    v_hashes[i] := v_head;
  END LOOP;

  RETURN QUERY
  WITH inserted AS (
    INSERT INTO mp_events (stream_id, category, stream_revision, event_id, event_type, data, metadata, previous_hash, hash)
    SELECT p_stream, v_category, v_current + x.n, x.id, x.t, x.d, x.m, x.p, x.h
      FROM ROWS FROM (
        unnest(p_ids), unnest(p_types), json_array_elements(p_data), json_array_elements(p_metadata),
        unnest(v_prev), unnest(v_hashes)
      ) WITH ORDINALITY AS x(id, t, d, m, p, h, n)
    RETURNING global_position
  )
  SELECT v_current + v_count, pg_current_xact_id(), max(global_position) FROM inserted;

  UPDATE mp_streams SET revision = v_current + v_count, head_hash = v_head WHERE stream_id = p_stream;
END
$fn$;

-- Many streams in one round trip and one transaction, all or nothing (bulk imports).
--   p_streams / p_expected: one element per request; each stream at most once.
--   p_request: per event, the 1-based index of its request. A request's events are contiguous and
--   requests come in order. p_ids, p_types, p_data, p_metadata, p_digests: per event, as in mp_append.
-- Set-based, no loop over events:
--   1. Hash chains (a recursive query, one level per event of the longest request) as if every
--      stream were new, and the rows of new streams inserted with their final head, in stream_id
--      order (ON CONFLICT DO NOTHING). For a bulk import of new streams that is all the locking.
--   2. Only when some stream exists (or must): lock those rows in stream_id order, check
--      idempotency and expected revisions like mp_append, and chain again from the real heads.
--   3. One INSERT of the events in request order, one UPDATE of the existing heads.
-- Rows are only ever waited for in stream_id order, so concurrent bulk writers cannot deadlock.
-- A request whose first event id is already stored in its stream is an idempotent re-append:
-- checked like mp_append, answered from the stored events, and it writes nothing.
-- Returns one row per request, in request order. Errors as mp_append; MP409 also names the stream
-- in its message and carries the failing request's index in HINT. MP503: another writer got in
-- the way (see below); nothing was written, call again in a new transaction.
CREATE OR REPLACE FUNCTION mp_append_many(
  p_streams text[], p_expected text[],
  p_request int[], p_ids uuid[], p_types text[], p_data json, p_metadata json, p_digests bytea
) RETURNS TABLE (request_index int, next_revision bigint, commit_position xid8, prepare_position bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_requests   int := coalesce(cardinality(p_streams), 0);
  v_events     int := coalesce(cardinality(p_ids), 0);
  v_genesis    bytea := decode(repeat('00', 32), 'hex');
  v_xid        xid8;
  v_created    bigint;     -- requests whose stream this call created
  v_created_rows bigint;
  v_matched    bigint;
  v_locked     bigint;
  -- Per request.
  v_create     boolean[];  -- 'any' / 'no_stream': may create its stream
  v_new        boolean[];  -- this call created its stream row (which holds the final head)
  v_current    bigint[];   -- revision before this call (-1: no stream)
  v_head       bytea[];    -- head hash before this call (NULL: none yet)
  v_skip       boolean[];  -- already stored: answered from the stored events
  v_next_rev   bigint[];   -- revision after this call (NULL when skipped)
  v_next_head  bytea[];
  v_stored_rev bigint[];   -- a skipped request's stored result
  v_stored_xid xid8[];
  v_stored_pos bigint[];
  v_last       int[];      -- place of its last event among the inserted ones
  -- Per event (NULL for the events of a skipped request).
  v_revs       bigint[];
  v_prev       bytea[];
  v_hashes     bytea[];
  v_positions  bigint[];   -- of the inserted events, in insertion order
  v_bad        record;
  v_repeat     record;
  v_stored     record;
  v_n          int;
  v_matches    int;
  v_expected   text;
BEGIN
  IF v_requests = 0 THEN RETURN; END IF;
  IF cardinality(p_expected) <> v_requests OR cardinality(p_request) <> v_events
     OR cardinality(p_types) <> v_events OR length(p_digests) <> v_events * 32 THEN
    RAISE EXCEPTION 'mp_append_many: per-request or per-event arrays differ in length' USING ERRCODE = '22023';
  END IF;
  IF p_request[1] IS DISTINCT FROM 1 OR p_request[v_events] IS DISTINCT FROM v_requests OR EXISTS (
    SELECT 1 FROM unnest(p_request) WITH ORDINALITY AS x(r, i)
     WHERE x.i > 1 AND x.r - p_request[x.i - 1] NOT IN (0, 1)
  ) THEN
    RAISE EXCEPTION 'mp_append_many: events must be grouped by request, in request order, at least one each'
      USING ERRCODE = '22023';
  END IF;

  SELECT array_agg(q.e IN ('any', 'no_stream') ORDER BY q.n) INTO v_create
    FROM unnest(p_expected) WITH ORDINALITY AS q(e, n);
  v_current := array_fill(-1::bigint, ARRAY[v_requests]);
  v_head := array_fill(NULL::bytea, ARRAY[v_requests]);
  v_skip := array_fill(false, ARRAY[v_requests]);

  -- 1. Chains as if every stream were new, then create the new streams with their final heads.
  ${chainStatement(`SELECT e.i, e.r, false AS skip, -1::bigint AS cur, v_genesis AS head FROM (${FIRST_EVENTS}) AS e`)}

  WITH created AS (
    INSERT INTO mp_streams (stream_id, revision, head_hash)
    SELECT u.id, u.rev, u.h FROM unnest(p_streams, v_next_rev, v_next_head, v_create) AS u(id, rev, h, c)
     WHERE u.c ORDER BY u.id
    ON CONFLICT (stream_id) DO NOTHING
    RETURNING mp_streams.stream_id
  )
  SELECT array_agg(c.stream_id IS NOT NULL ORDER BY r.n), count(c.stream_id), (SELECT count(*) FROM created)
    INTO v_new, v_created, v_created_rows
    FROM unnest(p_streams) WITH ORDINALITY AS r(id, n) LEFT JOIN created c ON c.stream_id = r.id;
  IF v_created <> v_created_rows THEN
    RAISE EXCEPTION 'mp_append_many: a stream appears more than once' USING ERRCODE = '22023';
  END IF;
  v_xid := pg_current_xact_id();

  -- 2. Streams that exist already, or must ('stream_exists', a revision).
  IF v_created < v_requests THEN
    WITH locked AS (
      -- One index probe per stream in stream_id order, whatever the planner thinks of the
      -- table's size (OFFSET 0 keeps the lateral lookup a nested loop).
      SELECT l.stream_id, l.revision, l.head_hash
        FROM (SELECT u.id FROM unnest(p_streams, v_new) AS u(id, is_new) WHERE NOT u.is_new ORDER BY u.id) AS o
        CROSS JOIN LATERAL (
          SELECT s.stream_id, s.revision, s.head_hash FROM mp_streams s
           WHERE s.stream_id = o.id FOR UPDATE OFFSET 0
        ) AS l
    )
    SELECT array_agg(coalesce(l.revision, -1) ORDER BY r.n), array_agg(l.head_hash ORDER BY r.n),
           count(l.stream_id), (SELECT count(*) FROM locked)
      INTO v_current, v_head, v_matched, v_locked
      FROM unnest(p_streams, v_new) WITH ORDINALITY AS r(id, is_new, n)
      LEFT JOIN locked l ON l.stream_id = r.id AND NOT r.is_new;
    IF v_matched <> v_locked THEN
      RAISE EXCEPTION 'mp_append_many: a stream appears more than once' USING ERRCODE = '22023';
    END IF;

    -- The log is read in transaction-id order, so a stream's events must be written by growing
    -- transaction ids. A single-stream append gets its id when it locks its one stream, after the
    -- previous writer; this call got its id at its first write and may then have waited for a
    -- stream that a writer with a newer id wrote first. Its events would read before that
    -- writer's: give up, the caller retries in a new transaction (newer id).
    IF EXISTS (
      SELECT 1 FROM unnest(p_streams, v_current) AS u(id, rev)
        JOIN mp_events e ON e.stream_id = u.id AND e.stream_revision = u.rev
       WHERE u.rev >= 0 AND e.transaction_id > v_xid
    ) THEN
      RAISE EXCEPTION 'mp_append_many: a newer transaction wrote one of the streams first, retry'
        USING ERRCODE = 'MP503';
    END IF;

    -- Idempotent re-appends: requests whose first event id is stored already. (A new stream has
    -- no stored events; its event ids stored elsewhere make the INSERT fail on event_id.)
    v_stored_rev := array_fill(NULL::bigint, ARRAY[v_requests]);
    v_stored_xid := array_fill(NULL::xid8, ARRAY[v_requests]);
    v_stored_pos := array_fill(NULL::bigint, ARRAY[v_requests]);
    FOR v_repeat IN
      SELECT x.r, e.stream_id, e.stream_revision
        FROM unnest(p_request, p_ids) WITH ORDINALITY AS x(r, id, i)
        JOIN mp_events e ON e.event_id = x.id
       WHERE (x.i = 1 OR p_request[x.i - 1] <> x.r) AND v_current[x.r] >= 0
       ORDER BY x.r
    LOOP
      IF v_repeat.stream_id <> p_streams[v_repeat.r] THEN
        RAISE EXCEPTION 'event id already stored in another stream (stream %)', p_streams[v_repeat.r]
          USING ERRCODE = 'MP422';
      END IF;
      SELECT count(*), count(e.event_id) INTO v_n, v_matches
        FROM (SELECT x.id, row_number() OVER (ORDER BY x.i) AS k
                FROM unnest(p_request, p_ids) WITH ORDINALITY AS x(r, id, i)
               WHERE x.r = v_repeat.r) q
        LEFT JOIN mp_events e ON e.event_id = q.id AND e.stream_id = v_repeat.stream_id
                             AND e.stream_revision = v_repeat.stream_revision + q.k - 1;
      IF v_matches <> v_n THEN
        RAISE EXCEPTION 'event ids partly stored: not an idempotent re-append (stream %)', p_streams[v_repeat.r]
          USING ERRCODE = 'MP422';
      END IF;
      v_expected := p_expected[v_repeat.r];
      IF (v_expected ~ '^[0-9]+$' AND v_expected::bigint <> v_repeat.stream_revision - 1)
         OR (v_expected = 'no_stream' AND v_repeat.stream_revision <> 0) THEN
        RAISE EXCEPTION 'wrong expected revision for stream %', p_streams[v_repeat.r]
          USING ERRCODE = 'MP409', DETAIL = v_current[v_repeat.r]::text, HINT = v_repeat.r::text;
      END IF;
      SELECT e.stream_revision, e.transaction_id, e.global_position INTO v_stored FROM mp_events e
       WHERE e.stream_id = v_repeat.stream_id AND e.stream_revision = v_repeat.stream_revision + v_n - 1;
      v_skip[v_repeat.r] := true;
      v_stored_rev[v_repeat.r] := v_stored.stream_revision;
      v_stored_xid[v_repeat.r] := v_stored.transaction_id;
      v_stored_pos[v_repeat.r] := v_stored.global_position;
    END LOOP;

    -- Expected revisions; the first wrong one in request order is reported.
    SELECT q.n, q.cur INTO v_bad
      FROM unnest(p_expected, v_current, v_skip) WITH ORDINALITY AS q(e, cur, skip, n)
     WHERE NOT q.skip AND CASE q.e
             WHEN 'any' THEN false
             WHEN 'no_stream' THEN q.cur <> -1
             WHEN 'stream_exists' THEN q.cur = -1
             ELSE q.e ~ '^[0-9]+$' AND q.e::bigint <> q.cur
           END
     ORDER BY q.n LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION 'wrong expected revision for stream %', p_streams[v_bad.n]
        USING ERRCODE = 'MP409', DETAIL = v_bad.cur::text, HINT = v_bad.n::text;
    END IF;

    -- Chains again, from the real heads.
    ${chainStatement(`SELECT e.i, e.r, q.skip, q.cur,
               CASE WHEN q.skip THEN NULL ELSE coalesce(q.head, v_genesis) END AS head
          FROM (${FIRST_EVENTS}) AS e
          JOIN unnest(v_skip, v_current, v_head) WITH ORDINALITY AS q(skip, cur, head, n) ON q.n = e.r`)}

    UPDATE mp_streams s SET revision = u.rev, head_hash = u.h
      FROM unnest(p_streams, v_next_rev, v_next_head, v_new) AS u(id, rev, h, is_new)
     WHERE u.h IS NOT NULL AND NOT u.is_new AND s.stream_id = u.id;
  END IF;

  -- 3. The events, in request order. Positions come from the identity in insertion order, so
  -- the k-th smallest position returned is the k-th event inserted.
  WITH inserted AS (
    INSERT INTO mp_events (stream_id, category, stream_revision, event_id, event_type, data, metadata, previous_hash, hash)
    SELECT s.id, split_part(s.id, '-', 1), x.rev, x.id, x.t, x.d, x.m, x.p, x.h
      FROM ROWS FROM (
        unnest(p_request), unnest(v_revs), unnest(p_ids), unnest(p_types),
        json_array_elements(p_data), json_array_elements(p_metadata), unnest(v_prev), unnest(v_hashes)
      ) WITH ORDINALITY AS x(r, rev, id, t, d, m, p, h, i)
      JOIN unnest(p_streams) WITH ORDINALITY AS s(id, n) ON s.n = x.r
     WHERE x.h IS NOT NULL
     ORDER BY x.i
    RETURNING mp_events.global_position
  )
  SELECT array_agg(ins.global_position ORDER BY ins.global_position) INTO v_positions FROM inserted ins;

  RETURN QUERY
  SELECT q.n::int, coalesce(q.stored_rev, q.next_rev), coalesce(q.stored_xid, v_xid),
         coalesce(q.stored_pos, v_positions[q.last])
    FROM unnest(v_next_rev, v_last, v_stored_rev, v_stored_xid, v_stored_pos)
           WITH ORDINALITY AS q(next_rev, last, stored_rev, stored_xid, stored_pos, n)
   ORDER BY q.n;
END
$fn$;

-- The log in its order, from a position, optionally filtered by category and event type: always
-- by walking the primary key in order and stopping at p_limit matches. Without statistics (a
-- fresh table, PGlite, autovacuum off) or with a selective filter, the planner would rather scan
-- the whole table and sort it, for every page: reading a log of N events in pages would cost N^2.
CREATE OR REPLACE FUNCTION mp_read_all(
  p_commit xid8, p_prepare bigint, p_limit int, p_categories text[], p_types text[]
) RETURNS SETOF mp_events
LANGUAGE sql STABLE
SET enable_seqscan = off SET enable_bitmapscan = off SET enable_sort = off
AS $fn$
  SELECT * FROM mp_events
   WHERE (transaction_id, global_position) > (p_commit, p_prepare)
     AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
     AND (p_categories IS NULL OR category = ANY(p_categories))
     AND (p_types IS NULL OR event_type = ANY(p_types))
   ORDER BY transaction_id, global_position
   LIMIT p_limit
$fn$;

-- Audit (mailpackr audit verify). Log seals: checkpoints written by an intact whole-log walk, each
-- counting the events up to its position and chaining a digest of their hashes in log order, in
-- total and per tenant (see chain-walker.ts). Stream heads (mp_streams) catch a deleted last
-- event; seals catch what a per-stream chain cannot: a whole stream deleted with its head, rows
-- of different streams reordered. Written only by auditors, never on the append path.
CREATE TABLE IF NOT EXISTS mp_log_seals (
  seal_id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  commit_position  xid8 NOT NULL,
  prepare_position bigint NOT NULL,
  events           bigint NOT NULL,
  log_digest       bytea NOT NULL,
  tenants          jsonb NOT NULL,
  previous_hash    bytea NOT NULL,
  hash             bytea NOT NULL,
  sealed_at        timestamptz NOT NULL DEFAULT now()
);

-- One page of the log for the auditor, in log order, settled events only like mp_read_all,
-- optionally one tenant's events (metadata tenantId); texts as stored, hashes as hex.
-- (Its first version returned no category: replaced once, since OR REPLACE cannot change columns.)
DO $do$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'mp_verify_page' AND NOT ('category' = ANY (proargnames))) THEN
    DROP FUNCTION mp_verify_page(xid8, bigint, int, text);
  END IF;
END $do$;
CREATE OR REPLACE FUNCTION mp_verify_page(p_commit xid8, p_prepare bigint, p_limit int, p_tenant text)
RETURNS TABLE (global_position text, transaction_id text, stream_id text, category text,
               stream_revision text, event_id text, event_type text, data text, metadata text,
               previous_hash text, hash text)
LANGUAGE sql STABLE
SET enable_seqscan = off SET enable_bitmapscan = off SET enable_sort = off
AS $fn$
  SELECT e.global_position::text, e.transaction_id::text, e.stream_id, e.category, e.stream_revision::text,
         e.event_id::text, e.event_type, e.data::text, e.metadata::text,
         encode(e.previous_hash, 'hex'), encode(e.hash, 'hex')
    FROM mp_events e
   WHERE (e.transaction_id, e.global_position) > (p_commit, p_prepare)
     AND e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
     AND (p_tenant IS NULL OR e.metadata->>'tenantId' = p_tenant)
   ORDER BY e.transaction_id, e.global_position
   LIMIT p_limit
$fn$;

-- Plans made while the tables were small would scan them forever after (PGlite never
-- auto-analyses): plan each call for its own parameters.
ALTER FUNCTION mp_append(text, text, uuid[], text[], json, json, bytea) SET plan_cache_mode = force_custom_plan;
ALTER FUNCTION mp_append_many(text[], text[], int[], uuid[], text[], json, json, bytea) SET plan_cache_mode = force_custom_plan;
`;
