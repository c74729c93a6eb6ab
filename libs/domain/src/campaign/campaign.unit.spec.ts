import { beforeEach, describe, expect, it } from '@jest/globals';

import {
  CAMPAIGN_EVENT_TYPES,
  CAMPAIGN_LIMITS,
  CampaignError,
  DomainError,
  campaignDecider,
  campaignErrorKinds,
  evolveAll,
  toCampaignStreamId,
  type CampaignCommand,
  type CampaignErrorCode,
  type CampaignEvent,
} from '#domain';

import {
  aCampaignCancelled,
  aCampaignDrafted,
  aCampaignRevised,
  aCampaignScheduled,
  aCancelCampaign,
  aDraftCampaign,
  aReviseCampaign,
  aScheduleCampaign,
  aValidMjmlBody,
  defaultCampaignTenantId,
} from '../../../testing/src/builders/campaign.builders.js';
import { aNow, anId, daysAfter } from '../../../testing/src/builders/common.builders.js';
import { DeciderSpecification } from '../../../testing/src/decider-specification.js';

const given = DeciderSpecification.for(campaignDecider);

const withCode = (code: CampaignErrorCode) => (error: CampaignError) => error.code === code;

describe('Campaign', () => {
  const now = aNow();
  const tomorrow = daysAfter(now, 1);
  const nextWeek = daysAfter(now, 7);
  const yesterday = daysAfter(now, -1);
  const tenantId = defaultCampaignTenantId;
  const otherTenantId = anId();
  let campaignId: string;
  let listId: string;

  beforeEach(() => {
    campaignId = anId();
    listId = anId();
  });

  const drafted = () => aCampaignDrafted({ campaignId, tenantId, listIds: [listId] });
  const scheduled = (sendAt = tomorrow) =>
    aCampaignScheduled({ campaignId, tenantId, sendAt: sendAt.toISOString() });
  const cancelled = () => aCampaignCancelled({ campaignId, tenantId });

  describe('When it does not exist yet', () => {
    it('should draft it with trimmed text', () =>
      given([])
        .when(
          aDraftCampaign({
            campaignId,
            tenantId,
            name: '  Spring sale  ',
            subject: ' Everything is 20% off ',
            fromAddress: 'news@example.com',
            fromName: ' MailPackr News ',
            mjmlBody: aValidMjmlBody(),
            listIds: [listId],
            now,
          }),
        )
        .then([
          {
            type: 'CampaignDrafted',
            data: {
              campaignId,
              tenantId,
              name: 'Spring sale',
              subject: 'Everything is 20% off',
              fromAddress: 'news@example.com',
              fromName: 'MailPackr News',
              mjmlBody: aValidMjmlBody(),
              listIds: [listId],
              draftedAt: now.toISOString(),
            },
          },
        ]));

    it('should draft it without a sender name', () => {
      const command = aDraftCampaign({ campaignId, tenantId, fromName: undefined, now });
      given([])
        .when(command)
        .then([
          {
            type: 'CampaignDrafted',
            data: { ...command.data, fromName: null, draftedAt: now.toISOString() },
          },
        ]);
    });

    it('should treat a blank sender name as none', () =>
      given([])
        .when(aDraftCampaign({ campaignId, fromName: '   ' }))
        .thenStateMatches({ status: 'Draft', fromName: null }));

    it('should be in Draft once drafted', () =>
      given([])
        .when(aDraftCampaign({ campaignId, tenantId, listIds: [listId] }))
        .thenStateMatches({ status: 'Draft', campaignId, tenantId, listIds: [listId] }));

    it.each([
      ['empty', ''],
      ['blank', '   '],
      ['too long', 'x'.repeat(CAMPAIGN_LIMITS.nameMaxLength + 1)],
    ])('should reject a name that is %s', (_, name) =>
      given([])
        .when(aDraftCampaign({ campaignId, name }))
        .thenThrows(CampaignError, withCode('INVALID_CAMPAIGN_NAME')),
    );

    it('should accept a name of 200 characters once trimmed', () =>
      given([])
        .when(aDraftCampaign({ campaignId, name: ` ${'x'.repeat(200)} ` }))
        .thenStateMatches({ status: 'Draft', name: 'x'.repeat(200) }));

    it.each([
      ['empty', ''],
      ['blank', ' \t '],
      ['too long', 'x'.repeat(CAMPAIGN_LIMITS.subjectMaxLength + 1)],
      ['on two lines (header injection)', 'Hello\r\nBcc: victim@example.com'],
    ])('should reject a subject that is %s', (_, subject) =>
      given([])
        .when(aDraftCampaign({ campaignId, subject }))
        .thenThrows(CampaignError, withCode('INVALID_SUBJECT')),
    );

    it('should accept a subject of 998 characters', () =>
      given([])
        .when(aDraftCampaign({ campaignId, subject: 's'.repeat(998) }))
        .thenStateMatches({ status: 'Draft', subject: 's'.repeat(998) }));

    it.each([
      ['empty', ''],
      ['without @', 'news.example.com'],
      ['without a domain dot', 'news@example'],
      ['with a space', 'news letter@example.com'],
      ['with two @', 'news@@example.com'],
      ['too long', `${'a'.repeat(250)}@example.com`],
    ])('should reject a from address that is %s', (_, fromAddress) =>
      given([])
        .when(aDraftCampaign({ campaignId, fromAddress }))
        .thenThrows(CampaignError, withCode('INVALID_FROM_ADDRESS')),
    );

    it.each([
      ['too long', 'n'.repeat(CAMPAIGN_LIMITS.fromNameMaxLength + 1)],
      ['on two lines (header injection)', 'News\nBcc: victim@example.com'],
    ])('should reject a sender name that is %s', (_, fromName) =>
      given([])
        .when(aDraftCampaign({ campaignId, fromName }))
        .thenThrows(CampaignError, withCode('INVALID_FROM_NAME')),
    );

    it.each([
      ['empty', ''],
      ['blank', '  \n '],
      ['not MJML', '<html><body>Hello</body></html>'],
      ['over 512 KiB', `<mjml>${'x'.repeat(512 * 1024)}</mjml>`],
      ['over 512 KiB once UTF-8 encoded', `<mjml>${'é'.repeat(300 * 1024)}</mjml>`],
    ])('should reject an MJML body that is %s', (_, mjmlBody) =>
      given([])
        .when(aDraftCampaign({ campaignId, mjmlBody }))
        .thenThrows(CampaignError, withCode('INVALID_MJML_BODY')),
    );

    it('should accept an MJML body of exactly 512 KiB', () => {
      const mjmlBody = `<mjml>${'x'.repeat(512 * 1024 - '<mjml></mjml>'.length)}</mjml>`;
      given([])
        .when(aDraftCampaign({ campaignId, mjmlBody }))
        .thenStateMatches({ status: 'Draft', mjmlBody });
    });

    it.each([
      ['not UUIDs', () => ['list-1']],
      ['duplicated', () => [listId, listId]],
      ['duplicated in another case', () => [listId, listId.toUpperCase()]],
      ['more than 50', () => Array.from({ length: 51 }, anId)],
    ])('should reject list ids that are %s', (_, listIds) =>
      given([])
        .when(aDraftCampaign({ campaignId, listIds: listIds() }))
        .thenThrows(CampaignError, withCode('INVALID_LIST_IDS')),
    );

    it.each([
      ['no list yet', () => []],
      ['50 lists', () => Array.from({ length: 50 }, anId)],
    ])('should accept %s', (_, listIds) => {
      const ids = listIds();
      given([])
        .when(aDraftCampaign({ campaignId, listIds: ids }))
        .thenStateMatches({ status: 'Draft', listIds: ids });
    });

    it('should not revise it', () =>
      given([])
        .when(aReviseCampaign({ campaignId, tenantId }))
        .thenThrows(CampaignError, withCode('CAMPAIGN_NOT_FOUND')));

    it('should not schedule it', () =>
      given([])
        .when(aScheduleCampaign({ campaignId, tenantId }))
        .thenThrows(CampaignError, withCode('CAMPAIGN_NOT_FOUND')));

    it('should not cancel it', () =>
      given([])
        .when(aCancelCampaign({ campaignId, tenantId }))
        .thenThrows(CampaignError, withCode('CAMPAIGN_NOT_FOUND')));
  });

  describe('When drafted', () => {
    it('should not draft it again', () =>
      given([drafted()])
        .when(aDraftCampaign({ campaignId, tenantId }))
        .thenThrows(CampaignError, withCode('CAMPAIGN_ALREADY_EXISTS')));

    it('should not draft it again, even for another tenant', () =>
      given([drafted()])
        .when(aDraftCampaign({ campaignId, tenantId: otherTenantId }))
        .thenThrows(CampaignError, withCode('CAMPAIGN_ALREADY_EXISTS')));

    it('should revise it', () =>
      given([drafted()])
        .when(
          aReviseCampaign({
            campaignId,
            tenantId,
            changes: { name: ' Summer sale ', subject: 'Sun is out' },
            now,
          }),
        )
        .then([
          {
            type: 'CampaignRevised',
            data: {
              campaignId,
              tenantId,
              changes: { name: 'Summer sale', subject: 'Sun is out' },
              revisedAt: now.toISOString(),
            },
          },
        ]));

    it('should record only the fields that changed', () => {
      const current = drafted();
      const otherList = anId();
      given([current])
        .when(
          aReviseCampaign({
            campaignId,
            tenantId,
            changes: {
              name: current.data.name,
              fromAddress: 'offers@example.com',
              listIds: [listId, otherList],
            },
            now,
          }),
        )
        .then([
          aCampaignRevised({
            campaignId,
            tenantId,
            changes: { fromAddress: 'offers@example.com', listIds: [listId, otherList] },
            revisedAt: now.toISOString(),
          }),
        ]);
    });

    it('should stay in Draft with the revised content', () =>
      given([drafted()])
        .when(
          aReviseCampaign({ campaignId, tenantId, changes: { mjmlBody: aValidMjmlBody('Hi') } }),
        )
        .thenStateMatches({ status: 'Draft', mjmlBody: aValidMjmlBody('Hi') }));

    it('should remove the sender name when revised to null', () =>
      given([drafted()])
        .when(aReviseCampaign({ campaignId, tenantId, changes: { fromName: null } }))
        .then([aCampaignRevised({ campaignId, tenantId, changes: { fromName: null } })]));

    it('should record nothing when the revision changes nothing', () => {
      const { data } = drafted();
      given([drafted()])
        .when(
          aReviseCampaign({
            campaignId,
            tenantId,
            changes: {
              name: `  ${data.name}`,
              subject: data.subject,
              fromAddress: data.fromAddress,
              fromName: data.fromName,
              mjmlBody: data.mjmlBody,
              listIds: data.listIds,
            },
          }),
        )
        .thenNothing();
    });

    it('should record nothing when the same lists come in another order', () => {
      const lists = [anId(), anId()];
      given([aCampaignDrafted({ campaignId, tenantId, listIds: lists })])
        .when(aReviseCampaign({ campaignId, tenantId, changes: { listIds: [...lists].reverse() } }))
        .thenNothing();
    });

    it.each([
      ['no field', {}],
      ['only undefined fields', { name: undefined, subject: undefined }],
    ])('should reject changes with %s', (_, changes) =>
      given([drafted()])
        .when(aReviseCampaign({ campaignId, tenantId, changes }))
        .thenThrows(CampaignError, withCode('INVALID_CAMPAIGN_CHANGES')),
    );

    it.each<[string, object, CampaignErrorCode]>([
      ['a blank name', { name: ' ' }, 'INVALID_CAMPAIGN_NAME'],
      ['a too long subject', { subject: 'x'.repeat(999) }, 'INVALID_SUBJECT'],
      ['a bad from address', { fromAddress: 'nope' }, 'INVALID_FROM_ADDRESS'],
      ['a bad sender name', { fromName: 'a\rb' }, 'INVALID_FROM_NAME'],
      ['a body that is not MJML', { mjmlBody: '<p>hi</p>' }, 'INVALID_MJML_BODY'],
      ['list ids that are not UUIDs', { listIds: ['x'] }, 'INVALID_LIST_IDS'],
    ])('should reject a revision with %s', (_, changes, code) =>
      given([drafted()])
        .when(aReviseCampaign({ campaignId, tenantId, changes }))
        .thenThrows(CampaignError, withCode(code)),
    );

    it('should schedule it for a future date', () =>
      given([drafted()])
        .when(aScheduleCampaign({ campaignId, tenantId, sendAt: tomorrow, now }))
        .then([
          {
            type: 'CampaignScheduled',
            data: {
              campaignId,
              tenantId,
              sendAt: tomorrow.toISOString(),
              scheduledAt: now.toISOString(),
            },
          },
        ]));

    it('should be Scheduled once scheduled', () =>
      given([drafted()])
        .when(aScheduleCampaign({ campaignId, tenantId, sendAt: tomorrow, now }))
        .thenStateMatches({ status: 'Scheduled', sendAt: tomorrow.toISOString() }));

    it.each([
      ['in the past', () => yesterday],
      ['right now', () => now],
      ['a millisecond ago', () => new Date(now.getTime() - 1)],
    ])('should reject a send date %s', (_, sendAt) =>
      given([drafted()])
        .when(aScheduleCampaign({ campaignId, tenantId, sendAt: sendAt(), now }))
        .thenThrows(CampaignError, withCode('SEND_AT_IN_PAST')),
    );

    it('should reject a send date that is not a date', () =>
      given([drafted()])
        .when(aScheduleCampaign({ campaignId, tenantId, sendAt: new Date('not a date'), now }))
        .thenThrows(CampaignError, withCode('INVALID_SEND_AT')));

    it('should cancel it', () =>
      given([drafted()])
        .when(aCancelCampaign({ campaignId, tenantId, reason: ' Wrong audience ', now }))
        .then([
          {
            type: 'CampaignCancelled',
            data: {
              campaignId,
              tenantId,
              reason: 'Wrong audience',
              cancelledAt: now.toISOString(),
            },
          },
        ]));

    it('should cancel it without a reason', () =>
      given([drafted()])
        .when(aCancelCampaign({ campaignId, tenantId, reason: undefined, now }))
        .then([
          aCampaignCancelled({
            campaignId,
            tenantId,
            reason: null,
            cancelledAt: now.toISOString(),
          }),
        ]));

    it('should be Cancelled once cancelled', () =>
      given([drafted()])
        .when(aCancelCampaign({ campaignId, tenantId, now }))
        .thenState({ status: 'Cancelled', campaignId, tenantId, cancelledAt: now.toISOString() }));

    it('should reject a cancel reason that is too long', () =>
      given([drafted()])
        .when(aCancelCampaign({ campaignId, tenantId, reason: 'r'.repeat(1001) }))
        .thenThrows(CampaignError, withCode('INVALID_CANCEL_REASON')));
  });

  describe('When scheduled', () => {
    it('should not draft it again', () =>
      given([drafted(), scheduled()])
        .when(aDraftCampaign({ campaignId, tenantId }))
        .thenThrows(CampaignError, withCode('CAMPAIGN_ALREADY_EXISTS')));

    it('should revise it', () =>
      given([drafted(), scheduled()])
        .when(aReviseCampaign({ campaignId, tenantId, changes: { subject: 'Updated' }, now }))
        .then([
          aCampaignRevised({
            campaignId,
            tenantId,
            changes: { subject: 'Updated' },
            revisedAt: now.toISOString(),
          }),
        ]));

    it('should stay scheduled at the same date once revised', () =>
      given([drafted(), scheduled(tomorrow)])
        .when(aReviseCampaign({ campaignId, tenantId, changes: { subject: 'Updated' } }))
        .thenStateMatches({
          status: 'Scheduled',
          subject: 'Updated',
          sendAt: tomorrow.toISOString(),
        }));

    it('should record nothing when the revision changes nothing', () =>
      given([drafted(), scheduled()])
        .when(aReviseCampaign({ campaignId, tenantId, changes: { name: drafted().data.name } }))
        .thenNothing());

    it('should reschedule it', () =>
      given([drafted(), scheduled(tomorrow)])
        .when(aScheduleCampaign({ campaignId, tenantId, sendAt: nextWeek, now }))
        .then([
          aCampaignScheduled({
            campaignId,
            tenantId,
            sendAt: nextWeek.toISOString(),
            scheduledAt: now.toISOString(),
          }),
        ]));

    it('should record nothing when rescheduled at the same date', () =>
      given([drafted(), scheduled(tomorrow)])
        .when(aScheduleCampaign({ campaignId, tenantId, sendAt: new Date(tomorrow), now }))
        .thenNothing());

    it('should reject a reschedule into the past', () =>
      given([drafted(), scheduled(tomorrow)])
        .when(aScheduleCampaign({ campaignId, tenantId, sendAt: yesterday, now }))
        .thenThrows(CampaignError, withCode('SEND_AT_IN_PAST')));

    it('should cancel it', () =>
      given([drafted(), scheduled()])
        .when(aCancelCampaign({ campaignId, tenantId, reason: 'Too early', now }))
        .then([
          aCampaignCancelled({
            campaignId,
            tenantId,
            reason: 'Too early',
            cancelledAt: now.toISOString(),
          }),
        ]));
  });

  describe('When cancelled', () => {
    it('should not draft it again', () =>
      given([drafted(), cancelled()])
        .when(aDraftCampaign({ campaignId, tenantId }))
        .thenThrows(CampaignError, withCode('CAMPAIGN_ALREADY_EXISTS')));

    it('should not revise it', () =>
      given([drafted(), cancelled()])
        .when(aReviseCampaign({ campaignId, tenantId }))
        .thenThrows(CampaignError, withCode('CAMPAIGN_CANCELLED')));

    it('should not schedule it', () =>
      given([drafted(), cancelled()])
        .when(aScheduleCampaign({ campaignId, tenantId }))
        .thenThrows(CampaignError, withCode('CAMPAIGN_CANCELLED')));

    it('should not schedule it, even when it was scheduled before', () =>
      given([drafted(), scheduled(), cancelled()])
        .when(aScheduleCampaign({ campaignId, tenantId, sendAt: nextWeek }))
        .thenThrows(CampaignError, withCode('CAMPAIGN_CANCELLED')));

    it('should record nothing when cancelled again', () =>
      given([drafted(), scheduled(), cancelled()])
        .when(aCancelCampaign({ campaignId, tenantId }))
        .thenNothing());
  });

  describe('When deleted by its tenant', () => {
    const deleteIt = (tenant = tenantId): CampaignCommand => ({
      type: 'DeleteCampaign',
      data: { campaignId, tenantId: tenant },
      metadata: { now },
    });
    const deletedEvent = (): CampaignEvent => ({
      type: 'CampaignDeleted',
      data: { campaignId, tenantId, deletedAt: now.toISOString() },
    });

    it.each<[string, () => CampaignEvent[]]>([
      ['a draft', () => [drafted()]],
      ['a scheduled campaign', () => [drafted(), scheduled()]],
      ['a cancelled campaign', () => [drafted(), cancelled()]],
    ])('should delete %s', (_, history) =>
      given(history()).when(deleteIt()).then([deletedEvent()]),
    );

    it('should record nothing the second time', () =>
      given([drafted(), deletedEvent()]).when(deleteIt()).thenNothing());

    it.each<[string, () => CampaignCommand]>([
      ['revise', () => aReviseCampaign({ campaignId, tenantId })],
      ['schedule', () => aScheduleCampaign({ campaignId, tenantId })],
      ['cancel', () => aCancelCampaign({ campaignId, tenantId })],
    ])('should not %s it afterwards', (_, command) =>
      given([drafted(), deletedEvent()])
        .when(command())
        .thenThrows(CampaignError, withCode('CAMPAIGN_NOT_FOUND')),
    );

    it('should not let another tenant delete it', () =>
      given([drafted()])
        .when(deleteIt(otherTenantId))
        .thenThrows(CampaignError, withCode('CAMPAIGN_NOT_FOUND')));

    it('should not delete a campaign that does not exist', () =>
      given([]).when(deleteIt()).thenThrows(CampaignError, withCode('CAMPAIGN_NOT_FOUND')));
  });

  describe('When owned by another tenant', () => {
    const histories: Array<[string, () => CampaignEvent[]]> = [
      ['drafted', () => [drafted()]],
      ['scheduled', () => [drafted(), scheduled()]],
      ['cancelled', () => [drafted(), cancelled()]],
    ];
    const commands: Array<[string, () => CampaignCommand]> = [
      ['revise', () => aReviseCampaign({ campaignId, tenantId: otherTenantId })],
      ['schedule', () => aScheduleCampaign({ campaignId, tenantId: otherTenantId })],
      ['cancel', () => aCancelCampaign({ campaignId, tenantId: otherTenantId })],
    ];

    it.each(
      histories.flatMap(([state, history]) =>
        commands.map(([name, command]) => [state, name, history, command] as const),
      ),
    )(
      'should not let it see a %s campaign: %s is CAMPAIGN_NOT_FOUND',
      (_state, _name, history, command) =>
        given(history()).when(command()).thenThrows(CampaignError, withCode('CAMPAIGN_NOT_FOUND')),
    );
  });

  describe('When its events are read back from the store', () => {
    it('should rebuild the same state from JSON', () => {
      const events: CampaignEvent[] = [
        drafted(),
        aCampaignRevised({ campaignId, tenantId, changes: { fromName: null, listIds: [] } }),
        scheduled(),
      ];
      const roundTripped = JSON.parse(JSON.stringify(events)) as CampaignEvent[];
      expect(evolveAll(campaignDecider, roundTripped)).toEqual(evolveAll(campaignDecider, events));
    });

    it('should produce events that survive JSON', () => {
      const produced = campaignDecider.decide(
        aDraftCampaign({ campaignId, tenantId, fromName: undefined }),
        campaignDecider.initialState(),
      );
      expect(JSON.parse(JSON.stringify(produced))).toEqual(produced);
    });

    it('should ignore an event that cannot apply to its state', () =>
      expect(evolveAll(campaignDecider, [scheduled(), cancelled()])).toEqual({ status: 'Empty' }));
  });

  describe('When it sends a template revision', () => {
    const template = { templateId: anId(), revision: 2 };

    it('should draft it pinned to the revision, with no MJML of its own', () =>
      given([])
        .when(aDraftCampaign({ campaignId, tenantId, mjmlBody: '', template, now }))
        .thenStateMatches({ status: 'Draft', template, mjmlBody: '' }));

    it('should keep the template in the drafted event', () => {
      const command = aDraftCampaign({ campaignId, tenantId, template, now });
      given([])
        .when(command)
        .then([
          {
            type: 'CampaignDrafted',
            data: {
              ...command.data,
              fromName: 'MailPackr News',
              template,
              draftedAt: now.toISOString(),
            },
          },
        ]);
    });

    it.each([
      ['an id that is not a UUID', { templateId: 'nope', revision: 1 }],
      ['revision 0', { templateId: anId(), revision: 0 }],
      ['a fractional revision', { templateId: anId(), revision: 1.5 }],
    ])('should reject a reference with %s', (_, ref) =>
      given([])
        .when(aDraftCampaign({ campaignId, template: ref }))
        .thenThrows(CampaignError, withCode('INVALID_TEMPLATE_REF')),
    );

    it('should still need MJML without a template', () =>
      given([])
        .when(aDraftCampaign({ campaignId, mjmlBody: '' }))
        .thenThrows(CampaignError, withCode('INVALID_MJML_BODY')));

    it('should move to a newer revision, and do nothing for the same one', () => {
      const pinned = aCampaignDrafted({ campaignId, tenantId, template });
      given([pinned])
        .when(
          aReviseCampaign({
            campaignId,
            tenantId,
            changes: { template: { ...template, revision: 3 } },
          }),
        )
        .thenStateMatches({ status: 'Draft', template: { ...template, revision: 3 } });
      given([pinned])
        .when(aReviseCampaign({ campaignId, tenantId, changes: { template: { ...template } } }))
        .thenNothing();
    });

    it('should detach the template only when the campaign has MJML of its own', () => {
      given([aCampaignDrafted({ campaignId, tenantId, template })])
        .when(aReviseCampaign({ campaignId, tenantId, changes: { template: null } }))
        .thenStateMatches({ status: 'Draft', template: null });
      given([aCampaignDrafted({ campaignId, tenantId, template, mjmlBody: '' })])
        .when(aReviseCampaign({ campaignId, tenantId, changes: { template: null } }))
        .thenThrows(CampaignError, withCode('INVALID_CAMPAIGN_CHANGES'));
    });

    it('should attach a template to a campaign drafted without one', () =>
      given([drafted()])
        .when(aReviseCampaign({ campaignId, tenantId, changes: { template } }))
        .then([
          {
            type: 'CampaignRevised',
            data: { campaignId, tenantId, changes: { template }, revisedAt: aNow().toISOString() },
          },
        ]));
  });

  describe('When given a command it does not know', () => {
    it('should fail loudly', () =>
      expect(() =>
        campaignDecider.decide(
          { type: 'ArchiveCampaign' } as unknown as CampaignCommand,
          campaignDecider.initialState(),
        ),
      ).toThrow('Unknown campaign command: ArchiveCampaign'));
  });

  describe('Errors', () => {
    it('should be domain errors with a code and a kind', () => {
      const error = new CampaignError('CAMPAIGN_NOT_FOUND');
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toBeInstanceOf(Error);
      expect(error).toMatchObject({
        name: 'CampaignError',
        code: 'CAMPAIGN_NOT_FOUND',
        kind: 'NOT_FOUND',
      });
    });

    it.each<[CampaignErrorCode, string]>([
      ['CAMPAIGN_NOT_FOUND', 'NOT_FOUND'],
      ['CAMPAIGN_ALREADY_EXISTS', 'CONFLICT'],
      ['CAMPAIGN_CANCELLED', 'CONFLICT'],
      ['SEND_AT_IN_PAST', 'BAD_USER_INPUT'],
    ])('should map %s to %s', (code, kind) => expect(new CampaignError(code).kind).toBe(kind));

    it('should map every INVALID_* code to BAD_USER_INPUT', () => {
      const invalid = Object.entries(campaignErrorKinds).filter(([code]) =>
        code.startsWith('INVALID_'),
      );
      expect(invalid.length).toBeGreaterThan(0);
      for (const [, kind] of invalid) expect(kind).toBe('BAD_USER_INPUT');
    });
  });

  describe('Streams', () => {
    it('should name its stream campaign-<id>', () =>
      expect(toCampaignStreamId(campaignId)).toBe(`campaign-${campaignId}`));

    it('should list its event types', () =>
      expect([...CAMPAIGN_EVENT_TYPES].sort()).toEqual([
        'CampaignCancelled',
        'CampaignCompleted',
        'CampaignDeleted',
        'CampaignDrafted',
        'CampaignPaused',
        'CampaignQueued',
        'CampaignResumed',
        'CampaignRevised',
        'CampaignScheduled',
        'CampaignStarted',
      ]));
  });
});
