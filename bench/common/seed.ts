import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';

import {
  campaignDecider,
  contactListDecider,
  toCampaignStreamId,
  toContactListStreamId,
} from '#domain';
import { type CommandContext, type MailpackrRuntime, uuidFromName } from '#platform';

/**
 * A tenant's list of `count` recipients, imported from a CSV the way users import one (`header`,
 * then `row(i)` per recipient), with the read models caught up. Benchmarks' untimed set-up.
 */
export const seedAudience = async (
  runtime: MailpackrRuntime,
  tenantId: string,
  csv: { header: string; row: (i: number) => string; count: number },
): Promise<{ context: CommandContext; listId: string }> => {
  const context = { tenantId, actor: 'bench' };
  const listId = uuidFromName(`list:${tenantId}:bench`);
  await runtime.commands.handle(
    toContactListStreamId(listId),
    contactListDecider,
    {
      type: 'CreateContactList',
      data: { listId, tenantId, name: 'Audience' },
      metadata: { now: new Date() },
    },
    context,
  );
  const text = [csv.header, ...Array.from({ length: csv.count }, (_, i) => csv.row(i))].join('\n');
  const imported = await runtime.contactImport.run({
    context,
    listId,
    source: Readable.from([text]),
  });
  if (imported.added !== csv.count) throw new Error(`imported ${imported.added} of ${csv.count}`);
  await runtime.projections.catchUp();
  return { context, listId };
};

/** A draft campaign to `listId` (an empty MJML body unless given); returns its id. */
export const draftCampaign = async (
  runtime: MailpackrRuntime,
  context: CommandContext,
  listId: string,
  fields: {
    name: string;
    subject: string;
    mjmlBody?: string;
    fromAddress?: string;
    fromName?: string;
  },
): Promise<string> => {
  const campaignId = randomUUID();
  await runtime.commands.handle(
    toCampaignStreamId(campaignId),
    campaignDecider,
    {
      type: 'DraftCampaign',
      data: {
        campaignId,
        tenantId: context.tenantId,
        fromAddress: 'news@bench.example',
        mjmlBody: '<mjml><mj-body></mj-body></mjml>',
        ...fields,
        listIds: [listId],
      },
      metadata: { now: new Date() },
    },
    context,
  );
  return campaignId;
};
