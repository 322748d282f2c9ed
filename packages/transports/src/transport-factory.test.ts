import fs from 'node:fs';
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
