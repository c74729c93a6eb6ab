import type { DataSource } from 'typeorm';

import type { BounceKind } from '#domain';
import type { Position } from '#event-store';
import type { ProjectionRunner } from '#projections';

import type { Audience } from '../audience/audience.service.js';

export const DELIVERY_POLICY_ACTOR = 'system:delivery-policy';

/** Soft bounces in a row (newest first, no delivery between) that suppress an address. */
export const SOFT_BOUNCES_TO_SUPPRESS = 3;
/** How far back the soft-bounce rule looks: the recipient's last messages with a verdict. */
export const SOFT_BOUNCE_LOOKBACK = 5;

/** The message a bounce or complaint is about: ids only. */
export interface BouncedMessage {
  tenantId: string;
  recipientId: string;
  messageId: string;
}

export type PolicyOutcome = 'suppressed' | 'already_suppressed' | 'kept' | 'recipient_gone';

/**
 * The suppression policy (issue 4, item 5): one hard bounce or one complaint suppresses the
 * recipient's address at once; `blocked` bounces (5.7.x policy blocks) never do, they are the
 * sender's problem; a soft bounce suppresses when it makes 3 soft bounces in the recipient's last
 * 5 messages with a verdict, with no delivery between them (counted newest first from the
 * `messages` read model, which this waits for first). The suppression is by the address's keyed
 * index, recorded with its reason and the message that caused it.
 */
export class BouncePolicy {
  constructor(
    private readonly deps: {
      audience: Audience;
      readModels: DataSource;
      projections: ProjectionRunner;
      readYourWritesTimeoutMs: number;
    },
  ) {}

  /** After a `MessageBounced` (at `position`, so the read model can be waited for). */
  async afterBounce(
    message: BouncedMessage,
    kind: BounceKind,
    now: Date,
    position?: Position,
  ): Promise<PolicyOutcome> {
    if (kind === 'blocked') return 'kept';
    if (kind === 'soft') {
      if (position) {
        await this.deps.projections.waitFor(
          position,
          ['messages'],
          this.deps.readYourWritesTimeoutMs,
        );
      }
      if ((await this.#softBouncesInARow(message)) < SOFT_BOUNCES_TO_SUPPRESS) return 'kept';
      return this.#suppress(message, 'soft_bounces', now);
    }
    return this.#suppress(message, 'hard_bounce', now);
  }

  /** After a `MessageComplained`. */
  async afterComplaint(message: BouncedMessage, now: Date): Promise<PolicyOutcome> {
    return this.#suppress(message, 'complaint', now);
  }

  async #softBouncesInARow(message: BouncedMessage): Promise<number> {
    const rows = await this.deps.readModels.query<
      Array<{ status: string; bounce_kind: string | null }>
    >(
      `SELECT status, bounce_kind FROM messages
        WHERE recipient_id = $1 AND tenant_id = $2 AND status IN ('sent', 'bounced')
        ORDER BY updated_at DESC, message_id DESC
        LIMIT $3`,
      [message.recipientId, message.tenantId, SOFT_BOUNCE_LOOKBACK],
    );
    let soft = 0;
    for (const row of rows) {
      if (row.status === 'sent') break; // a delivery since: the earlier ones do not count
      if (row.bounce_kind === 'soft') soft++;
    }
    return soft;
  }

  async #suppress(
    message: BouncedMessage,
    reason: 'hard_bounce' | 'complaint' | 'soft_bounces',
    now: Date,
  ): Promise<PolicyOutcome> {
    const { audience } = this.deps;
    const loaded = await audience.loadMany([message.recipientId]);
    const state = loaded.get(message.recipientId)?.state;
    if (state?.status !== 'Active' || state.tenantId !== message.tenantId) {
      return 'recipient_gone'; // erased (suppressed as such already) or not this tenant's
    }
    const result = await audience.suppressForDelivery(
      { tenantId: message.tenantId, actor: DELIVERY_POLICY_ACTOR },
      {
        emailIndex: state.emailIndex,
        reason,
        messageId: message.messageId,
        recipientId: message.recipientId,
        now,
      },
    );
    return result.changed ? 'suppressed' : 'already_suppressed';
  }
}
