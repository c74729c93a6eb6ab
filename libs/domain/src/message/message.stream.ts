export const MESSAGE_STREAM_CATEGORY = 'message';

/** `message-<messageId>`: one history per recipient per campaign. */
export const toMessageStreamId = (messageId: string): string =>
  `${MESSAGE_STREAM_CATEGORY}-${messageId}`;

/** The name a message id is derived from (by the caller, e.g. with a name-based UUID). */
export const messageIdName = (campaignId: string, recipientId: string): string =>
  `message:${campaignId}:${recipientId}`;
