export const PRIVACY_REQUEST_STREAM_CATEGORY = 'privacyrequest';

export const toPrivacyRequestStreamId = (requestId: string): string =>
  `${PRIVACY_REQUEST_STREAM_CATEGORY}-${requestId}`;
