import { beforeEach, describe, it } from '@jest/globals';

import {
  CampaignError,
  campaignDecider,
  type CampaignAudienceExclusions,
  type CampaignCommand,
  type CampaignErrorCode,
  type CampaignEvent,
} from '#domain';

import {
  aCampaignCancelled,
  aCampaignDrafted,
  aCampaignScheduled,
  aCancelCampaign,
  aReviseCampaign,
  aScheduleCampaign,
  defaultCampaignTenantId,
} from '../../../testing/src/builders/campaign.builders.js';
import {
  aNow,
  anId,
  daysAfter,
  minutesAfter,
} from '../../../testing/src/builders/common.builders.js';
import {
  aCampaignPaused,
  aCampaignQueued,
  aCampaignStarted,
} from '../../../testing/src/builders/message.builders.js';
import { DeciderSpecification } from '../../../testing/src/decider-specification.js';

const given = DeciderSpecification.for(campaignDecider);

const withCode = (code: CampaignErrorCode) => (error: CampaignError) => error.code === code;

describe('Campaign launch', () => {
  const now = aNow();
  const later = minutesAfter(now, 30);
  const tenantId = defaultCampaignTenantId;
  const excluded: CampaignAudienceExclusions = {
    suppressed: 1,
    unsubscribed: 2,
    restricted: 3,
    objected: 4,
    erased: 0,
    pending: 5,
  };
  let campaignId: string;
  let listIds: string[];

  beforeEach(() => {
    campaignId = anId();
    listIds = [anId(), anId()];
  });

  const drafted = () => aCampaignDrafted({ campaignId, tenantId, listIds });
  const scheduled = () =>
    aCampaignScheduled({ campaignId, tenantId, sendAt: daysAfter(now, 1).toISOString() });
  const started = () =>
    aCampaignStarted({
      campaignId,
      tenantId,
      startedAt: now.toISOString(),
      audience: { listIds, recipients: 10, excluded },
    });
  const queued = () => aCampaignQueued({ campaignId, tenantId, messages: 10 });
  const paused = () => aCampaignPaused({ campaignId, tenantId, pausedAt: later.toISOString() });

  const launch = (over: Partial<{ recipients: number; tenant: string }> = {}): CampaignCommand => ({
    type: 'LaunchCampaign',
    data: {
      campaignId,
      tenantId: over.tenant ?? tenantId,
      recipients: over.recipients ?? 10,
      excluded,
    },
    metadata: { now },
  });
  const complete = (messages = 10): CampaignCommand => ({
    type: 'CompleteCampaignLaunch',
    data: { campaignId, tenantId, messages },
    metadata: { now: later },
  });
  const pause = (): CampaignCommand => ({
    type: 'PauseCampaign',
    data: { campaignId, tenantId },
    metadata: { now: later },
  });
  const resume = (): CampaignCommand => ({
    type: 'ResumeCampaign',
    data: { campaignId, tenantId },
    metadata: { now: later },
  });

  describe('When drafted or scheduled', () => {
    it.each<[string, () => CampaignEvent[]]>([
      ['a draft (launch now)', () => [drafted()]],
      ['a scheduled campaign', () => [drafted(), scheduled()]],
    ])('should launch %s, freezing its audience', (_, history) =>
      given(history())
        .when(launch())
        .then([
          {
            type: 'CampaignStarted',
            data: {
              campaignId,
              tenantId,
              startedAt: now.toISOString(),
              audience: { listIds, recipients: 10, excluded },
            },
          },
        ]),
    );

    it('should be Sending, still queueing, once launched', () =>
      given([drafted(), scheduled()])
        .when(launch())
        .thenStateMatches({
          status: 'Sending',
          startedAt: now.toISOString(),
          sendAt: daysAfter(now, 1).toISOString(),
          queuedMessages: null,
        }));

    it('should launch an audience of nobody', () =>
      given([drafted()])
        .when(launch({ recipients: 0 }))
        .thenStateMatches({ status: 'Sending' }));

    it('should refuse a campaign without lists', () =>
      given([aCampaignDrafted({ campaignId, tenantId, listIds: [] })])
        .when(launch())
        .thenThrows(CampaignError, withCode('CAMPAIGN_HAS_NO_LISTS')));

    it.each([[-1], [1.5], [Number.NaN]])('should refuse a count of %p', (recipients) =>
      given([drafted()])
        .when(launch({ recipients }))
        .thenThrows(CampaignError, withCode('INVALID_AUDIENCE')),
    );

    it('should not complete, pause or resume a launch that has not started', () => {
      for (const command of [complete(), pause(), resume()]) {
        given([drafted()])
          .when(command)
          .thenThrows(CampaignError, withCode('CAMPAIGN_NOT_STARTED'));
      }
    });

    it('should not let another tenant launch it', () =>
      given([drafted()])
        .when(launch({ tenant: anId() }))
        .thenThrows(CampaignError, withCode('CAMPAIGN_NOT_FOUND')));
  });

  describe('When sending', () => {
    it('should record nothing when launched again (a restart, a second call)', () =>
      given([drafted(), started()]).when(launch()).thenNothing());

    it('should complete the launch with the number of messages queued', () =>
      given([drafted(), started()])
        .when(complete(10))
        .then([
          {
            type: 'CampaignQueued',
            data: { campaignId, tenantId, messages: 10, queuedAt: later.toISOString() },
          },
        ]));

    it('should record nothing when the launch completes again', () =>
      given([drafted(), started(), queued()]).when(complete(10)).thenNothing());

    it('should pause it', () =>
      given([drafted(), started(), queued()])
        .when(pause())
        .then([
          { type: 'CampaignPaused', data: { campaignId, tenantId, pausedAt: later.toISOString() } },
        ]));

    it('should record nothing when resumed while sending', () =>
      given([drafted(), started()]).when(resume()).thenNothing());

    it('should be cancelled mid-send, remembering it had started', () =>
      given([drafted(), started(), queued()])
        .when(aCancelCampaign({ campaignId, tenantId, now: later }))
        .thenState({
          status: 'Cancelled',
          campaignId,
          tenantId,
          cancelledAt: later.toISOString(),
          startedAt: now.toISOString(),
        }));

    it.each<[string, () => CampaignCommand]>([
      ['revised', () => aReviseCampaign({ campaignId, tenantId })],
      ['rescheduled', () => aScheduleCampaign({ campaignId, tenantId, now })],
    ])('should not be %s', (_, command) =>
      given([drafted(), started()])
        .when(command())
        .thenThrows(CampaignError, withCode('CAMPAIGN_ALREADY_STARTED')),
    );

    it('should not be deleted before it is cancelled', () =>
      given([drafted(), started()])
        .when({ type: 'DeleteCampaign', data: { campaignId, tenantId }, metadata: { now } })
        .thenThrows(CampaignError, withCode('CAMPAIGN_ALREADY_STARTED')));
  });

  describe('When paused', () => {
    it('should resume it', () =>
      given([drafted(), started(), paused()])
        .when(resume())
        .then([
          {
            type: 'CampaignResumed',
            data: { campaignId, tenantId, resumedAt: later.toISOString() },
          },
        ]));

    it('should be Sending again once resumed', () =>
      given([drafted(), started(), paused()])
        .when(resume())
        .thenStateMatches({ status: 'Sending' }));

    it('should record nothing when paused again', () =>
      given([drafted(), started(), paused()]).when(pause()).thenNothing());

    it('should still complete its launch (queueing goes on while paused)', () =>
      given([drafted(), started(), paused()])
        .when(complete(10))
        .thenStateMatches({ status: 'Paused', queuedMessages: 10 }));

    it('should be cancelled', () =>
      given([drafted(), started(), paused()])
        .when(aCancelCampaign({ campaignId, tenantId, now: later }))
        .thenStateMatches({ status: 'Cancelled', startedAt: now.toISOString() }));
  });

  describe('When every message reached its outcome', () => {
    const finish = (): CampaignCommand => ({
      type: 'CompleteCampaign',
      data: { campaignId, tenantId },
      metadata: { now: later },
    });
    const completed = (): CampaignEvent => ({
      type: 'CampaignCompleted',
      data: { campaignId, tenantId, completedAt: later.toISOString() },
    });

    it.each<[string, () => CampaignEvent[]]>([
      ['a sending campaign', () => [drafted(), started(), queued()]],
      ['a paused campaign', () => [drafted(), started(), queued(), paused()]],
    ])('should complete %s', (_, history) => given(history()).when(finish()).then([completed()]));

    it('should be Completed, its launch kept, once completed', () =>
      given([drafted(), started(), queued(), paused()]).when(finish()).thenStateMatches({
        status: 'Completed',
        completedAt: later.toISOString(),
        queuedMessages: 10,
        startedAt: now.toISOString(),
      }));

    it('should record nothing when completed again', () =>
      given([drafted(), started(), queued(), completed()]).when(finish()).thenNothing());

    it('should not complete a launch still queueing', () =>
      given([drafted(), started()])
        .when(finish())
        .thenThrows(CampaignError, withCode('CAMPAIGN_STILL_QUEUEING')));

    it.each<[string, () => CampaignEvent[], CampaignErrorCode]>([
      ['a draft', () => [drafted()], 'CAMPAIGN_NOT_STARTED'],
      [
        'a cancelled campaign',
        () => [drafted(), aCampaignCancelled({ campaignId, tenantId })],
        'CAMPAIGN_CANCELLED',
      ],
    ])('should not complete %s', (_, history, code) =>
      given(history()).when(finish()).thenThrows(CampaignError, withCode(code)),
    );

    it.each<[string, () => CampaignCommand]>([
      ['paused', pause],
      ['resumed', resume],
      ['cancelled', () => aCancelCampaign({ campaignId, tenantId, now: later })],
    ])('should not be %s once completed', (_, command) =>
      given([drafted(), started(), queued(), completed()])
        .when(command())
        .thenThrows(CampaignError, withCode('CAMPAIGN_COMPLETED')),
    );

    it('should record nothing when launched again', () =>
      given([drafted(), started(), queued(), completed()]).when(launch()).thenNothing());
  });

  describe('When cancelled', () => {
    it.each<[string, () => CampaignCommand]>([
      ['launched', () => launch()],
      ['completed', () => complete()],
      ['paused', () => pause()],
      ['resumed', () => resume()],
    ])('should not be %s', (_, command) =>
      given([drafted(), started(), aCampaignCancelled({ campaignId, tenantId })])
        .when(command())
        .thenThrows(CampaignError, withCode('CAMPAIGN_CANCELLED')),
    );

    it('should not launch a campaign cancelled before its launch', () =>
      given([drafted(), aCampaignCancelled({ campaignId, tenantId })])
        .when(launch())
        .thenThrows(CampaignError, withCode('CAMPAIGN_CANCELLED')));
  });
});
