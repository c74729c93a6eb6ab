import {
  type ConsentEvidence,
  type RecipientEvent,
  RecipientError,
  evolveAll,
  recipientDecider,
  toRecipientStreamId,
} from '#domain';
import { ERASED } from '#privacy';
import { ContactListEntity, SuppressionEntity, type TenantReadModels } from '#projections';
import { In } from 'typeorm';

import type { CommandExecutor } from '../commands/command-executor.js';

/** Everything MailPackr holds about one recipient, for access and portability requests. */
export interface RecipientExport {
  format: 'mailpackr.recipient-export.v1';
  generatedAt: string;
  tenantId: string;
  recipient: {
    id: string;
    email: string;
    name: string | null;
    attributes: Record<string, unknown>;
    restricted: boolean;
    objected: boolean;
    unsubscribedFromAll: boolean;
  };
  memberships: Array<{
    listId: string;
    listName: string | null;
    status: string;
    since: string;
    confirmedAt: string | null;
    consent: ConsentEvidence;
  }>;
  suppression: { reason: string; since: string } | null;
  /** Every event about the recipient, personal fields decrypted, in order. */
  events: Array<{
    revision: number;
    type: string;
    recordedAt: string;
    actor: string | null;
    data: unknown;
  }>;
  /** Delivery history: filled once campaign delivery exists. */
  messages: unknown[];
}

/**
 * Builds the export from the event history (the source of truth), adding list names and the
 * suppression entry from the read models. Only the asking tenant's recipient: another tenant's
 * id reads as not found; an erased recipient has nothing left to export.
 */
export const exportRecipient = async (
  deps: { commands: CommandExecutor; tenantReads: TenantReadModels },
  tenantId: string,
  recipientId: string,
  now: Date,
): Promise<RecipientExport> => {
  const history = await deps.commands.history(toRecipientStreamId(recipientId));
  const events = history.map(
    ({ recorded, data }) => ({ type: recorded.type, data }) as RecipientEvent,
  );
  const state = evolveAll(recipientDecider, events);
  if (state.status === 'Empty' || state.tenantId !== tenantId) {
    throw new RecipientError('RECIPIENT_NOT_FOUND');
  }
  if (state.status === 'Erased' || state.email === ERASED) {
    throw new RecipientError(
      'RECIPIENT_ERASED',
      'This recipient was erased: nothing is left to export',
    );
  }
  const listIds = Object.keys(state.memberships);
  const { lists, suppression } = await deps.tenantReads.read(tenantId, async (scope) => ({
    lists: listIds.length
      ? await scope.find(ContactListEntity, { where: { listId: In(listIds) } })
      : [],
    suppression: await scope.findOne(SuppressionEntity, {
      where: { emailIndex: state.emailIndex },
    }),
  }));
  const names = new Map(lists.filter((l) => !l.deletedAt).map((l) => [l.listId, l.name]));
  return {
    format: 'mailpackr.recipient-export.v1',
    generatedAt: now.toISOString(),
    tenantId,
    recipient: {
      id: state.recipientId,
      email: state.email,
      name: state.name,
      attributes: { ...state.attributes },
      restricted: state.restricted,
      objected: state.objected,
      unsubscribedFromAll: state.unsubscribedAll,
    },
    memberships: Object.entries(state.memberships)
      .filter(([listId]) => names.has(listId))
      .map(([listId, m]) => ({
        listId,
        listName: names.get(listId) ?? null,
        status: m.status,
        since: m.since,
        confirmedAt: m.confirmedAt ?? null,
        consent: m.consent,
      })),
    suppression: suppression
      ? { reason: suppression.reason, since: suppression.suppressedAt.toISOString() }
      : null,
    events: history.map(({ recorded: e, data }) => ({
      revision: Number(e.revision),
      type: e.type,
      recordedAt: e.metadata.timestamp,
      actor: e.metadata.actor ?? null,
      data,
    })),
    messages: [],
  };
};

/** The export as rows for a CSV file: section, key, value (cells escaped by the CSV writer). */
export const recipientExportRows = (doc: RecipientExport): string[][] => {
  const json = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
  const r = doc.recipient;
  return [
    ['profile', 'id', r.id],
    ['profile', 'email', r.email],
    ['profile', 'name', r.name ?? ''],
    ['profile', 'restricted', String(r.restricted)],
    ['profile', 'objected', String(r.objected)],
    ['profile', 'unsubscribedFromAll', String(r.unsubscribedFromAll)],
    ...Object.entries(r.attributes).map(([key, value]) => ['attribute', key, json(value)]),
    ...doc.memberships.map((m) => ['membership', m.listId, json(m)]),
    ...(doc.suppression ? [['suppression', doc.suppression.reason, doc.suppression.since]] : []),
    ...doc.events.map((e) => ['event', `${e.revision}:${e.type}`, json(e.data)]),
  ];
};
