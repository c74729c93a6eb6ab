import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsDate,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  MaxLength,
  Min,
} from 'class-validator';

import {
  CancelCampaignInput,
  DeleteCampaignInput,
  DraftCampaignInput,
  ReviseCampaignInput,
  ScheduleCampaignInput,
} from '../graphql/graphql.generated.js';

/*
 * Input DTOs extend the classes generated from schema.graphql and add the validation rules.
 * Shape and size are checked here; business rules (future send time, allowed transitions) in the
 * domain deciders.
 */

const MAX_MJML = 512 * 1024;

export class DraftCampaignInputDto extends DraftCampaignInput {
  @IsString() @Length(1, 200) declare name: string;
  @IsString() @Length(1, 998) declare subject: string;
  @IsString() @Length(3, 254) declare fromAddress: string;
  @IsOptional() @IsString() @MaxLength(200) declare fromName?: string | null;
  @IsOptional() @IsString() @Length(1, MAX_MJML) declare mjmlBody?: string | null;
  @IsOptional() @IsArray() @ArrayMaxSize(50) @IsUUID('all', { each: true }) declare listIds?:
    string[] | null;
  @IsOptional() @IsUUID('all') declare templateId?: string | null;
  @IsOptional() @IsInt() @Min(1) declare templateRevision?: number | null;
  @IsOptional() @IsString() @Length(1, 200) declare idempotencyKey?: string | null;
}

export class ReviseCampaignInputDto extends ReviseCampaignInput {
  @IsUUID('all') declare id: string;
  @IsOptional() @IsInt() @Min(0) declare expectedRevision?: number | null;
  @IsOptional() @IsString() @Length(1, 200) declare name?: string | null;
  @IsOptional() @IsString() @Length(1, 998) declare subject?: string | null;
  @IsOptional() @IsString() @Length(3, 254) declare fromAddress?: string | null;
  @IsOptional() @IsString() @MaxLength(200) declare fromName?: string | null;
  @IsOptional() @IsString() @Length(1, MAX_MJML) declare mjmlBody?: string | null;
  @IsOptional() @IsArray() @ArrayMaxSize(50) @IsUUID('all', { each: true }) declare listIds?:
    string[] | null;
  /** `null` detaches the template (IsOptional lets null through to the resolver). */
  @IsOptional() @IsUUID('all') declare templateId?: string | null;
  @IsOptional() @IsInt() @Min(1) declare templateRevision?: number | null;
  @IsOptional() @IsString() @Length(1, 200) declare idempotencyKey?: string | null;
}

export class ScheduleCampaignInputDto extends ScheduleCampaignInput {
  @IsUUID('all') declare id: string;
  @Type(() => Date) @IsDate() declare sendAt: Date;
  @IsOptional() @IsInt() @Min(0) declare expectedRevision?: number | null;
  @IsOptional() @IsString() @Length(1, 200) declare idempotencyKey?: string | null;
}

export class DeleteCampaignInputDto extends DeleteCampaignInput {
  @IsUUID('all') declare id: string;
  @IsOptional() @IsInt() @Min(0) declare expectedRevision?: number | null;
  @IsOptional() @IsString() @Length(1, 200) declare idempotencyKey?: string | null;
}

export class CancelCampaignInputDto extends CancelCampaignInput {
  @IsUUID('all') declare id: string;
  @IsOptional() @IsString() @MaxLength(1000) declare reason?: string | null;
  @IsOptional() @IsInt() @Min(0) declare expectedRevision?: number | null;
  @IsOptional() @IsString() @Length(1, 200) declare idempotencyKey?: string | null;
}
