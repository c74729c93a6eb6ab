import { Scalar, type CustomScalar } from '@nestjs/graphql';
import { Kind, type ValueNode } from 'graphql';

import { ApiError } from './api-error.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

const parse = (value: unknown): Date => {
  if (typeof value !== 'string' || !ISO.test(value)) {
    throw new ApiError(
      'BAD_USER_INPUT',
      'DateTime must be an ISO-8601 string with a time zone, e.g. 2030-05-01T08:00:00Z',
    );
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime()))
    throw new ApiError('BAD_USER_INPUT', `Not a valid date-time: ${value}`);
  return date;
};

@Scalar('DateTime')
export class DateTimeScalar implements CustomScalar<string, Date> {
  description = 'ISO-8601 date-time with a time zone';

  parseValue(value: unknown): Date {
    return parse(value);
  }

  serialize(value: unknown): string {
    const date = value instanceof Date ? value : new Date(String(value));
    return date.toISOString();
  }

  parseLiteral(ast: ValueNode): Date {
    if (ast.kind !== Kind.STRING) throw new ApiError('BAD_USER_INPUT', 'DateTime must be a string');
    return parse(ast.value);
  }
}
