import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type ConnectionsRegistry, loadConnections } from '@integrador/connections';
import Database from 'better-sqlite3';
import { TransientTransportError } from './errors';
import { createTransportFactory, type TransportFactory } from './transport-factory';

// The factory's guard against definitions the connections file no longer holds, on a real SQLite receptor: a push of a
// target resolved before the file was read again must open no pool with the old definition, whatever became of it.
describe('a transport factory with the process connections', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'transport-factory-'));
  const file = path.join(dir, 'connections.yaml');
  const receptor = path.join(dir, 'receptor.db');
  let connections: ConnectionsRegistry;
  let transports: TransportFactory;

  const writeFile = (name: string) =>
    fs.writeFileSync(
      file,
      ['connections:', `  ${name}:`, '    tipo: database', '    driver: sqlite', `    database: ${receptor}`].join('\n'),
    );
  const rows = () => {
    const db = new Database(receptor);
    try {
      return (db.prepare('SELECT nome FROM clientes ORDER BY id').all() as { nome: string }[]).map((row) => row.nome);
    } finally {
      db.close();
    }
  };
  const push = (transport: ReturnType<TransportFactory['transportFor']>, nome: string) =>
    transport.send({ link: 'clientes', operation: null, body: { nome }, timeoutMs: 5000 }).catch((err: unknown) => err);

  beforeEach(async () => {
    const db = new Database(receptor);
    db.exec('DROP TABLE IF EXISTS clientes; CREATE TABLE clientes (id INTEGER PRIMARY KEY AUTOINCREMENT, nome TEXT)');
    db.close();
    writeFile('crm_s');
    ({ connections } = await loadConnections({ connectionsFile: file, secretSource: {} }));
    transports = createTransportFactory(undefined, { connections });
  });
  afterEach(() => transports.close());
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('opens nothing for a definition the file renamed: the push fails as transient, nothing sent', async () => {
    // A target resolved before the reload, its first push after it (no pool of it open yet).
    const before = connections.require('crm_s');
    writeFile('crm_renomeada');
    expect((await connections.reload()).sort()).toEqual(['crm_renomeada', 'crm_s']);
    const failure = await push(transports.transportFor(before), 'depois');
    expect(failure).toBeInstanceOf(TransientTransportError);
    expect((failure as TransientTransportError).notProcessed).toBe(true);
    expect(rows()).toEqual([]);
    // The definition the file holds now pushes.
    expect(await push(transports.transportFor(connections.require('crm_renomeada')), 'nova')).toMatchObject({ data: { nome: 'nova' } });
    expect(rows()).toEqual(['nova']);
  });

  it('opens nothing once closed: a late push fails as transient with its own words, nothing sent', async () => {
    const connection = connections.require('crm_s');
    await transports.close();
    const failure = await push(transports.transportFor(connection), 'tarde');
    expect(failure).toBeInstanceOf(TransientTransportError);
    expect((failure as TransientTransportError).notProcessed).toBe(true);
    expect((failure as TransientTransportError).receptorMessage).toContain('encerrando');
    expect(rows()).toEqual([]);
  });

  it('a transport handed out before close takes no call after it', async () => {
    const transport = transports.transportFor(connections.require('crm_s'));
    await transports.close();
    const failure = await push(transport, 'tarde');
    expect(failure).toBeInstanceOf(TransientTransportError);
    expect((failure as TransientTransportError).receptorMessage).toContain('encerrando');
    expect(rows()).toEqual([]);
  });
});

// A push already inside the receptor when a reload retires its transport (the definition changed in the file): it ends on
// the old transport, which the factory closes only once no push uses it. A REST receptor on loopback, because closing
// its transport destroys the sockets at once: a transport closed under the push would fail it.
describe('a SET push in flight on a transport a reload retires', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'transport-retire-'));
  const file = path.join(dir, 'connections.yaml');
  const sockets = new Set<Socket>();
  const held: (() => void)[] = [];
  const authorizations: string[] = [];
  let server: http.Server;
  let url = '';
  let connections: ConnectionsRegistry;
  let transports: TransportFactory;

  const writeFile = (token: string) =>
    fs.writeFileSync(
      file,
      `connections:\n  crm_api: { tipo: api, baseUrl: '${url}', auth: { type: bearer, token: ${token} }, allowPrivateNetwork: true }\n`,
    );
  const until = async (what: string, check: () => boolean) => {
    for (let tries = 0; tries < 200 && !check(); tries++) await new Promise((resolve) => setTimeout(resolve, 25));
    if (!check()) throw new Error(`never happened: ${what}`);
  };
  const push = (transport: ReturnType<TransportFactory['transportFor']>, nome: string) =>
    transport.send({ link: 'POST /clientes', operation: null, body: { nome }, timeoutMs: 30_000 }).catch((err: unknown) => err as Error);

  beforeAll(async () => {
    // The receptor answers each push only when the test lets it (held); every socket it accepts is in `sockets`.
    server = http.createServer((req, res) => {
      const id = authorizations.push(String(req.headers.authorization));
      req.resume().on('end', () =>
        held.push(() => {
          if (!res.headersSent) res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id }));
        }),
      );
    });
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    writeFile('token-antigo');
    ({ connections } = await loadConnections({ connectionsFile: file, secretSource: {} }));
    transports = createTransportFactory(undefined, { connections });
  });
  afterAll(async () => {
    await transports?.close();
    for (const release of held) release();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('ends on the old transport, which closes once the push is done; the next push uses the new definition', async () => {
    const transport = transports.transportFor(connections.require('crm_api'));
    const inFlight = push(transport, 'em voo');
    await until('the receptor holds the push', () => held.length === 1);

    writeFile('token-novo');
    expect(await connections.reload()).toEqual(['crm_api']);
    // Retired: it takes no new push (transient, nothing sent), and the push under way keeps its socket.
    const late = await push(transport, 'tarde');
    expect(late).toBeInstanceOf(TransientTransportError);
    expect((late as TransientTransportError).notProcessed).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sockets.size).toBe(1);

    held[0]?.();
    expect(await inFlight).toMatchObject({ data: { id: 1 } });
    // Closed once unused: its kept-alive socket goes.
    await until('the retired transport closes its socket', () => sockets.size === 0);

    const next = push(transports.transportFor(connections.require('crm_api')), 'nova');
    await until('the receptor holds the next push', () => held.length === 2);
    held[1]?.();
    expect(await next).toMatchObject({ data: { id: 2 } });
    expect(authorizations).toEqual(['Bearer token-antigo', 'Bearer token-novo']);
  });
});
