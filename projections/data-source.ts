import { DataSource } from 'typeorm';

import { ApiKeyEntity } from './api-keys/api-key.entity.js';
import { CampaignEntity } from './campaigns/campaign.entity.js';
import { ProjectionCheckpointEntity } from './checkpoints/projection-checkpoint.entity.js';
import { ContactListEntity } from './contact-lists/contact-list.entity.js';
import { InitialReadModels1764400000000 } from './migrations/1764400000000-initial-read-models.js';
import { ContactLists1764500000000 } from './migrations/1764500000000-contact-lists.js';
import { ErasureReceiptEntity } from './erasure-receipts/erasure-receipt.entity.js';
import { Recipients1764600000000 } from './migrations/1764600000000-recipients.js';
import { PrivacyRequests1764700000000 } from './migrations/1764700000000-privacy-requests.js';
import { PrivacyRequestEntity } from './privacy-requests/privacy-request.entity.js';
import { RetentionAndDeletion1764650000000 } from './migrations/1764650000000-retention-and-deletion.js';
import { RecipientMembershipEntity } from './recipients/recipient-membership.entity.js';
import { RecipientEntity } from './recipients/recipient.entity.js';
import { SuppressionEntity } from './suppressions/suppression.entity.js';
import { TenantEntity } from './tenants/tenant.entity.js';
import { Templates1764800000000 } from './migrations/1764800000000-templates.js';
import { CampaignTemplates1764810000000 } from './migrations/1764810000000-campaign-templates.js';
import { TemplateEntity } from './templates/template.entity.js';
import { CampaignLaunch1764900000000 } from './migrations/1764900000000-campaign-launch.js';
import { BouncesAndComplaints1765000000000 } from './migrations/1765000000000-bounces-and-complaints.js';
import { AccountsAndSessions1765100000000 } from './migrations/1765100000000-accounts-and-sessions.js';
import { ApiUsage1765200000000 } from './migrations/1765200000000-api-usage.js';
import { TenantRowSecurity1765300000000 } from './migrations/1765300000000-tenant-row-security.js';
import { Billing1765400000000 } from './migrations/1765400000000-billing.js';
import { QuotaOverflow1765500000000 } from './migrations/1765500000000-quota-overflow.js';
import { DueMessagesByCampaign1765600000000 } from './migrations/1765600000000-due-messages-by-campaign.js';
import { BILLING_ENTITIES } from './billing/billing.entities.js';
import { AccountEntity } from './accounts/account.entity.js';
import {
  CampaignDeliveryEntity,
  MessageEntity,
  TenantDeliveryHourlyEntity,
} from './messages/message.entity.js';

export const READ_MODEL_ENTITIES = [
  ContactListEntity,
  CampaignEntity,
  TenantEntity,
  ApiKeyEntity,
  AccountEntity,
  RecipientEntity,
  RecipientMembershipEntity,
  SuppressionEntity,
  ErasureReceiptEntity,
  PrivacyRequestEntity,
  TemplateEntity,
  MessageEntity,
  CampaignDeliveryEntity,
  TenantDeliveryHourlyEntity,
  ...BILLING_ENTITIES,
  ProjectionCheckpointEntity,
];
export const READ_MODEL_MIGRATIONS = [
  InitialReadModels1764400000000,
  ContactLists1764500000000,
  Recipients1764600000000,
  RetentionAndDeletion1764650000000,
  PrivacyRequests1764700000000,
  Templates1764800000000,
  CampaignTemplates1764810000000,
  CampaignLaunch1764900000000,
  BouncesAndComplaints1765000000000,
  AccountsAndSessions1765100000000,
  ApiUsage1765200000000,
  TenantRowSecurity1765300000000,
  Billing1765400000000,
  QuotaOverflow1765500000000,
  DueMessagesByCampaign1765600000000,
];

const MIGRATION_LOCK = 0x6d70_0003;

/** TypeORM over the read-model database. Schema changes go through migrations, never `synchronize`. */
export const createReadModelDataSource = (connectionString: string): DataSource =>
  new DataSource({
    type: 'postgres',
    url: connectionString,
    entities: READ_MODEL_ENTITIES,
    migrations: READ_MODEL_MIGRATIONS,
    migrationsTableName: 'mp_migrations',
    synchronize: false,
    logging: false,
    extra: { max: 10 },
  });

/**
 * A second pool over the read models, PostgreSQL only, whose connections serve nothing but tenant
 * reads: `TenantReadModels` keeps each in the reader role with a tenant set for the session, so a
 * read is one round trip instead of three (see `TenantReadModels.read`). No migrations: the main
 * data source runs them.
 */
export const createTenantReaderDataSource = (connectionString: string, max = 10): DataSource =>
  new DataSource({
    type: 'postgres',
    url: connectionString,
    entities: READ_MODEL_ENTITIES,
    synchronize: false,
    logging: false,
    extra: { max, application_name: 'mailpackr-tenant-reads' },
  });

/** Initialises the data source and applies pending migrations, one process at a time. */
export const openReadModels = async (connectionString: string): Promise<DataSource> => {
  const dataSource = createReadModelDataSource(connectionString);
  await dataSource.initialize();
  const runner = dataSource.createQueryRunner();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await dataSource.runMigrations({ transaction: 'all' });
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
  }
  return dataSource;
};
