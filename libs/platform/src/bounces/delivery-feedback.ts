import {
  type BounceKind,
  type Message,
  MessageError,
  type RecordBounce,
  type RecordComplaint,
  messageDecider,
  toMessageStreamId,
} from '#domain';
import type { Position } from '#event-store';
import type { ProjectionRunner } from '#projections';

import type { Audience } from '../audience/audience.service.js';
import type { CommandExecutor } from '../commands/command-executor.js';
import type { BouncePolicy, PolicyOutcome } from '../delivery/bounce-policy.js';
import { VERP_PREFIX, parseVerpAddress, parseVerpToken } from '../delivery/message-headers.js';
import type { SendingHealth } from '../delivery/sending-health.js';
import { type InboundReport, parseInboundReport } from './inbound-report.js';

export const FEEDBACK_ACTOR = 'system:delivery-feedback';

/** Local part of the List-Unsubscribe mailto (`unsubscribe@<bounce domain>`). */
export const UNSUBSCRIBE_MAILBOX = 'unsubscribe';
/** Local part to register with mailbox providers' feedback loops (ARF complaints). */
export const FEEDBACK_MAILBOX = 'feedback';

/** What became of one report about one message. */
export type FeedbackOutcome =
  /** Recorded (`MessageBounced`, `MessageComplained`, `RecipientUnsubscribed`). */
  | 'recorded'
  /** Recorded before (a repeated report or webhook retry): nothing changed. */
  | 'duplicate'
  /** Not about a message of ours (forged or altered token, unknown id). */
  | 'unknown_message'
  /** The message was never sent (queued, deferred, failed, cancelled): nothing to bounce. */
  | 'not_sent'
  /** Nothing to act on: a delay or delivery notice, a report without a failed recipient. */
  | 'ignored'
  /** Not a report we can read. */
  | 'unreadable';

export interface FeedbackResult {
  outcome: FeedbackOutcome;
  messageId?: string;
  /** What the suppression policy did, after a bounce or complaint was recorded. */
  policy?: PolicyOutcome;
}

/** What the inbound listener got in one mail: one result per envelope recipient. */
export interface InboundResult {
  results: Array<FeedbackResult & { mailbox: 'bounces' | 'unsubscribe' | 'feedback' }>;
}

export interface DeliveryFeedbackDependencies {
  executor: CommandExecutor;
  audience: Audience;
  projections: ProjectionRunner;
  policy: BouncePolicy;
  health: SendingHealth;
  verpKey: Buffer;
  bounceDomain: string;
  readYourWritesTimeoutMs: number;
  /** Largest inbound mail parsed, in bytes. */
  maxBytes: number;
  logger?: { log(message: string): void; warn(message: string): void };
}

type Known = Exclude<Message, { status: 'Empty' }>;

/**
 * What comes back after sending (issue 4, item 5): bounces and complaints, from the inbound SMTP
 * listener (DSNs, ARF reports and mailto unsubscribes sent to the bounce domain) and from the
 * delivery-events webhook. Each report is recorded on its message's stream (`RecordBounce`,
 * `RecordComplaint`), then the suppression policy runs, then the tenant's bounce and complaint
 * rates are checked (the automatic pause). A message is named only by what we can trust: a
 * VERP token (its HMAC verifies) in the envelope recipient or in the returned original, or, for
 * the signed webhook, the message id the provider got from our `X-MailPackr-Message` header.
 * Nothing here logs an address: only message ids and counts.
 */
export class DeliveryFeedback {
  constructor(private readonly deps: DeliveryFeedbackDependencies) {}

  /** The mailbox of an envelope recipient the listener takes, or undefined (refuse it). */
  mailboxOf(address: string): 'bounces' | 'unsubscribe' | 'feedback' | undefined {
    const at = address.lastIndexOf('@');
    if (at < 1) return undefined;
    const domain = address.slice(at + 1).toLowerCase();
    if (domain !== this.deps.bounceDomain.toLowerCase()) return undefined;
    const local = address.slice(0, at).toLowerCase();
    if (local === UNSUBSCRIBE_MAILBOX) return 'unsubscribe';
    if (local === FEEDBACK_MAILBOX) return 'feedback';
    if (local.startsWith(VERP_PREFIX)) {
      return parseVerpAddress(address, this.deps.verpKey, this.deps.bounceDomain)
        ? 'bounces'
        : undefined;
    }
    return undefined;
  }

  /** One mail to the bounce domain: a DSN, an ARF complaint or a mailto unsubscribe. */
  async receive(raw: Buffer, recipients: readonly string[], now: Date): Promise<InboundResult> {
    const results: InboundResult['results'] = [];
    let report: InboundReport | undefined;
    const parsed = async () =>
      (report ??= await parseInboundReport(raw, { maxBytes: this.deps.maxBytes }));
    for (const address of new Set(recipients.map((r) => r.toLowerCase()))) {
      const mailbox = this.mailboxOf(address);
      if (!mailbox) continue;
      if (mailbox === 'unsubscribe') {
        results.push({ mailbox, ...(await this.#mailtoUnsubscribe(raw, now)) });
        continue;
      }
      const fromEnvelope =
        mailbox === 'bounces'
          ? parseVerpAddress(address, this.deps.verpKey, this.deps.bounceDomain)
          : undefined;
      results.push({ mailbox, ...(await this.#report(await parsed(), fromEnvelope, now)) });
    }
    const counts = results.map(
      (r) => `${r.mailbox}:${r.outcome}${r.messageId ? `:${r.messageId}` : ''}`,
    );
    this.deps.logger?.log(
      `Inbound mail (${raw.length} bytes): ${counts.join(', ') || 'no mailbox of ours'}`,
    );
    return { results };
  }

  /** A bounce learnt after sending (DSN or webhook). */
  bounce(input: {
    messageId: string;
    kind: BounceKind;
    status: string | null;
    diagnostic: string | null;
    source: 'dsn' | 'webhook';
    now: Date;
  }): Promise<FeedbackResult> {
    return this.#feedback(
      input.messageId,
      input.now,
      (message) => ({
        type: 'RecordBounce',
        data: {
          messageId: message.messageId,
          tenantId: message.tenantId,
          kind: input.kind,
          status: input.status,
          // The decider keeps one line of it, addresses blanked.
          diagnostic: input.diagnostic,
          source: input.source,
        },
        metadata: { now: input.now },
      }),
      (message, position) => this.deps.policy.afterBounce(message, input.kind, input.now, position),
    );
  }

  /** A complaint about a sent message (ARF report or webhook). */
  complaint(input: {
    messageId: string;
    feedbackType: string;
    source: 'dsn' | 'webhook';
    now: Date;
  }): Promise<FeedbackResult> {
    return this.#feedback(
      input.messageId,
      input.now,
      (message) => ({
        type: 'RecordComplaint',
        data: {
          messageId: message.messageId,
          tenantId: message.tenantId,
          feedbackType: input.feedbackType,
          source: input.source,
        },
        metadata: { now: input.now },
      }),
      (message) => this.deps.policy.afterComplaint(message, input.now),
    );
  }

  /**
   * Records a report on its message's stream, then runs the suppression policy and checks the
   * tenant's rates (once the messages projection has the report).
   */
  async #feedback(
    messageId: string,
    now: Date,
    command: (message: Known) => RecordBounce | RecordComplaint,
    policy: (message: Known, position?: Position) => Promise<PolicyOutcome>,
  ): Promise<FeedbackResult> {
    const message = await this.#message(messageId);
    if (!message) return { outcome: 'unknown_message', messageId };
    const recorded = await this.#record(message, command(message));
    if (recorded.outcome !== 'recorded') return recorded;
    const outcome = await policy(message, recorded.position);
    if (recorded.position) {
      await this.deps.projections.waitFor(
        recorded.position,
        ['messages'],
        this.deps.readYourWritesTimeoutMs,
      );
    }
    await this.deps.health.check([message.tenantId], now);
    return { outcome: 'recorded', messageId: message.messageId, policy: outcome };
  }

  async #report(
    report: InboundReport,
    fromEnvelope: string | undefined,
    now: Date,
  ): Promise<FeedbackResult> {
    if (report.kind === 'unknown') return { outcome: 'unreadable', messageId: fromEnvelope };
    const messageId = fromEnvelope ?? this.#fromOriginal(report.original);
    if (!messageId) return { outcome: 'unknown_message' };
    if (report.kind === 'complaint') {
      return this.complaint({
        messageId,
        feedbackType: report.feedbackType || 'abuse',
        source: 'dsn',
        now,
      });
    }
    // One message per envelope: its recipient's verdict. A DSN about several recipients of one
    // message is ours only for the one we sent to; take the first that failed.
    const failed = report.recipients.find((r) => r.action === 'failed');
    if (!failed) return { outcome: 'ignored', messageId };
    return this.bounce({
      messageId,
      kind: failed.bounce,
      status: failed.status,
      diagnostic: failed.diagnosticCode,
      source: 'dsn',
      now,
    });
  }

  /** The message a returned original names by a VERP address whose token verifies. */
  #fromOriginal(original: { returnPaths: readonly string[] }): string | undefined {
    for (const path of original.returnPaths) {
      const id = parseVerpAddress(path, this.deps.verpKey, this.deps.bounceDomain);
      if (id) return id;
    }
    return undefined;
  }

  /** A mail to the List-Unsubscribe mailto: its subject is `unsubscribe <VERP token>`. */
  async #mailtoUnsubscribe(raw: Buffer, now: Date): Promise<FeedbackResult> {
    const subject = subjectOf(raw);
    const token = /\bunsubscribe\s+([a-z2-7]{20,80})\b/i.exec(subject ?? '')?.[1];
    const messageId = token ? parseVerpToken(token, this.deps.verpKey) : undefined;
    if (!messageId) return { outcome: 'unknown_message' };
    const message = await this.#message(messageId);
    if (!message) return { outcome: 'unknown_message', messageId };
    const result = await this.deps.audience.unsubscribeFromMessage(
      {
        tenantId: message.tenantId,
        recipientId: message.recipientId,
        listId: message.listId,
        messageId,
        channel: 'mailto',
      },
      now,
    );
    return { outcome: result.outcome === 'unsubscribed' ? 'recorded' : 'duplicate', messageId };
  }

  async #message(messageId: string): Promise<Known | undefined> {
    const state = await this.deps.executor.read(toMessageStreamId(messageId), messageDecider);
    return state.status === 'Empty' ? undefined : state;
  }

  async #record(
    message: Known,
    command: RecordBounce | RecordComplaint,
  ): Promise<FeedbackResult & { position?: Position }> {
    try {
      const result = await this.deps.executor.handle(
        toMessageStreamId(message.messageId),
        messageDecider,
        command,
        { tenantId: message.tenantId, actor: FEEDBACK_ACTOR },
      );
      if (result.events.length === 0) {
        return { outcome: 'duplicate', messageId: message.messageId };
      }
      return { outcome: 'recorded', messageId: message.messageId, position: result.position };
    } catch (error) {
      if (error instanceof MessageError && error.code === 'MESSAGE_NOT_SENT') {
        return { outcome: 'not_sent', messageId: message.messageId };
      }
      throw error;
    }
  }
}

/** The Subject header of a raw mail (unfolded), without parsing the rest. */
const subjectOf = (raw: Buffer): string | undefined => {
  const head = raw.subarray(0, 64 * 1024).toString('latin1');
  const end = head.search(/\r?\n\r?\n/);
  const unfolded = (end >= 0 ? head.slice(0, end) : head).replace(/\r?\n[ \t]+/g, ' ');
  return /^subject:[ \t]*(.*)$/im.exec(unfolded)?.[1]?.trim();
};
