import { Readable } from 'node:stream';

import { Inject } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { Args, Info, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import type { GraphQLResolveInfo } from 'graphql';
import type { FileUpload } from 'graphql-upload/processRequest.mjs';

import {
  type ConsentSource as DomainConsentSource,
  type ErasureBasis as DomainErasureBasis,
  type PrivacyRegulation,
  type RecipientAttributes,
  RecipientError,
  toRecipientStreamId,
} from '#domain';
import type { Position } from '#event-store';
import { type MailpackrRuntime, exportRecipient, recipientExportRows, toCsv } from '#platform';
import { ERASED, type ErasureReceipt as DomainErasureReceipt, canonicalJson } from '#privacy';
import {
  type RecipientEntity,
  SuppressionEntity,
  type SuppressionReason as ReadModelSuppressionReason,
} from '#projections';

import { CurrentPrincipal, type Principal } from '../auth/principal.js';
import { commandContextOf } from '../commands/execute-domain-command.js';
import { ApiError } from '../graphql/api-error.js';
import {
  type ConsentEvidence,
  ConsentSource,
  type EraseRecipientPayload,
  type ErasureReceipt,
  type ImportReport,
  type LiftSuppressionPayload,
  type Membership,
  MembershipStatus,
  type OptInRequest,
  type Recipient,
  type RecipientConnection,
  type RecipientDataExport,
  type RecipientEventEntry,
  RecipientStatus,
  Regulation,
  type Suppression,
  type SuppressionConnection,
  SuppressionReason,
} from '../graphql/graphql.generated.js';
import { assertUuid, decodeCursor, pageSize, toConnection } from '../graphql/pagination.js';
import { columnsFor, selectedFields } from '../graphql/selection.js';
import { CLOCK, type Clock, RUNTIME } from '../runtime/runtime.tokens.js';
import { toContactList } from '../contact-lists/contact-lists.resolver.js';
import {
  AddRecipientInputDto,
  ConfirmOptInInputDto,
  type ConsentInputDto,
  CorrectRecipientInputDto,
  DataSubjectRequestInputDto,
  EraseRecipientInputDto,
  ImportContactsInputDto,
  LiftSuppressionInputDto,
  SuppressEmailInputDto,
  RequestOptInInputDto,
  SubscribeRecipientInputDto,
  UnsubscribeRecipientInputDto,
} from './recipient.inputs.js';
import {
  GetErasureReceiptQuery,
  GetRecipientQuery,
  ListMembershipsQuery,
  ListRecipientsQuery,
  ListSuppressionsQuery,
} from './recipient.queries.js';

const HEX_64 = /^[0-9a-f]{64}$/;

const consentSource = (source: ConsentSource | null | undefined, fallback: DomainConsentSource) =>
  (source?.toLowerCase() as DomainConsentSource | undefined) ?? fallback;

const consentOf = (source: DomainConsentSource, input: ConsentInputDto | null | undefined) => ({
  source,
  collectedAt: input?.collectedAt ? new Date(input.collectedAt).toISOString() : undefined,
  ipAddress: input?.ipAddress ?? undefined,
});

export const toErasureReceipt = (receipt: DomainErasureReceipt): ErasureReceipt => {
  const { receiptHash: _hash, ...body } = receipt;
  return {
    requestId: receipt.requestId,
    subjectId: receipt.subjectId,
    erasedAt: new Date(receipt.erasedAt),
    basis: receipt.basis.toUpperCase() as ErasureReceipt['basis'],
    requestedBy: receipt.requestedBy,
    reference: receipt.reference,
    dataKeyDestroyed: receipt.removed.dataKeyDestroyed,
    historyEventsMadeUnreadable: receipt.removed.historyEventsMadeUnreadable,
    readModelsPurged: [...receipt.removed.readModels],
    listMembershipsRemoved: receipt.removed.listMembershipsRemoved,
    receiptHash: receipt.receiptHash,
    json: canonicalJson(body),
  };
};

/**
 * Recipients and data-subject rights. Reads come from the `recipients` read models (personal
 * columns are ciphertext, decrypted here for the caller's tenant); commands go through the
 * runtime's `Audience`, which checks what spans several streams (lists, suppression, the
 * address index) before its single-stream command.
 */
/** The recipient's personal fields, decrypted when a query selects them. */
const PERSONAL_FIELDS = ['email', 'name', 'attributes'] as const;

/**
 * The columns each `Recipient` field is made from (`present`), so a page loads only what its
 * query selects. The id, status and creation time are always loaded (`present` and the cursor).
 */
const RECIPIENT_COLUMNS: Readonly<Record<keyof Recipient, ReadonlyArray<keyof RecipientEntity>>> = {
  id: ['recipientId'],
  email: ['email'],
  name: ['name'],
  attributes: ['attributes'],
  status: ['status'],
  restricted: ['restricted'],
  objected: ['objected'],
  unsubscribedFromAll: ['unsubscribedAll'],
  memberships: [],
  timeline: [],
  messages: [],
  revision: ['lastRevision'],
  createdAt: ['createdAt'],
  updatedAt: ['updatedAt'],
  erasedAt: ['erasedAt'],
};

@Resolver('Recipient')
export class RecipientsResolver {
  constructor(
    private readonly queryBus: QueryBus,
    @Inject(RUNTIME) private readonly runtime: MailpackrRuntime,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  // ── Queries ──────────────────────────────────────────────────────────────────────────────────

  @Query('recipient')
  recipient(@CurrentPrincipal() principal: Principal, @Args('id') id: string): Promise<Recipient> {
    return this.load(principal, assertUuid(id, 'Recipient'));
  }

  @Query('recipients')
  async recipients(
    @CurrentPrincipal() principal: Principal,
    @Args('listId') listId: string | null,
    @Args('first') first: number | null,
    @Args('after') after: string | null,
    @Args('status') status: MembershipStatus | null,
    @Args('email') email: string | null,
    @Info() info: GraphQLResolveInfo,
  ): Promise<RecipientConnection> {
    const size = pageSize(first);
    if (status && !listId)
      throw new ApiError('BAD_USER_INPUT', 'status filters a list: give listId');
    const emailIndex =
      email == null ? undefined : this.runtime.audience.identify(principal.tenantId, email).index;
    const selected = selectedFields(info, ['edges', 'node']);
    const rows = await this.queryBus.execute(
      new ListRecipientsQuery(
        principal.tenantId,
        {
          listId: listId ? assertUuid(listId, 'Contact list') : undefined,
          status: status ? (status.toLowerCase() as 'pending') : undefined,
          emailIndex,
        },
        size,
        decodeCursor(after),
        columnsFor(selected, RECIPIENT_COLUMNS, ['recipientId', 'status', 'createdAt']),
      ),
    );
    const page = rows.slice(0, size);
    const nodes = await this.present(
      page.map((r) => r.row),
      selected,
    );
    const byId = new Map(page.map((r, i) => [r.row.recipientId, nodes[i]!]));
    return toConnection(
      rows,
      size,
      (r) => r.cursor,
      (r) => byId.get(r.row.recipientId)!,
    );
  }

  @Query('suppressions')
  async suppressions(
    @CurrentPrincipal() principal: Principal,
    @Args('first') first: number | null,
    @Args('after') after: string | null,
    @Args('reason') reason: SuppressionReason | null,
  ): Promise<SuppressionConnection> {
    const size = pageSize(first);
    const rows = await this.queryBus.execute(
      new ListSuppressionsQuery(
        principal.tenantId,
        size,
        decodeCursor(after, (id) => HEX_64.test(id)),
        reason ? (reason.toLowerCase() as ReadModelSuppressionReason) : undefined,
      ),
    );
    // The address is shown only while its recipient exists (never for erased ones).
    const ids = rows.flatMap((r) => (r.recipientId ? [r.recipientId] : []));
    const recipients = new Map<string, Recipient>();
    for (const id of ids) {
      const row = await this.queryBus.execute(new GetRecipientQuery(principal.tenantId, id));
      if (row && row.status === 'active') recipients.set(id, (await this.present([row]))[0]!);
    }
    return toConnection(
      rows,
      size,
      (r) => ({ createdAt: r.suppressedAt, id: r.emailIndex }),
      (r) => ({
        reason: r.reason.toUpperCase() as SuppressionReason,
        suppressedAt: r.suppressedAt,
        email: (r.recipientId && recipients.get(r.recipientId)?.email) ?? null,
        recipientId: r.recipientId,
      }),
    );
  }

  @Query('erasureReceipt')
  async erasureReceipt(
    @CurrentPrincipal() principal: Principal,
    @Args('recipientId') recipientId: string,
  ): Promise<ErasureReceipt> {
    const row = await this.queryBus.execute(
      new GetErasureReceiptQuery(principal.tenantId, assertUuid(recipientId, 'Recipient')),
    );
    if (!row) throw new ApiError('NOT_FOUND', 'No erasure receipt for this recipient');
    return toErasureReceipt(row.receipt);
  }

  @ResolveField('memberships')
  async memberships(
    @CurrentPrincipal() principal: Principal,
    @Parent() recipient: Recipient,
  ): Promise<Membership[]> {
    const rows = await this.queryBus.execute(
      new ListMembershipsQuery(principal.tenantId, recipient.id),
    );
    const ips = await this.runtime.codec.decryptSealed(rows.map((r) => r.membership.consentIp));
    return rows.map(({ membership: m, list }, i) => ({
      list: toContactList(list),
      listId: m.listId,
      status: m.status.toUpperCase() as MembershipStatus,
      consent: {
        source: m.consentSource.toUpperCase() as ConsentSource,
        collectedAt: m.consentCollectedAt,
        ipAddress: (ips[i] as string | null) ?? null,
      } satisfies ConsentEvidence,
      since: m.since,
      joinedAt: m.joinedAt,
      confirmedAt: m.confirmedAt,
      optInExpiresAt: m.optInExpiresAt,
    }));
  }

  @ResolveField('timeline')
  async timeline(@Parent() recipient: Recipient): Promise<RecipientEventEntry[]> {
    const history = await this.runtime.commands.history(toRecipientStreamId(recipient.id));
    return history.map(({ recorded: e, data }) => ({
      revision: Number(e.revision),
      type: e.type,
      recordedAt: new Date(e.metadata.timestamp),
      actor: e.metadata.actor ?? null,
      data,
    }));
  }

  // ── Mutations ────────────────────────────────────────────────────────────────────────────────

  @Mutation('addRecipient')
  async addRecipient(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: AddRecipientInputDto,
  ): Promise<Recipient> {
    const source = consentSource(input.source, 'api');
    const result = await this.runtime.audience.addRecipient(
      commandContextOf(principal, 'AddRecipient', input),
      {
        email: input.email,
        name: input.name,
        attributes: input.attributes as RecipientAttributes | undefined,
        listIds: input.listIds ?? [],
        source,
        consent: consentOf(source, input.consent),
        now: this.clock(),
      },
    );
    return this.answer(principal, result.recipientId, result.position);
  }

  @Mutation('correctRecipient')
  async correctRecipient(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: CorrectRecipientInputDto,
  ): Promise<Recipient> {
    const now = this.clock();
    const correct = () =>
      this.runtime.audience.correctRecipient(
        commandContextOf(principal, 'CorrectRecipient', input),
        {
          recipientId: input.id,
          email: input.email ?? undefined,
          name: input.name,
          attributes: (input.attributes ?? undefined) as RecipientAttributes | undefined,
          now,
        },
      );
    // A correction is an ordinary edit, unless it answers a rectification request.
    const result = input.requestId
      ? await this.runtime.privacyRequests.track(
          commandContextOf(principal, 'CorrectRecipient', {}),
          {
            requestId: input.requestId,
            kind: 'rectification',
            subjectType: 'recipient',
            subjectId: () => input.id,
          },
          'corrected',
          now,
          correct,
        )
      : await correct();
    return this.answer(principal, input.id, result.position);
  }

  @Mutation('subscribeRecipient')
  async subscribeRecipient(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: SubscribeRecipientInputDto,
  ): Promise<Recipient> {
    const source = consentSource(input.source, 'api');
    const result = await this.runtime.audience.subscribe(
      commandContextOf(principal, 'SubscribeRecipient', input),
      {
        recipientId: input.id,
        listId: input.listId,
        consent: defined(consentOf(source, input.consent)),
        now: this.clock(),
      },
    );
    return this.answer(principal, input.id, result.position);
  }

  @Mutation('unsubscribeRecipient')
  async unsubscribeRecipient(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: UnsubscribeRecipientInputDto,
  ): Promise<Recipient> {
    const result = await this.runtime.audience.execute(
      commandContextOf(principal, 'UnsubscribeRecipient', input),
      {
        type: 'UnsubscribeRecipient',
        data: {
          recipientId: input.id,
          tenantId: principal.tenantId,
          listId: input.listId ?? null,
          channel: 'api',
        },
        metadata: { now: this.clock() },
      },
    );
    return this.answer(principal, input.id, result.position);
  }

  @Mutation('requestOptIn')
  async requestOptIn(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: RequestOptInInputDto,
  ): Promise<OptInRequest> {
    const source = consentSource(input.source, 'form');
    const { token, expiresAt, result } = await this.runtime.audience.requestOptIn(
      commandContextOf(principal, 'RequestOptIn', {}),
      {
        recipientId: input.id,
        listId: input.listId,
        consent: defined(consentOf(source, input.consent)),
        now: this.clock(),
        ttlMs: input.validForHours ? input.validForHours * 3600_000 : undefined,
      },
    );
    return { recipient: await this.answer(principal, input.id, result.position), token, expiresAt };
  }

  @Mutation('confirmOptIn')
  async confirmOptIn(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: ConfirmOptInInputDto,
  ): Promise<Recipient> {
    const confirmed = await this.runtime.audience.confirmOptIn(input.token, {
      ipAddress: input.ipAddress ?? undefined,
      now: this.clock(),
      tenantId: principal.tenantId,
    });
    return this.answer(principal, confirmed.recipientId, confirmed.position);
  }

  @Mutation('restrictRecipient')
  restrictRecipient(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: DataSubjectRequestInputDto,
  ): Promise<Recipient> {
    return this.dataSubjectCommand(principal, input, 'RestrictRecipient');
  }

  @Mutation('liftRestriction')
  liftRestriction(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: DataSubjectRequestInputDto,
  ): Promise<Recipient> {
    return this.dataSubjectCommand(principal, input, 'LiftRestriction');
  }

  @Mutation('objectToProcessing')
  objectToProcessing(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: DataSubjectRequestInputDto,
  ): Promise<Recipient> {
    return this.dataSubjectCommand(principal, input, 'ObjectToProcessing');
  }

  @Mutation('eraseRecipient')
  eraseRecipient(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: EraseRecipientInputDto,
  ): Promise<EraseRecipientPayload> {
    return this.erase(principal, input, input.basis.toLowerCase() as DomainErasureBasis);
  }

  @Mutation('flagRecipientAsChild')
  flagRecipientAsChild(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: DataSubjectRequestInputDto,
  ): Promise<EraseRecipientPayload> {
    return this.erase(principal, input, 'child_under_13');
  }

  @Mutation('suppressEmail')
  async suppressEmail(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: SuppressEmailInputDto,
  ): Promise<Suppression> {
    const { email } = await this.runtime.audience.suppressAddress(
      commandContextOf(principal, 'SuppressEmail', {}),
      { email: input.email, now: this.clock() },
    );
    const suppression = await this.suppressionOf(principal.tenantId, email);
    if (!suppression) throw new ApiError('NOT_FOUND', 'Suppression not found');
    return suppression;
  }

  @Mutation('liftSuppression')
  async liftSuppression(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: LiftSuppressionInputDto,
  ): Promise<LiftSuppressionPayload> {
    const { email, changed } = await this.runtime.audience.liftSuppression(
      commandContextOf(principal, 'LiftSuppression', {}),
      { email: input.email, reference: input.reference, now: this.clock() },
    );
    return {
      lifted: changed,
      remaining: (await this.suppressionOf(principal.tenantId, email)) ?? null,
    };
  }

  /** The address's suppression as the read model has it; the address only while its recipient is active. */
  private async suppressionOf(
    tenantId: string,
    email: { index: string; address: string },
  ): Promise<Suppression | undefined> {
    const row = await this.runtime.tenantReads.read(tenantId, (scope) =>
      scope.findOne(SuppressionEntity, { where: { emailIndex: email.index } }),
    );
    if (!row) return undefined;
    const recipient =
      row.recipientId &&
      (await this.queryBus.execute(new GetRecipientQuery(tenantId, row.recipientId)));
    return {
      reason: row.reason.toUpperCase() as SuppressionReason,
      suppressedAt: row.suppressedAt,
      email: recipient && recipient.status === 'active' ? email.address : null,
      recipientId: row.recipientId,
    };
  }

  @Mutation('importContacts')
  async importContacts(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: ImportContactsInputDto,
    @Args('file') file?: Promise<FileUpload> | null,
  ): Promise<ImportReport> {
    if ((input.csv == null) === (file == null)) {
      throw new ApiError(
        'BAD_USER_INPUT',
        'Give the CSV either as input.csv or as the file upload, not both and not neither',
      );
    }
    const mapping = input.mapping
      ? defined({
          email: input.mapping.email ?? undefined,
          name: input.mapping.name ?? undefined,
          firstName: input.mapping.firstName ?? undefined,
          lastName: input.mapping.lastName ?? undefined,
        })
      : undefined;
    const source = file ? (await file).createReadStream() : Readable.from([input.csv!]);
    const report = await this.runtime.contactImport
      .run({
        context: commandContextOf(principal, 'ImportContacts', {}),
        listId: input.listId,
        source,
        mapping,
        now: this.clock,
      })
      .catch((error: unknown) => {
        // graphql-upload ends the file's stream with a 413 once it passes the limit. The batches
        // before were imported: the same file again (smaller, or with the CLI) adds only the rest.
        if ((error as { status?: number }).status === 413) {
          throw new ApiError(
            'BAD_USER_INPUT',
            `The file is larger than the upload limit (MAILPACKR_UPLOAD_MAX_MB=${this.runtime.config.MAILPACKR_UPLOAD_MAX_MB}); ` +
              'the rows before the limit were imported, use `mailpackr import` for the whole file',
            { reason: 'UPLOAD_TOO_LARGE' },
          );
        }
        throw error;
      });
    await this.runtime.audience.waitForReadModels(report.position);
    return { ...report, durationMs: Math.round(report.durationMs) };
  }

  @Mutation('exportRecipientData')
  async exportRecipientData(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: DataSubjectRequestInputDto,
  ): Promise<RecipientDataExport> {
    const recipientId = await this.target(principal, input);
    const now = this.clock();
    const doc = await this.runtime.privacyRequests.track(
      commandContextOf(principal, 'ExportRecipientData', {}),
      {
        requestId: input.requestId ?? undefined,
        kind: 'access',
        regulation: regulationOf(input.regulation),
        subjectType: 'recipient',
        subjectId: () => recipientId,
        reference: input.reference,
      },
      'exported',
      now,
      () => exportRecipient(this.runtime, principal.tenantId, recipientId, now),
    );
    return {
      recipientId,
      generatedAt: now,
      json: JSON.stringify(doc, null, 2),
      csv: toCsv(['section', 'key', 'value'], recipientExportRows(doc)),
    };
  }

  // ── Helpers ──────────────────────────────────────────────────────────────────────────────────

  private async erase(
    principal: Principal,
    input: {
      id?: string | null;
      email?: string | null;
      reference?: string | null;
      requestId?: string | null;
    },
    basis: DomainErasureBasis,
  ): Promise<EraseRecipientPayload> {
    const now = this.clock();
    const context = commandContextOf(principal, 'EraseRecipient', {});
    const recipientId = await this.target(principal, input);
    const { receipt, alreadyErased } = await this.runtime.privacyRequests.track(
      context,
      {
        requestId: input.requestId ?? undefined,
        kind: basis === 'child_under_13' ? 'child' : 'erasure',
        regulation: basis === 'ccpa_delete' ? 'ccpa' : 'gdpr',
        subjectType: 'recipient',
        subjectId: () => recipientId,
        reference: input.reference,
      },
      'erased',
      now,
      (requestId) =>
        this.runtime.audience.erase(context, {
          recipientId,
          basis,
          reference: input.reference,
          requestId,
          now,
        }),
    );
    return { receipt: toErasureReceipt(receipt), alreadyErased };
  }

  private async dataSubjectCommand(
    principal: Principal,
    input: DataSubjectRequestInputDto,
    type: 'RestrictRecipient' | 'LiftRestriction' | 'ObjectToProcessing',
  ): Promise<Recipient> {
    const recipientId = await this.target(principal, input);
    const now = this.clock();
    const result = await this.runtime.privacyRequests.track(
      commandContextOf(principal, type, {}),
      {
        requestId: input.requestId ?? undefined,
        kind: type === 'ObjectToProcessing' ? 'objection' : 'restriction',
        regulation: regulationOf(input.regulation),
        subjectType: 'recipient',
        subjectId: () => recipientId,
        reference: input.reference,
      },
      DATA_SUBJECT_OUTCOMES[type],
      now,
      (requestId) =>
        this.runtime.audience.execute(commandContextOf(principal, type, input), {
          type,
          data: { recipientId, tenantId: principal.tenantId, requestId },
          metadata: { now },
        }),
    );
    return this.answer(principal, recipientId, result.position);
  }

  /** The recipient a data-subject request names, by id or by email. */
  private async target(
    principal: Principal,
    input: { id?: string | null; email?: string | null },
  ): Promise<string> {
    if (input.id) return input.id;
    if (!input.email) throw new ApiError('BAD_USER_INPUT', 'Give the recipient id or email');
    const id = await this.runtime.audience.findByEmail(principal.tenantId, input.email);
    if (!id) throw new RecipientError('RECIPIENT_NOT_FOUND', 'No recipient has this address');
    return id;
  }

  /** Waits for the read models to apply the write, then reads the recipient back. */
  private async answer(
    principal: Principal,
    recipientId: string,
    position: Position | undefined,
  ): Promise<Recipient> {
    await this.runtime.audience.waitForReadModels(position);
    return this.load(principal, recipientId);
  }

  private async load(principal: Principal, recipientId: string): Promise<Recipient> {
    const row = await this.queryBus.execute(new GetRecipientQuery(principal.tenantId, recipientId));
    if (!row) throw new ApiError('NOT_FOUND', 'Recipient not found');
    return (await this.present([row]))[0]!;
  }

  /** Rows to GraphQL objects, every personal field of the page decrypted in one batch. */
  /**
   * Rows as API objects, personal fields decrypted. `selected` (the fields the query asks for)
   * spares decrypting those it does not: a page of 50 is up to 150 decryptions otherwise.
   */
  private async present(
    rows: readonly RecipientEntity[],
    selected?: ReadonlySet<string>,
  ): Promise<Recipient[]> {
    const wanted = PERSONAL_FIELDS.filter((f) => !selected || selected.has(f));
    const plain = await this.runtime.codec.decryptSealed(
      rows.flatMap((r) => wanted.map((f) => r[f])),
    );
    return rows.map((row, i) => {
      const erased = row.status === 'erased';
      const fields = plain.slice(i * wanted.length, (i + 1) * wanted.length);
      const of = (f: (typeof PERSONAL_FIELDS)[number]) => fields[wanted.indexOf(f)] ?? null;
      const [email, name, attributes] = [of('email'), of('name'), of('attributes')];
      return {
        id: row.recipientId,
        email: erased ? ERASED : ((email as string | null) ?? ERASED),
        name: erased ? ERASED : ((name as string | null) ?? null),
        attributes: erased ? null : ((attributes as Record<string, unknown> | null) ?? {}),
        status: erased ? RecipientStatus.ERASED : RecipientStatus.ACTIVE,
        restricted: row.restricted,
        objected: row.objected,
        unsubscribedFromAll: row.unsubscribedAll,
        // Resolved by their own fields (`messages` by RecipientMessagesResolver).
        memberships: [],
        timeline: [],
        messages: { edges: [], pageInfo: { hasNextPage: false, endCursor: null } },
        revision: Number(row.lastRevision),
        createdAt: row.createdAt,
        updatedAt: row.updatedAt,
        erasedAt: row.erasedAt,
      };
    });
  }
}

const DATA_SUBJECT_OUTCOMES = {
  RestrictRecipient: 'restricted',
  LiftRestriction: 'restriction_lifted',
  ObjectToProcessing: 'objected',
} as const;

const regulationOf = (regulation: Regulation | null | undefined): PrivacyRegulation =>
  regulation === Regulation.CCPA ? 'ccpa' : 'gdpr';

/** Drops undefined properties (the domain treats a missing `collectedAt` as "now"). */
const defined = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
