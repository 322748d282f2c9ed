import { assertPublicDatabase, type DatabaseConnection } from '@integrador/connections';

/**
 * Refuses a database whose driver would reach a loopback, private, link-local or metadata address — its host, a host
 * its URL's query string names (?host=, ?socketPath=), Oracle's options.connectString, an ODBC SERVER= — unless the
 * connection sets `allowPrivateNetwork: true` (OutboundAddressError). SQLite is a local file and has no host.
 * Checked when the reader opens; the drivers connect by name afterwards, so unlike the HTTP agents (which check at
 * every connect) a DNS answer changed between the check and a later pool connection is not seen.
 */
export async function assertSourceHostAllowed(connection: DatabaseConnection): Promise<void> {
  await assertPublicDatabase(connection);
}
