import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { toRecipientStreamId } from '#domain';
import { isErasureReceiptIntact, type ErasureReceipt } from '#privacy';
import { sqlBackends } from '#testing';

import { CliAccessError, type CliCaller, cliCaller } from '../src/cli/cli-caller.js';
import { UsageError, runRecipientCommand } from '../src/cli/recipient.commands.js';
import { runSessionCommand } from '../src/cli/session.commands.js';
import { ApiTestApp } from './api-test-app.js';

const ADD = `mutation($input: AddRecipientInput!) { addRecipient(input: $input) { id } }`;
const GET = `query($id: ID!) { recipient(id: $id) { status restricted objected } }`;

/** The support-staff CLI commands, run in-process against a live app (as `mailpackr …` runs them). */
describe.each(sqlBackends())('Support CLI (%s)', (backend) => {
  let api: ApiTestApp;
  let apiKey: string;
  let tenantId: string;
  let work: string;
  let support: CliCaller;

  beforeAll(async () => {
    api = await ApiTestApp.start(backend);
    ({ apiKey, tenantId } = await api.createTenant('Support Ltd'));
    const supportKey = await api.runtime.tenants.issueApiKey({
      tenantId,
      role: 'support',
      label: 'Support desk',
      actor: 'test:owner',
    });
    await api.caughtUp(['api-keys']);
    support = await cliCaller(api.runtime, { apiKey: supportKey.apiKey }, tenantId);
    work = mkdtempSync(join(tmpdir(), 'mailpackr-cli-'));
  });
  afterAll(async () => {
    await api.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const cli = async (
    command: Parameters<typeof runRecipientCommand>[1],
    args: string[],
    values: Record<string, string>,
  ) => {
    const lines: string[] = [];
    const code = await runRecipientCommand(
      api.runtime,
      command,
      args,
      values,
      (l = '') => lines.push(l),
      support,
    );
    return { code, text: lines.join('\n') };
  };
  const add = async (email: string) => {
    const res = await api.graphql<{ addRecipient: { id: string } }>(
      ADD,
      { input: { email, name: 'Cli Person' } },
      apiKey,
    );
    expect(res.errors).toBeUndefined();
    return res.data!.addRecipient.id;
  };

  describe('When support staff handle a person’s requests from the command line', () => {
    it('should restrict, object, export to a private file, erase with a receipt and list the requests', async () => {
      const email = `cli.${randomUUID()}@example.org`;
      const id = await add(email);
      expect(
        (await cli('restrict', [], { email: email.toUpperCase(), reference: 'SUP-1' })).text,
      ).toContain('restricted');
      expect((await cli('object', [], { recipient: id })).text).toContain('objected');
      const status = await api.graphql<{ recipient: { restricted: boolean; objected: boolean } }>(
        GET,
        { id },
        apiKey,
      );
      expect(status.data!.recipient).toMatchObject({ restricted: true, objected: true });

      const file = join(work, 'export.json');
      expect((await cli('export', [], { email, out: file, regulation: 'ccpa' })).code).toBe(0);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ recipient: { id, email } });
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const csv = join(work, 'export.csv');
      await cli('export', [], { recipient: id, format: 'csv', out: csv });
      expect(readFileSync(csv, 'utf8')).toMatch(/^section,key,value\r\nprofile,id,/);

      const erased = await cli('erase', [], { email, reference: 'SUP-2' });
      const receipt = JSON.parse(erased.text) as ErasureReceipt;
      expect(receipt).toMatchObject({ subjectId: id, basis: 'gdpr_art17', reference: 'SUP-2' });
      expect(isErasureReceiptIntact(receipt)).toBe(true);
      const again = await cli('erase', [], { recipient: id });
      expect(again.text).toContain('Already erased');
      expect(again.text).toContain(receipt.receiptHash);

      const requests = await cli('requests', [], { status: 'completed' });
      expect(requests.text).toMatch(/restriction\s+GDPR .* completed \(restricted\)/);
      expect(requests.text).toMatch(/objection\s+GDPR .* completed \(objected\)/);
      expect(requests.text).toMatch(/access\s+CCPA .* completed \(exported\)/);
      expect(requests.text).toMatch(/erasure\s+GDPR .* completed \(erased\)/);
    });

    it('should refuse bad arguments with a usage error and change nothing', async () => {
      await expect(cli('erase', [], {})).rejects.toBeInstanceOf(UsageError);
      await expect(
        cli('erase', [], { email: `x.${randomUUID()}@example.org`, basis: 'because' }),
      ).rejects.toBeInstanceOf(UsageError);
      await expect(
        cli('erase', [], { email: `nobody.${randomUUID()}@example.org` }),
      ).rejects.toBeInstanceOf(UsageError);
      await expect(cli('export', [], { recipient: 'not-a-uuid' })).rejects.toBeInstanceOf(
        UsageError,
      );
      await expect(
        runRecipientCommand(api.runtime, 'erase', [], { email: 'a@b.org' }, () => undefined, null),
      ).rejects.toBeInstanceOf(UsageError);
    });
  });

  describe('When the command line is run without the right key', () => {
    it('should refuse a missing, unknown or revoked key, and a --tenant that is not the key’s', async () => {
      await expect(cliCaller(api.runtime, {}, tenantId)).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
      });
      await expect(
        cliCaller(api.runtime, { apiKey: 'mpk_unknown' }, undefined),
      ).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
      });
      await expect(cliCaller(api.runtime, { apiKey }, randomUUID())).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      const temp = await api.runtime.tenants.issueApiKey({
        tenantId,
        role: 'support',
        label: 'Temp',
        actor: 'test:owner',
      });
      await api.runtime.tenants.revokeApiKey({ tenantId, keyId: temp.apiKeyId, actor: 'test' });
      await api.caughtUp(['api-keys']);
      await expect(
        cliCaller(api.runtime, { apiKey: temp.apiKey }, undefined),
      ).rejects.toBeInstanceOf(CliAccessError);
    });

    it('should refuse support what its role lacks (import, retention, account), before reading anything', async () => {
      for (const [command, args] of [
        ['import', [join(work, 'missing.csv')]],
        ['retention', ['set']],
        ['retention', ['run']],
        ['account', ['erase']],
      ] as const) {
        await expect(cli(command, [...args], { list: randomUUID() })).rejects.toMatchObject({
          code: 'FORBIDDEN',
        });
      }
    });
  });

  describe('When support staff log in from the command line and run commands as themselves', () => {
    const PASSWORD = 'correct horse battery staple';
    const REGISTER = `mutation($input: RegisterAccountInput!) { registerAccount(input: $input) { id } }`;
    const CHANGE_ROLE = `mutation($input: ChangeAccountRoleInput!) { changeAccountRole(input: $input) { id } }`;

    const session = async (
      command: 'login' | 'logout',
      values: Record<string, string>,
      options: { password?: string; sessionToken?: string } = {},
    ) => {
      const out: string[] = [];
      const info: string[] = [];
      const code = await runSessionCommand(
        api.runtime,
        command,
        values,
        {
          out: (line = '') => out.push(line),
          info: (line) => info.push(line),
          password: () => Promise.resolve(options.password ?? PASSWORD),
        },
        { sessionToken: options.sessionToken },
      );
      return { code, out, info: info.join('\n') };
    };

    /** A person with a login account of the support role (registered by the owner key). */
    const registerSupport = async () => {
      const email = `desk.${randomUUID()}@example.org`;
      const input = { email, name: 'Desk Person', company: 'Support Ltd', password: PASSWORD };
      const registered = await api.graphql<{ registerAccount: { id: string } }>(
        REGISTER,
        { input: { ...input, role: 'SUPPORT' } },
        apiKey,
      );
      expect(registered.errors).toBeUndefined();
      return { email, accountId: registered.data!.registerAccount.id };
    };

    it('should print only a session token, run commands with the account’s current role and name the account in the history, until logout', async () => {
      const { email, accountId } = await registerSupport();

      const login = await session('login', { email: ` ${email.toUpperCase()} ` });
      expect(login.code).toBe(0);
      expect(login.out).toHaveLength(1);
      expect(login.out[0]).toMatch(/^mps_\S+$/);
      expect(login.info).toContain(`account ${accountId}, role support, tenant ${tenantId}`);
      expect(login.info).not.toContain(email);
      const sessionToken = login.out[0]!;

      const desk = await cliCaller(api.runtime, { sessionToken }, tenantId);
      expect(desk).toEqual({ tenantId, role: 'support', actor: `cli:account:${accountId}` });
      const id = await add(`session.${randomUUID()}@example.org`);
      const erased = await runRecipientCommand(
        api.runtime,
        'erase',
        [],
        { recipient: id },
        () => undefined,
        desk,
      );
      expect(erased).toBe(0);
      const events = await api.runtime.store.readStream(toRecipientStreamId(id));
      expect(events.at(-1)).toMatchObject({
        type: 'RecipientErased',
        metadata: { actor: `cli:account:${accountId}` },
      });
      // Support may not import, whoever runs it.
      await expect(
        runRecipientCommand(
          api.runtime,
          'import',
          [join(work, 'x.csv')],
          { list: randomUUID() },
          () => undefined,
          desk,
        ),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });

      // A role change holds for the session at once: a viewer may no longer erase.
      const changed = await api.graphql(
        CHANGE_ROLE,
        { input: { id: accountId, role: 'VIEWER' } },
        apiKey,
      );
      expect(changed.errors).toBeUndefined();
      const viewer = await cliCaller(api.runtime, { sessionToken }, undefined);
      expect(viewer.role).toBe('viewer');
      const other = await add(`session.${randomUUID()}@example.org`);
      await expect(
        runRecipientCommand(
          api.runtime,
          'erase',
          [],
          { recipient: other },
          () => undefined,
          viewer,
        ),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
      expect(
        (await api.runtime.store.readStream(toRecipientStreamId(other))).map((e) => e.type),
      ).not.toContain('RecipientErased');

      await expect(cliCaller(api.runtime, { sessionToken }, randomUUID())).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      await expect(
        cliCaller(api.runtime, { sessionToken, apiKey }, undefined),
      ).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
      });

      expect((await session('logout', {}, { sessionToken })).code).toBe(0);
      await expect(cliCaller(api.runtime, { sessionToken }, undefined)).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
        message: expect.stringContaining('was ended'),
      });
      const again = await session('logout', {}, { sessionToken });
      expect(again.code).toBe(0);
      expect(again.info).toContain('already ended');
    });

    it('should answer a wrong password and an unknown address alike, and open no session', async () => {
      const { email } = await registerSupport();
      const wrong = session('login', { email }, { password: 'not the password at all' });
      const unknown = session('login', { email: `nobody.${randomUUID()}@example.org` });
      const [a, b] = await Promise.allSettled([wrong, unknown]);
      expect(a).toMatchObject({ status: 'rejected', reason: { code: 'UNAUTHENTICATED' } });
      expect(b).toMatchObject({ status: 'rejected', reason: { code: 'UNAUTHENTICATED' } });
      const messageOf = (r: PromiseSettledResult<unknown>) =>
        ((r as PromiseRejectedResult).reason as Error).message;
      expect(messageOf(a)).toBe(messageOf(b));
      await expect(session('login', {})).rejects.toBeInstanceOf(UsageError);
      await expect(session('logout', {})).rejects.toBeInstanceOf(UsageError);
      await expect(
        cliCaller(api.runtime, { sessionToken: 'mps_not-a-session' }, undefined),
      ).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    });
  });
});
