export { type CrmDatabase, createDatabase, DatabaseUrlError, type DialectName, dialectOf, sqlitePath } from './create-database';
export {
  claimExecucao,
  type Execucao,
  listExecucoesOfJob,
  listTentativas,
  recordTentativa,
  setExecucaoStatus,
  type TentativaRecord,
} from './execucoes.repository';
export { pingDatabase } from './health';
export {
  type CampoIntegracao,
  type ConexaoIntegracao,
  type Dependencia,
  findIntegracao,
  type Integracao,
  type IntegradorConfiguration,
  listIntegracoes,
  loadConfiguration,
  type Regra,
} from './integracao.repository';
export {
  type LimiteScope,
  type LimiteTenant,
  type LimiteValues,
  listLimites,
  removeLimite,
  upsertLimite,
} from './limites.repository';
export { MigrationError, migrateDownAll, migrateToLatest } from './migrate';
export type * from './schema';
export {
  createEmpresa,
  createFilial,
  findTenantByApiKey,
  hashApiKeySecret,
  issueApiKey,
  parseApiKey,
  revokeApiKey,
  type Tenant,
} from './tenants.repository';
