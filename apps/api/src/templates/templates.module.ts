import { Module } from '@nestjs/common';

import { GetTemplateHandler, ListTemplatesHandler } from './template.queries.js';
import { TemplatesResolver } from './templates.resolver.js';

@Module({
  providers: [TemplatesResolver, GetTemplateHandler, ListTemplatesHandler],
})
export class TemplatesModule {}
