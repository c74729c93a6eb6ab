import { afterEach, describe, expect, it, jest } from '@jest/globals';
import type { GraphQLRequestContext, GraphQLRequestListener } from '@apollo/server';
import { Logger } from '@nestjs/common';
import { GraphQLError } from 'graphql';

import { ApiError } from '../graphql/api-error.js';
import { type RequestWithGraphQL, GraphQLOperationPlugin } from './graphql-operation.plugin.js';

type Context = { req?: RequestWithGraphQL & { requestId?: string } };

const REQUEST_ID = '3f2c1a9e-8b7d-4c6e-9f01-23456789abcd';

describe('GraphQLOperationPlugin', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  describe('Given an operation that met errors', () => {
    it('should log each unexpected one with the request id, and no typed refusal', async () => {
      const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      const req: Context['req'] = { requestId: REQUEST_ID };
      const start = { contextValue: { req } } as unknown as GraphQLRequestContext<Context>;
      const listener = (await new GraphQLOperationPlugin().requestDidStart(
        start,
      )) as GraphQLRequestListener<Context>;

      const unexpected = new GraphQLError('connection reset by Ada Lovelace', {
        path: ['campaigns'],
        originalError: new TypeError('connection reset by Ada Lovelace'),
      });
      const refused = new GraphQLError('Not found', {
        path: ['campaign'],
        originalError: new ApiError('NOT_FOUND', 'Campaign not found'),
      });
      await listener.didEncounterErrors!({
        ...start,
        errors: [unexpected, refused],
      });

      expect(logged).toHaveBeenCalledTimes(1);
      const line = String(logged.mock.calls[0]?.[0]);
      expect(line).toContain(`requestId ${REQUEST_ID}`);
      expect(line).toContain('at campaigns: TypeError');
      expect(line).not.toContain('Lovelace');
    });
  });

  describe('Given a request Apollo could not process', () => {
    it('should log the error with the request id', async () => {
      const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      await new GraphQLOperationPlugin().unexpectedErrorProcessingRequest({
        requestContext: {
          contextValue: { req: { requestId: REQUEST_ID } },
        } as unknown as GraphQLRequestContext<Context>,
        error: new RangeError('boom'),
      });
      expect(String(logged.mock.calls[0]?.[0])).toMatch(
        new RegExp(`requestId ${REQUEST_ID}\\) at request: RangeError`),
      );
    });
  });
});
