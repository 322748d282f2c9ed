import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type ConnectionsRegistry, loadConnections } from '@integrador/connections';
import { createConnection } from 'mysql2/promise';
import { ReceptorError } from './errors';
import { createTransportFactory, type TransportFactory } from './transport-factory';

// #11, SET side: a database receptor whose password the operator rotates (the user of this test's own, on the machine's
// MariaDB, created and dropped here). The pool built from the old password must not outlive the refusal.
const MYSQL_URL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

describe('a database receptor whose password changes under the worker', () => {
  const tag = randomBytes(4).toString('hex');
  const [user, table] = [`fixop2_rx_${tag}`, `fixop2_rx_${tag}`];
  const url = new URL(MYSQL_URL);
  const database = url.pathname.slice(1) || 'test';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fixop2-receptor-'));
  const file = path.join(dir, 'connections.yaml');
  const reloads: { refused: string; changed: string[]; error?: Error }[] = [];
  let admin: Awaited<ReturnType<typeof createConnection>>;
  let connections: ConnectionsRegistry;
  let transports: TransportFactory;

  const writeFile = (variable: string) =>
    fs.writeFileSync(
      file,
      [
        'connections:',
        '  crm_b:',
        '    tipo: database',
        '    driver: mysql',
        `    host: ${url.hostname}`,
        `    port: ${url.port || 3306}`,
        `    database: ${database}`,
        `    user: ${user}`,
        `    password: \${${variable}}`,
        '    allowPrivateNetwork: true',
        '  outro:',
        '    tipo: api',
        '    baseUrl: https://erp.example.com',
      ].join('\n'),
    );
  const push = (nome: string) =>
    transports.transportFor(connections.require('crm_b')).send({ link: table, operation: null, body: { nome }, timeoutMs: 5000 });

  beforeAll(async () => {
    admin = await createConnection({ uri: MYSQL_URL });
    await admin.query(`CREATE TABLE ${table} (id INT AUTO_INCREMENT PRIMARY KEY, nome VARCHAR(40))`);
    await admin.query(`CREATE USER '${user}'@'%' IDENTIFIED BY 'senha-antiga'`);
    await admin.query(`GRANT INSERT, SELECT ON ${database}.${table} TO '${user}'@'%'`);
    writeFile('ERP_SENHA');
    connections = await loadConnections({
      connectionsFile: file,
      secretSource: { ERP_SENHA: 'senha-antiga', ERP_SENHA_NOVA: 'senha-nova' },
    });
    transports = createTransportFactory(undefined, { connections, onReload: (outcome) => void reloads.push(outcome) });
  });
  afterAll(async () => {
    await transports?.close();
    await admin.query(`DROP USER IF EXISTS '${user}'@'%'`).catch(() => {});
    await admin.query(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
    await admin.end();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a refused login drops the pool and reads the file again: the next push logs in with the new password', async () => {
    const before = transports.transportFor(connections.require('crm_b'));
    const outro = transports.transportFor(connections.require('outro'));
    expect((await push('antes')).data).toMatchObject({ nome: 'antes', id: 1 });

    // The operator rotates the password on the server (live sessions end) and points the file at the new one.
    await admin.query(`ALTER USER '${user}'@'%' IDENTIFIED BY 'senha-nova'`);
    const [rows] = await admin.query('SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = ?', [user]);
    for (const row of rows as { id: number }[]) await admin.query(`KILL ${Number(row.id)}`).catch(() => {});
    writeFile('ERP_SENHA_NOVA');

    // A killed connection may fail first as lost; the next one the pool opens is refused.
    let refusal: unknown;
    for (let tries = 0; tries < 5 && reloads.length === 0; tries++) refusal = await push('durante').catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(ReceptorError);
    expect(String((refusal as Error).message)).not.toContain('senha-');
    expect(reloads).toEqual([{ refused: 'crm_b', changed: ['crm_b'] }]);

    const after = transports.transportFor(connections.require('crm_b'));
    expect(after).not.toBe(before);
    // A connection whose definition did not change keeps its transport (its sockets, its calls in flight).
    expect(transports.transportFor(connections.require('outro'))).toBe(outro);
    expect((await push('depois')).data).toMatchObject({ nome: 'depois' });
    const [saved] = await admin.query(`SELECT nome FROM ${table} ORDER BY id`);
    expect((saved as { nome: string }[]).map((row) => row.nome)).toEqual(['antes', 'depois']);
  }, 30_000);
});
