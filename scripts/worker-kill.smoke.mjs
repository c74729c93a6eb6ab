// Issue 4: a worker killed mid-campaign (SIGKILL, a real process) and restarted. Every recipient
// must get the campaign, and the only duplicates allowed are the logged crash window: a message
// the killed worker had handed to the SMTP server but not recorded, re-claimed after its lease
// lapsed (a `MessageClaimed` with `expiredClaim`).
//
//   npm run build && DATABASE_URL=postgres://… node scripts/worker-kill.smoke.mjs
//
// Uses the built `dist/`. Two processes cannot share the embedded PGlite, so without DATABASE_URL
// it is skipped. On the server DATABASE_URL names it makes a database `mp_kill_<pid>` and drops it
// at the end. The sink is a capture server in this process, answering each DATA after 20–50 ms so
// the campaign lasts a few seconds. Options (environment): KILL_RECIPIENTS (default 300).
import 'reflect-metadata';

import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { URL, fileURLToPath } from 'node:url';

import pg from 'pg';

import {
  campaignDecider,
  contactListDecider,
  toCampaignStreamId,
  toContactListStreamId,
  toMessageStreamId,
} from '../dist/libs/domain/src/index.js';
import {
  MailpackrRuntime,
  SmtpCaptureServer,
  loadConfig,
  uuidFromName,
} from '../dist/libs/platform/src/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RECIPIENTS = Number(process.env.KILL_RECIPIENTS ?? 300);
const LEASE_MS = 3000;
const FINISH_TIMEOUT_MS = 120_000;
const say = (line) => console.log(`worker-kill: ${line}`);

class SmokeFailure extends Error {}
const fail = (message) => {
  throw new SmokeFailure(message);
};

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  say('skipped: needs DATABASE_URL (two processes cannot share the embedded PGlite)');
  process.exit(0);
}

const database = `mp_kill_${process.pid}`;
const url = new URL(databaseUrl);
url.pathname = `/${database}`;
const connectionString = url.toString();
const kek = randomBytes(32).toString('base64');
const work = mkdtempSync(join(tmpdir(), 'mp-worker-kill-'));

/** Children still running: killed on any way out. */
const children = new Set();
const killChildren = () => {
  for (const child of children) child.kill('SIGKILL');
};
process.once('exit', killChildren);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    killChildren();
    process.exit(130);
  });
}

const admin = async (sql) => {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
};

/** `node dist/apps/worker/src/main.js` on the scratch database, sending to the sink. */
const startWorker = (name, sinkUrl) => {
  const log = join(work, `${name}.log`);
  const fd = openSync(log, 'a');
  const child = spawn(process.execPath, [join(root, 'dist/apps/worker/src/main.js')], {
    cwd: work,
    stdio: ['ignore', fd, fd],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      MAILPACKR_MODE: 'worker',
      DATABASE_URL: connectionString,
      MAILPACKR_KEK: kek,
      MAILPACKR_DATA_DIR: join(work, name),
      SMTP_URL: sinkUrl,
      MAILPACKR_CLAIM_LEASE_MS: String(LEASE_MS),
      // The lease must outlive an SMTP transaction (3 timeouts): a short lease needs short timeouts.
      MAILPACKR_SMTP_TIMEOUT_MS: String(Math.floor(LEASE_MS / 3)),
      MAILPACKR_DELIVERY_INTERVAL_MS: '100',
      MAILPACKR_SEND_RATE: '10000',
      MAILPACKR_SEND_BURST: '10000',
      MAILPACKR_SCHEDULER_INTERVAL_MS: '0',
      MAILPACKR_RETENTION_INTERVAL_MINUTES: '0',
    },
  });
  children.add(child);
  const exited = new Promise((resolveExit) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolveExit({ code, signal });
    }),
  );
  return { name, child, log, exited };
};

const tail = (file, lines = 30) => {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
};

const statusCounts = async (runtime, campaignId) => {
  const rows = await runtime.readModels.query(
    'SELECT status, count(*)::int AS n FROM messages WHERE campaign_id = $1 GROUP BY status',
    [campaignId],
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
};

const main = async () => {
  const started = Date.now();
  await admin(`DROP DATABASE IF EXISTS ${database}`);
  await admin(`CREATE DATABASE ${database}`);
  say(`database ${database}, ${RECIPIENTS} recipients, lease ${LEASE_MS} ms`);
  let runtime;
  let sink;
  const workers = [];
  try {
    // The receiving server: stores each message, then answers DATA after 20–50 ms.
    sink = await SmtpCaptureServer.start({ dir: join(work, 'sink'), host: '127.0.0.1', port: 0 });
    runtime = await MailpackrRuntime.start(
      loadConfig(
        {},
        {
          DATABASE_URL: connectionString,
          MAILPACKR_KEK: kek,
          MAILPACKR_DATA_DIR: join(work, 'script'),
          NODE_ENV: 'production',
          MAILPACKR_DELIVERY_INTERVAL_MS: '0',
          MAILPACKR_READ_YOUR_WRITES_TIMEOUT_MS: '60000',
        },
      ),
    );

    // A tenant, a list of RECIPIENTS people over three domains, a campaign to it, launched.
    const { tenantId } = await runtime.tenants.createTenant({
      name: 'Worker Kill',
      plan: 'pro',
      actor: 'smoke',
    });
    const context = { tenantId, actor: 'smoke' };
    const listId = uuidFromName(`list:${tenantId}:worker-kill`);
    await runtime.commands.handle(
      toContactListStreamId(listId),
      contactListDecider,
      {
        type: 'CreateContactList',
        data: { listId, tenantId, name: 'Everyone' },
        metadata: { now: new Date() },
      },
      context,
    );
    const emails = Array.from({ length: RECIPIENTS }, (_, i) => `r${i}@kill${i % 3}.example`);
    emails.forEach((email, i) => sink.setScript(email, { data: { delayMs: 20 + (i % 31) } }));
    const imported = await runtime.contactImport.run({
      context,
      listId,
      source: Readable.from([['email', ...emails].join('\n')]),
    });
    if (imported.added !== RECIPIENTS) fail(`imported ${imported.added} of ${RECIPIENTS}`);
    await runtime.projections.catchUp();
    const campaignId = randomUUID();
    await runtime.commands.handle(
      toCampaignStreamId(campaignId),
      campaignDecider,
      {
        type: 'DraftCampaign',
        data: {
          campaignId,
          tenantId,
          name: 'Kill',
          subject: 'Hello',
          fromAddress: 'news@kill.example',
          mjmlBody:
            '<mjml><mj-body><mj-section><mj-column><mj-text>Hi</mj-text></mj-column></mj-section></mj-body></mjml>',
          listIds: [listId],
        },
        metadata: { now: new Date() },
      },
      context,
    );
    await runtime.projections.catchUp();
    const launched = await runtime.campaigns.launch(context, { campaignId, now: new Date() });
    if (launched.recipients !== RECIPIENTS) fail(`launched to ${launched.recipients} recipients`);
    await runtime.projections.catchUp();
    say(`campaign launched (${Date.now() - started} ms)`);

    // The first worker, killed with SIGKILL once the sink has about a third of the mail.
    const first = startWorker('worker-1', sink.url);
    workers.push(first);
    const third = Math.ceil(RECIPIENTS / 3);
    const deadline = Date.now() + FINISH_TIMEOUT_MS;
    const spawned = Date.now();
    let firstMail = 0;
    while (sink.messages.length < third) {
      if (!firstMail && sink.messages.length > 0) firstMail = Date.now();
      if (children.size === 0 || Date.now() > deadline) {
        fail(`worker-1 sent ${sink.messages.length} before it stopped or timed out`);
      }
      await sleep(5);
    }
    const killedPid = first.child.pid;
    first.child.kill('SIGKILL');
    const { signal } = await first.exited;
    if (signal !== 'SIGKILL') fail(`worker-1 ended with ${signal}, not SIGKILL`);
    const atKill = sink.messages.length;
    say(
      `worker-1 killed (SIGKILL) with ${atKill} messages at the sink: its first mail ` +
        `${firstMail - spawned} ms after its start, the kill ${Date.now() - firstMail} ms later`,
    );

    // The restart: a second worker takes the rest, and the lapsed claims once LEASE_MS is over.
    const second = startWorker('worker-2', sink.url);
    workers.push(second);
    let counts = {};
    for (;;) {
      counts = await statusCounts(runtime, campaignId);
      const open = (counts.queued ?? 0) + (counts.sending ?? 0) + (counts.deferred ?? 0);
      if (open === 0) break;
      if (children.size === 0) fail(`worker-2 exited with ${open} messages open`);
      if (Date.now() > deadline) {
        fail(
          `still ${open} messages open after ${FINISH_TIMEOUT_MS} ms: ${JSON.stringify(counts)}`,
        );
      }
      await sleep(200);
    }
    say(`campaign done (${Date.now() - started} ms): ${JSON.stringify(counts)}`);
    if (counts.sent !== RECIPIENTS) fail(`${counts.sent ?? 0} of ${RECIPIENTS} messages sent`);

    // What the sink got, by recipient, against each message's log.
    const copies = new Map();
    for (const { rcptTo, messageId } of sink.messages) {
      for (const to of rcptTo) copies.set(to, [...(copies.get(to) ?? []), messageId]);
    }
    const missing = emails.filter((e) => !copies.has(e));
    if (missing.length > 0) fail(`${missing.length} recipients got nothing (e.g. ${missing[0]})`);
    const strangers = [...copies.keys()].filter((to) => !emails.includes(to));
    if (strangers.length > 0) fail(`mail to addresses not in the list: ${strangers.join(', ')}`);

    const secondLog = readFileSync(second.log, 'utf8');
    let lapsedClaims = 0;
    let duplicates = 0;
    const unexplained = [];
    for (const [to, ids] of copies) {
      const messageId = /^<([0-9a-f-]+)@/.exec(ids[0] ?? '')?.[1];
      if (!messageId || ids.some((id) => id !== ids[0])) {
        fail(`${to}: copies with different or missing Message-IDs: ${ids.join(', ')}`);
      }
      const events = await runtime.store.readStream(toMessageStreamId(messageId));
      const lapsed = events.filter((e) => e.type === 'MessageClaimed' && e.data.expiredClaim);
      lapsedClaims += lapsed.length;
      if (ids.length === 1) continue;
      duplicates += ids.length - 1;
      // Each extra copy must be a lapsed claim, and that claim must have been logged.
      const logged = secondLog.includes(`Message ${messageId}: the claim of`);
      const ofKilled = lapsed.every((e) => e.data.expiredClaim.workerId.includes(`:${killedPid}:`));
      if (ids.length - 1 > lapsed.length || !logged || !ofKilled) {
        unexplained.push(
          `message ${messageId}: ${ids.length} copies, ${lapsed.length} lapsed claims, ` +
            `warning ${logged ? 'logged' : 'not logged'}, ` +
            `lapsed claims of ${lapsed.map((e) => e.data.expiredClaim.workerId).join(', ')}; events ${events.map((e) => e.type).join(' ')}`,
        );
      }
    }
    say(
      `${sink.messages.length} messages at the sink for ${RECIPIENTS} recipients: ` +
        `${duplicates} duplicates, ${lapsedClaims} lapsed claims (${atKill} before the kill)`,
    );
    if (unexplained.length > 0) {
      fail(`duplicates outside the logged crash window:\n  ${unexplained.join('\n  ')}`);
    }
    say(`every recipient got the campaign; duplicates only in the logged crash window`);
  } catch (error) {
    for (const w of workers) console.error(`--- ${w.name} log (last lines)\n${tail(w.log)}`);
    throw error;
  } finally {
    killChildren();
    await Promise.all(workers.map((w) => w.exited));
    await runtime?.close();
    await sink?.close();
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch((error) =>
      console.error(`worker-kill: could not drop ${database}: ${error.message}`),
    );
    rmSync(work, { recursive: true, force: true });
  }
};

main().then(
  () => process.exit(0),
  (error) => {
    console.error(
      `worker-kill: FAILED: ${error instanceof SmokeFailure ? error.message : (error?.stack ?? error)}`,
    );
    process.exit(1);
  },
);
