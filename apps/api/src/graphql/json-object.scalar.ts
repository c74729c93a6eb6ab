import { Scalar, type CustomScalar } from '@nestjs/graphql';
import { Kind, type ObjectValueNode, type ValueNode } from 'graphql';

import { ApiError } from './api-error.js';

const MAX_DEPTH = 3;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const fromLiteral = (ast: ValueNode, depth: number): unknown => {
  if (depth > MAX_DEPTH) throw new ApiError('BAD_USER_INPUT', 'JSONObject is nested too deeply');
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return ast.values.map((v) => fromLiteral(v, depth + 1));
    case Kind.OBJECT:
      return objectLiteral(ast, depth + 1);
    case Kind.ENUM:
    case Kind.VARIABLE:
      throw new ApiError(
        'BAD_USER_INPUT',
        'JSONObject takes literal values only, not variables inside',
      );
  }
};

const objectLiteral = (ast: ObjectValueNode, depth: number): Record<string, unknown> =>
  Object.fromEntries(ast.fields.map((f) => [f.name.value, fromLiteral(f.value, depth)]));

/** A JSON object: recipient attributes in, event data out. Content rules belong to the domain. */
@Scalar('JSONObject')
export class JsonObjectScalar implements CustomScalar<
  Record<string, unknown>,
  Record<string, unknown>
> {
  description = 'A JSON object';

  parseValue(value: unknown): Record<string, unknown> {
    if (!isPlainObject(value)) throw new ApiError('BAD_USER_INPUT', 'Expected a JSON object');
    return value;
  }

  serialize(value: unknown): Record<string, unknown> {
    return isPlainObject(value) ? value : { value };
  }

  parseLiteral(ast: ValueNode): Record<string, unknown> {
    if (ast.kind !== Kind.OBJECT) throw new ApiError('BAD_USER_INPUT', 'Expected a JSON object');
    return objectLiteral(ast, 1);
  }
}
