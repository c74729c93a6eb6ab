export const TEMPLATE_STREAM_CATEGORY = 'template';

export const toTemplateStreamId = (templateId: string): string =>
  `${TEMPLATE_STREAM_CATEGORY}-${templateId}`;
