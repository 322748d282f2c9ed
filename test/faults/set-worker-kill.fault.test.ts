import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConnectionsFile } from '@integrador/connections';
import { createLogger } from '@integrador/logging';
import type { JobProducer } from '@integrador/queue';
import { issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import type { AppProcess } from '@integrador/test-support/processes';
import type { FastifyInstance } from 'fastify';
import { DEFAULT_CREDENTIALS, type SeniorG5Server, SLOW_NAME, seniorG5ConnectionsYaml, startSeniorG5Server } from '../fixtures/senior-g5';
import { CONTA, seedSetWsContas, withoutReceptorKey } from '../fixtures/set-ws-contas';
import { startTestIngress, type TestIngress } from '../support/test-ingress';
import { LONG, report, until } from './fault-mode';
import { WorkerPool } from './worker-pool';

/**
 * worker-set killed with SIGKILL while SET pushes flow to the Senior G5 double, then restarted: every push completes,
 * once — one customer per conta in the ERP (the double keeps every customer it created), one outbox row per record,
 * contas.id_erp written. And the double-send window: a worker killed while the ERP holds its call (created, not yet
 * answered) leaves the record `enviando`; the retry re-sends it only when the request carries a key GravarClientes
 * upserts by (ideExt/cgcCpf), else fails it OUTCOME_UNKNOWN instead of creating the customer twice.
 */
describe('worker-set killed (SIGKILL) mid-push', () => {
  const _logger = createLogger({ name: 'fault-test', level: 'silent' });
  const latencyMs = 1500;
  let erp: SeniorG5Server;
  let connectionsFile: string;
  let database: TestDatabase;
  let producer: JobProducer;
  let app: FastifyInstance;
  let ingress: TestIngress;
  let prefix: string;
  let key: string;
  let empresaId: number;
  const workers = new WorkerPool();

  async function startWorker(): Promise<AppProcess> {
    return workers.start(
      'apps/worker-set/src/main.ts',
      { prefix, databaseUrl: database.url },
      {
        CONNECTIONS_FILE: connectionsFile,
        SENIOR_PASSWORD: DEFAULT_CREDENTIALS.password,
      },
    );
  }

  beforeAll(async () => {
    erp = await startSeniorG5Server({ latencyMs });
    connectionsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fault-set-')), 'connections.yaml');
    // The connection's timeout outlasts a SLOW customer: the call is cut by the kill, never by the timeout.
    fs.writeFileSync(connectionsFile, seniorG5ConnectionsYaml(erp.url, { timeoutMs: latencyMs * 4 }));
  });

  beforeEach(async () => {
    database = await createTestDatabase('postgres');
    ({ empresaId } = await seedSetWsContas(database.db));
    key = await issueApiKey(database.db, empresaId, null, 'test');
    const connections = await loadConnectionsFile(connectionsFile, { SENIOR_PASSWORD: DEFAULT_CREDENTIALS.password });
    ingress = await startTestIngress(database, { deps: { connections } });
    ({ app, producer, prefix } = ingress);
    erp.customers.clear();
    erp.requests.count = 0;
  });

  afterEach(async () => {
    await workers.stopAll();
    await ingress.close();
    await database.drop();
  });

  afterAll(async () => {
    await erp.close();
  });

  const run = async (contaId: number): Promise<string> => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/integrations/19/run',
      headers: { authorization: `Bearer ${key}` },
      payload: { parametros: { contaId } },
    });
    expect(res.statusCode).toBe(202);
    return (res.json() as { jobId: string }).jobId;
  };

  async function states(jobIds: string[]): Promise<string[]> {
    return Promise.all(jobIds.map(async (id) => (await (await producer.getJob('set', id))?.getState()) ?? 'missing'));
  }

  /** Customers the ERP holds per conta (by ideExt crm-<id>): 1 each means nothing lost and nothing created twice. */
  function customersPerConta(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const customer of erp.customers.values()) {
      const ideExt = String(customer.ideExt ?? customer.nomCli);
      counts.set(ideExt, (counts.get(ideExt) ?? 0) + 1);
    }
    return counts;
  }

  it('completes every push once across repeated kills while pushes flow', async () => {
    const CONTAS = LONG ? 300 : 40;
    const KILLS = LONG ? 6 : 3;
    const ids = Array.from({ length: CONTAS }, (_, i) => 1000 + i);
    for (const id of ids)
      await database.db
        .insertInto('contas')
        .values({ ...CONTA, id, empresa_id: empresaId, cnpj: String(10_000_000_000_000 + id), nome: `Conta ${id}` })
        .execute();
    let worker = await startWorker();
    const jobIds: string[] = [];
    for (const id of ids) jobIds.push(await run(id));
    for (let kill_ = 1; kill_ <= KILLS; kill_++) {
      // Kill at evenly spaced points of the work: after a share of the contas reached the ERP.
      const target = Math.floor((CONTAS * kill_) / (KILLS + 1));
      await until(`${target} customers in the ERP`, async () => erp.customers.size >= target, 120_000, 10);
      await workers.kill(worker);
      worker = await startWorker();
    }
    await until(
      'every SET job completed',
      async () => (await states(jobIds)).every((state) => state === 'completed' || state === 'failed'),
      240_000,
      250,
    );
    const final = await states(jobIds);
    const perConta = customersPerConta();
    const contas = await database.db.selectFrom('contas').select(['id', 'id_erp']).where('id', '>=', 1000).execute();
    const execucoes = await database.db.selectFrom('integracao_execucoes').select(['chave', 'status']).execute();
    report(`worker-set killed ${KILLS} times during ${CONTAS} pushes`, {
      enqueued: CONTAS,
      processed: final.filter((state) => state === 'completed').length,
      lost: ids.filter((id) => !perConta.has(`crm-${id}`)).length,
      duplicated: [...perConta.values()].reduce((sum, count) => sum + count - 1, 0),
    });
    expect(final.filter((state) => state !== 'completed')).toEqual([]);
    for (const id of ids) expect(perConta.get(`crm-${id}`)).toBe(1);
    expect(erp.customers.size).toBe(CONTAS);
    // Every conta got its own ERP code written back.
    expect(contas.every((conta) => conta.id_erp !== null)).toBe(true);
    expect(new Set(contas.map((conta) => conta.id_erp)).size).toBe(CONTAS);
    expect(execucoes).toHaveLength(CONTAS);
    expect(execucoes.every((execucao) => execucao.status === 'concluido')).toBe(true);
  }, 400_000);

  /**
   * Kills the worker while the ERP holds its call: the double creates the customer once its latency is over, and the
   * answer goes nowhere. The restarted worker finds the record enviando.
   */
  async function killDuringCall(): Promise<{ jobId: string }> {
    const worker = await startWorker();
    const jobId = await run(CONTA.id);
    await until(
      'the call in flight',
      async () => {
        const job = await producer.getJob('set', jobId);
        if (job?.failedReason) throw new Error(`job failed before its call: ${job.failedReason}`);
        return erp.requests.count > 0;
      },
      60_000,
      5,
    );
    await workers.kill(worker);
    await until('the ERP to create the customer', async () => erp.customers.size > 0, 30_000, 20);
    await startWorker();
    return { jobId };
  }

  async function settled(jobId: string) {
    await until(`job ${jobId} settled`, async () => ['completed', 'failed'].includes((await states([jobId]))[0] ?? ''), 120_000, 100);
    const job = await producer.getJob('set', jobId);
    return { state: await job?.getState(), job };
  }

  it('re-sends a record whose call was cut after the ERP created it, with its ideExt: the ERP updates, once', async () => {
    await database.db.updateTable('contas').set({ nome: SLOW_NAME }).where('id', '=', CONTA.id).execute();
    const { jobId } = await killDuringCall();
    const { state } = await settled(jobId);
    const conta = await database.db.selectFrom('contas').select('id_erp').where('id', '=', CONTA.id).executeTakeFirstOrThrow();
    const [execucao] = await database.db.selectFrom('integracao_execucoes').selectAll().execute();
    report('worker-set killed while the ERP held its call (request with ideExt)', {
      enqueued: 1,
      processed: state === 'completed' ? 1 : 0,
      lost: erp.customers.size === 0 ? 1 : 0,
      duplicated: Math.max(0, erp.customers.size - 1),
    });
    expect(state).toBe('completed');
    expect(erp.customers.size).toBe(1);
    expect(erp.requests.count).toBe(2);
    expect(conta.id_erp).toBe(String([...erp.customers.keys()][0]));
    expect(execucao).toMatchObject({ status: 'concluido', tentativas: 1 });
  }, 200_000);

  it('does not re-send a record without a key the ERP recognises: OUTCOME_UNKNOWN, never a second customer', async () => {
    // A mapping without ideExt, and a conta without CNPJ: GravarClientes has nothing to find the first customer by.
    await withoutReceptorKey(database.db, { nome: SLOW_NAME });
    const { jobId } = await killDuringCall();
    const { state, job } = await settled(jobId);
    const [execucao] = await database.db.selectFrom('integracao_execucoes').selectAll().execute();
    report('worker-set killed while the ERP held its call (request without a key)', {
      enqueued: 1,
      processed: erp.customers.size,
      lost: erp.customers.size === 0 ? 1 : 0,
      duplicated: Math.max(0, erp.customers.size - 1),
    });
    expect(erp.customers.size).toBe(1);
    expect(erp.requests.count).toBe(1);
    expect(state).toBe('failed');
    expect(job?.failedReason).toContain('may already be in the receptor');
    expect(execucao).toMatchObject({ status: 'falhou', mensagem: expect.stringContaining('not sent again') });
  }, 200_000);
});
