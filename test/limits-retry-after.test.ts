import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@integrador/config';
import { type ConnectionsRegistry, loadConnectionsFile } from '@integrador/connections';
import { createLogger } from '@integrador/logging';
import { type JobProducer, pingProcessor } from '@integrador/queue';
import type { WorkerDeps } from '@integrador/runtime';
import { createEmpresa } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { type LimitedWorker, startLimitedWorker } from '@integrador/test-support/limited-worker';
import { startTestQueues, type TestQueues } from '@integrador/test-support/test-producer';
import { createIntegrationRunProcessor } from '../apps/worker-set/src/processors/integration-run.processor';
import { CONTA, SET_WS_CONTAS, seedSetWsContas } from './fixtures/set-ws-contas';
import { closeWorkerDeps, testWorkerDeps } from './support/worker-deps';

const logger = createLogger({ name: 'test', level: 'silent' });

/** A receptor with two routes; /lenta answers the first call of one documento with 429 + Retry-After: 2. */
async function startReceptor(throttled: string) {
  const calls: { route: string; documento: string; status: number; at: number }[] = [];
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', () => {
      const body = JSON.parse(text || '{}') as { documento?: string };
      const route = req.url ?? '';
      const documento = body.documento ?? '';
      const first = !calls.some((c) => c.route === route && c.documento === documento);
      const status = route === '/lenta/clientes' && documento === throttled && first ? 429 : 201;
      calls.push({ route, documento, status, at: Date.now() });
      res.setHeader('content-type', 'application/json');
      if (status === 429) res.setHeader('retry-after', '2');
      res.writeHead(status).end(status === 429 ? '{"message":"slow down"}' : JSON.stringify({ cliente: { id: calls.length, erro: '' } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, calls, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('a 429 with Retry-After', () => {
  let receptor: Awaited<ReturnType<typeof startReceptor>>;
  let database: TestDatabase;
  let connections: ConnectionsRegistry;
  let queues: TestQueues;
  let producer: JobProducer;
  let limited: LimitedWorker;
  let deps: WorkerDeps;
  const OTHER_CNPJ = '98.765.432/0001-10';
  const SAME_TENANT_CNPJ = '11.222.333/0001-44';
  let x: number;
  let y: number;

  beforeAll(async () => {
    receptor = await startReceptor(CONTA.cnpj);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'itest-429-')), 'connections.yaml');
    fs.writeFileSync(
      file,
      `connections:
  api_lenta: { tipo: api, baseUrl: '${receptor.url}', allowPrivateNetwork: true }
  api_ok: { tipo: api, baseUrl: '${receptor.url}', allowPrivateNetwork: true }
`,
    );
    connections = await loadConnectionsFile(file, {});
    database = await createTestDatabase('sqlite');
    ({ empresaId: x } = await seedSetWsContas(database.db));
    y = await createEmpresa(database.db, 'Outra empresa');
    await database.db
      .insertInto('contas')
      .values({ ...CONTA, id: 43, cnpj: OTHER_CNPJ, empresa_id: y })
      .execute();
    await database.db
      .insertInto('contas')
      .values({ ...CONTA, id: 44, cnpj: SAME_TENANT_CNPJ, empresa_id: x })
      .execute();
    const rest = (id: number, empresaId: number, conexaoId: number, link: string) => ({
      ...SET_WS_CONTAS,
      id,
      nome: `SET-API-${id}`,
      link,
      porta_ws: null,
      indice_array_retorno: 'cliente',
      indice_valor_retorno: 'id',
      indice_erro_retorno: 'erro',
      sql_update: null,
      conexao_integracao_id: conexaoId,
      empresa_id: empresaId,
      empresa_filial_id: null,
      ordem: 1,
      ativo: 1,
    });
    await database.db
      .insertInto('conexao_integracao')
      .values([
        { id: 10, tipo_conexao: 'API', nome_conexao: 'api_lenta', empresa_id: x },
        { id: 11, tipo_conexao: 'API', nome_conexao: 'api_ok', empresa_id: x },
        { id: 12, tipo_conexao: 'API', nome_conexao: 'api_lenta', empresa_id: y },
      ])
      .execute();
    await database.db
      .insertInto('integracao')
      .values([
        rest(20, x, 10, 'POST /lenta/clientes'),
        rest(21, x, 11, 'POST /ok/clientes'),
        rest(30, y, 12, 'POST /lenta/clientes'),
      ] as never)
      .execute();
    await database.db
      .insertInto('campos_integracao')
      .values(
        [20, 21, 30].map((id) => ({ integracao_id: id, campo_crm: JSON.stringify({ nome: '#nome#', documento: '#cnpj#' }), ordem: 0 })),
      )
      .execute();

    queues = await startTestQueues({ logger });
    ({ producer } = queues);
    deps = testWorkerDeps({ config: loadConfig({}, os.tmpdir()), logger, database, connections });
    limited = await startLimitedWorker({
      redis: queues.workerRedis,
      prefix: queues.prefix,
      queue: 'set',
      concurrency: 4,
      logger,
      handlers: { 'system.ping': pingProcessor, 'integration.run': createIntegrationRunProcessor(deps) },
    });
  });

  afterAll(async () => {
    await limited.close();
    await queues.close();
    await closeWorkerDeps(deps);
    await receptor.close();
    await database.drop();
  });

  async function run(empresaId: number, integracaoId: number, contaId: number) {
    return producer.enqueue('set', 'integration.run', {
      tenant: { empresaId, filialId: null },
      integracaoId,
      parametros: { contaId },
      trigger: 'api',
    });
  }

  async function finished(id: string) {
    const deadline = Date.now() + 15000;
    for (;;) {
      const job = await producer.getJob('set', id);
      if (job?.finishedOn) return job;
      if (Date.now() > deadline) throw new Error(`job ${id} still ${await job?.getState()}: ${job?.failedReason ?? ''}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  it('delays only that tenant’s calls to that connection, by Retry-After, without using an attempt', async () => {
    const slow = await run(x, 20, CONTA.id);
    const deadline = Date.now() + 10000;
    while (!receptor.calls.some((c) => c.status === 429) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const throttledAt = receptor.calls.find((c) => c.status === 429)?.at as number;
    expect(throttledAt).toBeDefined();

    // The same tenant on another connection, and another tenant on the same connection, are not held back.
    const [otherConnection, otherTenant] = await Promise.all([run(x, 21, CONTA.id), run(y, 30, 43)]);
    const done = await Promise.all([finished(otherConnection.id as string), finished(otherTenant.id as string)]);
    for (const job of done) {
      expect(job.failedReason ?? null).toBeNull();
      // Never delayed (a job held by a limit is started again when it comes back): what a clock bound said, without
      // the time a busy machine takes to run the job.
      expect(job.attemptsStarted).toBe(1);
    }

    // The same tenant and connection during the cooldown: held before anything is sent, so its record is new when the
    // job comes back — sent once and done, though its request carries no key the receptor upserts by.
    const waiting = await run(x, 20, 44);
    const held = await finished(waiting.id as string);
    expect(held.failedReason ?? null).toBeNull();
    expect(receptor.calls.filter((c) => c.documento === SAME_TENANT_CNPJ).map((c) => c.status)).toEqual([201]);
    expect(held.attemptsStarted).toBeGreaterThanOrEqual(2);

    const retried = await finished(slow.id as string);
    expect(retried.failedReason ?? null).toBeNull();
    const resent = receptor.calls.filter((c) => c.route === '/lenta/clientes' && c.documento === CONTA.cnpj);
    expect(resent.map((c) => c.status)).toEqual([429, 201]);
    expect((resent[1]?.at as number) - throttledAt).toBeGreaterThanOrEqual(1900);
    // Delayed, not retried: one attempt used (the successful one), though started twice.
    expect(retried.attemptsMade).toBe(1);
    expect(retried.attemptsStarted).toBe(2);
  }, 30000);
});
