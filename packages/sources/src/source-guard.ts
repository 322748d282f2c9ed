import { assertPublicHost } from '@integrador/connections';
import type { SourceTarget } from './source-target';

/**
 * Refuses a database host that resolves to a loopback, private, link-local or metadata address unless the connection
 * sets `allowPrivateNetwork: true` (OutboundAddressError). SQLite is a local file and has no host.
 * Checked when the reader opens; the drivers connect by name afterwards, so unlike the HTTP agents (which check at
 * every connect) a DNS answer changed between the check and a later pool connection is not seen.
 */
export async function assertSourceHostAllowed(target: SourceTarget): Promise<void> {
  if (target.driver === 'sqlite' || target.allowPrivateNetwork || target.host === undefined) return;
  await assertPublicHost(target.host);
}
