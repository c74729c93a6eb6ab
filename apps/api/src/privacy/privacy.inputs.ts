import { IsEnum, IsInt, IsOptional, IsString, IsUUID, Length } from 'class-validator';

import {
  AccountErasureBasis,
  EraseAccountInput,
  ExtendPrivacyRequestInput,
  OpenPrivacyRequestInput,
  PrivacyRequestKind,
  PrivacyRequestRejectionReason,
  Regulation,
  RejectPrivacyRequestInput,
  RetentionPolicyKind,
  SetRetentionPolicyInput,
} from '../graphql/graphql.generated.js';

// Range rules for retention periods live in the domain (INVALID_RETENTION_POLICY).
export class SetRetentionPolicyInputDto extends SetRetentionPolicyInput {
  @IsEnum(RetentionPolicyKind) declare kind: RetentionPolicyKind;
  @IsOptional() @IsInt() declare days?: number | null;
}

export class EraseAccountInputDto extends EraseAccountInput {
  @IsUUID('all') declare accountId: string;
  @IsOptional() @IsUUID('all') declare requestId?: string | null;
  @IsEnum(AccountErasureBasis) declare basis: AccountErasureBasis;
}

// Content rules (reference syntax, received-at window) live in the domain.
export class OpenPrivacyRequestInputDto extends OpenPrivacyRequestInput {
  @IsEnum(PrivacyRequestKind) declare kind: PrivacyRequestKind;
  @IsEnum(Regulation) declare regulation: Regulation;
  @IsOptional() @IsUUID('all') declare recipientId?: string | null;
  @IsOptional() @IsString() @Length(1, 320) declare email?: string | null;
  @IsOptional() @IsString() @Length(1, 100) declare reference?: string | null;
  @IsOptional() declare receivedAt?: Date | null;
}

export class RejectPrivacyRequestInputDto extends RejectPrivacyRequestInput {
  @IsUUID('all') declare id: string;
  @IsEnum(PrivacyRequestRejectionReason) declare reason: PrivacyRequestRejectionReason;
}

export class ExtendPrivacyRequestInputDto extends ExtendPrivacyRequestInput {
  @IsUUID('all') declare id: string;
  @IsString() @Length(1, 40) declare reason: string;
}
