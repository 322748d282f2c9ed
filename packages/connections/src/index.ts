export { MASK, shownUrl, withUrlShown } from '@integrador/logging';
export type { ApiAuth, ApiConnection, Connection, DatabaseConnection, WebServiceConnection } from './connection';
export { loadConnectionsFile, loadValidConnections, parseConnections } from './connections-file';
export { ConnectionsRegistry, emptyConnections } from './connections-registry';
export { DATABASE_DRIVERS, type DatabaseDriver } from './connections-schema';
export { assertPublicDatabase, databaseHosts } from './database-hosts';
export type { EnvMap } from './env-references';
export { ConnectionForbiddenError, ConnectionNotFoundError, ConnectionsFileError, type ConnectionsProblem, problemDetail } from './errors';
export type { ConnectionsFormat } from './file-syntax';
export { type LoadedConnections, loadConnections } from './load-connections';
export {
  type AddressAllowlist,
  type AddressPolicy,
  addressRange,
  alwaysRefusedEntry,
  alwaysRefusedRange,
  assertAllowedAddress,
  assertPublicAddress,
  assertPublicHost,
  inAllowlist,
  isPublicAddress,
  lookupName,
  OutboundAddressError,
  parseAddressAllowlist,
} from './outbound-address';
export { addressRangeText, RANGE_NAMES } from './range-names';
export { Secret } from './secret';
export { CONNECTION_KINDS, type ConnectionKind, normalizeTipoConexao, TIPO_CONEXAO_ALIASES } from './tipo-conexao';
