import { IsInt, IsOptional, IsString, IsUUID, Length, Min } from 'class-validator';

import { CreateTemplateInput, ReviseTemplateInput } from '../graphql/graphql.generated.js';

/*
 * Input DTOs extend the classes generated from schema.graphql and add the validation rules.
 * Shape and size are checked here; MJML and merge fields by the TemplateCompiler, transitions by
 * the template decider.
 */

/** Characters; the decider checks the same limit in UTF-8 bytes. */
const MAX_MJML = 512 * 1024;

export class CreateTemplateInputDto extends CreateTemplateInput {
  @IsString() @Length(1, 200) declare name: string;
  @IsString() @Length(1, MAX_MJML) declare mjml: string;
  @IsOptional() @IsString() @Length(1, 200) declare idempotencyKey?: string | null;
}

export class ReviseTemplateInputDto extends ReviseTemplateInput {
  @IsUUID('all') declare id: string;
  @IsOptional() @IsInt() @Min(1) declare expectedRevision?: number | null;
  @IsOptional() @IsString() @Length(1, 200) declare name?: string | null;
  @IsOptional() @IsString() @Length(1, MAX_MJML) declare mjml?: string | null;
  @IsOptional() @IsString() @Length(1, 200) declare idempotencyKey?: string | null;
}
