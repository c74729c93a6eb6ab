/**
 * The vault's tables, shared by PostgreSQL and embedded PGlite. Applied idempotently at open,
 * under an advisory transaction lock so concurrent processes do not race.
 *
 * mp_subject_keys: one row per data subject. A shredded subject keeps its row as a tombstone
 * (wrapped_key NULL, shredded_at set) so that nothing can be encrypted for it again.
 * mp_vault_meta: the id of the key-encryption key and a check value (its wrapping of a constant),
 * so a process started with another key refuses to run instead of writing unreadable data.
 */
export const VAULT_SCHEMA_SQL = /* sql */ `
CREATE TABLE IF NOT EXISTS mp_subject_keys (
  subject_id  text PRIMARY KEY,
  tenant_id   text NULL,
  wrapped_key bytea NULL,
  kek_id      text NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  shredded_at timestamptz NULL,
  CONSTRAINT mp_subject_keys_key_xor_shredded CHECK ((wrapped_key IS NULL) = (shredded_at IS NOT NULL))
);

CREATE TABLE IF NOT EXISTS mp_vault_meta (
  id          int PRIMARY KEY CHECK (id = 1),
  kek_id      text NOT NULL,
  check_value bytea NOT NULL
);
`;

/** 'mp' + 2: serialises vault schema setup across processes (the event store uses 'mp' + 1). */
export const VAULT_SCHEMA_LOCK = 0x6d70_0002;
