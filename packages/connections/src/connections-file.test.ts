import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import type { ApiConnection, DatabaseConnection, WebServiceConnection } from './connection';
import { loadConnectionsFile, loadValidConnections, parseConnections } from './connections-file';
import { ConnectionsFileError, type ConnectionsProblem } from './errors';
import { Secret } from './secret';

const ENV = { SENIOR_PASSWORD: 's3nior-pw', ERP_DB_PASSWORD: 'db-pw', RUBEUS_TOKEN: 'tok-123' };

const YAML_FILE = `# every kind, as documented
connections:
  senior_g5:
    tipo: webservice
    baseUrl: https://erp.example.com:8443/
    user: integrador
    password: \${SENIOR_PASSWORD}
    encryption: 0
    timeoutMs: 30000
    empresaId: 1
  erp_db:
    tipo: database
    driver: postgres
    host: 10.0.0.5
    database: erp
    user: crm
    password: \${ERP_DB_PASSWORD}
    options: { ssl: { rejectUnauthorized: false } }
  rubeus:
    tipo: api
    baseUrl: https://api.example.com
    auth:
      type: bearer
      token: \${RUBEUS_TOKEN}
    headers: { X-Tenant: abc }
    timeoutMs: 10000
`;

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'connections-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

/** Loads a file expected to be rejected and returns the error. */
async function rejection(name: string, text: string, env: Record<string, string> = ENV): Promise<ConnectionsFileError> {
  const error = await loadConnectionsFile(write(name, text), env).catch((err: unknown) => err);
  expect(error).toBeInstanceOf(ConnectionsFileError);
  return error as ConnectionsFileError;
}

describe('loadConnectionsFile', () => {
  it('loads every kind from YAML, resolving variable references and applying defaults', async () => {
    const registry = await loadConnectionsFile(write('conn.yaml', YAML_FILE), ENV);
    expect(registry.names()).toEqual(['senior_g5', 'erp_db', 'rubeus']);

    const ws = registry.require('senior_g5') as WebServiceConnection;
    expect(ws).toMatchObject({
      kind: 'webservice',
      baseUrl: 'https://erp.example.com:8443',
      user: 'integrador',
      encryption: 0,
      empresaId: 1,
    });
    expect(ws.password.reveal()).toBe('s3nior-pw');

    const db = registry.require('erp_db') as DatabaseConnection;
    expect(db).toMatchObject({ kind: 'database', driver: 'postgres', host: '10.0.0.5', port: 5432, database: 'erp', user: 'crm' });
    expect(db.password?.reveal()).toBe('db-pw');
    expect(db.options).toEqual({ ssl: { rejectUnauthorized: false } });

    const api = registry.require('rubeus') as ApiConnection;
    expect(api).toMatchObject({ kind: 'api', baseUrl: 'https://api.example.com', headers: { 'X-Tenant': 'abc' }, timeoutMs: 10000 });
    expect(api.auth.type === 'bearer' && api.auth.token.reveal()).toBe('tok-123');
  });

  it('loads JSON, and a database given by url', async () => {
    const json = {
      connections: {
        erp: { tipo: 'bd', driver: 'mysql', url: `mysql://crm:\${ERP_DB_PASSWORD}@db:3306/erp` },
        local: { tipo: 'banco', driver: 'sqlite', database: '/var/lib/erp.sqlite' },
        lan: { tipo: 'bd', driver: 'firebird', host: '192.168.0.9', database: 'C:\\erp\\erp.fdb', allowPrivateNetwork: true },
        open: { tipo: 'API', baseUrl: 'http://127.0.0.1:9000' },
      },
    };
    const registry = await loadConnectionsFile(write('conn.json', JSON.stringify(json)), ENV);
    const erp = registry.require('erp') as DatabaseConnection;
    expect(erp.url?.reveal()).toBe('mysql://crm:db-pw@db:3306/erp');
    expect(erp.host).toBeUndefined();
    expect(erp.allowPrivateNetwork).toBe(false);
    expect(registry.require('lan')).toMatchObject({ driver: 'firebird', port: 3050, allowPrivateNetwork: true });
    expect(registry.require('local')).toMatchObject({ driver: 'sqlite', database: '/var/lib/erp.sqlite', port: undefined });
    expect(registry.require('open')).toMatchObject({ kind: 'api', auth: { type: 'none' }, headers: {}, timeoutMs: 30000 });
  });

  it('loads an odbc entry: the connection string (a secret, its references resolved) or a DSN, and the host the guard checks', () => {
    const registry = parseConnections(
      `connections:
  db2:
    tipo: bd
    driver: odbc
    connectionString: DRIVER={IBM DB2 ODBC DRIVER};HOSTNAME=db2.example.com;PORT=50000;DATABASE=ERP;UID=crm;PWD=\${ERP_DB_PASSWORD}
    host: db2.example.com
    port: 50000
    options: { testQuery: SELECT 1 FROM SYSIBM.SYSDUMMY1 }
  cache:
    tipo: bd
    driver: odbc
    dsn: CACHE_ERP
    user: crm
    password: \${ERP_DB_PASSWORD}
    allowPrivateNetwork: true
`,
      'yaml',
      ENV,
      'inline',
    );
    const db2 = registry.require('db2') as DatabaseConnection;
    expect(db2.connectionString?.reveal()).toBe(
      'DRIVER={IBM DB2 ODBC DRIVER};HOSTNAME=db2.example.com;PORT=50000;DATABASE=ERP;UID=crm;PWD=db-pw',
    );
    expect(inspect(db2)).not.toContain('db-pw');
    expect(db2).toMatchObject({ driver: 'odbc', host: 'db2.example.com', port: 50000, allowPrivateNetwork: false });
    expect(registry.require('cache')).toMatchObject({ driver: 'odbc', dsn: 'CACHE_ERP', user: 'crm', host: undefined, port: undefined });
  });

  it('refuses an odbc entry without a data source, with both, with a url, or without a host for the guard', async () => {
    const error = await rejection(
      'conn.yaml',
      `connections:
  none: { tipo: bd, driver: odbc, host: h }
  both: { tipo: bd, driver: odbc, host: h, dsn: X, connectionString: 'DSN=Y' }
  url: { tipo: bd, driver: odbc, url: 'odbc:x' }
  nohost: { tipo: bd, driver: odbc, connectionString: 'DSN=Y;PWD=hunter2' }
  pg: { tipo: bd, driver: postgres, host: h, database: d, dsn: X }
`,
    );
    expect(error.problems.map(withoutCode)).toEqual([
      { entry: 'none', field: 'connectionString', message: 'missing required field (or give "dsn")' },
      { entry: 'both', field: 'dsn', message: 'not allowed together with "connectionString"' },
      { entry: 'url', field: 'url', message: 'not used by driver odbc (give "connectionString" or "dsn")' },
      {
        entry: 'nohost',
        field: 'host',
        message: 'missing required field for driver odbc (the server the outbound guard checks), or set allowPrivateNetwork: true',
      },
      { entry: 'pg', field: 'dsn', message: 'only for driver odbc' },
    ]);
    expect(error.message).not.toContain('hunter2');
  });

  it.each([
    ['ws', 'webservice'],
    ['Web Service', 'webservice'],
    ['Conexão via Web Service', 'webservice'],
    ['banco de dados', 'database'],
    ['BD', 'database'],
    ['Conexão via API', 'api'],
  ])('accepts the tipo alias %j', (tipo, kind) => {
    const entry =
      kind === 'webservice'
        ? { tipo, baseUrl: 'https://h', user: 'u', password: 'p' }
        : kind === 'database'
          ? { tipo, driver: 'sqlite', database: 'x.sqlite' }
          : { tipo, baseUrl: 'https://h' };
    const registry = parseConnections(JSON.stringify({ connections: { c: entry } }), 'json', {}, 'inline');
    expect(registry.require('c').kind).toBe(kind);
  });

  it("keeps the names of the variables a connection's password comes from, never their values (trial 4)", () => {
    const registry = parseConnections(
      `connections:
  alfa_g5:
    tipo: webservice
    baseUrl: https://alfa.example.com
    user: integrador
    password: \${ALFA_G5_PASSWORD}
  by_url:
    tipo: database
    driver: postgres
    url: postgres://crm:\${ERP_DB_PASSWORD}@\${ERP_HOST}/erp
  odbc:
    tipo: bd
    driver: odbc
    connectionString: HOSTNAME=db2.example.com;UID=\${ERP_USER};PWD=\${ERP_DB_PASSWORD}
    host: db2.example.com
  token:
    tipo: api
    baseUrl: https://api.example.com
    auth:
      type: bearer
      token: \${RUBEUS_TOKEN}
  literal:
    tipo: webservice
    baseUrl: https://beta.example.com
    user: integrador
    password: escrita-no-arquivo
`,
      'yaml',
      { ...ENV, ALFA_G5_PASSWORD: 'alfa-pw', ERP_HOST: 'erp.example.com', ERP_USER: 'crm' },
      'inline',
    );
    expect(registry.require('alfa_g5').passwordVariables).toEqual(['ALFA_G5_PASSWORD']);
    // A host's or a user's variable is no password's.
    expect(registry.require('by_url').passwordVariables).toEqual(['ERP_DB_PASSWORD']);
    expect(registry.require('odbc').passwordVariables).toEqual(['ERP_DB_PASSWORD']);
    expect(registry.require('token').passwordVariables).toEqual(['RUBEUS_TOKEN']);
    expect(registry.require('literal').passwordVariables).toBeUndefined();
    expect(JSON.stringify(registry.require('alfa_g5'))).not.toContain('alfa-pw');
  });

  it('guesses the format of a file without a known extension', async () => {
    const yaml = await loadConnectionsFile(write('connections.conf', YAML_FILE), ENV);
    const json = await loadConnectionsFile(write('connections.txt', '{"connections": {}}'), ENV);
    expect(yaml.size).toBe(3);
    expect(json.size).toBe(0);
  });

  it('reads an empty connections mapping as no connections', async () => {
    expect((await loadConnectionsFile(write('c.yaml', 'connections:\n  # none yet\n'), ENV)).size).toBe(0);
  });

  it('names the entry, the field and the variable when a variable is missing', async () => {
    const error = await rejection('conn.yaml', YAML_FILE, { ERP_DB_PASSWORD: 'x', RUBEUS_TOKEN: '' });
    expect(error.problems.map(withoutCode)).toEqual([
      { entry: 'senior_g5', field: 'password', message: 'environment variable SENIOR_PASSWORD is not set (or is empty)' },
      { entry: 'rubeus', field: 'auth.token', message: 'environment variable RUBEUS_TOKEN is not set (or is empty)' },
    ]);
    expect(error.message.split('\n')[0]).toBe(
      `connections file ${path.join(dir, 'conn.yaml')}: connection "senior_g5": field "password": environment variable SENIOR_PASSWORD is not set (or is empty)`,
    );
  });

  it('collects every wrong field, naming entry and field, without quoting secrets', async () => {
    const error = await rejection(
      'conn.yaml',
      `connections:
  senior_g5:
    tipo: ws
    baseUrl: ftp://x
    user: integrador
    password: 12345
    timeoutMs: fast
  erp_db:
    tipo: database
    driver: postgress
    port: 99999
  rubeus:
    tipo: api
    baseUrl: https://api.example.com
    auth: { type: oauth }
  other:
    tipo: ftp
`,
    );
    expect(error.problems.map(withoutCode)).toEqual([
      { entry: 'senior_g5', field: 'baseUrl', message: 'expected an http(s) URL, got "ftp://x"' },
      { entry: 'senior_g5', field: 'password', message: 'expected a non-empty string (quote it if it looks like a number)' },
      { entry: 'senior_g5', field: 'timeoutMs', message: 'expected milliseconds from 1 to 600000, got "fast"' },
      {
        entry: 'erp_db',
        field: 'driver',
        message: 'expected one of postgres, mysql, mssql, oracle, firebird, sqlite, odbc, got "postgress"',
      },
      { entry: 'erp_db', field: 'port', message: 'expected an integer from 1 to 65535, got 99999' },
      { entry: 'rubeus', field: 'auth.type', message: 'expected one of none, basic, bearer, header, got "oauth"' },
      {
        entry: 'other',
        field: 'tipo',
        message: 'expected one of webservice, database, api (or an alias such as ws, banco de dados), got "ftp"',
      },
    ]);
    expect(error.message).toContain(
      `connections file ${path.join(dir, 'conn.yaml')}: connection "senior_g5": field "baseUrl": expected an http(s) URL, got "ftp://x"`,
    );
    expect(error.message.split('\n')).toHaveLength(7);
    expect(error.message).not.toContain('12345');
  });

  it('reads allowPrivateNetwork on webservice and api entries, false unless set, and rejects a non-boolean', async () => {
    const text = `connections:
  lan_erp: { tipo: ws, baseUrl: 'http://10.0.0.7:8080', user: u, password: p, allowPrivateNetwork: true }
  public_api: { tipo: api, baseUrl: 'https://api.example.com' }
`;
    const registry = parseConnections(text, 'yaml', {}, 'inline');
    expect(registry.require('lan_erp')).toMatchObject({ kind: 'webservice', allowPrivateNetwork: true });
    expect(registry.require('public_api')).toMatchObject({ kind: 'api', allowPrivateNetwork: false });
    const error = await rejection('conn.yaml', `connections:\n  a: { tipo: api, baseUrl: 'https://h', allowPrivateNetwork: 'yes' }\n`);
    expect(error.problems.map(withoutCode)).toEqual([
      { entry: 'a', field: 'allowPrivateNetwork', message: 'expected true or false, got "yes"' },
    ]);
  });

  it('rejects unknown fields by name, at every level', async () => {
    const error = await rejection(
      'conn.json',
      JSON.stringify({
        version: 2,
        connections: {
          rubeus: { tipo: 'api', baseUrl: 'https://h', tokn: 'x', auth: { type: 'basic', user: 'u', password: 'p', realm: 'r' } },
        },
      }),
    );
    expect(error.problems.map(withoutCode)).toEqual([
      { field: 'version', message: 'unknown top-level field; expected only "connections"' },
      {
        entry: 'rubeus',
        field: 'tokn',
        message: 'unknown field; expected one of tipo, baseUrl, auth, headers, timeoutMs, empresaId, allowPrivateNetwork, retry',
      },
      { entry: 'rubeus', field: 'auth.realm', message: 'unknown field; expected one of type, user, password' },
    ]);
  });

  it('checks a database entry has either a url matching its driver or its parts', async () => {
    const error = await rejection(
      'conn.yaml',
      `connections:
  by_url:
    tipo: database
    driver: postgres
    url: mysql://crm:\${ERP_DB_PASSWORD}@db/erp
    host: db
  by_parts:
    tipo: database
    driver: firebird
    user: SYSDBA
`,
    );
    expect(error.problems.map(withoutCode)).toEqual([
      { entry: 'by_url', field: 'url', message: 'expected a postgres: or postgresql: URL for driver postgres' },
      { entry: 'by_url', field: 'host', message: 'not allowed together with "url" (put it in the URL)' },
      { entry: 'by_parts', field: 'host', message: 'missing required field (or give "url")' },
      { entry: 'by_parts', field: 'database', message: 'missing required field (or give "url")' },
    ]);
    expect(error.message).not.toContain('db-pw');
  });

  it('reports YAML syntax errors with their line and without quoting the file', async () => {
    const error = await rejection('conn.yaml', 'connections:\n  a:\n    tipo: api\n\tpassword: hunter2\n');
    expect(error.problems.map(withoutCode)).toEqual([{ line: 4, message: 'invalid YAML: Tabs are not allowed as indentation' }]);
    expect(error.message).toMatch(/^connections file .*conn\.yaml: line 4: invalid YAML: Tabs are not allowed as indentation$/);
    expect(error.message).not.toContain('hunter2');
  });

  it('reports JSON syntax errors with their line and without quoting the file', async () => {
    const error = await rejection('conn.json', '{\n  "connections": {\n    "a": { "password": "hunter2", }\n  }\n}\n');
    expect(error.problems.map(withoutCode)).toEqual([{ line: 3, message: expect.stringMatching(/^invalid JSON: /) }]);
    expect(error.message).not.toContain('hunter2');
  });

  it('says so when the file is missing, or empty', async () => {
    const missing = path.join(dir, 'nope.yaml');
    const error = await loadConnectionsFile(missing, ENV).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ConnectionsFileError);
    expect(error).toMatchObject({ code: 'CONNECTIONS_FILE_UNREADABLE', message: `connections file ${missing}: file not found` });
    const empty = await rejection('empty.yaml', '');
    expect(empty.message).toMatch(/expected a mapping with a top-level "connections" field, got an empty document$/);
  });

  it('never shows a secret through JSON, String or util.inspect', async () => {
    const registry = await loadConnectionsFile(write('conn.yaml', YAML_FILE), { ...ENV, SENIOR_PASSWORD: 'literal-secret-value' });
    const all = [...registry.entries()];
    const printed = [JSON.stringify(all), inspect(all, { depth: 10 }), String(registry.require('senior_g5'))].join('\n');
    for (const secret of ['literal-secret-value', 'db-pw', 'tok-123']) expect(printed).not.toContain(secret);
    expect(printed).toContain('[REDACTED]');
    expect((registry.require('senior_g5') as WebServiceConnection).password).toBeInstanceOf(Secret);
  });

  it('keeps literal secrets secret too, and unescapes $${', () => {
    const text = 'connections:\n  c:\n    tipo: api\n    baseUrl: https://h\n    auth: { type: basic, user: "u$${X}", password: plain }\n';
    const connection = parseConnections(text, 'yaml', {}, 'inline').require('c') as ApiConnection;
    expect(connection.auth).toMatchObject({ type: 'basic', user: `u\${X}` });
    expect(JSON.stringify(connection)).not.toContain('plain');
  });

  it('returns frozen connections', async () => {
    const registry = await loadConnectionsFile(write('conn.yaml', YAML_FILE), ENV);
    const db = registry.require('erp_db') as DatabaseConnection;
    expect(Object.isFrozen(db)).toBe(true);
    expect(Object.isFrozen(db.options.ssl)).toBe(true);
  });
});

describe('connections file problems in pt-BR, and the valid entries of a file with invalid ones', () => {
  const text = [
    'connections:',
    '  ok:',
    '    tipo: api',
    '    baseUrl: https://api.example.com',
    '  typo:',
    '    tipo: api',
    '    baseUrl: ftp://x',
    '    timeoutMs: 0',
  ].join('\n');

  it('words every problem in pt-BR on request (English stays the message)', async () => {
    const error = await rejection('pt.yaml', text);
    expect(error.message).toContain('connection "typo": field "baseUrl": expected an http(s) URL, got "ftp://x"');
    expect(error.localized('pt-BR').split('\n')).toEqual([
      `arquivo de conexões ${path.join(dir, 'pt.yaml')}: conexão "typo": campo "baseUrl": esperado uma URL http(s), recebido "ftp://x"`,
      `arquivo de conexões ${path.join(dir, 'pt.yaml')}: conexão "typo": campo "timeoutMs": esperado milissegundos de 1 a 600000, recebido 0`,
    ]);
  });

  it('words what was received in pt-BR too when only its kind is told ("recebido nada", not "recebido nothing")', async () => {
    const pt = async (name: string, body: string) => (await rejection(name, body)).localized('pt-BR');
    expect(await pt('list.yaml', '- a\n- b\n')).toContain('no primeiro nível, recebido uma lista');
    expect(await pt('scalar.yaml', 'connections\n')).toContain('no primeiro nível, recebido um texto');
    expect(await pt('number.json', '42')).toContain('no primeiro nível, recebido um número');
    expect(await pt('empty.yaml', '# nothing yet\n')).toContain('no primeiro nível, recebido um documento vazio');
    expect(await pt('no-tipo.yaml', 'connections:\n  x:\n    baseUrl: https://a.example\n')).toContain(
      'conexão "x": campo "tipo": esperado um de webservice, database, api (ou um sinônimo como ws, banco de dados), recebido nada',
    );
    const en = await rejection('list-en.yaml', '- a\n');
    expect(en.message).toContain('top-level "connections" field, got a list');
  });

  it('words the auth type in pt-BR from the schema', async () => {
    const body = 'connections:\n  x:\n    tipo: api\n    baseUrl: https://a.example\n    auth: { type: oauth }\n';
    const error = await rejection('auth.yaml', body);
    expect(error.localized('pt-BR')).toContain('campo "auth.type": esperado um de none, basic, bearer, header, recebido "oauth"');
    expect(error.message).toContain('field "auth.type": expected one of none, basic, bearer, header, got "oauth"');
  });

  it('loadValidConnections keeps the valid entries and lists the skipped ones; a file-level problem still throws', async () => {
    const { registry, skipped } = await loadValidConnections(write('lenient.yaml', text), ENV);
    expect(registry.names()).toEqual(['ok']);
    expect(skipped.map((problem) => [problem.entry, problem.field])).toEqual([
      ['typo', 'baseUrl'],
      ['typo', 'timeoutMs'],
    ]);
    await expect(loadValidConnections(write('top.yaml', 'connections: {}\nextra: 1\n'), ENV)).rejects.toThrow(
      'field "extra": unknown top-level field',
    );
  });
});

/** A problem as its English text states it (its code and params word it in other locales). */
function withoutCode({ code: _code, params: _params, ...problem }: ConnectionsProblem): ConnectionsProblem {
  return problem;
}
