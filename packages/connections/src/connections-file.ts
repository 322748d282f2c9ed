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
import { gotKindOf, problemText } from './messages';

const FORMATS = new Map<string, ConnectionsFormat>([
  ['.yaml', 'yaml'],
  ['.yml', 'yaml'],
  ['.json', 'json'],
]);

/** Reads, validates and resolves a connections file; the format follows the extension (unknown: JSON, else YAML). */
export async function loadConnectionsFile(path: string, env: EnvMap): Promise<ConnectionsRegistry> {
  const text = await readConnectionsText(path);
  return parseConnections(text, FORMATS.get(extname(path).toLowerCase()) ?? guessFormat(text), env, path);
}

/**
 * The file's valid entries, and the problems of the entries left out (each names its entry), for a tool that looks at
 * one entry (`connections test`): one bad entry does not hide the others. A problem of the file as a whole (syntax,
 * top level) still throws. The fleet and the workers use loadConnectionsFile, which refuses the file as a whole.
 */
export async function loadValidConnections(
  path: string,
  env: EnvMap,
): Promise<{ registry: ConnectionsRegistry; skipped: ConnectionsProblem[] }> {
  const text = await readConnectionsText(path);
  const { connections, problems } = readConnections(text, FORMATS.get(extname(path).toLowerCase()) ?? guessFormat(text), env, path);
  const fileProblems = problems.filter((problem) => problem.entry === undefined);
  if (fileProblems.length > 0) throw new ConnectionsFileError(path, fileProblems);
  return { registry: new ConnectionsRegistry(connections, path), skipped: problems };
}

async function readConnectionsText(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConnectionsFileError(path, [unreadable(err)], 'CONNECTIONS_FILE_UNREADABLE', { cause: err });
  }
  return text;
}

/** Validates and resolves a connections document; throws one ConnectionsFileError listing every problem. */
export function parseConnections(text: string, format: ConnectionsFormat, env: EnvMap, sourceName: string): ConnectionsRegistry {
  const { connections, problems } = readConnections(text, format, env, sourceName);
  if (problems.length > 0) throw new ConnectionsFileError(sourceName, problems);
  return new ConnectionsRegistry(connections, sourceName);
}

/** A document's valid connections and every problem found (an entry's problems name it); a syntax error throws. */
function readConnections(
  text: string,
  format: ConnectionsFormat,
  env: EnvMap,
  sourceName: string,
): { connections: Connection[]; problems: ConnectionsProblem[] } {
  const parsed = parseText(text, format);
  if (parsed.problems.length > 0) throw new ConnectionsFileError(sourceName, parsed.problems);
  return readDocument(parsed.data, env);
}

function readDocument(data: unknown, env: EnvMap): { connections: Connection[]; problems: ConnectionsProblem[] } {
  if (!isMapping(data)) {
    // The kind only: a stray scalar could be a pasted secret.
    const gotKind = data === undefined || data === null ? 'empty-document' : gotKindOf(data);
    return { connections: [], problems: [problemText('EXPECTED_DOCUMENT', { gotKind })] };
  }
  const problems: ConnectionsProblem[] = Object.keys(data)
    .filter((key) => key !== 'connections')
    .map((field) => ({ field, ...problemText('UNKNOWN_TOP_LEVEL_FIELD') }));
  // `connections:` with every entry commented out reads as null: an empty file, not a mistake.
  const entries = data.connections ?? {};
  if (!isMapping(entries)) {
    problems.push({ field: 'connections', ...problemText('EXPECTED_CONNECTIONS_MAPPING') });
    return { connections: [], problems };
  }
  const connections: Connection[] = [];
  for (const [name, raw] of Object.entries(entries)) {
    const entry = readConnectionEntry(name, raw, env);
    problems.push(...entry.problems);
    if (entry.connection) connections.push(entry.connection);
  }
  if (!('connections' in data)) problems.push({ field: 'connections', ...problemText('MISSING_FIELD') });
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

function unreadable(err: unknown): ConnectionsProblem {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return problemText('FILE_NOT_FOUND');
  if (code === 'EISDIR') return problemText('IS_DIRECTORY');
  if (code === 'EACCES' || code === 'EPERM') return problemText('PERMISSION_DENIED');
  return problemText('UNREADABLE', { detail: (err as Error).message });
}
