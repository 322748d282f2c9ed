export { createDatabase, dialectOf, sqlitePath, DatabaseUrlError, type CrmDatabase, type DialectName } from './create-database';
export { migrateToLatest, migrateDownAll, MigrationError } from './migrate';
export type * from './schema';
export {
  createEmpresa,
  createFilial,
  issueApiKey,
  findTenantByApiKey,
  revokeApiKey,
  hashApiKeySecret,
  parseApiKey,
  type Tenant,
} from './tenants.repository';
export {
  listIntegracoes,
  findIntegracao,
  loadConfiguration,
  type Integracao,
  type CampoIntegracao,
  type Dependencia,
  type Regra,
  type ConexaoIntegracao,
  type IntegradorConfiguration,
} from './integracao.repository';
export { pingDatabase } from './health';
