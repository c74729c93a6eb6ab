export const RECIPIENT_STREAM_CATEGORY = 'recipient';

export const toRecipientStreamId = (recipientId: string): string =>
  `${RECIPIENT_STREAM_CATEGORY}-${recipientId}`;
