import dns from 'node:dns/promises';
import net from 'node:net';
import { parse as parsePgUrl } from 'pg-connection-string';
import type { DatabaseConnection } from './connection';
import { assertAllowedAddress, assertPublicHost, lookupName, loopbackOutboundAllowed, OutboundAddressError } from './outbound-address';

// A database driver does not only connect to the host the guard was shown: pg reads `?host=` (and an empty host means
// localhost), mysql2 reads `?socketPath=`, Oracle's options.connectString names its own servers and an ODBC
// connection string its SERVER/HOSTNAME. Every one of them is a server the driver reaches, so every one is checked.

/** URL query parameters through which a driver is told to reach another server or a local socket. */
const URL_HOST_PARAMS = new Set(['host', 'hostaddr', 'socketpath', 'socket', 'unix_socket', 'server', 'servername', 'address']);
/** ODBC connection string attributes naming the server (the DSN's own entry is invisible to us: `host` covers it). */
const ODBC_HOST_KEYS = new Set(['server', 'hostname', 'host', 'address', 'addr', 'network address', 'servername']);

/** Where a driver connects when it is given no host: the machine itself. */
export const LOCAL_DEFAULT = '';

/** "tcp:db.example,1433", "db.example:5432", "db.example\\SQLEXPRESS" → "db.example"; IPv6 literals keep their colons. */
function bareHost(value: string): string {
  let host = value.trim().replace(/^tcps?:(\/\/)?/i, '');
  host = host.split(',')[0]?.split('\\')[0] ?? '';
  if (/^\[.*\]/.test(host)) return host.slice(1, host.indexOf(']'));
  if ((host.match(/:/g) ?? []).length === 1) host = host.slice(0, host.indexOf(':'));
  return host.replace(/\/.*$/, '');
}

/**
 * A URL's host as the drivers read it: percent-decoded (pg and mysql2 decode it, so `127%2E0%2E0%2E1` is 127.0.0.1 and
 * `%2Fvar%2Frun%2Fpostgresql` a socket), brackets of an IPv6 literal dropped. WHATWG URL keeps a non-special scheme's
 * host encoded, so the guard must decode it itself.
 */
export function urlHostname(url: URL): string {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  try {
    return decodeURIComponent(host);
  } catch {
    return host; // a malformed escape (%zz): no driver decodes it either
  }
}

// pg-connection-string reads these files while it parses; the host does not depend on them.
const PG_FILE_PARAMS = ['sslcert', 'sslkey', 'sslrootcert'];

/** The host pg connects to for a URL: pg-connection-string's own parse (`?host=` over the URL's host, decoded). */
function pgHost(text: string): string {
  const url = new URL(text);
  let plain = text;
  if (PG_FILE_PARAMS.some((key) => url.searchParams.has(key))) {
    for (const key of PG_FILE_PARAMS) url.searchParams.delete(key);
    plain = url.href;
  }
  return parsePgUrl(plain).host ?? LOCAL_DEFAULT;
}

/** The host and socket mysql2 connects to for a URL: its own ConnectionConfig.parseUrl (loaded on first use). */
function mysqlHosts(text: string): string[] {
  // mysql2 exports ConnectionConfig (the parser its pools use for `uri`) but its typings do not declare the value.
  const { ConnectionConfig } = require('mysql2') as {
    ConnectionConfig: { parseUrl(url: string): { host?: unknown; socketPath?: unknown } };
  };
  const parsed = ConnectionConfig.parseUrl(text);
  const hosts = [typeof parsed.host === 'string' ? parsed.host : LOCAL_DEFAULT];
  // A socketPath wins over the host in mysql2, whatever its spelling: a socket is always the machine itself.
  if (parsed.socketPath !== undefined && parsed.socketPath !== null && parsed.socketPath !== '') {
    const socket = String(parsed.socketPath);
    hosts.push(socket.startsWith('/') ? socket : `/${socket}`);
  }
  return hosts;
}

/**
 * Every server a URL makes its driver reach, read as the driver reads it: pg and mysql2 through their own parsers (pg's
 * `?host=` replaces the URL's host; mysql2's `?socketPath=` wins over it), the other drivers by the URL's decoded host.
 * The query's other host parameters are checked too, whether or not this driver reads them (mysql2 ignores `?host=`):
 * one the driver may read is never let through; mysql2's socketPath is read by its own parse (it JSON-decodes it).
 */
function urlHosts(driver: DatabaseConnection['driver'], text: string): string[] {
  const url = new URL(text);
  const hosts = driver === 'mysql' ? mysqlHosts(text) : [driver === 'postgres' ? pgHost(text) : urlHostname(url)];
  for (const [key, value] of url.searchParams) {
    if (driver === 'mysql' && key === 'socketPath') continue;
    if (URL_HOST_PARAMS.has(key.toLowerCase()))
      hosts.push(...value.split(',').map((part) => (part.startsWith('/') ? part : bareHost(part))));
  }
  return [...new Set(hosts)];
}

function odbcHosts(connectionString: string): string[] {
  const hosts: string[] = [];
  for (const part of connectionString.split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && ODBC_HOST_KEYS.has(part.slice(0, at).trim().toLowerCase()))
      hosts.push(bareHost(part.slice(at + 1).replace(/^\{|\}$/g, '')));
  }
  return hosts;
}

/** Oracle: every HOST= of a descriptor, the host of an Easy Connect string, or the alias itself (a TNS name). */
function oracleHosts(connectString: string): string[] {
  const described = [...connectString.matchAll(/\(\s*HOST\s*=\s*([^)\s]+)\s*\)/gi)].map((match) => match[1] ?? '');
  if (described.length || connectString.includes('(')) return described.length ? described : [LOCAL_DEFAULT];
  return [bareHost(connectString.replace(/^\/\//, ''))];
}

/** Every server a database connection makes its driver reach ('' = the driver's default, the local machine; '/…' = a socket). */
export function databaseHosts(connection: DatabaseConnection): string[] {
  if (connection.driver === 'sqlite') return [];
  const hosts = connection.url ? urlHosts(connection.driver, connection.url.reveal()) : [connection.host ?? LOCAL_DEFAULT];
  if (connection.driver === 'odbc' && connection.connectionString) hosts.push(...odbcHosts(connection.connectionString.reveal()));
  const connectString = connection.options.connectString;
  if (connection.driver === 'oracle' && typeof connectString === 'string') hosts.push(...oracleHosts(connectString));
  return hosts;
}

/**
 * With `allowPrivateNetwork` the LAN is allowed, link-local / cloud metadata never (alwaysRefusedRange) and the machine
 * itself — loopback, the driver's default, a socket — only when the operator opened it (loopbackOutboundAllowed): the
 * hub's own PostgreSQL listens there. A name that does not resolve here is left to the driver: an Oracle TNS alias, a
 * FreeTDS servername or an Informix server name is resolved by the driver's own configuration, not DNS, and refusing it
 * would fail for good a connection that works (the hosts are read as the drivers read them — databaseHosts — so a
 * spelling such as `127%2E0%2E0%2E1` is decoded before this, not left unchecked).
 */
async function assertPrivateNetworkHost(host: string): Promise<void> {
  if (host === LOCAL_DEFAULT || host.startsWith('/')) {
    if (!loopbackOutboundAllowed()) throw new OutboundAddressError(host === LOCAL_DEFAULT ? '(no host)' : host, 'localhost', 'loopback');
    return;
  }
  const bare = lookupName(host.replace(/^\[|\]$/g, ''));
  const addresses =
    net.isIP(bare) !== 0
      ? [bare]
      : await dns.lookup(bare, { all: true }).then(
          (entries) => entries.map((entry) => entry.address),
          () => [],
        );
  for (const address of addresses) assertAllowedAddress(address, host, { allowPrivateNetwork: true });
}

/**
 * Throws OutboundAddressError unless every server the connection's driver would reach is public (with
 * `allowPrivateNetwork`: see assertPrivateNetworkHost); nothing to check for sqlite. Without it, DNS errors (ENOTFOUND…)
 * propagate as they are.
 */
export async function assertPublicDatabase(connection: DatabaseConnection): Promise<void> {
  if (connection.allowPrivateNetwork) {
    for (const host of databaseHosts(connection)) await assertPrivateNetworkHost(host);
    return;
  }
  for (const host of databaseHosts(connection)) {
    if (host === LOCAL_DEFAULT) throw new OutboundAddressError('(no host)', 'localhost', 'loopback (the driver default)');
    if (host.startsWith('/')) throw new OutboundAddressError(host, host, 'unix socket');
    await assertPublicHost(host);
  }
}
