/**
 * PostgreSQL row-level security on the tenant read models: the second line of tenant isolation,
 * behind the tenant filter that `TenantReadModels` adds to every query.
 *
 * The API reads a tenant's rows as `mailpackr_tenant_reader`: a role without BYPASSRLS, with SELECT
 * only, which sees a row only when its `tenant_id` is the transaction's `mailpackr.tenant_id`.
 * Without a tenant set, it sees nothing. Projections and the worker write as the tables' owner,
 * which row security leaves alone (the tables are not FORCEd): they serve every tenant.
 */
export const TENANT_READER_ROLE = 'mailpackr_tenant_reader';

/** The setting that names the tenant of the current transaction (`SET LOCAL`). */
export const TENANT_SETTING = 'mailpackr.tenant_id';

/**
 * SQL that creates the reader role once per cluster (roles are shared by every database in it),
 * lets the connecting role switch to it, and adds `mp_current_tenant()`.
 */
export const tenantReaderRoleSql = (): string[] => [
  `DO $$
   BEGIN
     IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${TENANT_READER_ROLE}') THEN
       BEGIN
         CREATE ROLE ${TENANT_READER_ROLE} NOLOGIN NOBYPASSRLS;
       EXCEPTION
         WHEN duplicate_object OR unique_violation THEN
           NULL; -- another database of the cluster created it at the same moment
         WHEN insufficient_privilege THEN
           RAISE EXCEPTION 'MailPackr reads tenant data as the role ${TENANT_READER_ROLE}, and % may not create it'
             , current_user
             USING HINT = format('As a superuser: CREATE ROLE ${TENANT_READER_ROLE} NOLOGIN; GRANT ${TENANT_READER_ROLE} TO %I;', current_user);
       END;
     END IF;
     IF NOT pg_has_role(current_user, '${TENANT_READER_ROLE}', 'MEMBER') THEN
       BEGIN
         EXECUTE format('GRANT ${TENANT_READER_ROLE} TO %I', current_user);
       EXCEPTION WHEN insufficient_privilege THEN
         RAISE EXCEPTION 'MailPackr reads tenant data as the role ${TENANT_READER_ROLE}, and % is not a member of it'
           , current_user
           USING HINT = format('As a superuser: GRANT ${TENANT_READER_ROLE} TO %I;', current_user);
       END;
     END IF;
     EXECUTE format('GRANT USAGE ON SCHEMA %I TO ${TENANT_READER_ROLE}', current_schema());
   END $$`,
  // No tenant set (or an empty one) is no tenant at all: every policy below then admits nothing.
  `CREATE OR REPLACE FUNCTION mp_current_tenant() RETURNS uuid
     LANGUAGE sql STABLE PARALLEL SAFE
     AS $$ SELECT NULLIF(current_setting('${TENANT_SETTING}', true), '')::uuid $$`,
];

/** SQL that puts one tenant read model under row security, read-only for the reader role. */
export const tenantRowSecuritySql = (table: string): string[] => [
  `GRANT SELECT ON ${table} TO ${TENANT_READER_ROLE}`,
  `ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`,
  `CREATE POLICY tenant_reads ON ${table} FOR SELECT TO ${TENANT_READER_ROLE}
     USING (tenant_id = mp_current_tenant())`,
];

/** Undoes `tenantRowSecuritySql` (a migration's `down`). */
export const dropTenantRowSecuritySql = (table: string): string[] => [
  `DROP POLICY IF EXISTS tenant_reads ON ${table}`,
  `ALTER TABLE ${table} DISABLE ROW LEVEL SECURITY`,
  `REVOKE SELECT ON ${table} FROM ${TENANT_READER_ROLE}`,
];
