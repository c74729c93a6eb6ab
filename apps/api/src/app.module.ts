import { type DynamicModule, Module, ValidationPipe } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { GraphQLModule } from '@nestjs/graphql';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import type { ValidationError } from 'class-validator';
import GraphQLUpload from 'graphql-upload/GraphQLUpload.mjs';
import { join } from 'node:path';

import { type MailpackrRuntime, packageRoot } from '#platform';

import { AccessModule } from './access/access.module.js';
import { ApiKeyGuard } from './auth/api-key.guard.js';
import { enforceFieldPermissions } from './auth/operation-permissions.js';
import { CampaignsModule } from './campaigns/campaigns.module.js';
import { ContactListsModule } from './contact-lists/contact-lists.module.js';
import { PrivacyModule } from './privacy/privacy.module.js';
import { AuditModule } from './audit/audit.module.js';
import { BillingModule } from './billing/billing.module.js';
import { RecipientsModule } from './recipients/recipients.module.js';
import { TemplatesModule } from './templates/templates.module.js';
import { ExecuteDomainCommandHandler } from './commands/execute-domain-command.handler.js';
import { ApiError } from './graphql/api-error.js';
import { DateTimeScalar } from './graphql/date-time.scalar.js';
import { JsonObjectScalar } from './graphql/json-object.scalar.js';
import { formatGraphQLError } from './graphql/error-formatter.js';
import { graphqlHardening, withOperationTimeout } from './graphql/graphql-limits.js';
import { RateLimitInterceptor } from './graphql/rate-limit.js';
import { CLOCK, RUNTIME } from './runtime/runtime.tokens.js';
import { HealthController } from './system/health.controller.js';
import { MetricsController } from './system/metrics.controller.js';
import { GraphQLOperationPlugin } from './http/graphql-operation.plugin.js';
import { UnsubscribeController } from './unsubscribe/unsubscribe.controller.js';
import { SystemResolver } from './system/system.resolver.js';
import { WebViewController } from './web-view/web-view.controller.js';
import { DeliveryEventsController } from './webhooks/delivery-events.controller.js';

const describeValidation = (errors: ValidationError[], prefix = ''): string[] =>
  errors.flatMap((e) => [
    ...Object.values(e.constraints ?? {}).map((m) => `${prefix}${m}`),
    ...describeValidation(e.children ?? [], `${prefix}${e.property}.`),
  ]);

/** The API app, built around an already started runtime (storage, vault, projections). */
@Module({})
export class AppModule {
  static forRuntime(
    runtime: MailpackrRuntime,
    clock: () => Date = () => new Date(),
  ): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        CqrsModule.forRoot(),
        GraphQLModule.forRoot<ApolloDriverConfig>({
          driver: ApolloDriver,
          typePaths: [join(packageRoot(), 'schema.graphql')],
          path: '/graphql',
          playground: false,
          // Introspection as configured, CSRF prevention, no batching, depth/cost/alias limits…
          ...graphqlHardening(runtime.config),
          formatError: formatGraphQLError,
          context: ({ req }: { req: unknown }) => ({ req }),
          resolvers: { Upload: GraphQLUpload },
          transformSchema: (schema) => withOperationTimeout(enforceFieldPermissions(schema)),
        }),
        AccessModule,
        CampaignsModule,
        ContactListsModule,
        RecipientsModule,
        PrivacyModule,
        AuditModule,
        TemplatesModule,
        BillingModule,
      ],
      controllers: [
        HealthController,
        MetricsController,
        UnsubscribeController,
        WebViewController,
        DeliveryEventsController,
      ],
      providers: [
        { provide: RUNTIME, useValue: runtime },
        { provide: CLOCK, useValue: clock },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        // After the guard: charges each operation's cost to its tenant (RATE_LIMITED).
        { provide: APP_INTERCEPTOR, useClass: RateLimitInterceptor },
        {
          provide: APP_PIPE,
          useValue: new ValidationPipe({
            whitelist: true,
            forbidNonWhitelisted: true,
            transform: true,
            exceptionFactory: (errors) =>
              new ApiError(
                'BAD_USER_INPUT',
                describeValidation(errors).join('; ') || 'Invalid input',
              ),
          }),
        },
        ExecuteDomainCommandHandler,
        DateTimeScalar,
        JsonObjectScalar,
        SystemResolver,
        GraphQLOperationPlugin,
      ],
      exports: [RUNTIME, CLOCK],
    };
  }
}
