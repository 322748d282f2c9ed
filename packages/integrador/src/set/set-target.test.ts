import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type ConnectionsRegistry, loadConnections } from '@integrador/connections';
import { createEmpresa } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { createTransportFactory, TransientTransportError, type TransportFactory } from '@integrador/transports';
import { createConnection } from 'mysql2/promise';
import { receptorUntouched } from './resend-safety';
import { cachedSetTargets, type SetTarget } from './set-target';

// #11, SET side: a database receptor whose password the operator rotates on the ERP and in the connections file while
// the worker runs (the user is this test's own, on the machine's MariaDB, which checks passwords). Workers keep an
// integration's SetTarget for a few seconds: neither it nor a push in flight may keep the old definition's pool.
const MYSQL_URL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

describe('a SET target whose database receptor changes its password under the worker', () => {
  const tag = randomBytes(4).toString('hex');
  const [user, table] = [`fixreload_rx_${tag}`, `fixreload_rx_${tag}`];
  const url = new URL(MYSQL_URL);
  const schema = url.pathname.slice(1) || 'test';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fixreload-receptor-'));
  const file = path.join(dir, 'connections.yaml');
  let admin: Awaited<ReturnType<typeof createConnection>>;
  let database: TestDatabase;
  let connections: ConnectionsRegistry;
  let transports: TransportFactory;
  let targetOf: ReturnType<typeof cachedSetTargets>;
  let tenant: { empresaId: number; filialId: null; nome: string };
  let integracaoId: number;
  let reloads = 0;

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
        `    database: ${schema}`,
        `    user: ${user}`,
        `    password: \${${variable}}`,
        '    allowPrivateNetwork: true',
      ].join('\n'),
    );
  const push = (target: SetTarget, nome: string) =>
    target.transport.send({ link: table, operation: null, body: { nome }, timeoutMs: 5000 }).catch((err: unknown) => err);

  beforeAll(async () => {
    admin = await createConnection({ uri: MYSQL_URL });
    await admin.query(`CREATE TABLE ${table} (id INT AUTO_INCREMENT PRIMARY KEY, nome VARCHAR(40))`);
    await admin.query(`CREATE USER '${user}'@'%' IDENTIFIED BY 'senha-antiga'`);
    await admin.query(`GRANT INSERT, SELECT ON ${schema}.${table} TO '${user}'@'%'`);
    writeFile('ERP_SENHA');
    ({ connections } = await loadConnections({
      connectionsFile: file,
      secretSource: { ERP_SENHA: 'senha-antiga', ERP_SENHA_NOVA: 'senha-nova' },
    }));
    connections.onReload(() => void reloads++);
    transports = createTransportFactory(undefined, { connections });
    database = await createTestDatabase('sqlite');
    const empresaId = await createEmpresa(database.db, 'A');
    tenant = { empresaId, filialId: null, nome: '' };
    const conexao = await database.db
      .insertInto('conexao_integracao')
      .values({ tipo_conexao: 'database', nome_conexao: 'crm_b', empresa_id: empresaId })
      .returning('id')
      .executeTakeFirstOrThrow();
    const integracao = await database.db
      .insertInto('integracao')
      .values({ nome: 'SET-B', tipo_servico: 'SET', empresa_id: empresaId, ordem: 1, conexao_integracao_id: conexao.id, link: table })
      .returning('id')
      .executeTakeFirstOrThrow();
    integracaoId = integracao.id;
    // The workers' cache, its entries kept well past this test (a reload within the window is the case at hand).
    targetOf = cachedSetTargets(database, connections, transports, { ttlMs: 600_000 });
  });
  afterAll(async () => {
    await transports?.close();
    await database?.drop();
    await admin.query(`DROP USER IF EXISTS '${user}'@'%'`).catch(() => {});
    await admin.query(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
    await admin.end();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the refused push retries (transient), one reload for refusals at once, and the cached target pushes with the new password', async () => {
    const held = await targetOf(tenant, integracaoId);
    expect(await push(held, 'antes')).toMatchObject({ data: { nome: 'antes', id: 1 } });

    // The operator rotates the password on the server (live sessions end) and points the file at the new one.
    await admin.query(`ALTER USER '${user}'@'%' IDENTIFIED BY 'senha-nova'`);
    const [rows] = await admin.query('SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = ?', [user]);
    for (const row of rows as { id: number }[]) await admin.query(`KILL ${Number(row.id)}`).catch(() => {});
    writeFile('ERP_SENHA_NOVA');

    // A killed connection may fail first as lost; then pushes of the held target log in with the old password, at once.
    let refusals: unknown[] = [];
    for (let tries = 0; tries < 5 && reloads === 0; tries++) refusals = await Promise.all([push(held, 'durante'), push(held, 'durante')]);
    expect(reloads).toBe(1);
    // Every refusal of the round retries, a connection the server ended included (not RECEPTOR_REJECTED: BullMQ tries
    // again). That one may have reached the receptor, so only the refused logins say nothing was processed.
    for (const err of refusals) {
      expect(err).toBeInstanceOf(TransientTransportError);
      expect((err as TransientTransportError).permanent).toBe(false);
    }
    const replaced = refusals.filter((err) => (err as TransientTransportError).notProcessed);
    expect(replaced.length).toBeGreaterThan(0);
    for (const err of replaced) {
      // The receptor processed nothing: run-set puts the outbox record back to pendente (sent as new), not enviando.
      expect(receptorUntouched(err)).toBe(true);
      expect(String((err as Error).message)).not.toContain('senha-');
      // What the run records for the user: pt-BR, saying the next attempt uses the new definition.
      expect((err as TransientTransportError).receptorMessage).toContain('a próxima tentativa usa a definição nova');
    }

    // The held target is no longer good for a push: it fails as transient again, without reading the file again.
    const stale = await push(held, 'durante');
    expect(stale).toBeInstanceOf(TransientTransportError);
    expect(receptorUntouched(stale)).toBe(true);
    expect(reloads).toBe(1);
    // The job's next attempt: the workers' cache gives a target of the new definition, which logs in.
    const next = await targetOf(tenant, integracaoId);
    expect(next).not.toBe(held);
    expect(await push(next, 'depois')).toMatchObject({ data: { nome: 'depois' } });
    const [saved] = await admin.query(`SELECT nome FROM ${table} ORDER BY id`);
    expect((saved as { nome: string }[]).map((row) => row.nome)).toEqual(['antes', 'depois']);
  }, 30_000);

  it('a reload that changed nothing keeps the cached target; after a change, jobs at once share one new target', async () => {
    const held = await targetOf(tenant, integracaoId);
    expect(await connections.reload()).toEqual([]);
    expect(await targetOf(tenant, integracaoId)).toBe(held);

    writeFile('ERP_SENHA');
    expect(await connections.reload()).toEqual(['crm_b']);
    const [one, two, three] = await Promise.all([1, 2, 3].map(() => targetOf(tenant, integracaoId)));
    expect(one).not.toBe(held);
    expect(two).toBe(one);
    expect(three).toBe(one);
    expect(one?.connection).toBe(connections.get('crm_b'));
  });

  it('a push whose connection the receptor ends under it fails as transient, not as a refusal', async () => {
    writeFile('ERP_SENHA_NOVA');
    await connections.reload();
    const target = await targetOf(tenant, integracaoId);
    expect(await push(target, 'viva')).toMatchObject({ data: { nome: 'viva' } });
    // The insert waits on the operator's lock; the operator then kills its session (a restart, a DBA's KILL).
    await admin.query(`LOCK TABLES ${table} WRITE`);
    const pending = push(target, 'perdida');
    let waiting: { id: number }[] = [];
    while (waiting.length === 0) {
      const [rows] = await admin.query("SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = ? AND INFO LIKE 'insert%'", [
        user,
      ]);
      waiting = rows as { id: number }[];
    }
    for (const row of waiting) await admin.query(`KILL ${Number(row.id)}`);
    await admin.query('UNLOCK TABLES');
    const lost = await pending;
    // Retried, its outcome unknown: run-set keeps the record enviando and reconciles it before sending it again.
    expect(lost).toBeInstanceOf(TransientTransportError);
    expect(receptorUntouched(lost)).toBe(false);
  });
});
