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

-- Plans made while the tables were small would scan them forever after (PGlite never
-- auto-analyses): plan each call for its own parameters.
ALTER FUNCTION mp_append(text, text, uuid[], text[], json, json, bytea) SET plan_cache_mode = force_custom_plan;
`;
