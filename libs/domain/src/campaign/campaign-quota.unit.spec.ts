import { beforeEach, describe, it } from '@jest/globals';

import {
  BillingError,
  campaignDecider,
  type CampaignAudienceExclusions,
  type CampaignCommand,
  type CampaignEvent,
} from '#domain';

import {
  aCampaignDrafted,
  defaultCampaignTenantId,
} from '../../../testing/src/builders/campaign.builders.js';
import { aNow, anId, minutesAfter } from '../../../testing/src/builders/common.builders.js';
import { DeciderSpecification } from '../../../testing/src/decider-specification.js';

const given = DeciderSpecification.for(campaignDecider);

const quotaExceeded = (error: BillingError) => error.code === 'MONTHLY_QUOTA_EXCEEDED';

/** "Send up to the quota and pause" (issue 6): a launch limited by the month's quota. */
describe('Campaign launch limited by the monthly quota', () => {
  const now = aNow();
  const later = minutesAfter(now, 30);
  const nextMonth = minutesAfter(now, 60 * 24 * 31);
  const tenantId = defaultCampaignTenantId;
  const excluded: CampaignAudienceExclusions = {
    suppressed: 0,
    unsubscribed: 0,
    restricted: 0,
    objected: 0,
    erased: 0,
    pending: 0,
  };
  let campaignId: string;
  let listIds: string[];

  beforeEach(() => {
    campaignId = anId();
    listIds = [anId()];
  });

  const drafted = () => aCampaignDrafted({ campaignId, tenantId, listIds });
  const started = (sendLimit?: number): CampaignEvent => ({
    type: 'CampaignStarted',
    data: {
      campaignId,
      tenantId,
      startedAt: now.toISOString(),
      audience: { listIds, recipients: 5, excluded },
      ...(sendLimit !== undefined ? { sendLimit } : {}),
    },
  });
  const queued = (messages: number): CampaignEvent => ({
    type: 'CampaignQueued',
    data: { campaignId, tenantId, messages, queuedAt: now.toISOString() },
  });
  const quotaPaused = (): CampaignEvent => ({
    type: 'CampaignPaused',
    data: { campaignId, tenantId, pausedAt: later.toISOString(), reason: 'quota' },
  });
  const released = (count: number): CampaignEvent => ({
    type: 'CampaignResumed',
    data: { campaignId, tenantId, resumedAt: nextMonth.toISOString(), released: count },
  });

  const launch = (sendLimit?: number): CampaignCommand => ({
    type: 'LaunchCampaign',
    data: {
      campaignId,
      tenantId,
      recipients: 5,
      excluded,
      ...(sendLimit !== undefined ? { sendLimit } : {}),
    },
    metadata: { now },
  });
  const completeLaunch = (messages: number): CampaignCommand => ({
    type: 'CompleteCampaignLaunch',
    data: { campaignId, tenantId, messages },
    metadata: { now: later },
  });
  const finish = (): CampaignCommand => ({
    type: 'CompleteCampaign',
    data: { campaignId, tenantId },
    metadata: { now: later },
  });
  const resume = (allowance?: number | null): CampaignCommand => ({
    type: 'ResumeCampaign',
    data: { campaignId, tenantId, ...(allowance !== undefined ? { allowance } : {}) },
    metadata: { now: nextMonth },
  });

  describe('When launched with a send limit', () => {
    it('should record the limit with the frozen audience', () =>
      given([drafted()])
        .when(launch(3))
        .then([
          {
            type: 'CampaignStarted',
            data: {
              campaignId,
              tenantId,
              startedAt: now.toISOString(),
              audience: { listIds, recipients: 5, excluded },
              sendLimit: 3,
            },
          },
        ]));

    it('should hold the members over the limit back', () =>
      given([drafted()])
        .when(launch(3))
        .thenStateMatches({ status: 'Sending', limited: true, heldRecipients: 2 }));

    it('should record no limit when it covers the whole audience', () =>
      given([drafted()])
        .when(launch(5))
        .then([
          {
            type: 'CampaignStarted',
            data: {
              campaignId,
              tenantId,
              startedAt: now.toISOString(),
              audience: { listIds, recipients: 5, excluded },
            },
          },
        ]));

    it('should pause at once when the quota left nothing to send', () =>
      given([drafted(), started(0)])
        .when(completeLaunch(0))
        .then([
          {
            type: 'CampaignQueued',
            data: { campaignId, tenantId, messages: 0, queuedAt: later.toISOString() },
          },
          {
            type: 'CampaignPaused',
            data: { campaignId, tenantId, pausedAt: later.toISOString(), reason: 'quota' },
          },
        ]));
  });

  describe('When the messages the quota allowed are done', () => {
    it('should pause for the quota instead of completing', () =>
      given([drafted(), started(3), queued(3)])
        .when(finish())
        .then([quotaPaused()]));

    it('should be Paused for the quota', () =>
      given([drafted(), started(3), queued(3)])
        .when(finish())
        .thenStateMatches({ status: 'Paused', pausedReason: 'quota', heldRecipients: 2 }));

    it('should record nothing when asked again', () =>
      given([drafted(), started(3), queued(3), quotaPaused()])
        .when(finish())
        .thenNothing());

    it('should complete once nothing is held back', () =>
      given([drafted(), started(3), queued(3), quotaPaused(), released(2), queued(5)])
        .when(finish())
        .then([
          {
            type: 'CampaignCompleted',
            data: { campaignId, tenantId, completedAt: later.toISOString() },
          },
        ]));
  });

  describe('When resumed after a pause for the quota', () => {
    it('should release what the quota has left, up to the members held back', () =>
      given([drafted(), started(3), queued(3), quotaPaused()])
        .when(resume(1000))
        .then([released(2)]));

    it('should release only what is left', () =>
      given([drafted(), started(3), queued(3), quotaPaused()])
        .when(resume(1))
        .then([released(1)]));

    it('should release every member held back on an unlimited plan', () =>
      given([drafted(), started(3), queued(3), quotaPaused()])
        .when(resume(null))
        .then([released(2)]));

    it('should be Sending and queueing the released members', () =>
      given([drafted(), started(3), queued(3), quotaPaused()])
        .when(resume(1))
        .thenStateMatches({ status: 'Sending', queuedMessages: null, heldRecipients: 1 }));

    it.each([[0], [undefined]])('should refuse with %p left, nothing changed', (allowance) =>
      given([drafted(), started(3), queued(3), quotaPaused()])
        .when(resume(allowance))
        .thenThrows(BillingError, quotaExceeded),
    );

    it('should pause again when the released messages are done and members are still held', () =>
      given([drafted(), started(3), queued(3), quotaPaused(), released(1), queued(4)])
        .when(finish())
        .then([
          {
            type: 'CampaignPaused',
            data: { campaignId, tenantId, pausedAt: later.toISOString(), reason: 'quota' },
          },
        ]));
  });

  describe('When paused or resumed by hand', () => {
    const manualPause = (): CampaignEvent => ({
      type: 'CampaignPaused',
      data: { campaignId, tenantId, pausedAt: later.toISOString() },
    });

    it('should resume a manual pause as before, releasing nothing', () =>
      given([drafted(), started(3), queued(3), manualPause()])
        .when(resume())
        .then([
          {
            type: 'CampaignResumed',
            data: { campaignId, tenantId, resumedAt: nextMonth.toISOString() },
          },
        ]));

    it('should hand a campaign paused by hand to the quota when its messages are done', () =>
      given([drafted(), started(3), queued(3), manualPause()])
        .when(finish())
        .then([quotaPaused()]));

    it('should then release the members held back when resumed', () =>
      given([drafted(), started(3), queued(3), manualPause(), quotaPaused()])
        .when(resume(2))
        .then([released(2)]));
  });

  describe('When replaying events recorded before the setting', () => {
    it('should hold nothing back and read an old pause as manual', () =>
      given([
        drafted(),
        started(),
        queued(5),
        {
          type: 'CampaignPaused',
          data: { campaignId, tenantId, pausedAt: later.toISOString() },
        },
      ])
        .when(resume())
        .thenStateMatches({ status: 'Sending', heldRecipients: 0, limited: false }));

    it('should complete an old launch as before', () =>
      given([drafted(), started(), queued(5)])
        .when(finish())
        .then([
          {
            type: 'CampaignCompleted',
            data: { campaignId, tenantId, completedAt: later.toISOString() },
          },
        ]));
  });
});
