import { randomUUID } from 'node:crypto';

import {
  type ConsentGiven,
  type ConsentSource,
  type ErasureBasis,
  type Recipient,
  type RecipientAttributes,
  type RecipientCommand,
  type RecipientEvent,
  ContactListError,
  RecipientError,
  type RecipientErrorCode,
  checkEmail,
  contactListDecider,
  evolveAll,
  messageIdName,
  recipientDecider,
  type AddressSuppressionReason,
  type SuppressionCommand,
  suppressionDecider,
  toContactListStreamId,
  toRecipientStreamId,
  toSuppressionStreamId,
  type ContactListEvent,
} from '#domain';
import type { EventStore, Position } from '#event-store';
import {
  type ErasureReceipt,
  type PersonalDataCodec,
  type PersonalDataVault,
  erasureReceiptOf,
} from '#privacy';
import {
  type ProjectionRunner,
  RecipientEntity,
  SuppressionEntity,
  type TenantReadModels,
} from '#projections';

import {
  type CommandContext,
  type CommandExecutor,
  type CommandResult,
  uuidFromName,
} from '../commands/command-executor.js';
import { SignedTokens } from './signed-token.js';
import { UnsubscribeLinks } from './unsubscribe-links.js';

/** An address checked, normalised and indexed for one tenant. */
export interface EmailIdentity {
  address: string;
  /** Identity key (lower-cased address): never stored, only its keyed index is. */
  key: string;
  /** Keyed HMAC of `key` for the tenant. */
  index: string;
}

interface OptInClaims {
  t: string;
  r: string;
  l: string;
  q: string;
  exp: number;
}

const ONE_CLICK_DONE = new Set<RecipientErrorCode>([
  'NOT_SUBSCRIBED',
  'RECIPIENT_ERASED',
  'RECIPIENT_NOT_FOUND',
]);

export interface AudienceDependencies {
  executor: CommandExecutor;
  store: EventStore;
  vault: PersonalDataVault;
  codec: PersonalDataCodec;
  tenantReads: TenantReadModels;
  projections: ProjectionRunner;
  readYourWritesTimeoutMs: number;
  /** Base of the links in emails (`AppConfig.publicUrl`). */
  publicUrl: string;
}

/** What a one-click unsubscribe did. `done`: nothing left to do (already out, or erased). */
export type OneClickOutcome = 'unsubscribed' | 'done';

/** A recipient stream found for an address, with its state and revision (-1n: new). */
export interface ResolvedRecipient {
  recipientId: string;
  state: Recipient;
  revision: bigint;
}

const MAX_NATURAL_ID_ROUNDS = 3;

/** Read models a recipient command's answer is read from. */
export const RECIPIENT_READ_MODELS = ['recipients', 'suppressions', 'erasure-receipts'] as const;

export const DEFAULT_OPT_IN_TTL_MS = 7 * 24 * 3600 * 1000;

/**
 * Recipients and their rights, as the API, the CLI and the worker use them: identity by email
 * (keyed index, natural ids), the checks that need more than one stream (lists, suppression),
 * erasure with its receipt, and opt-in tokens. Each state change is still one command on one
 * recipient stream, decided by the pure `recipientDecider`.
 */
export class Audience {
  readonly #deps: AudienceDependencies;
  readonly #optInTokens: SignedTokens<OptInClaims>;

  constructor(deps: AudienceDependencies) {
    this.#deps = deps;
    this.#optInTokens = new SignedTokens(deps.vault.deriveKey('opt-in-token'));
    this.unsubscribeLinks = new UnsubscribeLinks(
      deps.vault.deriveKey('unsubscribe-link'),
      deps.publicUrl,
    );
  }

  readonly #erasureListeners: Array<(tenantId: string, recipientId: string) => Promise<unknown>> =
    [];

  /**
   * Called on every erasure (and again on a repeated one), after the key is destroyed: for the
   * copies of a person's data that live outside the log and the read models, which shredding
   * cannot reach (the embedded outbox's `.eml` files).
   */
  onErased(listener: (tenantId: string, recipientId: string) => Promise<unknown>): void {
    this.#erasureListeners.push(listener);
  }

  /** One-click unsubscribe links for the mail sent to recipients (see `unsubscribeOneClick`). */
  readonly unsubscribeLinks: UnsubscribeLinks;

  /** Checks and indexes an address; a typed `INVALID_EMAIL` error when it is not one. */
  identify(tenantId: string, raw: unknown): EmailIdentity {
    const checked = checkEmail(raw);
    if (!checked.ok) {
      throw new RecipientError('INVALID_EMAIL', `Invalid email address: ${checked.problem}`);
    }
    const { address, key } = checked.email;
    return { address, key, index: this.#deps.vault.blindIndex(tenantId, key) };
  }

  /**
   * The id a new recipient with this address gets: derived from the tenant's keyed index, so the
   * same address always lands on the same stream (no duplicates, even under concurrent imports)
   * and an erased address is recognised when it comes back.
   */
  naturalId(tenantId: string, index: string): string {
    return uuidFromName(`recipient:${tenantId}:${index}`);
  }

  /** The recipient that holds (or held, if erased) this address in the tenant. */
  async findByEmail(tenantId: string, raw: unknown): Promise<string | undefined> {
    const { index } = this.identify(tenantId, raw);
    const found = (await this.resolve(tenantId, [index])).get(index);
    return found && found.state.status !== 'Empty' ? found.recipientId : undefined;
  }

  /**
   * The recipient stream of each address: the one that holds it now (read model first, which
   * covers corrected addresses), or the one that held it when erased, or a free natural id for a
   * new recipient. When an address's natural stream was corrected to another address, the next
   * natural id (suffixed) is tried. One read of the log for the whole batch per round.
   */
  async resolve(
    tenantId: string,
    indexes: readonly string[],
    /** The read model's answer for these indexes, when the caller has looked them up already. */
    known?: ReadonlyMap<string, string>,
  ): Promise<Map<string, ResolvedRecipient>> {
    const resolved = new Map<string, ResolvedRecipient>();
    const unique = [...new Set(indexes)];
    if (unique.length === 0) return resolved;
    const fromModel = known ?? (await this.lookup(tenantId, unique));
    let candidates = new Map(
      unique.map((index) => [index, fromModel.get(index) ?? this.naturalId(tenantId, index)]),
    );
    for (let round = 0; candidates.size > 0; round++) {
      const states = await this.loadMany([...candidates.values()]);
      const next = new Map<string, string>();
      for (const [index, recipientId] of candidates) {
        const { state, revision } = states.get(recipientId)!;
        const held =
          state.status === 'Active'
            ? state.emailIndex
            : state.status === 'Erased'
              ? state.erasure.emailIndex
              : undefined;
        if (state.status === 'Empty' || (state.tenantId === tenantId && held === index)) {
          resolved.set(index, { recipientId, state, revision });
        } else if (round < MAX_NATURAL_ID_ROUNDS) {
          next.set(index, this.naturalId(tenantId, round === 0 ? index : `${index}#${round}`));
        } else {
          throw new RecipientError(
            'RECIPIENT_EMAIL_TAKEN',
            'No free recipient id for this address',
          );
        }
      }
      candidates = next;
    }
    return resolved;
  }

  /** Suppression reasons by keyed index, for the indexes that are suppressed. */
  async suppressions(tenantId: string, indexes: readonly string[]): Promise<Map<string, string>> {
    if (indexes.length === 0) return new Map();
    const rows = await this.#deps.tenantReads.read(tenantId, (scope) =>
      scope
        .select(SuppressionEntity, 's')
        .andWhere('s.email_index = ANY(:indexes)', { indexes: [...indexes] })
        .getMany(),
    );
    return new Map(rows.map((row) => [row.emailIndex, row.reason]));
  }

  /**
   * The active recipients that hold these addresses, by index, as the read model has them (it may
   * lag behind the log: `resolve` checks the log).
   */
  async lookup(tenantId: string, indexes: readonly string[]): Promise<Map<string, string>> {
    if (indexes.length === 0) return new Map();
    const rows = await this.#deps.tenantReads.read(tenantId, (scope) =>
      scope
        .select(RecipientEntity, 'r')
        .select(['r.recipientId', 'r.emailIndex'])
        // Only active rows keep an email_index (erasure clears it): this uses the email index.
        .andWhere(`r.email_index = ANY(:indexes)`, { indexes: [...indexes] })
        .getMany(),
    );
    return new Map(rows.map((row) => [row.emailIndex!, row.recipientId]));
  }

  /** Current states (and revisions) of recipients, decrypted, from one read of the log. */
  async loadMany(
    recipientIds: readonly string[],
  ): Promise<Map<string, { state: Recipient; revision: bigint }>> {
    const streams = await this.#deps.store.readStreams(recipientIds.map(toRecipientStreamId));
    const recorded = recipientIds.map((id) => streams.get(toRecipientStreamId(id)) ?? []);
    const data = await this.#deps.codec.decryptEvents(
      recorded.flat().map((e) => ({ type: e.type, data: e.data })),
    );
    const states = new Map<string, { state: Recipient; revision: bigint }>();
    let offset = 0;
    recipientIds.forEach((recipientId, i) => {
      const events = recorded[i]!;
      const state = evolveAll(
        recipientDecider,
        events.map((e, k) => ({ type: e.type, data: data[offset + k] }) as RecipientEvent),
      );
      offset += events.length;
      states.set(recipientId, { state, revision: events.at(-1)?.revision ?? -1n });
    });
    return states;
  }

  /** Unknown or deleted lists (and other tenants' lists) are `CONTACT_LIST_NOT_FOUND`. */
  async assertListsActive(tenantId: string, listIds: readonly string[]): Promise<void> {
    if (listIds.length === 0) return;
    const streams = await this.#deps.store.readStreams(listIds.map(toContactListStreamId));
    for (const listId of listIds) {
      const list = evolveAll(
        contactListDecider,
        (streams.get(toContactListStreamId(listId)) ?? []) as unknown as ContactListEvent[],
      );
      if (list.status !== 'Active' || list.tenantId !== tenantId) {
        throw new ContactListError('CONTACT_LIST_NOT_FOUND', `Contact list ${listId} not found`);
      }
    }
  }

  async addRecipient(
    context: CommandContext,
    input: {
      email: string;
      name?: string | null;
      attributes?: RecipientAttributes;
      listIds?: readonly string[];
      source: ConsentSource;
      consent?: { collectedAt?: string; ipAddress?: string };
      now: Date;
    },
  ): Promise<CommandResult<Recipient, RecipientEvent> & { recipientId: string }> {
    const { tenantId } = context;
    const email = this.identify(tenantId, input.email);
    const suppressed = (await this.suppressions(tenantId, [email.index])).get(email.index);
    if (suppressed) {
      throw new RecipientError(
        suppressed === 'erased' ? 'RECIPIENT_ERASED' : 'RECIPIENT_SUPPRESSED',
        `This address is on the suppression list (${suppressed})`,
      );
    }
    const target = (await this.resolve(tenantId, [email.index])).get(email.index)!;
    if (target.state.status !== 'Empty') {
      throw new RecipientError(
        target.state.status === 'Erased' ? 'RECIPIENT_ERASED' : 'RECIPIENT_ALREADY_EXISTS',
        `Recipient ${target.recipientId} has this address`,
      );
    }
    await this.assertListsActive(tenantId, input.listIds ?? []);
    const recipientId = target.recipientId;
    const result = await this.execute(context, {
      type: 'AddRecipient',
      data: {
        recipientId,
        tenantId,
        email: { address: email.address, index: email.index },
        name: input.name,
        attributes: input.attributes,
        source: input.source,
        listIds: input.listIds,
        consent: input.consent,
      },
      metadata: { now: input.now },
    });
    return { ...result, recipientId };
  }

  /** A correction that changes the address must not take one another recipient holds. */
  async correctRecipient(
    context: CommandContext,
    input: {
      recipientId: string;
      email?: string;
      name?: string | null;
      attributes?: RecipientAttributes;
      now: Date;
    },
  ): Promise<CommandResult<Recipient, RecipientEvent>> {
    const email =
      input.email === undefined ? undefined : this.identify(context.tenantId, input.email);
    if (email) {
      const holder = (await this.resolve(context.tenantId, [email.index])).get(email.index)!;
      if (holder.state.status !== 'Empty' && holder.recipientId !== input.recipientId) {
        throw new RecipientError('RECIPIENT_EMAIL_TAKEN', 'Another recipient has this address');
      }
    }
    return this.execute(context, {
      type: 'CorrectRecipient',
      data: {
        recipientId: input.recipientId,
        tenantId: context.tenantId,
        email: email && { address: email.address, index: email.index },
        name: input.name,
        attributes: input.attributes,
      },
      metadata: { now: input.now },
    });
  }

  async subscribe(
    context: CommandContext,
    input: { recipientId: string; listId: string; consent: ConsentGiven; now: Date },
  ): Promise<CommandResult<Recipient, RecipientEvent>> {
    await this.assertListsActive(context.tenantId, [input.listId]);
    return this.execute(context, {
      type: 'SubscribeRecipient',
      data: {
        recipientId: input.recipientId,
        tenantId: context.tenantId,
        listId: input.listId,
        consent: input.consent,
      },
      metadata: { now: input.now },
    });
  }

  /** Opens a double opt-in and returns the token to put in the confirmation link. */
  async requestOptIn(
    context: CommandContext,
    input: {
      recipientId: string;
      listId: string;
      consent: ConsentGiven;
      now: Date;
      ttlMs?: number;
    },
  ): Promise<{ token: string; expiresAt: Date; result: CommandResult<Recipient, RecipientEvent> }> {
    await this.assertListsActive(context.tenantId, [input.listId]);
    const requestId = randomUUID();
    const expiresAt = new Date(input.now.getTime() + (input.ttlMs ?? DEFAULT_OPT_IN_TTL_MS));
    const result = await this.execute(context, {
      type: 'RequestOptIn',
      data: {
        recipientId: input.recipientId,
        tenantId: context.tenantId,
        listId: input.listId,
        requestId,
        consent: input.consent,
        expiresAt,
      },
      metadata: { now: input.now },
    });
    const token = this.#optInTokens.sign({
      t: context.tenantId,
      r: input.recipientId,
      l: input.listId,
      q: requestId,
      exp: Math.floor(expiresAt.getTime() / 1000),
    });
    return { token, expiresAt, result };
  }

  /** Confirms the opt-in a token names; needs no login (the token is the proof). */
  async confirmOptIn(
    token: string,
    input: { ipAddress?: string; now: Date; tenantId?: string },
  ): Promise<{ recipientId: string; listId: string; tenantId: string; position?: Position }> {
    const claims = this.#optInTokens.verify(token, input.now);
    if (!claims) {
      const expired = this.#optInTokens.inspect(token);
      throw expired
        ? new RecipientError('OPT_IN_EXPIRED', 'The confirmation link has expired')
        : new RecipientError('OPT_IN_TOKEN_INVALID', 'The confirmation link is not valid');
    }
    if (input.tenantId !== undefined && claims.t !== input.tenantId) {
      throw new RecipientError('OPT_IN_TOKEN_INVALID', 'The confirmation link is not valid');
    }
    const result = await this.execute(
      { tenantId: claims.t, actor: 'recipient:opt-in' },
      {
        type: 'ConfirmOptIn',
        data: {
          recipientId: claims.r,
          tenantId: claims.t,
          listId: claims.l,
          requestId: claims.q,
          ipAddress: input.ipAddress,
        },
        metadata: { now: input.now },
      },
    );
    return {
      recipientId: claims.r,
      listId: claims.l,
      tenantId: claims.t,
      position: result.position,
    };
  }

  /**
   * One-click unsubscribe (RFC 8058) from a link in a mail: no login, applies at once, idempotent.
   * `undefined` for a forged, altered or expired link (nothing changes). A recipient who already
   * left, left every list, or was erased since gets `done`: the link never reveals more.
   */
  async unsubscribeOneClick(
    token: string,
    now: Date,
  ): Promise<{ outcome: OneClickOutcome; tenantId: string; position?: Position } | undefined> {
    const claims = this.unsubscribeLinks.verify(token, now);
    if (!claims) return undefined;
    return this.unsubscribeFromMessage(
      {
        tenantId: claims.t,
        recipientId: claims.r,
        listId: claims.l,
        messageId: claims.c ? uuidFromName(messageIdName(claims.c, claims.r)) : null,
        channel: 'one_click',
      },
      now,
    );
  }

  /**
   * An unsubscribe that came with a message (its one-click link, or a mail to the
   * List-Unsubscribe mailto naming it): applies at once and is idempotent. `listId` null leaves
   * every list. The message id goes into the event so the campaign counts the unsubscribe.
   */
  async unsubscribeFromMessage(
    input: {
      tenantId: string;
      recipientId: string;
      listId: string | null;
      messageId: string | null;
      channel: 'one_click' | 'mailto';
    },
    now: Date,
  ): Promise<{ outcome: OneClickOutcome; tenantId: string; position?: Position }> {
    try {
      const result = await this.execute(
        { tenantId: input.tenantId, actor: `recipient:${input.channel.replace('_', '-')}` },
        {
          type: 'UnsubscribeRecipient',
          data: {
            recipientId: input.recipientId,
            tenantId: input.tenantId,
            listId: input.listId,
            channel: input.channel,
            messageId: input.messageId,
          },
          metadata: { now },
        },
      );
      await this.waitForReadModels(result.position);
      return {
        outcome: result.events.length > 0 ? 'unsubscribed' : 'done',
        tenantId: input.tenantId,
        position: result.position,
      };
    } catch (error) {
      // Out of that list already, or gone altogether: what the person asked for holds.
      if (error instanceof RecipientError && ONE_CLICK_DONE.has(error.code)) {
        return { outcome: 'done', tenantId: input.tenantId };
      }
      throw error;
    }
  }

  /**
   * Erasure (policy §8, §9, §10): appends `RecipientErased` (no personal data), destroys the
   * recipient's data key, and waits until the read models have purged the person and added the
   * suppression. Idempotent: a second erasure changes nothing and returns the same receipt.
   */
  async erase(
    context: CommandContext,
    input: {
      /** Callers find it first (`findByEmail`), so a request can name the subject before acting. */
      recipientId: string;
      basis: ErasureBasis;
      reference?: string | null;
      requestId?: string;
      now: Date;
      /** Wait for the read models before returning (default); batch callers wait once at the end. */
      waitForReadModels?: boolean;
    },
  ): Promise<{ receipt: ErasureReceipt; alreadyErased: boolean; position?: Position }> {
    const { tenantId } = context;
    const { recipientId } = input;
    const result = await this.execute(context, {
      type: 'EraseRecipient',
      data: {
        recipientId,
        tenantId,
        requestId: input.requestId ?? randomUUID(),
        basis: input.basis,
        requestedBy: context.actor,
        reference: input.reference,
      },
      metadata: { now: input.now },
    });
    const state = result.state;
    if (state.status !== 'Erased') throw new RecipientError('RECIPIENT_NOT_FOUND');
    // After the event: a crash in between leaves an erased stream whose re-run shreds the key
    // (and removes the copies kept outside the log again).
    await this.#deps.vault.shred(recipientId, { tenantId });
    for (const listener of this.#erasureListeners) await listener(tenantId, recipientId);
    if (input.waitForReadModels !== false) await this.waitForReadModels(result.position);
    return {
      receipt: erasureReceiptOf(state.erasure),
      alreadyErased: result.events.length === 0,
      position: result.position,
    };
  }

  /**
   * Manual suppression ("never mail this address"), recipient or not: only the keyed HMAC of the
   * address is stored. Idempotent. Returns the identity so callers can answer with the address.
   */
  async suppressAddress(
    context: CommandContext,
    input: { email: string; now: Date },
  ): Promise<{ email: EmailIdentity; changed: boolean; position?: Position }> {
    return this.#onSuppression(context, input.email, (suppressionId, emailIndex) => ({
      type: 'SuppressAddress',
      data: { suppressionId, tenantId: context.tenantId, emailIndex },
      metadata: { now: input.now },
    }));
  }

  /**
   * The delivery policy's suppression of a recipient's address after a hard bounce, a complaint or
   * repeated soft bounces (by its keyed index: the address is not needed). One stream per address
   * and reason, apart from the manual one, so `liftSuppression` never lifts it. Idempotent.
   */
  async suppressForDelivery(
    context: CommandContext,
    input: {
      emailIndex: string;
      reason: Exclude<AddressSuppressionReason, 'manual'>;
      messageId: string;
      recipientId: string;
      now: Date;
    },
  ): Promise<{ changed: boolean; position?: Position }> {
    const suppressionId = uuidFromName(
      `suppression:${context.tenantId}:${input.emailIndex}:${input.reason}`,
    );
    const result = await this.#deps.executor.handle(
      toSuppressionStreamId(suppressionId),
      suppressionDecider,
      {
        type: 'SuppressAddress',
        data: {
          suppressionId,
          tenantId: context.tenantId,
          emailIndex: input.emailIndex,
          reason: input.reason,
          messageId: input.messageId,
          recipientId: input.recipientId,
        },
        metadata: { now: input.now },
      },
      context,
    );
    return { changed: result.events.length > 0, position: result.position };
  }

  /**
   * Lifts a manual suppression (`suppressAddress`). Suppressions the person caused (unsubscribing
   * from everything, a complaint, an erasure) or a hard bounce stay: `suppressions` still shows
   * them. `SUPPRESSION_NOT_FOUND` when the address was never suppressed by hand.
   */
  async liftSuppression(
    context: CommandContext,
    input: { email: string; reference?: string | null; now: Date },
  ): Promise<{ email: EmailIdentity; changed: boolean; position?: Position }> {
    return this.#onSuppression(context, input.email, (suppressionId, emailIndex) => ({
      type: 'LiftSuppression',
      data: { suppressionId, tenantId: context.tenantId, emailIndex, reference: input.reference },
      metadata: { now: input.now },
    }));
  }

  async #onSuppression(
    context: CommandContext,
    address: string,
    command: (suppressionId: string, emailIndex: string) => SuppressionCommand,
  ): Promise<{ email: EmailIdentity; changed: boolean; position?: Position }> {
    const email = this.identify(context.tenantId, address);
    const suppressionId = uuidFromName(`suppression:${context.tenantId}:${email.index}`);
    const result = await this.#deps.executor.handle(
      toSuppressionStreamId(suppressionId),
      suppressionDecider,
      command(suppressionId, email.index),
      context,
    );
    await this.waitForReadModels(result.position);
    return { email, changed: result.events.length > 0, position: result.position };
  }

  /** One command on one recipient stream (load, decide, append), personal fields encrypted. */
  execute(
    context: CommandContext,
    command: RecipientCommand,
  ): Promise<CommandResult<Recipient, RecipientEvent>> {
    return this.#deps.executor.handle(
      toRecipientStreamId(command.data.recipientId),
      recipientDecider,
      command,
      context,
    );
  }

  /** Read your own writes: wait until the recipient read models have applied `position`. */
  async waitForReadModels(position: Position | undefined): Promise<void> {
    if (!position) return;
    await this.#deps.projections.waitFor(
      position,
      RECIPIENT_READ_MODELS,
      this.#deps.readYourWritesTimeoutMs,
    );
  }
}
