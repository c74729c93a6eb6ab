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
-- Set-based: existing stream rows are locked in stream_id order, new streams' rows are inserted
-- with their final head in stream_id order (no deadlock between bulk writers), events go in with
-- one INSERT, existing heads move with one UPDATE. Only the hash chain is a loop.
-- A request whose first event id is already stored in its (existing) stream is the rare
-- re-append: checked like mp_append, answered from the stored events, and it writes nothing.
-- Returns one row per request, in request order. Errors as mp_append; MP409 also names the stream
-- in its message and carries the failing request's index in HINT. MP503: another writer got in
-- the way (see below); nothing was written, call again in a new transaction.
CREATE OR REPLACE FUNCTION mp_append_many(
  p_streams text[], p_expected text[],
  p_request int[], p_ids uuid[], p_types text[], p_data json, p_metadata json, p_digests bytea
) RETURNS TABLE (request_index int, next_revision bigint, commit_position xid8, prepare_position bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_requests  int := coalesce(cardinality(p_streams), 0);
  v_events    int := coalesce(cardinality(p_ids), 0);
  v_genesis   bytea := decode(repeat('00', 32), 'hex');
  v_xid       xid8;
  v_locked    bigint;
  v_existing  bigint;
  v_inserted  bigint;
  v_updates   int := 0;
  -- Per request.
  v_current   bigint[];   -- revision before this call (-1: no stream)
  v_head      bytea[];    -- head hash before this call
  v_is_new    boolean[];  -- no stream row yet: this call inserts it
  v_skip      boolean[];  -- already stored: answered from the stored events
  v_res_rev   bigint[];
  v_res_xid   xid8[];
  v_res_pos   bigint[];   -- NULL: taken from the INSERT
  v_next_head bytea[];    -- NULL: nothing to write
  -- Per event (NULL for the events of a skipped request).
  v_stream_of text[] := '{}';
  v_revs      bigint[] := '{}';
  v_prev      bytea[] := '{}';
  v_hashes    bytea[] := '{}';
  v_repeat    record;
  v_stored    record;
  v_n         int;
  v_matches   int;
  v_req       int := 0;
  v_r         int;
  v_skip_r    boolean;
  v_expected  text;
  v_rev       bigint;
  v_h         bytea;
  i           int;
BEGIN
  IF v_requests = 0 THEN RETURN; END IF;
  IF cardinality(p_expected) <> v_requests OR cardinality(p_request) <> v_events
     OR cardinality(p_types) <> v_events OR length(p_digests) <> v_events * 32 THEN
    RAISE EXCEPTION 'mp_append_many: per-request or per-event arrays differ in length' USING ERRCODE = '22023';
  END IF;

  -- Lock the streams that exist, in stream_id order.
  WITH locked AS (
    SELECT s.stream_id, s.revision, s.head_hash FROM mp_streams s
     WHERE s.stream_id = ANY (p_streams) ORDER BY s.stream_id FOR UPDATE
  )
  SELECT array_agg(coalesce(l.revision, -1) ORDER BY r.n),
         array_agg(coalesce(l.head_hash, v_genesis) ORDER BY r.n),
         array_agg(l.stream_id IS NULL ORDER BY r.n),
         count(l.stream_id), (SELECT count(*) FROM locked)
    INTO v_current, v_head, v_is_new, v_existing, v_locked
    FROM unnest(p_streams) WITH ORDINALITY AS r(id, n) LEFT JOIN locked l ON l.stream_id = r.id;
  IF v_existing <> v_locked THEN
    RAISE EXCEPTION 'mp_append_many: a stream appears more than once' USING ERRCODE = '22023';
  END IF;

  -- The log is read in transaction-id order, so a stream's events must be written by growing
  -- transaction ids. A single-stream append gets its id when it locks its one stream, after the
  -- previous writer; this call got its id at its first lock and may have waited at a later stream
  -- for a writer that got a newer id. Its events would then read before that writer's: give up,
  -- the caller retries in a new transaction (newer id). Only happens under contention.
  v_xid := pg_current_xact_id();
  IF v_existing > 0 AND EXISTS (
    SELECT 1 FROM unnest(p_streams, v_current) AS u(id, rev)
      JOIN mp_events e ON e.stream_id = u.id AND e.stream_revision = u.rev
     WHERE u.rev >= 0 AND e.transaction_id > v_xid
  ) THEN
    RAISE EXCEPTION 'mp_append_many: a newer transaction wrote one of the streams first, retry'
      USING ERRCODE = 'MP503';
  END IF;

  v_skip := array_fill(false, ARRAY[v_requests]);
  v_res_rev := array_fill(NULL::bigint, ARRAY[v_requests]);
  v_res_xid := array_fill(v_xid, ARRAY[v_requests]);
  v_res_pos := array_fill(NULL::bigint, ARRAY[v_requests]);
  v_next_head := array_fill(NULL::bytea, ARRAY[v_requests]);

  -- Idempotent re-appends: requests whose first event id is stored already (rare). A new stream
  -- has no stored events; its event ids stored elsewhere make the INSERT fail (unique event_id).
  IF v_existing > 0 THEN
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
      v_res_rev[v_repeat.r] := v_stored.stream_revision;
      v_res_xid[v_repeat.r] := v_stored.transaction_id;
      v_res_pos[v_repeat.r] := v_stored.global_position;
    END LOOP;
  END IF;

  -- Expected revisions (in request order, so the first wrong one is reported) and hash chains.
  FOR i IN 1..v_events LOOP
    v_r := p_request[i];
    IF v_r IS DISTINCT FROM v_req THEN
      IF v_r IS DISTINCT FROM v_req + 1 THEN
        RAISE EXCEPTION 'mp_append_many: events must be grouped by request, in request order'
          USING ERRCODE = '22023';
      END IF;
      v_req := v_r;
      v_skip_r := v_skip[v_r];
      v_rev := v_current[v_r];
      v_h := v_head[v_r];
      IF NOT v_skip_r THEN
        v_expected := p_expected[v_r];
        IF (CASE v_expected
              WHEN 'any' THEN false
              WHEN 'no_stream' THEN v_rev <> -1
              WHEN 'stream_exists' THEN v_rev = -1
              ELSE v_expected ~ '^[0-9]+$' AND v_expected::bigint <> v_rev
            END) THEN
          RAISE EXCEPTION 'wrong expected revision for stream %', p_streams[v_r]
            USING ERRCODE = 'MP409', DETAIL = v_rev::text, HINT = v_r::text;
        END IF;
        IF NOT v_is_new[v_r] THEN v_updates := v_updates + 1; END IF;
      END IF;
    END IF;
    IF v_skip_r THEN
      v_stream_of[i] := NULL;
      v_revs[i] := NULL;
      v_prev[i] := NULL;
      v_hashes[i] := NULL;
    ELSE
      v_stream_of[i] := p_streams[v_r];
      v_prev[i] := v_h;
      v_rev := v_rev + 1;
      v_h := sha256(v_h || int8send(v_rev) || substring(p_digests FROM (i - 1) * 32 + 1 FOR 32));
      v_revs[i] := v_rev;
      v_hashes[i] := v_h;
      v_res_rev[v_r] := v_rev;
      v_next_head[v_r] := v_h;
    END IF;
  END LOOP;
  IF v_req <> v_requests THEN
    RAISE EXCEPTION 'mp_append_many: every request needs at least one event' USING ERRCODE = '22023';
  END IF;

  -- New streams: their rows, with their final heads, in stream_id order. One that another writer
  -- created since the lock above is a conflict: retry (its row now exists and gets locked).
  IF v_existing < v_requests THEN
    WITH created AS (
      INSERT INTO mp_streams (stream_id, revision, head_hash)
      SELECT u.id, u.rev, u.h FROM unnest(p_streams, v_res_rev, v_next_head, v_is_new) AS u(id, rev, h, is_new)
       WHERE u.is_new ORDER BY u.id
      ON CONFLICT (stream_id) DO NOTHING
      RETURNING 1
    )
    SELECT count(*) INTO v_inserted FROM created;
    IF v_inserted <> v_requests - v_existing THEN
      IF (SELECT count(DISTINCT u.id) FROM unnest(p_streams) AS u(id)) <> v_requests THEN
        RAISE EXCEPTION 'mp_append_many: a stream appears more than once' USING ERRCODE = '22023';
      END IF;
      RAISE EXCEPTION 'mp_append_many: another writer created one of the new streams first, retry'
        USING ERRCODE = 'MP503';
    END IF;
  END IF;

  RETURN QUERY
  WITH inserted AS (
    INSERT INTO mp_events (stream_id, category, stream_revision, event_id, event_type, data, metadata, previous_hash, hash)
    SELECT x.s, split_part(x.s, '-', 1), x.rev, x.id, x.t, x.d, x.m, x.p, x.h
      FROM ROWS FROM (
        unnest(v_stream_of), unnest(v_revs), unnest(p_ids), unnest(p_types),
        json_array_elements(p_data), json_array_elements(p_metadata), unnest(v_prev), unnest(v_hashes)
      ) AS x(s, rev, id, t, d, m, p, h)
     WHERE x.h IS NOT NULL
    RETURNING mp_events.stream_id, mp_events.global_position
  ), last_positions AS (
    SELECT ins.stream_id, max(ins.global_position) AS pos FROM inserted ins GROUP BY ins.stream_id
  )
  SELECT r.n::int, r.rev, r.xid, coalesce(r.pos, l.pos)
    FROM unnest(p_streams, v_res_rev, v_res_xid, v_res_pos) WITH ORDINALITY AS r(id, rev, xid, pos, n)
    LEFT JOIN last_positions l ON l.stream_id = r.id
   ORDER BY r.n;

  IF v_updates > 0 THEN
    UPDATE mp_streams s SET revision = u.rev, head_hash = u.h
      FROM unnest(p_streams, v_res_rev, v_next_head, v_is_new) AS u(id, rev, h, is_new)
     WHERE u.h IS NOT NULL AND NOT u.is_new AND s.stream_id = u.id;
  END IF;
END
$fn$;

-- Plans made while the tables were small would scan them forever after (PGlite never
-- auto-analyses): plan each call for its own parameters.
ALTER FUNCTION mp_append(text, text, uuid[], text[], json, json, bytea) SET plan_cache_mode = force_custom_plan;
ALTER FUNCTION mp_append_many(text[], text[], int[], uuid[], text[], json, json, bytea) SET plan_cache_mode = force_custom_plan;
`;
