export const ACCOUNT_STREAM_CATEGORY = 'account';

export const toAccountStreamId = (accountId: string): string =>
  `${ACCOUNT_STREAM_CATEGORY}-${accountId}`;
