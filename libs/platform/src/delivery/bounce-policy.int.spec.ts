import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { type MessageEvent, toMessageStreamId } from '#domain';
import type { SuppressionRow } from '#projections';
import {
  type TestDatabase,
  aMessageBounced,
  aMessageClaimed,
  aMessageQueued,
  aMessageSent,
  anId,
  createTestDatabase,
  minutesAfter,
  sqlBackends,
} from '#testing';

import { loadConfig } from '../config/app.config.js';
import { MailpackrRuntime } from '../runtime/mailpackr-runtime.js';
import { BouncePolicy, type BouncedMessage } from './bounce-policy.js';

/** The fixed clock; the recipient's messages got their verdicts in the hour before. */
const now = new Date('2025-01-02T12:00:00.000Z');
const minutesAgo = (minutes: number): string => minutesAfter(now, -minutes).toISOString();

type Verdict = 'sent' | 'soft' | 'hard' | 'blocked';

describe.each(sqlBackends())('Bounce policy on %s', (backend) => {
  let database: TestDatabase;
  let dataDir: string;
  let runtime: MailpackrRuntime;
  let policy: BouncePolicy;

  beforeAll(async () => {
    database = await createTestDatabase(backend);
    dataDir = mkdtempSync(join(tmpdir(), 'mailpackr-policy-'));
    runtime = await MailpackrRuntime.start(
      loadConfig(
        {},
        {
          DATABASE_URL: database.connectionString,
          MAILPACKR_KEK: randomBytes(32).toString('base64'),
          MAILPACKR_DATA_DIR: dataDir,
          NODE_ENV: 'test',
          MAILPACKR_DELIVERY_INTERVAL_MS: '0',
          MAILPACKR_SMTP_CAPTURE_PORT: '0',
        },
      ),
    );
    await runtime.projections.start();
    policy = new BouncePolicy({
      audience: runtime.audience,
      readModels: runtime.readModels,
      projections: runtime.projections,
      readYourWritesTimeoutMs: 10_000,
    });
  });
  afterAll(async () => {
    await runtime.close();
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Waits until the read models have applied everything written so far. */
  const settled = async (names: readonly string[]) => {
    const position = await runtime.store.lastCommittedPosition();
    if (position && !(await runtime.projections.waitFor(position, names, 10_000))) {
      throw new Error(`read models ${names.join(', ')} did not catch up within 10 s`);
    }
  };

  // ── Given ──

  /** A tenant's active recipient, and the keyed index of its address. */
  const aRecipient = async (tenantId = anId()) => {
    const context = { tenantId, actor: 'test:api' };
    const { recipientId } = await runtime.audience.addRecipient(context, {
      email: `${anId()}@example.org`,
      source: 'api',
      now: minutesAfter(now, -24 * 60),
    });
    const state = (await runtime.audience.loadMany([recipientId])).get(recipientId)!.state;
    if (state.status !== 'Active') throw new Error('the recipient was not added');
    return { tenantId, recipientId, context, emailIndex: state.emailIndex };
  };

  /**
   * The recipient's messages with their verdicts, oldest first, a minute apart; returns the
   * newest one (the bounce the policy is asked about).
   */
  const messagesWith = async (
    recipient: { tenantId: string; recipientId: string },
    verdicts: readonly Verdict[],
  ): Promise<BouncedMessage> => {
    const campaignId = anId();
    const streams = verdicts.map((verdict, i) => {
      const m = { messageId: anId(), campaignId, tenantId: recipient.tenantId };
      const at = minutesAgo(verdicts.length - i);
      const events: MessageEvent[] = [
        aMessageQueued({ ...m, recipientId: recipient.recipientId, queuedAt: minutesAgo(120) }),
        aMessageClaimed({ ...m, claimedAt: at }),
        verdict === 'sent'
          ? aMessageSent({ ...m, sentAt: at })
          : aMessageBounced({ ...m, kind: verdict, status: null, source: 'smtp', at }),
      ];
      return { messageId: m.messageId, events };
    });
    await runtime.store.appendMany(
      streams.map(({ messageId, events }) => ({
        streamId: toMessageStreamId(messageId),
        events: events.map((e) => ({ eventId: anId(), type: e.type, data: e.data })),
        expectedRevision: 'no_stream' as const,
      })),
    );
    await settled(['messages']);
    return { ...recipient, messageId: streams.at(-1)!.messageId };
  };

  // ── Then ──

  const suppressionsOf = async (tenantId: string) => {
    await settled(['suppressions']);
    return (
      await runtime.pool.query<SuppressionRow>(
        'SELECT email_index, reason, recipient_id FROM suppressions WHERE tenant_id = $1',
        [tenantId],
      )
    ).rows;
  };

  describe('When a message bounces hard', () => {
    it('should suppress the recipient’s address for a hard bounce, naming the message', async () => {
      const recipient = await aRecipient();
      const message = { ...recipient, messageId: anId() };

      expect(await policy.afterBounce(message, 'hard', now)).toBe('suppressed');

      expect(await suppressionsOf(recipient.tenantId)).toEqual([
        {
          email_index: recipient.emailIndex,
          reason: 'hard_bounce',
          recipient_id: recipient.recipientId,
        },
      ]);
      const events = await runtime.store.readAll({
        filter: { categories: ['suppression'], eventTypes: ['AddressSuppressed'] },
      });
      expect(events.map((e) => e.data)).toContainEqual({
        suppressionId: expect.any(String),
        tenantId: recipient.tenantId,
        emailIndex: recipient.emailIndex,
        reason: 'hard_bounce',
        messageId: message.messageId,
        recipientId: recipient.recipientId,
        suppressedAt: now.toISOString(),
      });
    });

    it('should answer already_suppressed the second time', async () => {
      const recipient = await aRecipient();
      expect(await policy.afterBounce({ ...recipient, messageId: anId() }, 'hard', now)).toBe(
        'suppressed',
      );
      expect(await policy.afterBounce({ ...recipient, messageId: anId() }, 'hard', now)).toBe(
        'already_suppressed',
      );
      expect(await suppressionsOf(recipient.tenantId)).toHaveLength(1);
    });
  });

  describe('When a message is complained about', () => {
    it('should suppress the address for the complaint', async () => {
      const recipient = await aRecipient();
      expect(await policy.afterComplaint({ ...recipient, messageId: anId() }, now)).toBe(
        'suppressed',
      );
      expect(await suppressionsOf(recipient.tenantId)).toEqual([
        {
          email_index: recipient.emailIndex,
          reason: 'complaint',
          recipient_id: recipient.recipientId,
        },
      ]);
    });
  });

  describe('When a message is blocked (a policy block, 5.7.x)', () => {
    it('should keep the address, even after many', async () => {
      const recipient = await aRecipient();
      const message = await messagesWith(recipient, ['blocked', 'blocked', 'blocked', 'blocked']);
      expect(await policy.afterBounce(message, 'blocked', now)).toBe('kept');
      expect(await suppressionsOf(recipient.tenantId)).toEqual([]);
    });
  });

  describe('When a message bounces soft', () => {
    it('should suppress the address at the third soft bounce in a row', async () => {
      const recipient = await aRecipient();
      const message = await messagesWith(recipient, ['sent', 'soft', 'soft', 'soft']);
      const position = await runtime.store.lastCommittedPosition();

      expect(await policy.afterBounce(message, 'soft', now, position)).toBe('suppressed');
      expect(await suppressionsOf(recipient.tenantId)).toEqual([
        {
          email_index: recipient.emailIndex,
          reason: 'soft_bounces',
          recipient_id: recipient.recipientId,
        },
      ]);
    });

    it('should count soft bounces with other bounces between them', async () => {
      const recipient = await aRecipient();
      const message = await messagesWith(recipient, ['soft', 'blocked', 'soft', 'hard', 'soft']);
      expect(await policy.afterBounce(message, 'soft', now)).toBe('suppressed');
    });

    it('should keep the address after two soft bounces', async () => {
      const recipient = await aRecipient();
      const message = await messagesWith(recipient, ['sent', 'soft', 'soft']);
      expect(await policy.afterBounce(message, 'soft', now)).toBe('kept');
      expect(await suppressionsOf(recipient.tenantId)).toEqual([]);
    });

    it('should not count the soft bounces before a delivery', async () => {
      const recipient = await aRecipient();
      const message = await messagesWith(recipient, ['soft', 'soft', 'sent', 'soft', 'soft']);
      expect(await policy.afterBounce(message, 'soft', now)).toBe('kept');
      expect(await suppressionsOf(recipient.tenantId)).toEqual([]);
    });

    it('should look back at the last five messages only', async () => {
      const recipient = await aRecipient();
      const message = await messagesWith(recipient, [
        'soft',
        'soft',
        'hard',
        'blocked',
        'blocked',
        'hard',
        'soft',
      ]);
      expect(await policy.afterBounce(message, 'soft', now)).toBe('kept');
    });

    it('should not count another recipient’s soft bounces', async () => {
      const recipient = await aRecipient();
      const other = await aRecipient(recipient.tenantId);
      await messagesWith(other, ['soft', 'soft']);
      const message = await messagesWith(recipient, ['soft']);
      expect(await policy.afterBounce(message, 'soft', now)).toBe('kept');
    });
  });

  describe('When the recipient is gone', () => {
    it('should answer recipient_gone for an erased recipient', async () => {
      const recipient = await aRecipient();
      await runtime.audience.erase(recipient.context, {
        recipientId: recipient.recipientId,
        basis: 'gdpr_art17',
        now,
      });
      const message = { ...recipient, messageId: anId() };
      expect(await policy.afterBounce(message, 'hard', now)).toBe('recipient_gone');
      expect(await policy.afterComplaint(message, now)).toBe('recipient_gone');
      expect(await suppressionsOf(recipient.tenantId)).toEqual([
        { email_index: recipient.emailIndex, reason: 'erased', recipient_id: null },
      ]);
    });

    it('should answer recipient_gone for another tenant’s recipient', async () => {
      const recipient = await aRecipient();
      const stranger = { ...recipient, tenantId: anId(), messageId: anId() };
      expect(await policy.afterBounce(stranger, 'hard', now)).toBe('recipient_gone');
      expect(await suppressionsOf(recipient.tenantId)).toEqual([]);
      expect(await suppressionsOf(stranger.tenantId)).toEqual([]);
    });
  });
});
