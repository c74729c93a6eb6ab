import type {
  ApolloServerPlugin,
  GraphQLRequestContext,
  GraphQLRequestListener,
} from '@apollo/server';
import { Plugin } from '@nestjs/apollo';
import { Kind, OperationTypeNode } from 'graphql';

import { isUnexpectedError, logUnexpectedError } from '../graphql/error-formatter.js';
import { requestIdFor } from '../graphql/request-context.js';

/** What the request log and the latency histogram know of a GraphQL request. */
export interface GraphQLOperationInfo {
  type?: 'query' | 'mutation' | 'subscription';
  /** The client's operation name (GraphQL Name syntax, so never an address), if any. */
  name?: string;
  /** Root fields selected, all from the schema (validation ran before this is set). */
  fields: string[];
  /** Distinct `extensions.code` of the errors answered. */
  errorCodes: string[];
}

export interface RequestWithGraphQL {
  graphql?: GraphQLOperationInfo;
}

const NAME = /^[_A-Za-z][_0-9A-Za-z]{0,63}$/;

/**
 * Notes the operation type, name, root fields and error codes of each GraphQL request on the
 * Express request, for its log line and metrics. Never the query text or its variables. Logs each
 * unexpected error (one `formatGraphQLError` masks) with the request's correlation id.
 */
@Plugin()
export class GraphQLOperationPlugin implements ApolloServerPlugin<{ req?: RequestWithGraphQL }> {
  unexpectedErrorProcessingRequest({
    requestContext,
    error,
  }: {
    requestContext: GraphQLRequestContext<{ req?: RequestWithGraphQL }>;
    error: Error;
  }): Promise<void> {
    logUnexpectedError(error, requestIdFor(requestContext.contextValue.req), undefined);
    return Promise.resolve();
  }

  requestDidStart(
    start: GraphQLRequestContext<{ req?: RequestWithGraphQL }>,
  ): Promise<GraphQLRequestListener<{ req?: RequestWithGraphQL }>> {
    const info: GraphQLOperationInfo = { fields: [], errorCodes: [] };
    if (start.contextValue.req) start.contextValue.req.graphql = info;
    return Promise.resolve({
      didResolveOperation(context) {
        const { operation, operationName, schema } = context;
        if (!operation) return Promise.resolve();
        info.type = operation.operation;
        if (operationName && NAME.test(operationName)) info.name = operationName;
        const root =
          operation.operation === OperationTypeNode.MUTATION
            ? schema.getMutationType()
            : operation.operation === OperationTypeNode.SUBSCRIPTION
              ? schema.getSubscriptionType()
              : schema.getQueryType();
        const known = root?.getFields() ?? {};
        for (const selection of operation.selectionSet.selections) {
          if (selection.kind !== Kind.FIELD) continue;
          const field = selection.name.value;
          if (Object.hasOwn(known, field) && !info.fields.includes(field)) info.fields.push(field);
        }
        return Promise.resolve();
      },
      didEncounterErrors(context) {
        for (const error of context.errors) {
          if (isUnexpectedError(error)) {
            logUnexpectedError(error, requestIdFor(context.contextValue.req), error.path);
          }
        }
        return Promise.resolve();
      },
      willSendResponse(context) {
        const { body } = context.response;
        const errors = body.kind === 'single' ? (body.singleResult.errors ?? []) : [];
        for (const error of errors) {
          const code = error.extensions?.code;
          if (typeof code === 'string' && NAME.test(code) && !info.errorCodes.includes(code)) {
            info.errorCodes.push(code);
          }
        }
        return Promise.resolve();
      },
    });
  }
}
