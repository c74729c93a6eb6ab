import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { sqlBackends } from '#testing';

import { AUDIT_REPLAY_EXIT, runAuditReplay } from '../src/cli/audit-replay.command.js';
import { type CliCaller, CliAccessError } from '../src/cli/cli-caller.js';
import { ApiTestApp } from './api-test-app.js';

const CREATE_LIST = `mutation($name: String!) { createContactList(input: { name: $name }) { id } }`;
const ADD = `mutation($input: AddRecipientInput!) { addRecipient(input: $input) { id } }`;
const IMPORT = `mutation($input: ImportContactsInput!) { importContacts(input: $input) { added invalid } }`;
const CREATE_TEMPLATE = `mutation($input: CreateTemplateInput!) { createTemplate(input: $input) { id } }`;
const DRAFT = `mutation($input: DraftCampaignInput!) { draftCampaign(input: $input) { id } }`;
const LAUNCH = `mutation($id: ID!) { launchCampaign(input: { id: $id }) { status } }`;
const UNSUBSCRIBE = `mutation($input: UnsubscribeRecipientInput!) { unsubscribeRecipient(input: $input) { id } }`;
const SUPPRESS = `mutation($input: SuppressEmailInput!) { suppressEmail(input: $input) { reason } }`;
const ERASE = `mutation($input: EraseRecipientInput!) { eraseRecipient(input: $input) { receipt { subjectId } } }`;

const TEMPLATE = `<mjml><mj-body><mj-section><mj-column>
  <mj-text>Hello {{firstName}}</mj-text>
  <mj-button href="{{unsubscribeUrl}}">Unsubscribe</mj-button>
</mj-column></mj-section></mj-body></mjml>`;

/** `mailpackr audit replay` after a realistic history, run in-process as the CLI runs it. */
describe.each(sqlBackends())('Audit replay after a realistic history (%s)', (backend) => {
  let api: ApiTestApp;
  let apiKey: string;
  const addresses: string[] = [];
  let campaignId: string;
  let tenantId: string;
  let neighbourTenantId: string;
  const as = (role: CliCaller['role'], tenant = tenantId): CliCaller => ({
    tenantId: tenant,
    role,
    actor: 'cli:api-key:test-key',
  });

  const ok = async <T>(query: string, variables: Record<string, unknown>): Promise<T> => {
    const res = await api.graphql<T>(query, variables, apiKey);
    expect(res.errors).toBeUndefined();
    return res.data!;
  };
  const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  const address = (who: string) => {
    const email = `${who}.${unique()}@example.org`;
    addresses.push(email);
    return email;
  };
  const cli = async (values: { projection?: string } = {}, caller: CliCaller | null = null) => {
    const lines: string[] = [];
    const code = await runAuditReplay(api.runtime, values, (l = '') => lines.push(l), caller, {
      progress: false,
      waitTimeoutMs: 20_000,
    });
    return { code, text: lines.join('\n') };
  };

  beforeAll(async () => {
    api = await ApiTestApp.start(backend, { MAILPACKR_SCHEDULER_INTERVAL_MS: '0' });
    ({ apiKey, tenantId } = await api.createTenant('Audited Ltd'));
    // A second tenant's data sits in the same tables.
    const other = await api.createTenant('Neighbour Ltd');
    neighbourTenantId = other.tenantId;

    const list = async (name: string, key = apiKey) =>
      (await api.graphql<{ createContactList: { id: string } }>(CREATE_LIST, { name }, key)).data!
        .createContactList.id;
    const [members, imported] = [await list('Members'), await list('Imported')];
    const people: string[] = [];
    for (const who of ['ada', 'grace', 'alan']) {
      const { addRecipient } = await ok<{ addRecipient: { id: string } }>(ADD, {
        input: { email: address(who), name: `${who} Q`, listIds: [members] },
      });
      people.push(addRecipient.id);
    }
    await api.graphql(
      ADD,
      { input: { email: address('neighbour'), listIds: [await list('Theirs', other.apiKey)] } },
      other.apiKey,
    );
    const csv = ['email,first_name,plan']
      .concat(['edsger', 'barbara', 'donald', 'frances'].map((w) => `${address(w)},${w},pro`))
      .concat(['not-an-address,x,pro'])
      .join('\n');
    const report = await ok<{ importContacts: { added: number; invalid: number } }>(IMPORT, {
      input: { listId: imported, csv },
    });
    expect(report.importContacts).toEqual({ added: 4, invalid: 1 });

    const { createTemplate } = await ok<{ createTemplate: { id: string } }>(CREATE_TEMPLATE, {
      input: { name: `News ${unique()}`, mjml: TEMPLATE },
    });
    ({
      draftCampaign: { id: campaignId },
    } = await ok<{ draftCampaign: { id: string } }>(DRAFT, {
      input: {
        name: 'Spring news',
        subject: 'News',
        fromAddress: 'news@acme.example',
        templateId: createTemplate.id,
        listIds: [members, imported],
      },
    }));
    await ok(LAUNCH, { id: campaignId });
    await ok(UNSUBSCRIBE, { input: { id: people[1], listId: members } });
    const run = await api.runtime.delivery.runOnce({ now: new Date() });
    expect(run.sent).toBeGreaterThan(0);

    await ok(SUPPRESS, { input: { email: address('never') } });
    await ok(ERASE, { input: { id: people[2], basis: 'GDPR_ART17' } });
    await api.caughtUp(api.runtime.projections.projections.map((p) => p.name));
  });
  afterAll(async () => api.stop());

  describe('When an auditor replays the history after sends, a suppression and an erasure', () => {
    it('should find every read model equal to the live one, and print no personal data', async () => {
      const { code, text } = await cli();

      expect(text).toContain('The live read models match the history');
      expect(code).toBe(AUDIT_REPLAY_EXIT.match);
      for (const table of ['recipients', 'messages', 'suppressions', 'erasure_receipts']) {
        expect(text).toMatch(new RegExp(`^${table} .* match$`, 'm'));
      }
      for (const email of addresses) expect(text).not.toContain(email.split('@')[0]);
    });
  });

  describe('When a live read-model row was edited directly in the database', () => {
    it('should exit with 3 and name the table and the row', async () => {
      await api.runtime.pool.query(
        `UPDATE campaigns SET subject = 'Tampered' WHERE campaign_id = $1`,
        [campaignId],
      );
      try {
        const { code, text } = await cli();

        expect(code).toBe(AUDIT_REPLAY_EXIT.difference);
        expect(text).toMatch(/^campaigns .* DIFFERENT$/m);
        expect(text).toContain(`campaign_id=${campaignId}  differs`);
        expect(text).toContain('1 of ');
        expect(text).toMatch(/^messages .* match$/m);
      } finally {
        await api.runtime.projections.rebuild('campaigns');
      }
      expect((await cli({ projection: 'campaigns' })).code).toBe(AUDIT_REPLAY_EXIT.match);
    });
  });

  describe('When a tenant’s auditor runs it with an API key', () => {
    it('should compare only that tenant’s rows, and not see the other tenant’s tampered row', async () => {
      await api.runtime.pool.query(`UPDATE tenants SET name = 'Tampered' WHERE tenant_id = $1`, [
        neighbourTenantId,
      ]);
      try {
        const mine = await cli({}, as('auditor'));
        expect(mine.text).toContain('The live read models match the history');
        expect(mine.code).toBe(AUDIT_REPLAY_EXIT.match);
        expect(mine.text).toContain(`Compared the rows of tenant ${tenantId}`);
        expect(mine.text).not.toMatch(/Replayed [\d,]+ events/);

        const theirs = await cli({}, as('auditor', neighbourTenantId));
        expect(theirs.code).toBe(AUDIT_REPLAY_EXIT.difference);
        expect(theirs.text).toContain(`tenant_id=${neighbourTenantId}  differs`);

        const operator = await cli();
        expect(operator.code).toBe(AUDIT_REPLAY_EXIT.difference);
        expect(operator.text).toMatch(/^tenants .* DIFFERENT$/m);
      } finally {
        await api.runtime.projections.rebuild('tenants');
      }
    });

    it('should refuse a role without the audit permission', async () => {
      await expect(cli({}, as('marketer'))).rejects.toThrow(CliAccessError);
    });
  });
});
