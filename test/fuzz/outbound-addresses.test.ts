import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type DatabaseConnection, parseAddressAllowlist, Secret } from '@integrador/connections';
import { CtiError, sendPbxRequest } from '@integrador/cti';
import { openSourceReader } from '@integrador/sources';
import {
  createDatabaseTransport,
  createRestTransport,
  createSoapTransport,
  EndpointFetchError,
  fetchJsonRecords,
  SoapClientCache,
} from '@integrador/transports';
import { createWebhookHttpClient } from '@integrador/webhooks';

// Outbound URLs and hosts aimed at this machine in every spelling a parser accepts, through every outbound path: each
// is refused before a byte reaches the canary (a server on 127.0.0.1 and ::1 that counts its visitors), with the
// path's permanent error. A redirect from an allowed server to an internal one is never followed.

const TIMEOUT_MS = 2000;

/** One spelling of an internal address: how it appears in a URL and as a database host. */
const FORMS: readonly { name: string; host: string; urlHost?: string }[] = [
  { name: 'decimal', host: '2130706433' },
  { name: 'octal', host: '0177.0.0.1' },
  { name: 'hex', host: '0x7f.1' },
  { name: 'short', host: '127.1' },
  { name: 'whole hex', host: '0x7f000001' },
  { name: 'IPv4-mapped IPv6', host: '::ffff:127.0.0.1', urlHost: '[::ffff:127.0.0.1]' },
  { name: 'IPv4-mapped IPv6 hex', host: '::ffff:7f00:1', urlHost: '[::ffff:7f00:1]' },
  { name: 'IPv4-compatible IPv6', host: '::7f00:1', urlHost: '[::7f00:1]' },
  { name: 'IPv6 loopback', host: '::1', urlHost: '[::1]' },
  { name: 'IPv6 unspecified', host: '::', urlHost: '[::]' },
  { name: 'IPv6 link-local', host: 'fe80::1', urlHost: '[fe80::1]' },
  { name: 'IPv6 unique-local', host: 'fd00:ec2::254', urlHost: '[fd00:ec2::254]' },
  { name: 'unspecified', host: '0.0.0.0' },
  { name: 'metadata', host: '169.254.169.254' },
  { name: 'private', host: '10.0.0.1' },
  { name: 'trailing dot', host: 'localhost.' },
  { name: 'name resolving to loopback', host: 'localhost' },
];

let canary: http.Server;
let canary6: http.Server;
let redirector: http.Server;
let port: number;
let redirectorPort: number;
let hits = 0;

function listen(server: http.Server, host: string, at = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(at, host, () => resolve((server.address() as AddressInfo).port));
  });
}

beforeAll(async () => {
  const count: http.RequestListener = (_req, res) => {
    hits++;
    res.end('[]');
  };
  canary = http.createServer(count);
  canary6 = http.createServer(count);
  port = await listen(canary, '127.0.0.1');
  await listen(canary6, '::1', port).catch(() => undefined); // a machine without IPv6 loopback has nothing to reach there
  redirector = http.createServer((_req, res) => {
    res.writeHead(302, { location: `http://[::1]:${port}/internal` });
    res.end();
  });
  redirectorPort = await listen(redirector, '127.0.0.1');
});

afterAll(async () => {
  for (const server of [canary, canary6, redirector]) await new Promise((resolve) => server.close(resolve));
});

/** Walks an error's cause chain for the guard's code. */
function refusedByGuard(error: unknown): boolean {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined, i = 0; e && i < 6; e = e.cause as typeof e, i++) {
    if (e.code === 'OUTBOUND_ADDRESS_FORBIDDEN') return true;
  }
  return false;
}

/** Each outbound path, given a URL (or host): resolves with the refusal it got, or fails the test if it got through. */
const HTTP_PATHS: Record<string, (url: string, allowPrivateNetwork?: boolean) => Promise<unknown>> = {
  'REST receptor': (url, allowPrivateNetwork = false) =>
    createRestTransport({
      kind: 'api',
      name: 'rest',
      baseUrl: new URL(url).origin,
      auth: { type: 'none' },
      headers: {},
      timeoutMs: TIMEOUT_MS,
      allowPrivateNetwork,
    }).send({ link: new URL(url).pathname, operation: null, body: {}, timeoutMs: TIMEOUT_MS }),
  'SOAP receptor': (url, allowPrivateNetwork = false) =>
    createSoapTransport(
      {
        kind: 'webservice',
        name: 'soap',
        baseUrl: new URL(url).origin,
        user: 'u',
        password: new Secret('p'),
        encryption: 0,
        timeoutMs: TIMEOUT_MS,
        allowPrivateNetwork,
      },
      { cache: new SoapClientCache() },
    ).send({ link: `${new URL(url).pathname}?wsdl`, operation: 'Gravar', body: {}, timeoutMs: TIMEOUT_MS }),
  'JSON endpoint service': (url, allowPrivateNetwork = false) =>
    fetchJsonRecords({ url, headers: {}, timeoutMs: TIMEOUT_MS, maxRecords: 10, maxBytes: 100_000, allowPrivateNetwork }),
  'CTI click-to-call (PBX)': (url, allowPrivateNetwork = false) =>
    sendPbxRequest(
      { method: 'GET', url, headers: {}, shownUrl: url, revealedUrl: url, dialled: '3501', interno: true, secrets: [] },
      { allowPrivateNetwork, timeoutMs: TIMEOUT_MS },
    ),
  webhook: async (url, allowPrivateNetwork = false) => {
    const allowlist = parseAddressAllowlist(allowPrivateNetwork ? ['127.0.0.1'] : []);
    const client = createWebhookHttpClient({ connectTimeoutMs: TIMEOUT_MS, timeoutMs: TIMEOUT_MS, allowlist });
    try {
      const result = await client.send(url, {}, '{}');
      if (!result.ok) throw Object.assign(new Error(result.error ?? `HTTP ${result.status}`), { errorClass: result.errorClass });
      return result;
    } finally {
      await client.close();
    }
  },
};

/** True when the path's error is its permanent "internal address" refusal. */
function isAddressRefusal(error: unknown): boolean {
  if (error instanceof EndpointFetchError) return error.code === 'OUTBOUND_FORBIDDEN' && error.permanent;
  if (error instanceof CtiError) return error.code === 'PBX_ADDRESS_FORBIDDEN' && error.permanent;
  if ((error as { errorClass?: unknown }).errorClass !== undefined)
    return (error as { errorClass: unknown }).errorClass === 'address_forbidden';
  return refusedByGuard(error);
}

/** True when the path's error is permanent (no retry would help). */
function isPermanent(error: unknown): boolean {
  if ((error as { errorClass?: unknown }).errorClass !== undefined) return (error as { errorClass: unknown }).errorClass === 'redirect';
  const e = error as { permanent?: unknown; name?: unknown };
  return e.permanent === true || e.name === 'ReceptorError';
}

describe('outbound URLs aimed at internal addresses', () => {
  const cases = Object.keys(HTTP_PATHS).flatMap((path) => FORMS.map((form) => [path, form.name, form.urlHost ?? form.host] as const));

  it.each(cases)('%s refuses the %s form (%s) before connecting', async (path, _name, host) => {
    const before = hits;
    const url = `http://${host}:${port}/x`;
    const send = HTTP_PATHS[path];
    if (!send) throw new Error(path);
    const error = await send(url).then(
      () => new Error(`${path} reached ${url}`),
      (caught: unknown) => caught,
    );
    expect([isAddressRefusal(error), (error as Error).message]).toEqual([true, expect.any(String)]);
    expect(hits).toBe(before);
  });

  it.each(Object.keys(HTTP_PATHS))('%s does not follow a redirect from an allowed server to an internal one', async (path) => {
    const before = hits;
    const send = HTTP_PATHS[path];
    if (!send) throw new Error(path);
    // The redirector itself is allowed (allowPrivateNetwork, or the webhooks' operator allowlist holding 127.0.0.1).
    const error = await send(`http://127.0.0.1:${redirectorPort}/start`, true).then(
      () => new Error(`${path} followed the redirect`),
      (caught: unknown) => caught,
    );
    expect([isPermanent(error), (error as Error).message]).toEqual([true, expect.any(String)]);
    expect(hits).toBe(before);
  });
});

describe('database hosts aimed at internal addresses', () => {
  const connection = (fields: Partial<DatabaseConnection>): DatabaseConnection => ({
    kind: 'database',
    name: 'erp',
    driver: 'postgres',
    database: 'erp',
    user: 'u',
    password: new Secret('p'),
    options: {},
    allowPrivateNetwork: false,
    ...fields,
  });

  /** The SET receptor path (an insert) and the GET source path (opening a reader). */
  const reach = {
    'database receptor': (c: DatabaseConnection) =>
      createDatabaseTransport(c).send({ link: 'contas', operation: null, body: { nome: 'x' }, timeoutMs: TIMEOUT_MS }),
    'ERP database source': (c: DatabaseConnection) => openSourceReader(c).then((reader) => reader.close()),
  };

  const hostCases = Object.keys(reach).flatMap((path) => FORMS.map((form) => [path, form.name, form.host] as const));
  it.each(hostCases)('%s refuses the %s form (%s)', async (path, _name, host) => {
    const error = await reach[path as keyof typeof reach](connection({ host, port: port })).catch((caught: unknown) => caught);
    expect(refusedByGuard(error)).toBe(true);
  });

  // A public host on the surface, an internal server underneath: the drivers read these too.
  const hidden: readonly [string, Partial<DatabaseConnection>][] = [
    ['pg ?host= in the URL', { url: new Secret('postgres://u:p@93.184.216.34:5432/erp?host=127.0.0.1') }],
    ['pg ?host= a socket directory', { url: new Secret('postgres://u:p@93.184.216.34/erp?host=%2Fvar%2Frun%2Fpostgresql') }],
    ['pg URL with no host (localhost)', { url: new Secret('postgres:///erp?user=u') }],
    [
      'mysql2 ?socketPath= in the URL',
      { driver: 'mysql', url: new Secret('mysql://u:p@93.184.216.34/erp?socketPath=%2Frun%2Fmysqld%2Fmysqld.sock') },
    ],
    ['mysql2 ?host= in the URL', { driver: 'mysql', url: new Secret('mysql://u:p@93.184.216.34/erp?host=127.0.0.1') }],
  ];
  const hiddenCases = Object.keys(reach).flatMap((path) => hidden.map(([name, fields]) => [path, name, fields] as const));
  it.each(hiddenCases)('%s refuses %s', async (path, _name, fields) => {
    const error = await reach[path as keyof typeof reach](connection(fields)).catch((caught: unknown) => caught);
    expect([refusedByGuard(error), (error as Error).message]).toEqual([true, expect.stringContaining('allowPrivateNetwork')]);
  });

  it.each([
    ['Oracle connectString (Easy Connect)', { driver: 'oracle', host: '93.184.216.34', options: { connectString: '127.0.0.1:1521/XE' } }],
    [
      'Oracle connectString (descriptor)',
      {
        driver: 'oracle',
        host: '93.184.216.34',
        options: { connectString: '(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=10.0.0.5)(PORT=1521))(CONNECT_DATA=(SERVICE_NAME=XE)))' },
      },
    ],
    [
      'ODBC SERVER= in the connection string',
      { driver: 'odbc', host: '93.184.216.34', connectionString: new Secret('DRIVER={x};SERVER=127.0.0.1,1433;UID=u;PWD=p') },
    ],
  ] as const)('the ERP database source refuses %s', async (_name, fields) => {
    const error = await openSourceReader(connection(fields as Partial<DatabaseConnection>)).catch((caught: unknown) => caught);
    expect(refusedByGuard(error)).toBe(true);
  });
});
