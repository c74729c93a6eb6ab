import { IsEnum, IsString, IsUUID, Length, MaxLength } from 'class-validator';

import {
  ApiKeyRole,
  ChangeAccountRoleInput,
  ChangePasswordInput,
  LoginInput,
  RegisterAccountInput,
} from '../graphql/graphql.generated.js';

/**
 * Passwords are only bounded here (the body stays small); their rules (12 to 128 characters, not
 * the address) are checked by the platform, which answers `WEAK_PASSWORD`.
 */
const PASSWORD_INPUT_MAX = 1024;

export class LoginInputDto extends LoginInput {
  @IsString() @MaxLength(320) declare email: string;
  @IsString() @MaxLength(PASSWORD_INPUT_MAX) declare password: string;
}

export class RegisterAccountInputDto extends RegisterAccountInput {
  @IsString() @MaxLength(320) declare email: string;
  @IsString() @Length(1, 200) declare name: string;
  @IsString() @Length(1, 200) declare company: string;
  @IsString() @MaxLength(PASSWORD_INPUT_MAX) declare password: string;
  @IsEnum(ApiKeyRole) declare role: ApiKeyRole;
}

export class ChangeAccountRoleInputDto extends ChangeAccountRoleInput {
  @IsUUID() declare id: string;
  @IsEnum(ApiKeyRole) declare role: ApiKeyRole;
}

export class ChangePasswordInputDto extends ChangePasswordInput {
  @IsString() @MaxLength(PASSWORD_INPUT_MAX) declare currentPassword: string;
  @IsString() @MaxLength(PASSWORD_INPUT_MAX) declare newPassword: string;
}
