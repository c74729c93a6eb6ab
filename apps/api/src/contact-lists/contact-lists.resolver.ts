import { randomUUID } from 'node:crypto';

import { Inject } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';

import { type ContactListCommand, contactListDecider, toContactListStreamId } from '#domain';
import { uuidFromName } from '#platform';
import type { ContactListEntity } from '#projections';

import { CurrentPrincipal, type Principal } from '../auth/principal.js';
import { type CommandOptions, ExecuteDomainCommand } from '../commands/execute-domain-command.js';
import { ApiError } from '../graphql/api-error.js';
import type { ContactList, ContactListConnection } from '../graphql/graphql.generated.js';
import { assertUuid, decodeCursor, pageSize, toConnection } from '../graphql/pagination.js';
import { CLOCK, type Clock } from '../runtime/runtime.tokens.js';
import {
  CreateContactListInputDto,
  DeleteContactListInputDto,
  RenameContactListInputDto,
} from './contact-list.inputs.js';
import { GetContactListQuery, ListContactListsQuery } from './contact-list.queries.js';

export const toContactList = (row: ContactListEntity): ContactList => ({
  id: row.listId,
  name: row.name,
  revision: Number(row.lastRevision),
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
  deletedAt: row.deletedAt,
});

@Resolver('ContactList')
export class ContactListsResolver {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Query('contactList')
  contactList(
    @CurrentPrincipal() principal: Principal,
    @Args('id') id: string,
  ): Promise<ContactList> {
    return this.load(principal, assertUuid(id, 'Contact list'));
  }

  @Query('contactLists')
  async contactLists(
    @CurrentPrincipal() principal: Principal,
    @Args('first') first: number | null,
    @Args('after') after: string | null,
  ): Promise<ContactListConnection> {
    const size = pageSize(first);
    const rows = await this.queryBus.execute(
      new ListContactListsQuery(principal.tenantId, size, decodeCursor(after)),
    );
    return toConnection(
      rows,
      size,
      (row) => ({ createdAt: row.createdAt, id: row.listId }),
      toContactList,
    );
  }

  @Mutation('createContactList')
  createContactList(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: CreateContactListInputDto,
  ): Promise<ContactList> {
    const listId = input.idempotencyKey
      ? uuidFromName(`list:${principal.tenantId}:${input.idempotencyKey}`)
      : randomUUID();
    return this.run(
      principal,
      {
        type: 'CreateContactList',
        data: { listId, tenantId: principal.tenantId, name: input.name },
        metadata: { now: this.clock() },
      },
      input,
    );
  }

  @Mutation('renameContactList')
  renameContactList(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: RenameContactListInputDto,
  ): Promise<ContactList> {
    return this.run(
      principal,
      {
        type: 'RenameContactList',
        data: { listId: input.id, tenantId: principal.tenantId, name: input.name },
        metadata: { now: this.clock() },
      },
      input,
    );
  }

  @Mutation('deleteContactList')
  deleteContactList(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: DeleteContactListInputDto,
  ): Promise<ContactList> {
    return this.run(
      principal,
      {
        type: 'DeleteContactList',
        data: { listId: input.id, tenantId: principal.tenantId },
        metadata: { now: this.clock() },
      },
      input,
      true,
    );
  }

  private async run(
    principal: Principal,
    command: ContactListCommand,
    options: CommandOptions,
    includeDeleted = false,
  ): Promise<ContactList> {
    const { listId } = command.data;
    await this.commandBus.execute(
      new ExecuteDomainCommand(
        toContactListStreamId(listId),
        contactListDecider,
        command,
        principal,
        options,
        ['contact-lists'],
      ),
    );
    return this.load(principal, listId, includeDeleted);
  }

  private async load(
    principal: Principal,
    listId: string,
    includeDeleted = false,
  ): Promise<ContactList> {
    const row = await this.queryBus.execute(
      new GetContactListQuery(principal.tenantId, listId, includeDeleted),
    );
    if (!row) throw new ApiError('NOT_FOUND', `No contact list ${listId}`);
    return toContactList(row);
  }
}
