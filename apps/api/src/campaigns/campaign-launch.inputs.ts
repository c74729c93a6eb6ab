import { IsInt, IsOptional, IsString, IsUUID, Length, Min } from 'class-validator';

import {
  LaunchCampaignInput,
  PauseCampaignInput,
  ResumeCampaignInput,
} from '../graphql/graphql.generated.js';

export class LaunchCampaignInputDto extends LaunchCampaignInput {
  @IsUUID('all') declare id: string;
  @IsOptional() @IsInt() @Min(0) declare expectedRevision?: number | null;
  @IsOptional() @IsString() @Length(1, 200) declare idempotencyKey?: string | null;
}

export class PauseCampaignInputDto extends PauseCampaignInput {
  @IsUUID('all') declare id: string;
  @IsOptional() @IsInt() @Min(0) declare expectedRevision?: number | null;
  @IsOptional() @IsString() @Length(1, 200) declare idempotencyKey?: string | null;
}

export class ResumeCampaignInputDto extends ResumeCampaignInput {
  @IsUUID('all') declare id: string;
  @IsOptional() @IsInt() @Min(0) declare expectedRevision?: number | null;
  @IsOptional() @IsString() @Length(1, 200) declare idempotencyKey?: string | null;
}
