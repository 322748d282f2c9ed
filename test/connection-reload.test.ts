import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConnectionsFile } from '@integrador/connections';
import type { QueueName } from '@integrador/jobs';
import type { JobProducer } from '@integrador/queue';
import { issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { type AppProcess, spawnApp, stopApps } from '@integrador/test-support/processes';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import type { FastifyInstance } from 'fastify';
import { createConnection as createMysqlConnection } from 'mysql2/promise';
import { createScratchSource, type ScratchSource, seedGetClientes } from './fixtures/get-e085cli';
import { addReceptorIntegration, CONTA, seedSetWsContas } from './fixtures/set-ws-contas';
import { runIntegration, type SettledJob, settledJob } from './support/integration-run';
import { startTestIngress, type TestIngress } from './support/test-ingress';

// #11 end to end: the ERP login in CONNECTIONS_FILE is wrong when a worker starts (it loaded the wrong password), the
// operator corrects the file, and a job runs. Its first attempt is refused by the ERP (a MariaDB user of this test's own,
// which checks passwords), the worker reads the file again, fails the attempt as transient (CONNECTION_REPLACED), and the
// retry logs in with the corrected password: a SET push writes the ERP's id back and its outbox record ends concluido;
// a GET pull writes the source's rows. The real worker apps (apps/worker-set, apps/worker-get), as the product runs them.

const SOURCE_ROWS = 30;
const SET_INTEGRACAO = 21;

describe('a job whose ERP login is corrected in the connections file after the worker started', () => {
  const user = `fr2_${randomBytes(4).toString('hex')}`;
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'itest-reload-')), 'connections.yaml');
  let erp: ScratchSource;
  let admin: Awaited<ReturnType<typeof createMysqlConnection>>;
  let database: TestDatabase;
  let ingress: TestIngress;
  let app: FastifyInstance;
  let producer: JobProducer;
  let prefix: string;
  let key: string;
  let empresaId: number;
  let getIntegracao: number;
  const workers: AppProcess[] = [];

  const erpUrl = () => new URL((erp.connection as { url: { reveal(): string } }).url.reveal());
  /** The connections file: the ERP database (E085CLI to read, clientes_erp to write) with this password. */
  const writeFile = (password: string) => {
    const url = erpUrl();
    fs.writeFileSync(
      file,
      [
        'connections:',
        '  erp_e085:',
        '    tipo: database',
        '    driver: mysql',
        `    host: ${url.hostname}`,
        `    port: ${url.port || 3306}`,
        `    database: ${url.pathname.slice(1)}`,
        `    user: ${user}`,
        `    password: ${password}`,
        '    allowPrivateNetwork: true # the test server listens on loopback',
      ].join('\n'),
    );
  };
  const startWorker = async (name: 'worker-set' | 'worker-get'): Promise<AppProcess> => {
    const worker = spawnApp(`apps/${name}/src/main.ts`, {
      REDIS_URL: TEST_REDIS_URL,
      KEY_PREFIX: prefix,
      CRM_DATABASE_URL: database.url,
      CONNECTIONS_FILE: file,
      WORKER_CONCURRENCY: '1',
      LOG_LEVEL: 'info',
    });
    workers.push(worker);
    await worker.waitForLog('worker started', 60_000);
    return worker;
  };
  const run = (integracaoId: number, parametros: Record<string, unknown>) => runIntegration(app, key, integracaoId, parametros);
  const until = async (check: () => boolean) => {
    for (let tries = 0; tries < 200 && !check(); tries++) await new Promise((resolve) => setTimeout(resolve, 50));
  };
  const settled = (job: { jobId: string; queue: QueueName }): Promise<SettledJob> => settledJob(producer, job, 60_000, 100);

  beforeAll(async () => {
    erp = await createScratchSource('mysql', SOURCE_ROWS);
    await erp.execute(
      'CREATE TABLE clientes_erp (id INTEGER PRIMARY KEY AUTO_INCREMENT, nome VARCHAR(200) NOT NULL, documento VARCHAR(20) NOT NULL UNIQUE)',
    );
    admin = await createMysqlConnection({ uri: erpUrl().toString() });
    await admin.query(`CREATE USER '${user}'@'%' IDENTIFIED BY 'senha-certa'`);
    await admin.query(`GRANT ALL ON \`${erpUrl().pathname.slice(1)}\`.* TO '${user}'@'%'`);
  }, 120_000);
  afterAll(async () => {
    await admin?.query(`DROP USER IF EXISTS '${user}'@'%'`).catch(() => {});
    await admin?.end();
    await erp?.drop();
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });

  beforeEach(async () => {
    database = await createTestDatabase('postgres');
    ({ empresaId } = await seedSetWsContas(database.db));
    key = await issueApiKey(database.db, empresaId, null, 'test');
    getIntegracao = await seedGetClientes(database.db, empresaId, 10);
    // Row 19's push, to the database receptor erp_e085: one row in clientes_erp, its id written back to the conta.
    await addReceptorIntegration(database.db, empresaId, {
      id: SET_INTEGRACAO,
      nome: 'SET-BD-CONTAS',
      link: 'clientes_erp',
      conexao: 'erp_e085',
      campo: { nome: '#nome#', documento: '#cnpj#' },
      indiceArray: 'parameters',
    });
    writeFile('senha-errada');
    ingress = await startTestIngress(database, { deps: { connections: await loadConnectionsFile(file, {}) } });
    ({ app, producer, prefix } = ingress);
  });
  afterEach(async () => {
    await stopApps(workers);
    await ingress?.close();
    await database?.drop();
    await erp.execute('TRUNCATE TABLE clientes_erp');
  });

  /** The worker's line for the refusal: the file read again, the definition replaced. */
  const reloadLine = (worker: AppProcess, side: 'receptor' | 'source') =>
    worker.lines.filter((line) => line.msg === `${side} refused the login; connections read again`);

  it('SET: the first attempt is refused, the retry pushes with the corrected password, writes the id back, concluido', async () => {
    const worker = await startWorker('worker-set');
    writeFile('senha-certa');
    const { job, state } = await settled(await run(SET_INTEGRACAO, { contaId: CONTA.id }));
    // Completed (the first attempt's reason stays in failedReason: BullMQ keeps it after a retry succeeds).
    expect({ state, reason: state === 'completed' ? null : job.failedReason }).toEqual({ state: 'completed', reason: null });
    expect(job.attemptsMade).toBe(2);
    // The first attempt: refused, the file read again, transient (nothing sent).
    expect((job.stacktrace ?? []).join('\n')).toMatch(/the connections file defines it otherwise now/);
    expect(reloadLine(worker, 'receptor')).toEqual([expect.objectContaining({ connection: 'erp_e085', replaced: true })]);

    const [rows] = await admin.query('SELECT id, nome, documento FROM clientes_erp');
    expect(rows).toEqual([{ id: 1, nome: CONTA.nome, documento: CONTA.cnpj }]);
    const conta = await database.db.selectFrom('contas').select('id_erp').where('id', '=', CONTA.id).executeTakeFirstOrThrow();
    expect(conta.id_erp).toBe('1');
    const outbox = await database.db
      .selectFrom('integracao_execucoes')
      .select('status')
      .where('job_id', '=', job.id as string)
      .execute();
    expect(outbox).toEqual([{ status: 'concluido' }]);
  }, 180_000);

  it('SIGHUP: the worker reads the corrected file at once, so the first attempt pushes and nothing is refused', async () => {
    const worker = await startWorker('worker-set');
    writeFile('senha-certa');
    worker.child.kill('SIGHUP');
    expect(await worker.waitForLog('SIGHUP: connections read again')).toMatchObject({ changed: ['erp_e085'] });
    const { job, state } = await settled(await run(SET_INTEGRACAO, { contaId: CONTA.id }));
    expect({ state, reason: job.failedReason ?? null }).toEqual({ state: 'completed', reason: null });
    expect(job.attemptsMade).toBe(1);
    expect(reloadLine(worker, 'receptor')).toEqual([]);
    const conta = await database.db.selectFrom('contas').select('id_erp').where('id', '=', CONTA.id).executeTakeFirstOrThrow();
    expect(conta.id_erp).toBe('1');
    // Read again with nothing changed: said so, and the process goes on.
    worker.child.kill('SIGHUP');
    await until(() => worker.lines.filter((line) => line.msg === 'SIGHUP: connections read again').length === 2);
    expect(worker.lines.filter((line) => line.msg === 'SIGHUP: connections read again').at(-1)).toMatchObject({ changed: [] });
    expect(worker.child.exitCode).toBeNull();
  }, 180_000);

  it('GET: the first attempt is refused, the retry reads the source with the corrected password and writes its rows', async () => {
    const worker = await startWorker('worker-get');
    writeFile('senha-certa');
    const { job, state } = await settled(await run(getIntegracao, {}));
    // Completed (the first attempt's reason stays in failedReason: BullMQ keeps it after a retry succeeds).
    expect({ state, reason: state === 'completed' ? null : job.failedReason }).toEqual({ state: 'completed', reason: null });
    expect(job.attemptsMade).toBe(2);
    expect((job.stacktrace ?? []).join('\n')).toMatch(/its definition was replaced in the connections file/);
    expect(reloadLine(worker, 'source')).toEqual([expect.objectContaining({ connection: 'erp_e085', replaced: true })]);
    const contas = await database.db
      .selectFrom('contas')
      .select((eb) => eb.fn.countAll<number>().as('total'))
      .where('empresa_id', '=', empresaId)
      .where('id_erp', 'is not', null)
      .executeTakeFirstOrThrow();
    expect(Number(contas.total)).toBe(SOURCE_ROWS);
  }, 180_000);
});
