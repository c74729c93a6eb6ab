import { Type } from 'class-transformer';
import {
  IsEnum,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';

import {
  AddRecipientInput,
  ConfirmOptInInput,
  ConsentInput,
  ConsentSource,
  ContactsCsvMappingInput,
  ImportContactsInput,
  Regulation,
  SuppressEmailInput,
  LiftSuppressionInput,
  CorrectRecipientInput,
  DataSubjectRequestInput,
  ErasureBasis,
  EraseRecipientInput,
  RequestOptInInput,
  SubscribeRecipientInput,
  UnsubscribeRecipientInput,
} from '../graphql/graphql.generated.js';

// Content rules (address syntax, attribute shapes, limits) live in the domain; these only keep
// absurd input out before it reaches it.
const MAX_EMAIL = 320;

export class ConsentInputDto extends ConsentInput {
  @IsOptional() declare collectedAt?: Date | null;
  @IsOptional() @IsString() @Length(2, 45) declare ipAddress?: string | null;
}

export class AddRecipientInputDto extends AddRecipientInput {
  @IsString() @Length(1, MAX_EMAIL) declare email: string;
  @IsOptional() @IsString() @Length(0, 200) declare name?: string | null;
  @IsOptional() @IsObject() declare attributes?: unknown;
  @IsOptional() @IsUUID('all', { each: true }) declare listIds?: string[] | null;
  @IsOptional() @IsEnum(ConsentSource) declare source?: ConsentSource | null;
  @IsOptional()
  @ValidateNested()
  @Type(() => ConsentInputDto)
  declare consent?: ConsentInputDto | null;
  @IsOptional() @IsString() @Length(1, 200) declare idempotencyKey?: string | null;
}

export class CorrectRecipientInputDto extends CorrectRecipientInput {
  @IsUUID('all') declare id: string;
  @IsOptional() @IsUUID('all') declare requestId?: string | null;
  @IsOptional() @IsString() @Length(1, MAX_EMAIL) declare email?: string | null;
  @IsOptional() @IsString() @Length(0, 200) declare name?: string | null;
  @IsOptional() @IsObject() declare attributes?: unknown;
  @IsOptional() @IsInt() @Min(0) declare expectedRevision?: number | null;
  @IsOptional() @IsString() @Length(1, 200) declare idempotencyKey?: string | null;
}

export class SubscribeRecipientInputDto extends SubscribeRecipientInput {
  @IsUUID('all') declare id: string;
  @IsUUID('all') declare listId: string;
  @IsOptional() @IsEnum(ConsentSource) declare source?: ConsentSource | null;
  @IsOptional()
  @ValidateNested()
  @Type(() => ConsentInputDto)
  declare consent?: ConsentInputDto | null;
  @IsOptional() @IsString() @Length(1, 200) declare idempotencyKey?: string | null;
}

export class UnsubscribeRecipientInputDto extends UnsubscribeRecipientInput {
  @IsUUID('all') declare id: string;
  @IsOptional() @IsUUID('all') declare listId?: string | null;
  @IsOptional() @IsString() @Length(1, 200) declare idempotencyKey?: string | null;
}

export class RequestOptInInputDto extends RequestOptInInput {
  @IsUUID('all') declare id: string;
  @IsUUID('all') declare listId: string;
  @IsOptional() @IsEnum(ConsentSource) declare source?: ConsentSource | null;
  @IsOptional()
  @ValidateNested()
  @Type(() => ConsentInputDto)
  declare consent?: ConsentInputDto | null;
  @IsOptional() @IsInt() @Min(1) @Max(720) declare validForHours?: number | null;
}

export class ConfirmOptInInputDto extends ConfirmOptInInput {
  @IsString() @Length(10, 2048) declare token: string;
  @IsOptional() @IsString() @Length(2, 45) declare ipAddress?: string | null;
}

export class DataSubjectRequestInputDto extends DataSubjectRequestInput {
  @IsOptional() @IsUUID('all') declare id?: string | null;
  @IsOptional() @IsString() @Length(1, MAX_EMAIL) declare email?: string | null;
  @IsOptional() @IsString() @Length(1, 100) declare reference?: string | null;
  @IsOptional() @IsString() @Length(1, 200) declare idempotencyKey?: string | null;
  @IsOptional() @IsUUID('all') declare requestId?: string | null;
  @IsOptional() @IsEnum(Regulation) declare regulation?: Regulation | null;
}

export class EraseRecipientInputDto extends EraseRecipientInput {
  @IsOptional() @IsUUID('all') declare id?: string | null;
  @IsOptional() @IsString() @Length(1, MAX_EMAIL) declare email?: string | null;
  @IsEnum(ErasureBasis) declare basis: ErasureBasis;
  @IsOptional() @IsUUID('all') declare requestId?: string | null;
  @IsOptional() @IsString() @Length(1, 100) declare reference?: string | null;
}

export class ContactsCsvMappingInputDto extends ContactsCsvMappingInput {
  @IsOptional() @IsString() @Length(1, 200) declare email?: string | null;
  @IsOptional() @IsString() @Length(1, 200) declare name?: string | null;
  @IsOptional() @IsString() @Length(1, 200) declare firstName?: string | null;
  @IsOptional() @IsString() @Length(1, 200) declare lastName?: string | null;
}

export class ImportContactsInputDto extends ImportContactsInput {
  @IsUUID('all') declare listId: string;
  @IsOptional() @IsString() @Length(1, 2 * 1024 * 1024) declare csv?: string | null;
  @IsOptional()
  @ValidateNested()
  @Type(() => ContactsCsvMappingInputDto)
  declare mapping?: ContactsCsvMappingInputDto | null;
}

export class SuppressEmailInputDto extends SuppressEmailInput {
  @IsString() @Length(1, MAX_EMAIL) declare email: string;
}

export class LiftSuppressionInputDto extends LiftSuppressionInput {
  @IsString() @Length(1, MAX_EMAIL) declare email: string;
  @IsOptional() @IsString() @Length(1, 200) declare reference?: string | null;
}
