import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';

import type { MailpackrRuntime } from '#platform';

import { CliAccessError } from './cli-caller.js';
import { UsageError } from './recipient.commands.js';

export const SESSION_COMMANDS = ['login', 'logout'] as const;
export type SessionCommand = (typeof SESSION_COMMANDS)[number];

export const isSessionCommand = (command: unknown): command is SessionCommand =>
  SESSION_COMMANDS.includes(command as SessionCommand);

export const SESSION_USAGE = `Support staff can run tenant commands as themselves instead of as an API key:
  mailpackr login --email <address>
      Reads the password from standard input (a hidden prompt on a terminal, else the first line
      piped in) and prints only the session token, for MAILPACKR_SESSION_TOKEN:
        export MAILPACKR_SESSION_TOKEN=$(mailpackr login --email ada@acme.example)
      Commands then run with the account's current role, and the history names the account.
  mailpackr logout
      Ends the session in MAILPACKR_SESSION_TOKEN (as the logout mutation does).`;

/** Where `login` and `logout` read and write: stdout gets only the token, the rest goes to stderr. */
export interface SessionIo {
  out: (line?: string) => void;
  info: (line: string) => void;
  /** The password, as typed or piped in. */
  password: () => Promise<string>;
}

/**
 * The password from standard input: on a terminal a prompt (on stderr) whose typing is not echoed,
 * otherwise the first line piped in. End of input before a line: a usage error, never a wait.
 */
export const readPassword = (
  input: NodeJS.ReadableStream & { isTTY?: boolean } = process.stdin,
  output: NodeJS.WritableStream = process.stderr,
): Promise<string> =>
  new Promise((resolve, reject) => {
    const terminal = Boolean(input.isTTY);
    let muted = false;
    // readline echoes what is typed to its output: everything after the prompt is swallowed.
    const echo = new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        if (!muted) output.write(chunk);
        done();
      },
    });
    const rl = createInterface({ input, output: echo, terminal });
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      rl.close();
      if (terminal) output.write('\n');
      outcome();
    };
    rl.once('line', (line) => settle(() => resolve(line)));
    rl.once('close', () =>
      settle(() => reject(new UsageError('login needs the password on standard input'))),
    );
    rl.once('SIGINT', () => settle(() => reject(new Error('login cancelled'))));
    if (terminal) output.write('Password: ');
    muted = true;
  });

/**
 * `login` opens a session exactly as the `login` mutation does (same password check, same answer
 * for an unknown address and a wrong password, same limits and lifetimes); `logout` ends one.
 */
export const runSessionCommand = async (
  runtime: MailpackrRuntime,
  command: SessionCommand,
  values: Record<string, unknown>,
  io: SessionIo,
  options: { sessionToken?: string; now?: () => Date } = {},
): Promise<number> => {
  const now = options.now ?? (() => new Date());
  // Accounts are found, and sessions checked, in the accounts read model: current first.
  await runtime.projections.catchUp(['accounts']);
  if (command === 'login') {
    const email = values.email;
    if (typeof email !== 'string' || email.trim() === '')
      throw new UsageError('login needs --email <address>');
    const password = await io.password();
    const outcome = await runtime.registeredAccounts.login({
      email,
      password,
      // No network peer: every CLI login counts against the same address for the limits.
      ip: 'cli',
      now: now(),
    });
    switch (outcome.status) {
      case 'limited':
        throw new CliAccessError(
          'UNAUTHENTICATED',
          `Too many failed logins: retry in ${outcome.retryAfterSeconds} s`,
        );
      case 'invalid':
        throw new CliAccessError('UNAUTHENTICATED', 'The email address or the password is wrong');
      case 'ok':
        io.out(outcome.session.token);
        io.info(
          `Logged in: account ${outcome.accountId}, role ${outcome.role}, tenant ${outcome.tenantId}. ` +
            `The session ends at ${outcome.session.expiresAt.toISOString()}, or when idle until ` +
            `${outcome.session.idleExpiresAt.toISOString()} (each command slides it). ` +
            'Keep the token in MAILPACKR_SESSION_TOKEN; mailpackr logout ends it.',
        );
        return 0;
    }
  }
  const { sessionToken } = options;
  if (!sessionToken)
    throw new UsageError('logout ends the session in MAILPACKR_SESSION_TOKEN: set it first');
  const checked = await runtime.sessions.check(sessionToken, now());
  if (checked.status !== 'active') {
    io.info(`The session had already ended (${checked.status}).`);
    return 0;
  }
  await runtime.sessions.revoke(checked.sessionId, now());
  io.info('Logged out: the session is ended.');
  return 0;
};
