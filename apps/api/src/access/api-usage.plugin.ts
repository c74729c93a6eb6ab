import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import { Inject } from '@nestjs/common';
import { Plugin } from '@nestjs/apollo';

import type { MailpackrRuntime } from '#platform';

import { type RequestWithPrincipal, actorOf } from '../auth/principal.js';
import { operationStateOf } from '../graphql/operation-state.js';
import type { RequestWithGraphQL } from '../http/graphql-operation.plugin.js';
import { RUNTIME } from '../runtime/runtime.tokens.js';

type Context = { req?: RequestWithPrincipal & RequestWithGraphQL };

/**
 * Counts every authenticated operation for `apiUsage` (policy §2C, API usage metrics): one sample
 * per root field, with the operation's cost shared between them. Ids and counts only.
 */
@Plugin()
export class ApiUsagePlugin implements ApolloServerPlugin<Context> {
  constructor(@Inject(RUNTIME) private readonly runtime: MailpackrRuntime) {}

  requestDidStart(): Promise<GraphQLRequestListener<Context>> {
    const usage = this.runtime.apiUsage;
    return Promise.resolve({
      willSendResponse({ contextValue, response }) {
        const principal = contextValue.req?.principal;
        const fields = contextValue.req?.graphql?.fields ?? [];
        if (!principal || fields.length === 0) return Promise.resolve();
        const body = response.body;
        const failed = body.kind === 'single' && (body.singleResult.errors?.length ?? 0) > 0;
        const cost = (operationStateOf(contextValue)?.cost ?? 0) / fields.length;
        const at = new Date();
        for (const operation of fields)
          usage.record({
            tenantId: principal.tenantId,
            caller: actorOf(principal),
            operation,
            cost,
            failed,
            at,
          });
        return Promise.resolve();
      },
    });
  }
}
