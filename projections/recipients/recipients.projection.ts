import {
  CONTACT_LIST_STREAM_CATEGORY,
  type ConsentEvidence,
  RECIPIENT_EVENT_TYPES,
  RECIPIENT_STREAM_CATEGORY,
  type RecipientEvent,
  assertNever,
} from '#domain';
import {
  type Projection,
  type SqlExecutor,
  quoteIdent,
  seal,
  sealFrom,
  upsertRows,
} from '../core/projection.js';

/** Personal columns hold the events' ciphertext as it is, sealed with its context (`SealedField`), never plaintext. */
export interface RecipientRow {
  recipient_id: string;
  tenant_id: string;
  email_index: string | null;
  email: unknown;
  name: unknown;
  attributes: unknown;
  status: 'active' | 'erased';
  unsubscribed_all: boolean;
  restricted: boolean;
  objected: boolean;
  created_at: string | Date;
  updated_at: string | Date;
  erased_at: string | Date | null;
  last_revision: string | number;
}

export interface RecipientMembershipRow {
  recipient_id: string;
  list_id: string;
  tenant_id: string;
  status: 'pending' | 'subscribed' | 'unsubscribed';
  consent_source: string;
  consent_collected_at: string | Date;
  /** Ciphertext of the consent IP address, when one was given. */
  consent_ip: unknown;
  opt_in_request_id: string | null;
  opt_in_expires_at: string | Date | null;
  confirmed_at: string | Date | null;
  joined_at: string | Date;
  since: string | Date;
}

const RECIPIENTS = 'recipients';
const MEMBERSHIPS = 'recipient_memberships';

type Memberships = Map<string, RecipientMembershipRow>;

/**
 * `recipients` and `recipient_memberships`, kept by one projection so that both follow the
 * recipient stream's revision (stored on the recipient row): a redelivered event is skipped for
 * both. `RecipientErased` clears every personal column and deletes the memberships; a deleted
 * list's memberships are deleted too (policy §7: lists can be deleted at any time).
 */
export const recipientsProjection: Projection = {
  name: 'recipients',
  tables: [RECIPIENTS, MEMBERSHIPS],
  filter: {
    categories: [RECIPIENT_STREAM_CATEGORY, CONTACT_LIST_STREAM_CATEGORY],
    eventTypes: [...RECIPIENT_EVENT_TYPES, 'ContactListDeleted'],
  },
  async apply(batch, sql, tables) {
    const recipientsTable = quoteIdent(tables[RECIPIENTS] ?? RECIPIENTS);
    const membershipsTable = quoteIdent(tables[MEMBERSHIPS] ?? MEMBERSHIPS);
    const ids = [
      ...new Set(
        batch
          .filter((e) => e.type !== 'ContactListDeleted')
          .map((e) => (e.data as { recipientId: string }).recipientId),
      ),
    ];
    const rows = new Map<string, RecipientRow>();
    const memberships = new Map<string, Memberships>();
    if (ids.length > 0) {
      for (const row of await sql.query<RecipientRow>(
        `SELECT * FROM ${recipientsTable} WHERE recipient_id = ANY($1::uuid[])`,
        [ids],
      )) {
        rows.set(row.recipient_id, row);
      }
      for (const m of await sql.query<RecipientMembershipRow>(
        `SELECT * FROM ${membershipsTable} WHERE recipient_id = ANY($1::uuid[])`,
        [ids],
      )) {
        membershipsOf(memberships, m.recipient_id).set(m.list_id, m);
      }
    }
    const touched = new Set<string>();
    const deletedLists: string[] = [];
    for (const recorded of batch) {
      if (recorded.type === 'ContactListDeleted') {
        const listId = (recorded.data as { listId: string }).listId;
        deletedLists.push(listId);
        for (const [recipientId, byList] of memberships) {
          if (byList.delete(listId)) touched.add(recipientId);
        }
        continue;
      }
      const event = recorded as unknown as RecipientEvent;
      const recipientId = event.data.recipientId;
      const row = rows.get(recipientId);
      if (row && BigInt(row.last_revision) >= recorded.revision) continue; // already applied
      const next = evolve(row, membershipsOf(memberships, recipientId), event, recorded.revision);
      if (next) rows.set(recipientId, next);
      touched.add(recipientId);
    }
    // Deleted lists first: for the recipients of this batch the memberships folded in order above
    // win, so one joining a list after its deletion keeps it, as with one event per batch.
    if (deletedLists.length > 0) {
      await sql.query(`DELETE FROM ${membershipsTable} WHERE list_id = ANY($1::uuid[])`, [
        deletedLists,
      ]);
    }
    await write(sql, recipientsTable, membershipsTable, touched, rows, memberships);
  },
};

const membershipsOf = (all: Map<string, Memberships>, recipientId: string): Memberships => {
  let byList = all.get(recipientId);
  if (!byList) {
    byList = new Map();
    all.set(recipientId, byList);
  }
  return byList;
};

const subscribedRow = (
  ids: { recipientId: string; tenantId: string },
  listId: string,
  consent: ConsentEvidence,
  eventType: 'RecipientAdded' | 'RecipientSubscribed',
  at: string,
  previous: RecipientMembershipRow | undefined,
  /** The value the event's fields were encrypted together in, if they were. */
  together?: unknown,
): RecipientMembershipRow => ({
  recipient_id: ids.recipientId,
  list_id: listId,
  tenant_id: ids.tenantId,
  status: 'subscribed',
  consent_source: consent.source,
  consent_collected_at: consent.collectedAt,
  consent_ip: sealFrom(`${eventType}.consent.ipAddress`, consent.ipAddress, together),
  opt_in_request_id: null,
  opt_in_expires_at: null,
  confirmed_at: null,
  joined_at: previous?.joined_at ?? at,
  since: at,
});

/** The new recipient row (memberships are changed in place); undefined when nothing applies. */
const evolve = (
  row: RecipientRow | undefined,
  memberships: Memberships,
  event: RecipientEvent,
  revision: bigint,
): RecipientRow | undefined => {
  const last_revision = revision.toString();
  if (event.type === 'RecipientAdded') {
    if (row) return { ...row, last_revision };
    const { data } = event;
    if (data.consent) {
      for (const listId of data.listIds ?? []) {
        memberships.set(
          listId,
          subscribedRow(
            data,
            listId,
            data.consent,
            'RecipientAdded',
            data.addedAt,
            undefined,
            data.email,
          ),
        );
      }
    }
    return {
      recipient_id: data.recipientId,
      tenant_id: data.tenantId,
      email_index: data.emailIndex,
      // Encrypted together: the value at `email` holds the others (see PERSONAL_DATA).
      email: sealFrom('RecipientAdded.email', data.email),
      name: sealFrom('RecipientAdded.name', data.name, data.email),
      attributes: sealFrom('RecipientAdded.attributes', data.attributes, data.email),
      status: 'active',
      unsubscribed_all: false,
      restricted: false,
      objected: false,
      created_at: data.addedAt,
      updated_at: data.addedAt,
      erased_at: null,
      last_revision,
    };
  }
  if (!row || row.status === 'erased') return row && { ...row, last_revision };
  const at = (updated_at: string): RecipientRow => ({ ...row, updated_at, last_revision });
  switch (event.type) {
    case 'RecipientCorrected': {
      const { data } = event;
      return {
        ...at(data.correctedAt),
        ...(data.email === undefined
          ? {}
          : { email: seal('RecipientCorrected.email', data.email) }),
        ...(data.emailIndex === undefined ? {} : { email_index: data.emailIndex }),
        ...(data.name === undefined ? {} : { name: seal('RecipientCorrected.name', data.name) }),
        ...(data.attributes === undefined
          ? {}
          : { attributes: seal('RecipientCorrected.attributes', data.attributes) }),
      };
    }
    case 'RecipientSubscribed': {
      const { data } = event;
      memberships.set(
        data.listId,
        subscribedRow(
          data,
          data.listId,
          data.consent,
          'RecipientSubscribed',
          data.subscribedAt,
          memberships.get(data.listId),
        ),
      );
      return at(data.subscribedAt);
    }
    case 'OptInRequested': {
      const { data } = event;
      memberships.set(data.listId, {
        recipient_id: data.recipientId,
        list_id: data.listId,
        tenant_id: data.tenantId,
        status: 'pending',
        consent_source: data.consent.source,
        consent_collected_at: data.consent.collectedAt,
        consent_ip: seal('OptInRequested.consent.ipAddress', data.consent.ipAddress),
        opt_in_request_id: data.requestId,
        opt_in_expires_at: data.expiresAt,
        confirmed_at: null,
        joined_at: memberships.get(data.listId)?.joined_at ?? data.requestedAt,
        since: data.requestedAt,
      });
      return at(data.requestedAt);
    }
    case 'OptInConfirmed': {
      const { data } = event;
      const membership = memberships.get(data.listId);
      // As in the domain: only the open request it answers is confirmed.
      if (membership?.status === 'pending' && membership.opt_in_request_id === data.requestId) {
        memberships.set(data.listId, {
          ...membership,
          status: 'subscribed',
          opt_in_request_id: null,
          opt_in_expires_at: null,
          confirmed_at: data.confirmedAt,
          since: data.confirmedAt,
        });
      }
      return at(data.confirmedAt);
    }
    case 'RecipientUnsubscribed': {
      const { data } = event;
      for (const [listId, membership] of memberships) {
        if (data.listId !== null && data.listId !== listId) continue;
        memberships.set(listId, {
          ...membership,
          status: 'unsubscribed',
          opt_in_request_id: null,
          opt_in_expires_at: null,
          since: data.unsubscribedAt,
        });
      }
      const row2 = at(data.unsubscribedAt);
      return data.listId === null ? { ...row2, unsubscribed_all: true } : row2;
    }
    case 'RecipientRestricted':
      return { ...at(event.data.restrictedAt), restricted: true };
    case 'RecipientRestrictionLifted':
      return { ...at(event.data.liftedAt), restricted: false };
    case 'RecipientObjected':
      return { ...at(event.data.objectedAt), objected: true };
    case 'RecipientErased':
      memberships.clear();
      return {
        ...at(event.data.erasedAt),
        email_index: null,
        email: null,
        name: null,
        attributes: null,
        status: 'erased',
        erased_at: event.data.erasedAt,
      };
    default:
      return assertNever(event);
  }
};

const write = async (
  sql: SqlExecutor,
  recipientsTable: string,
  membershipsTable: string,
  touched: ReadonlySet<string>,
  rows: ReadonlyMap<string, RecipientRow>,
  memberships: ReadonlyMap<string, Memberships>,
): Promise<void> => {
  if (touched.size === 0) return;
  const upserts = [...touched].flatMap((id) => {
    const row = rows.get(id);
    return row ? [row] : [];
  });
  if (upserts.length > 0) {
    await upsertRows(sql, recipientsTable, quoteIdent('recipient_id'), upserts);
  }
  const ids = [...touched];
  await sql.query(`DELETE FROM ${membershipsTable} WHERE recipient_id = ANY($1::uuid[])`, [ids]);
  const current = ids.flatMap((id) => [...(memberships.get(id)?.values() ?? [])]);
  if (current.length > 0) await insert(sql, membershipsTable, current);
};

const insert = async (sql: SqlExecutor, table: string, rows: readonly object[]): Promise<void> => {
  const columns = Object.keys(rows[0]!).map(quoteIdent).join(', ');
  await sql.query(
    `INSERT INTO ${table} (${columns})
     SELECT ${columns} FROM jsonb_populate_recordset(NULL::${table}, $1::jsonb)`,
    [JSON.stringify(rows)],
  );
};
