import type { BounceMessage, DeferMessage, FailMessage, RecordMessageSent } from '#domain';

import { classifyBounce } from '../bounces/bounce-classification.js';
import type { NextAttempt } from './retry-schedule.js';
import type { SendOutcome } from './send-outcome.js';

/** The command that records what one SMTP transaction came to. */
export type OutcomeCommand = RecordMessageSent | DeferMessage | BounceMessage | FailMessage;

/** The message and the claim an outcome is recorded for. */
export interface ClaimTarget {
  messageId: string;
  tenantId: string;
  workerId: string;
}

/** Anything that looks like an email address, for text that leaves the process (logs). */
const ADDRESS = /[^\s<>()[\]"',;:]+@[^\s<>()[\]"',;:]+/g;

/** Text with every address blanked: what may go into a log line. */
export const redactAddresses = (text: string): string => text.replace(ADDRESS, '[address]');

/**
 * The command recording a send outcome (pure; `nextAttempt` is asked only for a retry):
 *
 * - `sent` → `RecordMessageSent` with the server's reply;
 * - `bounced` (5xx) → `BounceMessage` with the reply, its RFC 3463 status and what that makes
 *   of the address (`hard`, `soft`, `blocked`): never retried;
 * - `deferred` (4xx) and `failed` (no reply) → `DeferMessage` at the next attempt, or
 *   `FailMessage` once the retry window is over.
 */
export const outcomeCommand = (
  target: ClaimTarget,
  outcome: SendOutcome,
  nextAttempt: () => NextAttempt,
  now: Date,
): OutcomeCommand => {
  const { messageId, tenantId, workerId } = target;
  const metadata = { now };
  switch (outcome.kind) {
    case 'sent':
      return {
        type: 'RecordMessageSent',
        data: { messageId, tenantId, workerId, smtpReply: outcome.reply || '250 OK' },
        metadata,
      };
    case 'bounced':
      return {
        type: 'BounceMessage',
        data: {
          messageId,
          tenantId,
          workerId,
          smtpReply: outcome.reply,
          status: outcome.enhanced,
          kind: classifyBounce(outcome.enhanced, outcome.reply),
        },
        metadata,
      };
    case 'deferred':
    case 'failed': {
      const reply =
        outcome.kind === 'deferred' ? outcome.reply : `no reply: ${outcome.reason || 'unknown'}`;
      const next = nextAttempt();
      if (next.kind === 'expired') {
        return {
          type: 'FailMessage',
          data: {
            messageId,
            tenantId,
            workerId,
            reason: `retry window expired; last reply: ${reply}`,
          },
          metadata,
        };
      }
      // The decider wants a time after `now`; the schedule never gives less, but be sure.
      const at = next.at.getTime() > now.getTime() ? next.at : new Date(now.getTime() + 1000);
      return {
        type: 'DeferMessage',
        data: { messageId, tenantId, workerId, smtpReply: reply, nextAttemptAt: at },
        metadata,
      };
    }
  }
};

/**
 * The `From` header: the address alone, or `"Name" <address>` with the name's quotes and
 * backslashes escaped and line breaks removed (nodemailer encodes non-ASCII names).
 */
export const fromHeader = (name: string | null | undefined, address: string): string => {
  const clean = (name ?? '').replace(/[\r\n]+/g, ' ').trim();
  if (clean === '') return address;
  return `"${clean.replace(/["\\]/g, '\\$&')}" <${address}>`;
};
