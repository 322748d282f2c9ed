export { MASK, shownUrl, withUrlShown } from '@integrador/logging';
export {
  type AddressAllowlist,
  addressRangeText,
  alwaysRefusedEntry,
  alwaysRefusedRange,
  isAlwaysRefusedRangeName,
  parseAddressAllowlist,
  RANGE_NAMES,
} from './address-ranges';
export type { ApiAuth, ApiConnection, Connection, DatabaseConnection, WebServiceConnection } from './connection';
export { connectionFingerprint } from './connection-fingerprint';
export { loadConnectionsFile, loadValidConnections, parseConnections } from './connections-file';
export { type ConnectionsReader, ConnectionsRegistry, emptyConnections } from './connections-registry';
export { DATABASE_DRIVERS, type DatabaseDriver } from './connections-schema';
export { assertPublicDatabase, databaseHosts, urlHostname } from './database-hosts';
export { guardedDatabaseSocket, guardedMysqlStream } from './database-socket';
export type { EnvMap } from './env-references';
export { ConnectionForbiddenError, ConnectionNotFoundError, ConnectionsFileError, type ConnectionsProblem, problemDetail } from './errors';
export type { ConnectionsFormat } from './file-syntax';
export { guardOpeningText, guardRefusalValues } from './guard-opening';
export { type LoadedConnections, loadConnections } from './load-connections';
export {
  type AddressPolicy,
  addressRange,
  allowLoopbackOutbound,
  assertAllowedAddress,
  assertPublicAddress,
  assertPublicHost,
  createGuardedLookup,
  inAllowlist,
  isLoopbackRange,
  isPublicAddress,
  lookupName,
  loopbackOutboundAllowed,
  OutboundAddressError,
} from './outbound-address';
export { definitionReplacedAfterRefusal, type Pooled, type RefusalOutcome, RetiringPool } from './retiring-pool';
export { Secret } from './secret';
export { CONNECTION_KINDS, type ConnectionKind, normalizeTipoConexao, TIPO_CONEXAO_ALIASES } from './tipo-conexao';
