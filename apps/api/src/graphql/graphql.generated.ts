
/*
 * -------------------------------------------------------
 * THIS FILE WAS AUTOMATICALLY GENERATED (DO NOT MODIFY)
 * -------------------------------------------------------
 */

/* tslint:disable */
/* eslint-disable */

export enum CampaignStatus {
    DRAFT = "DRAFT",
    SCHEDULED = "SCHEDULED",
    CANCELLED = "CANCELLED"
}

export enum TenantPlan {
    FREE = "FREE",
    STARTER = "STARTER",
    PRO = "PRO",
    ENTERPRISE = "ENTERPRISE"
}

export enum ApiKeyRole {
    OWNER = "OWNER",
    ADMIN = "ADMIN",
    MARKETER = "MARKETER",
    SUPPORT = "SUPPORT",
    AUDITOR = "AUDITOR",
    VIEWER = "VIEWER"
}

export class DraftCampaignInput {
    name: string;
    subject: string;
    fromAddress: string;
    fromName?: Nullable<string>;
    mjmlBody: string;
    listIds?: Nullable<string[]>;
    idempotencyKey?: Nullable<string>;
}

export class ReviseCampaignInput {
    id: string;
    expectedRevision?: Nullable<number>;
    name?: Nullable<string>;
    subject?: Nullable<string>;
    fromAddress?: Nullable<string>;
    fromName?: Nullable<string>;
    mjmlBody?: Nullable<string>;
    listIds?: Nullable<string[]>;
    idempotencyKey?: Nullable<string>;
}

export class ScheduleCampaignInput {
    id: string;
    sendAt: DateTime;
    expectedRevision?: Nullable<number>;
    idempotencyKey?: Nullable<string>;
}

export class CancelCampaignInput {
    id: string;
    reason?: Nullable<string>;
    expectedRevision?: Nullable<number>;
    idempotencyKey?: Nullable<string>;
}

export class CreateContactListInput {
    name: string;
    idempotencyKey?: Nullable<string>;
}

export class RenameContactListInput {
    id: string;
    name: string;
    expectedRevision?: Nullable<number>;
    idempotencyKey?: Nullable<string>;
}

export class DeleteContactListInput {
    id: string;
    expectedRevision?: Nullable<number>;
    idempotencyKey?: Nullable<string>;
}

export class Campaign {
    id: string;
    name: string;
    subject: string;
    fromAddress: string;
    fromName?: Nullable<string>;
    mjmlBody: string;
    listIds: string[];
    status: CampaignStatus;
    sendAt?: Nullable<DateTime>;
    cancelReason?: Nullable<string>;
    revision: number;
    createdAt: DateTime;
    updatedAt: DateTime;
    scheduledAt?: Nullable<DateTime>;
    cancelledAt?: Nullable<DateTime>;
}

export class PageInfo {
    hasNextPage: boolean;
    endCursor?: Nullable<string>;
}

export class CampaignEdge {
    cursor: string;
    node: Campaign;
}

export class CampaignConnection {
    edges: CampaignEdge[];
    pageInfo: PageInfo;
}

export class ContactList {
    id: string;
    name: string;
    revision: number;
    createdAt: DateTime;
    updatedAt: DateTime;
    deletedAt?: Nullable<DateTime>;
}

export class ContactListEdge {
    cursor: string;
    node: ContactList;
}

export class ContactListConnection {
    edges: ContactListEdge[];
    pageInfo: PageInfo;
}

export class Tenant {
    id: string;
    name: string;
    plan: TenantPlan;
    owner?: Nullable<Account>;
    createdAt: DateTime;
}

export class Account {
    id: string;
    email: string;
    name?: Nullable<string>;
}

export class Viewer {
    tenant: Tenant;
    apiKeyId: string;
    role: ApiKeyRole;
}

export class ProjectionStatus {
    name: string;
    checkpoint?: Nullable<string>;
    eventsBehind: number;
    lastAppliedAt?: Nullable<DateTime>;
}

export abstract class IQuery {
    abstract viewer(): Viewer | Promise<Viewer>;

    abstract campaign(id: string): Nullable<Campaign> | Promise<Nullable<Campaign>>;

    abstract campaigns(first?: Nullable<number>, after?: Nullable<string>, status?: Nullable<CampaignStatus>): CampaignConnection | Promise<CampaignConnection>;

    abstract projectionStatus(): ProjectionStatus[] | Promise<ProjectionStatus[]>;

    abstract contactList(id: string): Nullable<ContactList> | Promise<Nullable<ContactList>>;

    abstract contactLists(first?: Nullable<number>, after?: Nullable<string>): ContactListConnection | Promise<ContactListConnection>;
}

export abstract class IMutation {
    abstract draftCampaign(input: DraftCampaignInput): Campaign | Promise<Campaign>;

    abstract reviseCampaign(input: ReviseCampaignInput): Campaign | Promise<Campaign>;

    abstract scheduleCampaign(input: ScheduleCampaignInput): Campaign | Promise<Campaign>;

    abstract cancelCampaign(input: CancelCampaignInput): Campaign | Promise<Campaign>;

    abstract createContactList(input: CreateContactListInput): ContactList | Promise<ContactList>;

    abstract renameContactList(input: RenameContactListInput): ContactList | Promise<ContactList>;

    abstract deleteContactList(input: DeleteContactListInput): ContactList | Promise<ContactList>;
}

export type DateTime = Date;

export class ISchema {
    Query: IQuery;
    Mutation: IMutation;
}

type Nullable<T> = T | null;
