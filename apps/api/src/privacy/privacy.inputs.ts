import { IsEnum, IsInt, IsOptional, IsUUID } from 'class-validator';

import {
  AccountErasureBasis,
  EraseAccountInput,
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
  @IsEnum(AccountErasureBasis) declare basis: AccountErasureBasis;
}
