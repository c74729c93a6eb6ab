import { BillingError } from '../billing/billing.errors.js';
import { assertNever } from '../core/assert-never.js';
import { hasLineBreak, isUuid, isValidDate, utf8ByteLength } from '../core/validation.js';

import type {
  CampaignChangesInput,
  CampaignCommand,
  CancelCampaign,
  CompleteCampaign,
  CompleteCampaignLaunch,
  DeleteCampaign,
  DraftCampaign,
  LaunchCampaign,
  PauseCampaign,
  ResumeCampaign,
  ReviseCampaign,
  ScheduleCampaign,
} from './campaign.commands.js';
import { CampaignError } from './campaign.errors.js';
import type {
  CampaignAudienceExclusions,
  CampaignChanges,
  CampaignContent,
  CampaignEvent,
  CampaignTemplateRef,
} from './campaign.events.js';
import type { Campaign } from './campaign.state.js';

export const CAMPAIGN_LIMITS = {
  nameMaxLength: 200,
  /** RFC 5322 line limit. */
  subjectMaxLength: 998,
  fromAddressMaxLength: 254,
  fromNameMaxLength: 200,
  mjmlBodyMaxBytes: 512 * 1024,
  listIdsMaxCount: 50,
  cancelReasonMaxLength: 1000,
} as const;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export const decideCampaign = (command: CampaignCommand, state: Campaign): CampaignEvent[] => {
  switch (command.type) {
    case 'DraftCampaign':
      return draft(command, state);
    case 'ReviseCampaign':
      return revise(command, state);
    case 'ScheduleCampaign':
      return schedule(command, state);
    case 'CancelCampaign':
      return cancel(command, state);
    case 'DeleteCampaign':
      return remove(command, state);
    case 'LaunchCampaign':
      return launch(command, state);
    case 'CompleteCampaignLaunch':
      return completeLaunch(command, state);
    case 'PauseCampaign':
      return pause(command, state);
    case 'ResumeCampaign':
      return resume(command, state);
    case 'CompleteCampaign':
      return complete(command, state);
    default:
      return assertNever(command, 'Unknown campaign command');
  }
};

const draft = ({ data, metadata: { now } }: DraftCampaign, state: Campaign): CampaignEvent[] => {
  if (state.status !== 'Empty') throw new CampaignError('CAMPAIGN_ALREADY_EXISTS');
  const template = validTemplateRef(data.template);
  // With a template, the campaign needs no MJML of its own.
  const noBody = data.mjmlBody === undefined || data.mjmlBody === null || data.mjmlBody === '';
  return [
    {
      type: 'CampaignDrafted',
      data: {
        campaignId: data.campaignId,
        tenantId: data.tenantId,
        name: validName(data.name),
        subject: validSubject(data.subject),
        fromAddress: validFromAddress(data.fromAddress),
        fromName: validFromName(data.fromName),
        mjmlBody: template && noBody ? '' : validMjmlBody(data.mjmlBody),
        listIds: validListIds(data.listIds),
        ...(template ? { template } : {}),
        draftedAt: now.toISOString(),
      },
    },
  ];
};

const revise = ({ data, metadata: { now } }: ReviseCampaign, state: Campaign): CampaignEvent[] => {
  const campaign = notStarted(ownedBy(state, data.tenantId));
  const changes = diff(campaign, validChanges(data.changes));
  if (Object.keys(changes).length === 0) return [];
  const after = { ...campaign, ...changes };
  if (after.mjmlBody === '' && !after.template) {
    throw new CampaignError(
      'INVALID_CAMPAIGN_CHANGES',
      'A campaign without a template needs an mjmlBody',
    );
  }
  return [
    {
      type: 'CampaignRevised',
      data: {
        campaignId: campaign.campaignId,
        tenantId: campaign.tenantId,
        changes,
        revisedAt: now.toISOString(),
      },
    },
  ];
};

const schedule = (
  { data, metadata: { now } }: ScheduleCampaign,
  state: Campaign,
): CampaignEvent[] => {
  const campaign = notStarted(ownedBy(state, data.tenantId));
  if (!isValidDate(data.sendAt)) throw new CampaignError('INVALID_SEND_AT', 'sendAt is not a date');
  if (data.sendAt.getTime() <= now.getTime()) {
    throw new CampaignError('SEND_AT_IN_PAST', 'sendAt must be in the future');
  }
  const sendAt = data.sendAt.toISOString();
  if (campaign.status === 'Scheduled' && campaign.sendAt === sendAt) return [];
  return [
    {
      type: 'CampaignScheduled',
      data: {
        campaignId: campaign.campaignId,
        tenantId: campaign.tenantId,
        sendAt,
        scheduledAt: now.toISOString(),
      },
    },
  ];
};

const cancel = ({ data, metadata: { now } }: CancelCampaign, state: Campaign): CampaignEvent[] => {
  const campaign = ownedBy(state, data.tenantId);
  if (campaign.status === 'Cancelled') return [];
  if (campaign.status === 'Completed') {
    throw new CampaignError('CAMPAIGN_COMPLETED', 'Every message was sent: nothing to cancel');
  }
  return [
    {
      type: 'CampaignCancelled',
      data: {
        campaignId: campaign.campaignId,
        tenantId: campaign.tenantId,
        reason: validReason(data.reason),
        cancelledAt: now.toISOString(),
      },
    },
  ];
};

const remove = ({ data, metadata: { now } }: DeleteCampaign, state: Campaign): CampaignEvent[] => {
  if (state.status === 'Deleted' && state.tenantId === data.tenantId) return [];
  const campaign = ownedBy(state, data.tenantId);
  if (campaign.status === 'Sending' || campaign.status === 'Paused') {
    throw new CampaignError('CAMPAIGN_ALREADY_STARTED', 'Cancel the campaign before deleting it');
  }
  return [
    {
      type: 'CampaignDeleted',
      data: {
        campaignId: campaign.campaignId,
        tenantId: campaign.tenantId,
        deletedAt: now.toISOString(),
      },
    },
  ];
};

const launch = ({ data, metadata: { now } }: LaunchCampaign, state: Campaign): CampaignEvent[] => {
  const campaign = ownedBy(state, data.tenantId);
  if (campaign.status === 'Cancelled') throw new CampaignError('CAMPAIGN_CANCELLED');
  // Started already (a second launch, or a restarted worker): the launch goes on, nothing new.
  if (
    campaign.status === 'Sending' ||
    campaign.status === 'Paused' ||
    campaign.status === 'Completed'
  ) {
    return [];
  }
  if (campaign.listIds.length === 0) {
    throw new CampaignError('CAMPAIGN_HAS_NO_LISTS', 'A campaign needs a contact list to launch');
  }
  const recipients = validCount(data.recipients);
  // A limit at or over the audience limits nothing.
  const sendLimit =
    data.sendLimit === undefined || data.sendLimit === null
      ? undefined
      : Math.min(validCount(data.sendLimit), recipients);
  return [
    {
      type: 'CampaignStarted',
      data: {
        campaignId: campaign.campaignId,
        tenantId: campaign.tenantId,
        startedAt: now.toISOString(),
        audience: {
          listIds: [...campaign.listIds],
          recipients,
          excluded: validExclusions(data.excluded),
        },
        ...(sendLimit !== undefined && sendLimit < recipients ? { sendLimit } : {}),
      },
    },
  ];
};

const completeLaunch = (
  { data, metadata: { now } }: CompleteCampaignLaunch,
  state: Campaign,
): CampaignEvent[] => {
  const campaign = started(ownedBy(state, data.tenantId));
  if (campaign.queuedMessages !== null) return [];
  const queued: CampaignEvent = {
    type: 'CampaignQueued',
    data: {
      campaignId: campaign.campaignId,
      tenantId: campaign.tenantId,
      messages: validCount(data.messages),
      queuedAt: now.toISOString(),
    },
  };
  // Nothing more to send this month (a launch with no quota left): it pauses at once.
  if (campaign.status === 'Sending' && campaign.heldRecipients > 0 && data.messages === 0) {
    return [queued, quotaPause(campaign, now)];
  }
  return [queued];
};

const quotaPause = (
  campaign: Readonly<{ campaignId: string; tenantId: string }>,
  now: Date,
): CampaignEvent => ({
  type: 'CampaignPaused',
  data: {
    campaignId: campaign.campaignId,
    tenantId: campaign.tenantId,
    pausedAt: now.toISOString(),
    reason: 'quota',
  },
});

const pause = ({ data, metadata: { now } }: PauseCampaign, state: Campaign): CampaignEvent[] => {
  const campaign = started(ownedBy(state, data.tenantId));
  if (campaign.status === 'Paused') return [];
  return [
    {
      type: 'CampaignPaused',
      data: {
        campaignId: campaign.campaignId,
        tenantId: campaign.tenantId,
        pausedAt: now.toISOString(),
      },
    },
  ];
};

const resume = ({ data, metadata: { now } }: ResumeCampaign, state: Campaign): CampaignEvent[] => {
  const campaign = started(ownedBy(state, data.tenantId));
  if (campaign.status === 'Sending') return [];
  if (campaign.pausedReason === 'quota' && campaign.heldRecipients > 0) {
    // Paused for the quota: resuming releases what the month's quota has left now (null:
    // unlimited). Not given (the caller did not check the quota): nothing is released.
    const allowance = data.allowance === null ? null : validCount(data.allowance ?? 0);
    const released =
      allowance === null ? campaign.heldRecipients : Math.min(campaign.heldRecipients, allowance);
    if (released === 0) {
      throw new BillingError(
        'MONTHLY_QUOTA_EXCEEDED',
        `No messages are left this month for the ${campaign.heldRecipients} held back`,
        { left: 0, held: campaign.heldRecipients },
      );
    }
    return [
      {
        type: 'CampaignResumed',
        data: {
          campaignId: campaign.campaignId,
          tenantId: campaign.tenantId,
          resumedAt: now.toISOString(),
          released,
        },
      },
    ];
  }
  return [
    {
      type: 'CampaignResumed',
      data: {
        campaignId: campaign.campaignId,
        tenantId: campaign.tenantId,
        resumedAt: now.toISOString(),
      },
    },
  ];
};

const complete = (
  { data, metadata: { now } }: CompleteCampaign,
  state: Campaign,
): CampaignEvent[] => {
  const owned = ownedBy(state, data.tenantId);
  if (owned.status === 'Completed') return [];
  const campaign = started(owned);
  if (campaign.queuedMessages === null) {
    throw new CampaignError('CAMPAIGN_STILL_QUEUEING', 'The launch is still queueing messages');
  }
  if (campaign.heldRecipients > 0) {
    // The messages the quota allowed are done, others are held back: paused for the quota until
    // a resume releases them. A campaign paused by hand meanwhile is now held by the quota too,
    // so its resume releases them (and the delivery worker stops looking at it).
    return campaign.status === 'Paused' && campaign.pausedReason === 'quota'
      ? []
      : [quotaPause(campaign, now)];
  }
  return [
    {
      type: 'CampaignCompleted',
      data: {
        campaignId: campaign.campaignId,
        tenantId: campaign.tenantId,
        completedAt: now.toISOString(),
      },
    },
  ];
};

/** Draft or scheduled: its content and schedule may still change. */
const notStarted = (
  campaign: Exclude<Campaign, { status: 'Empty' | 'Deleted' }>,
): Extract<Campaign, { status: 'Draft' | 'Scheduled' }> => {
  if (campaign.status === 'Cancelled') throw new CampaignError('CAMPAIGN_CANCELLED');
  if (
    campaign.status === 'Sending' ||
    campaign.status === 'Paused' ||
    campaign.status === 'Completed'
  ) {
    throw new CampaignError('CAMPAIGN_ALREADY_STARTED', 'The campaign was launched');
  }
  return campaign;
};

/** Launched and not cancelled. */
const started = (
  campaign: Exclude<Campaign, { status: 'Empty' | 'Deleted' }>,
): Extract<Campaign, { status: 'Sending' | 'Paused' }> => {
  if (campaign.status === 'Cancelled') throw new CampaignError('CAMPAIGN_CANCELLED');
  if (campaign.status === 'Completed') {
    throw new CampaignError('CAMPAIGN_COMPLETED', 'Every message was sent: sending is over');
  }
  if (campaign.status === 'Draft' || campaign.status === 'Scheduled') {
    throw new CampaignError('CAMPAIGN_NOT_STARTED', 'The campaign has not been launched');
  }
  return campaign;
};

const validCount = (count: unknown): number => {
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) {
    throw new CampaignError('INVALID_AUDIENCE', 'Counts are whole numbers, at least 0');
  }
  return count;
};

const validExclusions = (excluded: CampaignAudienceExclusions): CampaignAudienceExclusions => {
  if (typeof excluded !== 'object' || excluded === null) {
    throw new CampaignError('INVALID_AUDIENCE', 'excluded must be an object of counts');
  }
  return {
    suppressed: validCount(excluded.suppressed),
    unsubscribed: validCount(excluded.unsubscribed),
    restricted: validCount(excluded.restricted),
    objected: validCount(excluded.objected),
    erased: validCount(excluded.erased),
    pending: validCount(excluded.pending),
  };
};

/** A campaign of another tenant, or a deleted one, does not exist as far as this tenant can tell. */
const ownedBy = (
  state: Campaign,
  tenantId: string,
): Exclude<Campaign, { status: 'Empty' | 'Deleted' }> => {
  if (state.status === 'Empty' || state.status === 'Deleted' || state.tenantId !== tenantId) {
    throw new CampaignError('CAMPAIGN_NOT_FOUND');
  }
  return state;
};

// ── Validation: each returns the normalised value or throws a typed error ──────────────────────

const validName = (name: unknown): string => {
  const trimmed = typeof name === 'string' ? name.trim() : '';
  if (trimmed.length < 1 || trimmed.length > CAMPAIGN_LIMITS.nameMaxLength) {
    throw new CampaignError(
      'INVALID_CAMPAIGN_NAME',
      `Campaign name must be 1 to ${CAMPAIGN_LIMITS.nameMaxLength} characters`,
    );
  }
  return trimmed;
};

const validSubject = (subject: unknown): string => {
  const trimmed = typeof subject === 'string' ? subject.trim() : '';
  if (
    trimmed.length < 1 ||
    trimmed.length > CAMPAIGN_LIMITS.subjectMaxLength ||
    hasLineBreak(trimmed)
  ) {
    throw new CampaignError(
      'INVALID_SUBJECT',
      `Subject must be 1 to ${CAMPAIGN_LIMITS.subjectMaxLength} characters on one line`,
    );
  }
  return trimmed;
};

const validFromAddress = (fromAddress: unknown): string => {
  if (
    typeof fromAddress !== 'string' ||
    fromAddress.length > CAMPAIGN_LIMITS.fromAddressMaxLength ||
    !EMAIL.test(fromAddress)
  ) {
    throw new CampaignError('INVALID_FROM_ADDRESS', 'fromAddress must be an email address');
  }
  return fromAddress;
};

const validFromName = (fromName: unknown): string | null => {
  if (fromName === undefined || fromName === null) return null;
  if (typeof fromName !== 'string') {
    throw new CampaignError('INVALID_FROM_NAME', 'fromName must be a string');
  }
  const trimmed = fromName.trim();
  if (trimmed.length > CAMPAIGN_LIMITS.fromNameMaxLength || hasLineBreak(trimmed)) {
    throw new CampaignError(
      'INVALID_FROM_NAME',
      `fromName must be at most ${CAMPAIGN_LIMITS.fromNameMaxLength} characters on one line`,
    );
  }
  return trimmed.length === 0 ? null : trimmed;
};

const validMjmlBody = (mjmlBody: unknown): string => {
  if (
    typeof mjmlBody !== 'string' ||
    mjmlBody.trim().length === 0 ||
    mjmlBody.length > CAMPAIGN_LIMITS.mjmlBodyMaxBytes ||
    utf8ByteLength(mjmlBody) > CAMPAIGN_LIMITS.mjmlBodyMaxBytes ||
    !mjmlBody.includes('<mjml')
  ) {
    throw new CampaignError(
      'INVALID_MJML_BODY',
      `mjmlBody must be an <mjml> document of at most ${CAMPAIGN_LIMITS.mjmlBodyMaxBytes} bytes`,
    );
  }
  return mjmlBody;
};

/** A template reference (the caller has checked that it exists); null or absent: none. */
const validTemplateRef = (ref: unknown): CampaignTemplateRef | null => {
  if (ref === undefined || ref === null) return null;
  const { templateId, revision } = ref as { templateId?: unknown; revision?: unknown };
  if (
    typeof ref !== 'object' ||
    !isUuid(templateId) ||
    typeof revision !== 'number' ||
    !Number.isSafeInteger(revision) ||
    revision < 1
  ) {
    throw new CampaignError(
      'INVALID_TEMPLATE_REF',
      'A template reference is a template id and a revision of at least 1',
    );
  }
  return { templateId, revision };
};

const validListIds = (listIds: unknown): readonly string[] => {
  const invalid = (): never => {
    throw new CampaignError(
      'INVALID_LIST_IDS',
      `listIds must be at most ${CAMPAIGN_LIMITS.listIdsMaxCount} distinct UUIDs`,
    );
  };
  if (!Array.isArray(listIds) || listIds.length > CAMPAIGN_LIMITS.listIdsMaxCount) return invalid();
  const seen = new Set<string>();
  for (const id of listIds as readonly unknown[]) {
    if (!isUuid(id)) return invalid();
    const key = id.toLowerCase();
    if (seen.has(key)) return invalid();
    seen.add(key);
  }
  return [...(listIds as readonly string[])];
};

const validReason = (reason: unknown): string | null => {
  if (reason === undefined || reason === null) return null;
  if (typeof reason !== 'string' || reason.trim().length > CAMPAIGN_LIMITS.cancelReasonMaxLength) {
    throw new CampaignError(
      'INVALID_CANCEL_REASON',
      `reason must be at most ${CAMPAIGN_LIMITS.cancelReasonMaxLength} characters`,
    );
  }
  const trimmed = reason.trim();
  return trimmed.length === 0 ? null : trimmed;
};

/** Validates and normalises the fields present; unknown keys are ignored. */
const validChanges = (changes: CampaignChangesInput | null | undefined): CampaignChanges => {
  if (typeof changes !== 'object' || changes === null) {
    throw new CampaignError('INVALID_CAMPAIGN_CHANGES', 'changes must be an object');
  }
  const valid: { -readonly [K in keyof CampaignContent]?: CampaignContent[K] } = {};
  if (changes.name !== undefined) valid.name = validName(changes.name);
  if (changes.subject !== undefined) valid.subject = validSubject(changes.subject);
  if (changes.fromAddress !== undefined) valid.fromAddress = validFromAddress(changes.fromAddress);
  if (changes.fromName !== undefined) valid.fromName = validFromName(changes.fromName);
  if (changes.mjmlBody !== undefined) valid.mjmlBody = validMjmlBody(changes.mjmlBody);
  if (changes.listIds !== undefined) valid.listIds = validListIds(changes.listIds);
  if (changes.template !== undefined) valid.template = validTemplateRef(changes.template);
  if (Object.keys(valid).length === 0) {
    throw new CampaignError('INVALID_CAMPAIGN_CHANGES', 'changes must name at least one field');
  }
  return valid;
};

/** The requested changes that differ from the current content (list ids compared as a set). */
const diff = (current: CampaignContent, requested: CampaignChanges): CampaignChanges => {
  const changed: { -readonly [K in keyof CampaignContent]?: CampaignContent[K] } = {};
  if (requested.name !== undefined && requested.name !== current.name) {
    changed.name = requested.name;
  }
  if (requested.subject !== undefined && requested.subject !== current.subject) {
    changed.subject = requested.subject;
  }
  if (requested.fromAddress !== undefined && requested.fromAddress !== current.fromAddress) {
    changed.fromAddress = requested.fromAddress;
  }
  if (requested.fromName !== undefined && requested.fromName !== current.fromName) {
    changed.fromName = requested.fromName;
  }
  if (requested.mjmlBody !== undefined && requested.mjmlBody !== current.mjmlBody) {
    changed.mjmlBody = requested.mjmlBody;
  }
  if (requested.listIds !== undefined && !sameIds(requested.listIds, current.listIds)) {
    changed.listIds = requested.listIds;
  }
  if (
    requested.template !== undefined &&
    !sameTemplate(requested.template, current.template ?? null)
  ) {
    changed.template = requested.template;
  }
  return changed;
};

const sameTemplate = (a: CampaignTemplateRef | null, b: CampaignTemplateRef | null): boolean =>
  a === null || b === null
    ? a === b
    : a.templateId.toLowerCase() === b.templateId.toLowerCase() && a.revision === b.revision;

const sameIds = (a: readonly string[], b: readonly string[]): boolean => {
  if (a.length !== b.length) return false;
  const ids = new Set(b.map((id) => id.toLowerCase()));
  return a.every((id) => ids.has(id.toLowerCase()));
};
