import { DomainError, type ErrorKindTable } from '../core/domain-error.js';

export type CampaignErrorCode =
  | 'CAMPAIGN_NOT_FOUND'
  | 'CAMPAIGN_ALREADY_EXISTS'
  | 'CAMPAIGN_CANCELLED'
  | 'SEND_AT_IN_PAST'
  | 'INVALID_SEND_AT'
  | 'INVALID_CAMPAIGN_NAME'
  | 'INVALID_SUBJECT'
  | 'INVALID_FROM_ADDRESS'
  | 'INVALID_FROM_NAME'
  | 'INVALID_MJML_BODY'
  | 'INVALID_TEMPLATE_REF'
  | 'INVALID_LIST_IDS'
  | 'INVALID_CAMPAIGN_CHANGES'
  | 'INVALID_CANCEL_REASON';

/** The one place a campaign error code gets its API kind. */
export const campaignErrorKinds: ErrorKindTable<CampaignErrorCode> = {
  CAMPAIGN_NOT_FOUND: 'NOT_FOUND',
  CAMPAIGN_ALREADY_EXISTS: 'CONFLICT',
  CAMPAIGN_CANCELLED: 'CONFLICT',
  SEND_AT_IN_PAST: 'BAD_USER_INPUT',
  INVALID_SEND_AT: 'BAD_USER_INPUT',
  INVALID_CAMPAIGN_NAME: 'BAD_USER_INPUT',
  INVALID_SUBJECT: 'BAD_USER_INPUT',
  INVALID_FROM_ADDRESS: 'BAD_USER_INPUT',
  INVALID_FROM_NAME: 'BAD_USER_INPUT',
  INVALID_MJML_BODY: 'BAD_USER_INPUT',
  INVALID_TEMPLATE_REF: 'BAD_USER_INPUT',
  INVALID_LIST_IDS: 'BAD_USER_INPUT',
  INVALID_CAMPAIGN_CHANGES: 'BAD_USER_INPUT',
  INVALID_CANCEL_REASON: 'BAD_USER_INPUT',
};

export class CampaignError extends DomainError<CampaignErrorCode> {
  constructor(code: CampaignErrorCode, message?: string) {
    super(code, campaignErrorKinds, message);
  }
}
