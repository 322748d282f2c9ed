/**
 * The connections file: the connections that conexao_integracao.nome_conexao names, in YAML or JSON.
 *
 * ```yaml
 * connections:
 *   senior_g5:                  # the key is nome_conexao
 *     tipo: webservice          # webservice | database | api, or an alias: ws, banco de dados, bd…
 *     baseUrl: https://erp.example.com:8443
 *     user: integrador
 *     password: ${SENIOR_PASSWORD}
 *     encryption: 0             # the ERP envelope's encryption field (0 = none, the default)
 *     timeoutMs: 30000          # default 30000
 *     empresaId: 1              # optional: only this empresa may use it
 *   erp_db:
 *     tipo: database
 *     driver: postgres          # postgres | mysql | mssql | oracle | firebird | sqlite
 *     host: 10.0.0.5            # or url: postgres://crm:${ERP_DB_PASSWORD}@10.0.0.5/erp (then no host/port/database/user/password)
 *     port: 5432                # default: the driver's port
 *     database: erp             # the file path for sqlite (no host)
 *     user: crm
 *     password: ${ERP_DB_PASSWORD}
 *     options: {}               # free driver options (tls…)
 *   rubeus:
 *     tipo: api
 *     baseUrl: https://api.example.com
 *     auth:                     # none (default) | basic {user, password} | bearer {token} | header {name, value}
 *       type: bearer
 *       token: ${RUBEUS_TOKEN}
 *     headers: { X-Tenant: abc }
 * ```
 *
 * Any string may reference `${NAME}` from the env map given to the loader (`$${` writes a literal `${`); numbers stay literal.
 * password, token, auth value and a database url load as `Secret`, which never prints. Unknown fields are errors.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Connection } from './connection';
import { readConnectionEntry } from './connection-entry';
import { ConnectionsRegistry } from './connections-registry';
import type { EnvMap } from './env-references';
import { ConnectionsFileError, type ConnectionsProblem } from './errors';
import { type ConnectionsFormat, parseText } from './file-syntax';

const FORMATS = new Map<string, ConnectionsFormat>([
  ['.yaml', 'yaml'],
  ['.yml', 'yaml'],
  ['.json', 'json'],
]);

/** Reads, validates and resolves a connections file; the format follows the extension (unknown: JSON, else YAML). */
export async function loadConnectionsFile(path: string, env: EnvMap): Promise<ConnectionsRegistry> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConnectionsFileError(path, [{ message: unreadable(err) }], 'CONNECTIONS_FILE_UNREADABLE', { cause: err });
  }
  return parseConnections(text, FORMATS.get(extname(path).toLowerCase()) ?? guessFormat(text), env, path);
}

/** Validates and resolves a connections document; throws one ConnectionsFileError listing every problem. */
export function parseConnections(text: string, format: ConnectionsFormat, env: EnvMap, sourceName: string): ConnectionsRegistry {
  const parsed = parseText(text, format);
  if (parsed.problems.length > 0) throw new ConnectionsFileError(sourceName, parsed.problems);
  const { connections, problems } = readDocument(parsed.data, env);
  if (problems.length > 0) throw new ConnectionsFileError(sourceName, problems);
  return new ConnectionsRegistry(connections, sourceName);
}

function readDocument(data: unknown, env: EnvMap): { connections: Connection[]; problems: ConnectionsProblem[] } {
  if (!isMapping(data)) {
    // The kind only: a stray scalar could be a pasted secret.
    const got = data === undefined || data === null ? 'an empty document' : Array.isArray(data) ? 'a list' : `a ${typeof data}`;
    return { connections: [], problems: [{ message: `expected a mapping with a top-level "connections" field, got ${got}` }] };
  }
  const problems: ConnectionsProblem[] = Object.keys(data)
    .filter((key) => key !== 'connections')
    .map((field) => ({ field, message: 'unknown top-level field; expected only "connections"' }));
  // `connections:` with every entry commented out reads as null: an empty file, not a mistake.
  const entries = data.connections ?? {};
  if (!isMapping(entries)) {
    problems.push({ field: 'connections', message: 'expected a mapping of connection names to connections' });
    return { connections: [], problems };
  }
  const connections: Connection[] = [];
  for (const [name, raw] of Object.entries(entries)) {
    const entry = readConnectionEntry(name, raw, env);
    problems.push(...entry.problems);
    if (entry.connection) connections.push(entry.connection);
  }
  if (!('connections' in data)) problems.push({ field: 'connections', message: 'missing required field' });
  return { connections, problems };
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function guessFormat(text: string): ConnectionsFormat {
  try {
    JSON.parse(text.replace(/^\uFEFF/, ''));
    return 'json';
  } catch {
    return 'yaml';
  }
}

function unreadable(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'file not found';
  if (code === 'EISDIR') return 'is a directory, not a file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return `cannot read the file: ${(err as Error).message}`;
}
