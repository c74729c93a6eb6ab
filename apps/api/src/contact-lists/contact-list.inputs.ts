import { IsInt, IsOptional, IsString, IsUUID, Length, Min } from 'class-validator';

import {
  CreateContactListInput,
  DeleteContactListInput,
  RenameContactListInput,
} from '../graphql/graphql.generated.js';

export class CreateContactListInputDto extends CreateContactListInput {
  @IsString() @Length(1, 200) declare name: string;
  @IsOptional() @IsString() @Length(1, 200) declare idempotencyKey?: string | null;
}

export class RenameContactListInputDto extends RenameContactListInput {
  @IsUUID('all') declare id: string;
  @IsString() @Length(1, 200) declare name: string;
  @IsOptional() @IsInt() @Min(0) declare expectedRevision?: number | null;
  @IsOptional() @IsString() @Length(1, 200) declare idempotencyKey?: string | null;
}

export class DeleteContactListInputDto extends DeleteContactListInput {
  @IsUUID('all') declare id: string;
  @IsOptional() @IsInt() @Min(0) declare expectedRevision?: number | null;
  @IsOptional() @IsString() @Length(1, 200) declare idempotencyKey?: string | null;
}
