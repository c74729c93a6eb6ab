import { IsEnum, IsString, IsUUID, Length } from 'class-validator';

import {
  ApiKeyRole,
  ChangeApiKeyRoleInput,
  IssueApiKeyInput,
} from '../graphql/graphql.generated.js';

export class IssueApiKeyInputDto extends IssueApiKeyInput {
  @IsEnum(ApiKeyRole) declare role: ApiKeyRole;
  @IsString() @Length(1, 100) declare label: string;
}

export class ChangeApiKeyRoleInputDto extends ChangeApiKeyRoleInput {
  @IsUUID() declare id: string;
  @IsEnum(ApiKeyRole) declare role: ApiKeyRole;
}
