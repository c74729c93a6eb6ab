import { randomUUID } from 'node:crypto';

import {
  type Recipient,
  type RecipientEvent,
  type RecipientErrorCode,
  RecipientError,
  checkEmail,
  recipientDecider,
  toRecipientStreamId,
} from '#domain';
import {
  type AppendRequest,
  type EventStore,
  type Position,
  WrongExpectedRevisionError,
  comparePositions,
} from '#event-store';

import type { PersonalDataCodec, PersonalDataVault } from '#privacy';

import { type CommandContext, encodeCommands, uuidFromName } from '../commands/command-executor.js';
import { type ContactsCsvMapping, readContactsCsv } from '../csv/contacts-csv.reader.js';
import type { Audience } from './audience.service.js';

export interface ImportProblem {
  line: number;
  reason: string;
}

export interface ImportSkipped {
  /** The same address again later in the file: merged into the first. */
  duplicate: number;
  /** Already a member with the same data. */
  unchanged: number;
  /** On the suppression list (unsubscribed from everything, bounced, complained, manual). */
  suppressed: number;
  /** Erased before: never added again. */
  erased: number;
  /** Left this list: an import does not put them back. */
  unsubscribed: number;
  /** Objected to processing. */
  objected: number;
  /** Processing restricted (GDPR Art. 18) while the restriction lasts. */
  restricted: number;
}

export interface ImportReport {
  importId: string;
  listId: string;
  /** Data records read (header and blank lines not counted). */
  rows: number;
  added: number;
  updated: number;
  skipped: ImportSkipped & { total: number };
  invalid: number;
  /** The first `maxProblems` invalid rows, by line; all of them went to `onInvalid`. */
  problems: ImportProblem[];
  durationMs: number;
  position?: Position;
}

export interface ImportProgress {
  rows: number;
  added: number;
  updated: number;
  skipped: number;
  invalid: number;
}

export interface ImportOptions {
  context: CommandContext;
  listId: string;
  source: AsyncIterable<Buffer | string> | NodeJS.ReadableStream;
  mapping?: ContactsCsvMapping;
  batchSize?: number;
  maxProblems?: number;
  now?: () => Date;
  onProgress?: (progress: ImportProgress) => void;
  onInvalid?: (problem: ImportProblem) => void;
}

interface Row {
  line: number;
  address: string;
  index: string;
  name: string | null;
  attributes: Record<string, string>;
}

const SKIP_REASONS: Partial<Record<RecipientErrorCode, keyof ImportSkipped>> = {
  RECIPIENT_ERASED: 'erased',
  RECIPIENT_SUPPRESSED: 'suppressed',
  RECIPIENT_OBJECTED: 'objected',
  RECIPIENT_RESTRICTED: 'restricted',
};

/** Batches an import has in flight at once (their rows in memory: this times the batch size). */
const BATCHES_IN_FLIGHT = 3;

const SUPPRESSION_SKIPS: Record<string, keyof ImportSkipped> = { erased: 'erased' };

/**
 * CSV import into one list (issue: audiences, item 2). Streams the file in batches: per batch
 * one suppression query, one resolution of addresses to recipient streams, one bulk key
 * preparation and one multi-stream append, so memory stays flat and the log is written at bulk
 * speed. Every row is decided by the same pure `ImportRecipient` command as everything else,
 * which makes a re-run of the same file a no-op. A batch that races another writer falls back to
 * per-row commands (with retries), so nothing is lost or written twice.
 */
export class ContactImporter {
  constructor(
    private readonly deps: {
      audience: Audience;
      store: EventStore;
      codec: PersonalDataCodec;
      vault: PersonalDataVault;
      /**
       * The plan's contact limit for one import: a check called before each batch is written
       * with the new contacts it adds (throws to refuse the batch and end the import).
       */
      contactCapacity?: (tenantId: string) => Promise<(adding: number) => void>;
    },
  ) {}

  async run(options: ImportOptions): Promise<ImportReport> {
    const started = Date.now();
    const { context, listId } = options;
    const batchSize = options.batchSize ?? 1000;
    const maxProblems = options.maxProblems ?? 1000;
    const now = options.now ?? (() => new Date());
    await this.deps.audience.assertListsActive(context.tenantId, [listId]);
    // Looked up while the file starts streaming (a paused upload stream would fail unheard).
    const capacity = this.deps.contactCapacity?.(context.tenantId);
    capacity?.catch(() => undefined); // awaited by the first batch
    const reserveContacts = async (adding: number) => (await capacity)?.(adding);
    const report: ImportReport = {
      importId: randomUUID(),
      listId,
      rows: 0,
      added: 0,
      updated: 0,
      skipped: {
        total: 0,
        duplicate: 0,
        unchanged: 0,
        suppressed: 0,
        erased: 0,
        unsubscribed: 0,
        objected: 0,
        restricted: 0,
      },
      invalid: 0,
      problems: [],
      durationMs: 0,
    };
    const invalid = (line: number, reason: string) => {
      report.invalid++;
      if (report.problems.length < maxProblems) report.problems.push({ line, reason });
      options.onInvalid?.({ line, reason });
    };
    const skip = (why: keyof ImportSkipped) => {
      report.skipped[why]++;
      report.skipped.total++;
    };
    let batch: Row[] = [];
    // Batches in flight: while the database writes one, the next ones are parsed, resolved and
    // encrypted; they are written in file order. A row decided on a state that an earlier batch
    // then changes meets a revision conflict and is decided again (see `oneByOne`), so
    // overlapping changes nothing in the outcome.
    const inFlight: Array<Promise<void>> = [];
    let written: Promise<unknown> = Promise.resolve();
    const flush = async () => {
      if (batch.length === 0) return;
      const rows = batch;
      batch = [];
      const earlier = written;
      const batchDone = this.importBatch(rows, report, {
        context,
        listId,
        now: now(),
        invalid,
        skip,
        reserveContacts,
        earlier,
      });
      written = earlier.then(() => batchDone);
      written.catch(() => undefined); // the batch's own failure is reported through `current`
      const current = batchDone.then((position) => {
        if (position && (!report.position || comparePositions(position, report.position) > 0)) {
          report.position = position;
        }
        options.onProgress?.({
          rows: report.rows,
          added: report.added,
          updated: report.updated,
          skipped: report.skipped.total,
          invalid: report.invalid,
        });
      });
      current.catch(() => undefined); // awaited below or by a later flush
      inFlight.push(current);
      if (inFlight.length >= BATCHES_IN_FLIGHT) await inFlight.shift();
    };
    try {
      for await (const record of readContactsCsv(options.source, { mapping: options.mapping })) {
        report.rows++;
        if (record.kind === 'invalid') {
          invalid(record.line, record.reason);
          continue;
        }
        const checked = checkEmail(record.email);
        if (!checked.ok) {
          invalid(record.line, `invalid email: ${checked.problem}`);
          continue;
        }
        batch.push({
          line: record.line,
          address: checked.email.address,
          index: this.deps.vault.blindIndex(context.tenantId, checked.email.key),
          name: record.name,
          attributes: record.attributes,
        });
        if (batch.length >= batchSize) await flush();
      }
      await flush();
    } catch (error) {
      // Never leave a batch running behind a failed read: wait for it, report the read's error.
      await Promise.all(inFlight.map((batch) => batch.catch(() => undefined)));
      throw error;
    }
    for (const batch of inFlight) await batch;
    report.durationMs = Date.now() - started;
    return report;
  }

  private async importBatch(
    rows: readonly Row[],
    report: ImportReport,
    ctx: {
      context: CommandContext;
      listId: string;
      now: Date;
      invalid: (line: number, reason: string) => void;
      skip: (why: keyof ImportSkipped) => void;
      reserveContacts: (adding: number) => Promise<void>;
      /** Settles once every earlier batch is written (rejects if one failed). */
      earlier: Promise<unknown>;
    },
  ): Promise<Position | undefined> {
    const { tenantId } = ctx.context;
    // Duplicates inside the batch merge into the first row (later values win); duplicates in
    // later batches meet the recipient the first one created, and merge the same way.
    const merged = new Map<string, Row>();
    for (const row of rows) {
      const first = merged.get(row.index);
      if (!first) {
        merged.set(row.index, row);
        continue;
      }
      ctx.skip('duplicate');
      merged.set(row.index, {
        ...first,
        name: row.name ?? first.name,
        attributes: { ...first.attributes, ...row.attributes },
      });
    }
    const suppressed = await this.deps.audience.suppressions(tenantId, [...merged.keys()]);
    for (const [index, reason] of suppressed) {
      merged.delete(index);
      ctx.skip(SUPPRESSION_SKIPS[reason] ?? 'suppressed');
    }
    const decided: Decided[] = [];
    const record = (row: Row, recipientId: string, revision: bigint, outcome: RowOutcome) => {
      if ('skip' in outcome) ctx.skip(outcome.skip);
      else if ('invalid' in outcome) ctx.invalid(row.line, outcome.invalid);
      else decided.push({ row, recipientId, revision, events: outcome.events });
    };
    // Addresses the read model does not know are most likely new: decided as new recipients of
    // their natural ids, whose keys are then created in one statement. A subject without a key
    // has no stored events (see `createKeys`), so the created ones are new without reading the
    // log; the others (imported before and not yet projected, erased, or a natural id taken by a
    // corrected address) are resolved from the log like the known ones.
    const known = await this.deps.audience.lookup(tenantId, [...merged.keys()]);
    const unresolved: string[] = [];
    const fresh: Decided[] = [];
    for (const row of merged.values()) {
      if (known.has(row.index)) {
        unresolved.push(row.index);
        continue;
      }
      const recipientId = this.deps.audience.naturalId(tenantId, row.index);
      const outcome = decideRow(row, recipientId, EMPTY, tenantId, ctx.listId, ctx.now);
      if ('events' in outcome) fresh.push({ row, recipientId, revision: -1n, ...outcome });
      else unresolved.push(row.index); // decided again on the real state
    }
    const created = await this.deps.vault.createKeys(
      tenantId,
      fresh.map((d) => d.recipientId),
    );
    for (const d of fresh) {
      if (created.has(d.recipientId)) decided.push(d);
      else unresolved.push(d.row.index);
    }
    if (unresolved.length > 0) {
      const targets = await this.deps.audience.resolve(tenantId, unresolved, known);
      for (const index of unresolved) {
        const row = merged.get(index)!;
        const target = targets.get(index)!;
        record(
          row,
          target.recipientId,
          target.revision,
          decideRow(row, target.recipientId, target.state, tenantId, ctx.listId, ctx.now),
        );
      }
      await this.deps.vault.prepareKeys(
        tenantId,
        decided.filter((d) => !created.has(d.recipientId)).map((d) => d.recipientId),
      );
    }
    if (decided.length === 0) return undefined;
    const encoded = await encodeCommands(
      this.deps.codec,
      decided.map((d) => ({
        events: d.events,
        commandId: uuidFromName(`import:${report.importId}:${d.row.line}`),
      })),
      ctx.context,
    );
    const requests: AppendRequest[] = decided.map((d, i) => ({
      streamId: toRecipientStreamId(d.recipientId),
      events: encoded[i]!,
      expectedRevision: d.revision < 0n ? ('no_stream' as const) : d.revision,
    }));
    // Written in file order: a batch prepared beside earlier ones waits for them to be written
    // (and is not written if one of them failed), so a later row's values always win, and the
    // contact limit is counted in file order.
    await ctx.earlier;
    // The plan's contact limit: a batch that would pass it is refused whole (nothing of it written).
    await ctx.reserveContacts(decided.filter((d) => d.revision < 0n).length);
    try {
      const results = await this.deps.store.appendMany(requests);
      for (const d of decided) {
        if (d.revision < 0n) report.added++;
        else report.updated++;
      }
      return results.at(-1)?.position;
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
      return this.oneByOne(decided, report, ctx);
    }
  }

  /** Another writer touched a recipient of the batch: decide each row again on fresh state. */
  private async oneByOne(
    decided: ReadonlyArray<{ row: Row; recipientId: string }>,
    report: ImportReport,
    ctx: {
      context: CommandContext;
      listId: string;
      now: Date;
      invalid: (line: number, reason: string) => void;
      skip: (why: keyof ImportSkipped) => void;
    },
  ): Promise<Position | undefined> {
    let position: Position | undefined;
    for (const { row, recipientId } of decided) {
      try {
        const result = await this.deps.audience.execute(
          { ...ctx.context, commandId: uuidFromName(`import:${report.importId}:${row.line}`) },
          importCommand(row, recipientId, ctx.context.tenantId, ctx.listId, ctx.now),
        );
        if (result.events.length === 0) ctx.skip('unchanged');
        else if (result.events[0]!.type === 'RecipientAdded') report.added++;
        else report.updated++;
        position = result.position ?? position;
      } catch (error) {
        if (!(error instanceof RecipientError)) throw error;
        const why = SKIP_REASONS[error.code];
        if (why) ctx.skip(why);
        else ctx.invalid(row.line, error.message);
      }
    }
    return position;
  }
}

const importCommand = (
  row: Row,
  recipientId: string,
  tenantId: string,
  listId: string,
  now: Date,
) =>
  ({
    type: 'ImportRecipient',
    data: {
      recipientId,
      tenantId,
      email: { address: row.address, index: row.index },
      name: row.name,
      attributes: row.attributes,
      listId,
    },
    metadata: { now },
  }) as const;

interface Decided {
  row: Row;
  recipientId: string;
  revision: bigint;
  events: RecipientEvent[];
}

/** The state of a recipient stream that holds no event. */
const EMPTY: Recipient = recipientDecider.initialState();

type RowOutcome =
  { events: RecipientEvent[] } | { skip: keyof ImportSkipped } | { invalid: string };

const decideRow = (
  row: Row,
  recipientId: string,
  state: Recipient,
  tenantId: string,
  listId: string,
  now: Date,
): RowOutcome => {
  try {
    const events = recipientDecider.decide(
      importCommand(row, recipientId, tenantId, listId, now),
      state,
    );
    if (events.length > 0) return { events };
    const left = state.status === 'Active' && state.memberships[listId]?.status === 'unsubscribed';
    return { skip: left ? 'unsubscribed' : 'unchanged' };
  } catch (error) {
    if (!(error instanceof RecipientError)) throw error;
    const why = SKIP_REASONS[error.code];
    return why ? { skip: why } : { invalid: error.message };
  }
};
