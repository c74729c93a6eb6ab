import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import nodemailer, { type Transporter } from 'nodemailer';

import { sqlBackends } from '#testing';

import { InboundMailService } from '../../worker/src/inbound-mail.service.js';
import { ApiTestApp } from './api-test-app.js';

const BOUNCE_DOMAIN = 'bounces.acme.test';

const CREATE_LIST = `mutation($name: String!) { createContactList(input: { name: $name }) { id } }`;
const ADD = `mutation($input: AddRecipientInput!) { addRecipient(input: $input) { id } }`;
const DRAFT = `mutation($input: DraftCampaignInput!) { draftCampaign(input: $input) { id } }`;
const LAUNCH = `mutation($id: ID!) { launchCampaign(input: { id: $id }) {
  status audience { recipients excluded { suppressed } } } }`;
const DELIVERY = `query($id: ID!) { campaign(id: $id) { delivery {
  sent bounced bouncedHard bouncedSoft bouncedBlocked complained unsubscribed total } } }`;
const RECIPIENT = `query($id: ID!) { recipient(id: $id) {
  memberships { listId status }
  messages(first: 10) { edges { node { campaignId status bounceKind complainedAt unsubscribedAt lastReply } } }
} }`;
const SUPPRESSIONS = `query { suppressions(first: 100) { edges { node { reason recipientId } } } }`;
const SENDING = `query { sending { paused reason pauseRate pauseThreshold messages bounced complained bounceRate } }`;
const RESUME = `mutation { resumeSending { paused reason } }`;
const PAUSE = `mutation { pauseSending { paused reason } }`;

const MJML =
  '<mjml><mj-body><mj-section><mj-column><mj-text>Hi {{firstName}}</mj-text></mj-column></mj-section></mj-body></mjml>';

interface Sent {
  recipientId: string;
  email: string;
  /** The message's VERP return path (`bounces+<token>@<domain>`). */
  returnPath: string;
  /** The token in the List-Unsubscribe mailto's subject. */
  mailtoToken: string;
  /** Our headers, as a DSN or an ARF report returns them. */
  headers: string;
}

/** An RFC 3464 delivery status notification about one of our messages. */
const dsn = (sent: Sent, action: 'failed' | 'delayed', status: string, diagnostic: string) =>
  [
    'From: Mail Delivery System <MAILER-DAEMON@mx.example.org>',
    `To: ${sent.returnPath}`,
    'Subject: Undelivered Mail Returned to Sender',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="B1"',
    '',
    '--B1',
    'Content-Type: text/plain',
    '',
    'Your message could not be delivered.',
    '',
    '--B1',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.example.org',
    '',
    `Final-Recipient: rfc822; ${sent.email}`,
    `Action: ${action}`,
    `Status: ${status}`,
    `Diagnostic-Code: smtp; ${diagnostic}`,
    '',
    '--B1',
    'Content-Type: text/rfc822-headers',
    '',
    sent.headers,
    '',
    '--B1--',
    '',
  ].join('\r\n');

/** An RFC 5965 abuse report (a mailbox provider's feedback loop) returning our message. */
const arf = (sent: Sent) =>
  [
    'From: Feedback Loop <fbl@isp.example>',
    `To: feedback@${BOUNCE_DOMAIN}`,
    'Subject: FW: complaint',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=feedback-report; boundary="F1"',
    '',
    '--F1',
    'Content-Type: text/plain',
    '',
    'This is an email abuse report.',
    '',
    '--F1',
    'Content-Type: message/feedback-report',
    '',
    'Feedback-Type: abuse',
    'User-Agent: ISP-FBL/1.0',
    'Version: 1',
    '',
    '--F1',
    'Content-Type: message/rfc822',
    '',
    sent.headers,
    '',
    'Hi there',
    '',
    '--F1--',
    '',
  ].join('\r\n');

describe.each(sqlBackends())('Bounces, complaints and mailto unsubscribes (%s)', (backend) => {
  let api: ApiTestApp;
  let apiKey: string;
  let inbound: Transporter;

  beforeAll(async () => {
    api = await ApiTestApp.start(backend, {
      MAILPACKR_SCHEDULER_INTERVAL_MS: '0',
      MAILPACKR_BOUNCE_DOMAIN: BOUNCE_DOMAIN,
      MAILPACKR_INBOUND_SMTP_PORT: '0',
      // One bounce in four would pause the tenant: this block looks at the policy, not the pause.
      MAILPACKR_PAUSE_MIN_MESSAGES: '1000',
    });
    ({ apiKey } = await api.createTenant('Bouncers Ltd'));
    await api.runtime.delivery.open(); // the capture server, and its outbox folder
    const port = api.app.get(InboundMailService).port;
    expect(port).toBeGreaterThan(0);
    inbound = nodemailer.createTransport({
      host: '127.0.0.1',
      port,
      secure: false,
      ignoreTLS: true,
    });
  });
  afterAll(async () => {
    inbound?.close();
    await api.stop();
  });

  const ok = async <T>(query: string, variables: Record<string, unknown> = {}): Promise<T> => {
    const res = await api.graphql<T>(query, variables, apiKey);
    expect(res.errors).toBeUndefined();
    return res.data!;
  };
  const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  const send = (to: string, raw: string, from = '') =>
    inbound.sendMail({ envelope: { from, to: [to] }, raw });

  /** A list of people, a campaign to it, sent to the capture server: what each one got. */
  const sendCampaign = async (names: readonly string[]) => {
    const listId = (
      await ok<{ createContactList: { id: string } }>(CREATE_LIST, { name: `L ${unique()}` })
    ).createContactList.id;
    const people = new Map<string, { id: string; email: string }>();
    for (const name of names) {
      const email = `${name}.${unique()}@example.org`;
      const { id } = (
        await ok<{ addRecipient: { id: string } }>(ADD, {
          input: { email, name, listIds: [listId] },
        })
      ).addRecipient;
      people.set(name, { id, email });
    }
    const campaignId = await launch(listId);
    const before = new Set(await outboxFiles());
    const run = await api.runtime.delivery.runOnce();
    // Earlier tests' campaigns may still have mail due: only this campaign's people count here.
    expect(run.sent).toBeGreaterThanOrEqual(names.length);
    const sent = new Map<string, Sent>();
    for (const file of (await outboxFiles()).filter((f) => !before.has(f))) {
      const raw = await readFile(join(api.runtime.delivery.outboxDir!, file), 'utf8');
      const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
      const to = /^To: (.*)$/im.exec(head)![1]!.trim();
      const found = [...people].find(([, p]) => to.includes(p.email));
      if (!found) continue;
      const [name, person] = found;
      sent.set(name, {
        recipientId: person.id,
        email: person.email,
        returnPath: /^Return-Path: <([^>]+)>/im.exec(head)![1]!,
        mailtoToken: /subject=unsubscribe%20([a-z2-7]+)/i.exec(head)![1]!,
        headers: head,
      });
    }
    expect(sent.size).toBe(names.length);
    return { listId, campaignId, sent };
  };
  const launch = async (listId: string) => {
    const { id } = (
      await ok<{ draftCampaign: { id: string } }>(DRAFT, {
        input: {
          name: 'News',
          subject: 'News',
          fromAddress: 'news@acme.example',
          mjmlBody: MJML,
          listIds: [listId],
        },
      })
    ).draftCampaign;
    await ok(LAUNCH, { id });
    return id;
  };
  const outboxFiles = async () =>
    (await readdir(api.runtime.delivery.outboxDir!)).filter((f) => f.endsWith('.eml'));
  const delivery = async (campaignId: string) => {
    await api.caughtUp(['messages']);
    return (
      await ok<{ campaign: { delivery: Record<string, number> } }>(DELIVERY, { id: campaignId })
    ).campaign.delivery;
  };
  const recipient = async (id: string) =>
    (
      await ok<{
        recipient: {
          memberships: Array<{ listId: string; status: string }>;
          messages: { edges: Array<{ node: Record<string, unknown> }> };
        };
      }>(RECIPIENT, { id })
    ).recipient;
  const suppressionOf = async (recipientId: string) => {
    await api.caughtUp(['suppressions']);
    const data = await ok<{
      suppressions: { edges: Array<{ node: { reason: string; recipientId: string | null } }> };
    }>(SUPPRESSIONS);
    return data.suppressions.edges.find((e) => e.node.recipientId === recipientId)?.node.reason;
  };

  describe('When bounces, a complaint and a mailto unsubscribe come back over SMTP', () => {
    it('should record each on its message, suppress as the policy says, and count them on the campaign', async () => {
      const { listId, campaignId, sent } = await sendCampaign([
        'hard',
        'late',
        'blocked',
        'angry',
        'leaver',
      ]);
      const hard = sent.get('hard')!;

      // Given a DSN for a mailbox that does not exist, to the message's VERP return path
      await send(hard.returnPath, dsn(hard, 'failed', '5.1.1', '550 5.1.1 <x@y> User unknown'));
      // And a delay notice (nothing to act on) and a policy block
      const late = sent.get('late')!;
      await send(late.returnPath, dsn(late, 'delayed', '4.4.7', '451 4.4.7 Delayed'));
      const blocked = sent.get('blocked')!;
      await send(
        blocked.returnPath,
        dsn(blocked, 'failed', '5.7.1', '550 5.7.1 Rejected by policy'),
      );
      // And an abuse report to the feedback-loop mailbox, naming the message by its return path
      const angry = sent.get('angry')!;
      await send(`feedback@${BOUNCE_DOMAIN}`, arf(angry), 'fbl@isp.example');
      // And a reply to the List-Unsubscribe mailto
      const leaver = sent.get('leaver')!;
      await send(
        `unsubscribe@${BOUNCE_DOMAIN}`,
        `From: ${leaver.email}\r\nTo: unsubscribe@${BOUNCE_DOMAIN}\r\nSubject: unsubscribe ${leaver.mailtoToken}\r\n\r\n`,
        leaver.email,
      );

      // Then the hard bounce is on its message and the address is suppressed
      const hardTimeline = await recipient(hard.recipientId);
      expect(hardTimeline.messages.edges[0]!.node).toMatchObject({
        campaignId,
        status: 'BOUNCED',
        bounceKind: 'HARD',
      });
      expect(hardTimeline.messages.edges[0]!.node.lastReply).not.toContain(hard.email);
      expect(await suppressionOf(hard.recipientId)).toBe('HARD_BOUNCE');
      // The delay changes nothing; the policy block bounces without suppressing anyone
      expect((await recipient(late.recipientId)).messages.edges[0]!.node.status).toBe('SENT');
      expect((await recipient(blocked.recipientId)).messages.edges[0]!.node).toMatchObject({
        status: 'BOUNCED',
        bounceKind: 'BLOCKED',
      });
      expect(await suppressionOf(blocked.recipientId)).toBeUndefined();
      // The complaint marks the message (still sent) and suppresses the address
      const angryMessage = (await recipient(angry.recipientId)).messages.edges[0]!.node;
      expect(angryMessage.status).toBe('SENT');
      expect(angryMessage.complainedAt).toEqual(expect.any(String));
      expect(await suppressionOf(angry.recipientId)).toBe('COMPLAINT');
      // The mailto unsubscribe leaves the campaign's list at once
      const leaverNow = await recipient(leaver.recipientId);
      expect(leaverNow.memberships).toEqual([{ listId, status: 'UNSUBSCRIBED' }]);
      expect(leaverNow.messages.edges[0]!.node.unsubscribedAt).toEqual(expect.any(String));
      // And the campaign counts all of it
      expect(await delivery(campaignId)).toMatchObject({
        sent: 3,
        bounced: 2,
        bouncedHard: 1,
        bouncedSoft: 0,
        bouncedBlocked: 1,
        complained: 1,
        unsubscribed: 1,
        total: 5,
      });

      // When the same DSN and the same report arrive again
      await send(hard.returnPath, dsn(hard, 'failed', '5.1.1', '550 5.1.1 User unknown'));
      await send(`feedback@${BOUNCE_DOMAIN}`, arf(angry), 'fbl@isp.example');
      // Then nothing is counted twice
      expect(await delivery(campaignId)).toMatchObject({ bouncedHard: 1, complained: 1 });

      // And a later campaign to the same list leaves the suppressed and the unsubscribed out
      const next = (
        await ok<{
          launchCampaign: { audience: { recipients: number; excluded: { suppressed: number } } };
        }>(LAUNCH, { id: await draftOnly(listId) })
      ).launchCampaign;
      expect(next.audience.recipients).toBe(2); // late and blocked
      expect(next.audience.excluded.suppressed).toBe(2); // hard and angry
    });
  });

  describe('When three soft bounces in a row come back for one recipient', () => {
    it('should suppress the address on the third, not before', async () => {
      const rounds: Sent[] = [];
      const { listId, sent } = await sendCampaign(['soft']);
      rounds.push(sent.get('soft')!);
      for (let i = 0; i < 2; i++) {
        await launch(listId);
        const before = new Set(await outboxFiles());
        expect((await api.runtime.delivery.runOnce()).sent).toBe(1);
        const file = (await outboxFiles()).find((f) => !before.has(f))!;
        const raw = await readFile(join(api.runtime.delivery.outboxDir!, file), 'utf8');
        const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
        rounds.push({
          ...rounds[0]!,
          returnPath: /^Return-Path: <([^>]+)>/im.exec(head)![1]!,
          headers: head,
        });
      }
      const person = rounds[0]!.recipientId;
      await send(
        rounds[0]!.returnPath,
        dsn(rounds[0]!, 'failed', '5.2.2', '552 5.2.2 Mailbox full'),
      );
      await send(rounds[1]!.returnPath, dsn(rounds[1]!, 'failed', '4.2.2', '452 4.2.2 Over quota'));
      expect(await suppressionOf(person)).toBeUndefined();
      await send(
        rounds[2]!.returnPath,
        dsn(rounds[2]!, 'failed', '5.2.2', '552 5.2.2 Mailbox full'),
      );
      expect(await suppressionOf(person)).toBe('SOFT_BOUNCES');
    });
  });

  describe('When mail that is not ours, or not a report, reaches the listener', () => {
    it('should refuse unknown and forged mailboxes at RCPT TO, and accept but ignore unreadable mail', async () => {
      const { sent } = await sendCampaign(['ok']);
      const mine = sent.get('ok')!;
      const forged = mine.returnPath.replace(
        /\+([a-z2-7])/,
        (_, c: string) => `+${c === 'a' ? 'b' : 'a'}`,
      );
      for (const to of [`postmaster@${BOUNCE_DOMAIN}`, forged, `bounces+abc@other.example`]) {
        await expect(send(to, 'Subject: x\r\n\r\nx')).rejects.toMatchObject({ responseCode: 550 });
      }
      await expect(
        send(mine.returnPath, 'Subject: hello\r\n\r\nnot a report'),
      ).resolves.toMatchObject({
        accepted: [mine.returnPath],
      });
      expect((await recipient(mine.recipientId)).messages.edges[0]!.node.status).toBe('SENT');
    });
  });

  const draftOnly = async (listId: string) =>
    (
      await ok<{ draftCampaign: { id: string } }>(DRAFT, {
        input: {
          name: 'Next',
          subject: 'Next',
          fromAddress: 'news@acme.example',
          mjmlBody: MJML,
          listIds: [listId],
        },
      })
    ).draftCampaign.id;
});

describe.each(sqlBackends())('Automatic sending pause (%s)', (backend) => {
  let api: ApiTestApp;
  let apiKey: string;
  let inbound: Transporter;

  beforeAll(async () => {
    api = await ApiTestApp.start(backend, {
      MAILPACKR_SCHEDULER_INTERVAL_MS: '0',
      MAILPACKR_BOUNCE_DOMAIN: BOUNCE_DOMAIN,
      MAILPACKR_INBOUND_SMTP_PORT: '0',
      MAILPACKR_PAUSE_MIN_MESSAGES: '4',
    });
    ({ apiKey } = await api.createTenant('Risky Ltd'));
    inbound = nodemailer.createTransport({
      host: '127.0.0.1',
      port: api.app.get(InboundMailService).port,
      secure: false,
      ignoreTLS: true,
    });
  });
  afterAll(async () => {
    inbound?.close();
    await api.stop();
  });

  const ok = async <T>(query: string, variables: Record<string, unknown> = {}): Promise<T> => {
    const res = await api.graphql<T>(query, variables, apiKey);
    expect(res.errors).toBeUndefined();
    return res.data!;
  };

  it('should pause the tenant when its bounce rate passes the limit, send nothing until resumed, then send', async () => {
    // Given a campaign of 5 sent to the capture server
    const listId = (await ok<{ createContactList: { id: string } }>(CREATE_LIST, { name: 'All' }))
      .createContactList.id;
    const emails: string[] = [];
    for (let i = 0; i < 5; i++) {
      const email = `p${i}.${Date.now().toString(36)}@example.org`;
      emails.push(email);
      await ok(ADD, { input: { email, name: `P${i}`, listIds: [listId] } });
    }
    const draft = async () =>
      (
        await ok<{ draftCampaign: { id: string } }>(DRAFT, {
          input: {
            name: 'N',
            subject: 'N',
            fromAddress: 'n@acme.example',
            mjmlBody: MJML,
            listIds: [listId],
          },
        })
      ).draftCampaign.id;
    await ok(LAUNCH, { id: await draft() });
    expect((await api.runtime.delivery.runOnce()).sent).toBe(5);
    const dir = api.runtime.delivery.outboxDir!;
    const files = (await readdir(dir)).filter((f) => f.endsWith('.eml'));
    const head = (await readFile(join(dir, files[0]!), 'utf8')).split('\r\n\r\n')[0]!;
    const email = emails.find((e) => head.includes(e))!;
    const returnPath = /^Return-Path: <([^>]+)>/im.exec(head)![1]!;
    expect((await ok<{ sending: { paused: boolean } }>(SENDING)).sending.paused).toBe(false);

    // When one of the five hard-bounces (20% > 10%)
    await inbound.sendMail({
      envelope: { from: '', to: [returnPath] },
      raw: dsn(
        { recipientId: '', email, returnPath, mailtoToken: '', headers: head },
        'failed',
        '5.1.1',
        '550 5.1.1 User unknown',
      ),
    });

    // Then the tenant's sending is paused, with the rate it saw
    await api.caughtUp(['tenants']);
    expect((await ok<{ sending: Record<string, unknown> }>(SENDING)).sending).toMatchObject({
      paused: true,
      reason: 'BOUNCE_RATE',
      pauseRate: 0.2,
      pauseThreshold: 0.1,
      messages: 5,
      bounced: 1,
    });
    // And a new campaign queues but sends nothing
    await ok(LAUNCH, { id: await draft() });
    expect((await api.runtime.delivery.runOnce()).sent).toBe(0);

    // When sending is resumed, the old figures do not pause it again
    expect((await ok<{ resumeSending: Record<string, unknown> }>(RESUME)).resumeSending).toEqual({
      paused: false,
      reason: null,
    });
    expect((await api.runtime.delivery.runOnce()).sent).toBe(4); // the bounced address is suppressed
    await api.runtime.delivery.runOnce(); // the health check of the last run's verdicts
    await api.caughtUp(['tenants']);
    expect((await ok<{ sending: { paused: boolean } }>(SENDING)).sending.paused).toBe(false);

    // And a manual pause holds until resumed, idempotently
    expect((await ok<{ pauseSending: Record<string, unknown> }>(PAUSE)).pauseSending).toEqual({
      paused: true,
      reason: 'MANUAL',
    });
    expect((await ok<{ pauseSending: Record<string, unknown> }>(PAUSE)).pauseSending.paused).toBe(
      true,
    );
    expect(
      (await ok<{ resumeSending: Record<string, unknown> }>(RESUME)).resumeSending.paused,
    ).toBe(false);
  });
});
