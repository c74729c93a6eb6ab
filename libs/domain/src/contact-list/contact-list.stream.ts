export const CONTACT_LIST_STREAM_CATEGORY = 'list';

export const toContactListStreamId = (listId: string): string =>
  `${CONTACT_LIST_STREAM_CATEGORY}-${listId}`;
