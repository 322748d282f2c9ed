import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@integrador/config';
import { type ConnectionsRegistry, loadConnectionsFile } from '@integrador/connections';
import { createLogger } from '@integrador/logging';
import { createJobRecorder, createRedis, type JobProducer, pingProcessor, startQueueWorker, waitUntilReady } from '@integrador/queue';
import type { WorkerDeps } from '@integrador/runtime';
import { createEmpresa, type DialectName, issueApiKey } from '@integrador/store';
import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import type { Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { createIntegrationRunProcessor } from '../apps/worker-set/src/processors/integration-run.processor';
import { DEFAULT_CREDENTIALS, type SeniorG5Server, seniorG5ConnectionsYaml, startSeniorG5Server } from './fixtures/senior-g5';
import { CONTA, SET_WS_CONTAS, SET_WS_CONTAS_CAMPO, seedSetWsContas } from './fixtures/set-ws-contas';
import { startTestIngress, type TestIngress } from './support/test-ingress';
import { closeWorkerDeps, testWorkerDeps } from './support/worker-deps';

const logger = createLogger({ name: 'test', level: 'silent' });

/** Empresa B's conta: the row empresa A's key must never reach. */
const CONTA_B = { ...CONTA, id: 43, nome: 'Conta da Empresa B', cnpj: '98.765.432/0001-10', id_erp: 'B-ORIGINAL' };

/**
 * Two tenants on one CRM database: A owns seed 001's SET-WS-CONTAS (row 19, `WHERE c.id = #contaId#`, no empresa
 * filter) and a few variants; B owns conta 43. A's key, aimed at B's conta through every path, must find nothing,
 * send nothing and write nothing — on every CRM dialect.
 */
describe.each(ALL_DIALECTS)('tenant isolation on a %s CRM', (dialect: DialectName) => {
  let erp: SeniorG5Server;
  let database: TestDatabase;
  let workerRedis: Redis;
  let producer: JobProducer;
  let app: FastifyInstance;
  let ingress: TestIngress;
  let worker: Worker;
  let deps: WorkerDeps;
  let prefix: string;
  let keyA: string;
  let empresaA: number;
  let empresaB: number;
  let connections: ConnectionsRegistry;

  /** Operation calls the SOAP double received (WSDL fetches are not counted). */
  const calls = () => erp.requests.count;

  async function addSetVariant(
    id: number,
    changes: { tipo_servico?: string; consulta?: string; sql_update?: string | null; indice_erro_retorno?: string },
  ) {
    await database.db
      .insertInto('integracao')
      .values({
        ...SET_WS_CONTAS,
        ...changes,
        id,
        nome: `VARIANTE-${id}`,
        empresa_id: empresaA,
        empresa_filial_id: null,
        ordem: id,
        ativo: 1,
      })
      .execute();
    await database.db
      .insertInto('campos_integracao')
      .values({ integracao_id: id, campo_crm: JSON.stringify(SET_WS_CONTAS_CAMPO), ordem: 0 })
      .execute();
  }

  beforeAll(async () => {
    erp = await startSeniorG5Server();
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'itest-tenant-')), 'connections.yaml');
    fs.writeFileSync(file, seniorG5ConnectionsYaml(erp.url));
    connections = await loadConnectionsFile(file, { SENIOR_PASSWORD: DEFAULT_CREDENTIALS.password });
    database = await createTestDatabase(dialect);
    empresaA = (await seedSetWsContas(database.db)).empresaId;
    empresaB = await createEmpresa(database.db, 'Empresa B');
    await database.db
      .insertInto('contas')
      .values({ ...CONTA_B, empresa_id: empresaB })
      .execute();
    // 20: INFO over the same consulta; 21: a dependencias lookup of another conta; 22: a consulta filtering on
    // #empresa_id# (an engine variable: a parameter cannot replace it); 23: an sql_update that also reaches conta 43.
    await addSetVariant(20, { tipo_servico: 'INFO', sql_update: null });
    await addSetVariant(21, {});
    await database.db
      .insertInto('dependencias')
      .values({
        integracao_id: 21,
        campos_integracao_id: null,
        variavel: 'outraConta',
        tipo: 'consulta',
        consulta: 'SELECT nome FROM contas WHERE id = #outraContaId#',
        integracao_origem_id: null,
        indice_valor: 'nome',
        obrigatoria: 1,
        descricao: null,
      })
      .execute();
    await addSetVariant(22, {
      consulta: '{"consulta":"SELECT c.* FROM contas AS c WHERE c.empresa_id = #empresa_id# AND c.id = #contaId#"}',
    });
    await addSetVariant(23, { sql_update: 'UPDATE contas SET id_erp = #codCli# WHERE id IN (#contaId#, 43)' });
    // 24, 25: configuration errors that must stop a run before any request leaves.
    await addSetVariant(24, { indice_erro_retorno: 'erro, mensagemErro' });
    await addSetVariant(25, { sql_update: 'UPDATE contas SET id_erp = #codigoQueNaoVem# WHERE id = #contaId#' });
    keyA = await issueApiKey(database.db, empresaA, null, 'test');
    ingress = await startTestIngress(database, { deps: { connections } });
    ({ app, producer, prefix } = ingress);
    workerRedis = createRedis(TEST_REDIS_URL, { role: 'worker' });
    await waitUntilReady(workerRedis);
    deps = testWorkerDeps({ config: loadConfig({}), logger, database, connections });
    worker = startQueueWorker({
      queue: 'set',
      handlers: { 'system.ping': pingProcessor, 'integration.run': createIntegrationRunProcessor(deps) },
      connection: workerRedis,
      prefix,
      concurrency: 2,
      logger,
      // The job records the API words failures from (their parameters, in the reader's language).
      observer: createJobRecorder(database, logger, { flushMs: 1, startDelayMs: 0 }),
    });
  });

  afterAll(async () => {
    await worker.close();
    await ingress.close();
    workerRedis.disconnect();
    await closeWorkerDeps(deps);
    await database.drop();
    await erp.close();
  });

  const post = (url: string, parametros: Record<string, unknown>) =>
    app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${keyA}` }, payload: { parametros } });

  async function failedReason(jobId: string): Promise<string> {
    const deadline = Date.now() + 20000;
    for (;;) {
      const job = await producer.getJob('set', jobId);
      const state = await job?.getState();
      if (state === 'failed') return (await producer.getJob('set', jobId))?.failedReason ?? '';
      if (state === 'completed') throw new Error(`job ${jobId} completed; expected it to fail`);
      if (Date.now() > deadline) throw new Error(`job ${jobId} still ${state} (${job?.failedReason ?? 'no reason'})`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function contaB() {
    return database.db.selectFrom('contas').selectAll().where('id', '=', CONTA_B.id).executeTakeFirstOrThrow();
  }

  it("answers preview and info for B's conta like a missing row (404), sending nothing", async () => {
    const before = calls();
    const own = await post('/v1/integrations/19/preview', { contaId: CONTA.id });
    expect(own.statusCode).toBe(200);
    for (const url of ['/v1/integrations/19/preview', '/v1/integrations/20/info']) {
      const res = await post(url, { contaId: CONTA_B.id });
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('RECORD_NOT_FOUND');
      expect(res.body).not.toContain(CONTA_B.nome);
    }
    expect(calls()).toBe(before);
  });

  it("fails a run and a CRM event for B's conta with a clear reason; nothing sent, B's row unchanged", async () => {
    const before = calls();
    const run = await post('/v1/integrations/19/run', { contaId: CONTA_B.id });
    expect(run.statusCode).toBe(202);
    expect(await failedReason(run.json().jobId)).toMatch(/found no record/);
    const event = await app.inject({
      method: 'POST',
      url: '/v1/events/crm-change',
      headers: { authorization: `Bearer ${keyA}` },
      payload: { tabela: 'contas', parametros: { contaId: CONTA_B.id } },
    });
    expect(event.statusCode).toBe(202);
    const jobs = event.json().jobs as { integracaoId: number; jobId: string }[];
    expect(jobs.map((j) => j.integracaoId)).toEqual(expect.arrayContaining([19, 22, 23]));
    for (const job of jobs) expect(await failedReason(job.jobId)).toMatch(/found no record|dependencias|has spaces/);
    expect(calls()).toBe(before);
    expect(await contaB()).toMatchObject({ id_erp: 'B-ORIGINAL', empresa_id: empresaB });
  });

  it('a run finding no record never shows a secret-named parameter: its failure lists it masked', async () => {
    const run = await post('/v1/integrations/19/run', { contaId: CONTA_B.id, senha: 'SegredoDoRun9' });
    expect(run.statusCode).toBe(202);
    const jobId = run.json().jobId as string;
    expect(await failedReason(jobId)).toMatch(/found no record/);
    expect(await failedReason(jobId)).not.toContain('SegredoDoRun9');
    for (let i = 0; i < 200; i++) {
      const record = await database.db
        .selectFrom('registro_jobs')
        .select('erro_codigo')
        .where('job_id', '=', jobId)
        .where('estado', '=', 'falhou')
        .executeTakeFirst();
      if (record?.erro_codigo) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    // The failure's values and message as recorded (the job's own parameters are stored as given and masked when shown).
    const stored = await database.db
      .selectFrom('registro_jobs')
      .select(['parametros', 'erro_mensagem'])
      .where('job_id', '=', jobId)
      .executeTakeFirstOrThrow();
    expect(JSON.parse(stored.parametros as string).$erro.parametros).toBe(`contaId=${CONTA_B.id}, senha=••••••`);
    expect(stored.erro_mensagem).not.toContain('SegredoDoRun9');
    for (const lang of ['pt-BR', 'en']) {
      const job = await app.inject({
        method: 'GET',
        url: `/v1/jobs/set/${jobId}`,
        headers: { authorization: `Bearer ${keyA}`, 'accept-language': lang },
      });
      // Before, the NO_RECORDS list read `contaId=…, senha=SegredoDoRun9`.
      expect(job.json().failedReasonText).toContain(`contaId=${CONTA_B.id}, senha=••••••`);
      expect(job.body).not.toContain('SegredoDoRun9');
    }
  });

  it("a CRM event naming B's conta by its id: A cannot see the row — every candidate skipped (ROW_NOT_VISIBLE), no job", async () => {
    const before = calls();
    const event = await app.inject({
      method: 'POST',
      url: '/v1/events/crm-change',
      headers: { authorization: `Bearer ${keyA}` },
      payload: { tabela: 'contas', id: CONTA_B.id },
    });
    expect(event.statusCode).toBe(202);
    expect(event.json().jobs).toEqual([]);
    const skipped = event.json().skipped as { integracaoId: number; motivo?: { code: string } }[];
    expect(skipped.map((s) => s.integracaoId)).toEqual(expect.arrayContaining([19, 22, 23]));
    for (const entry of skipped) expect(entry.motivo?.code).toBe('ROW_NOT_VISIBLE');
    expect(calls()).toBe(before);
    expect(await contaB()).toMatchObject({ id_erp: 'B-ORIGINAL', empresa_id: empresaB });
  });

  it('finds nothing of B through a dependencias lookup', async () => {
    const own = await post('/v1/integrations/21/preview', { contaId: CONTA.id, outraContaId: CONTA.id });
    expect(own.statusCode).toBe(200);
    const before = calls();
    const res = await post('/v1/integrations/21/preview', { contaId: CONTA.id, outraContaId: CONTA_B.id });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.message).toMatch(/outraConta/);
    expect(res.body).not.toContain(CONTA_B.nome);
    expect(calls()).toBe(before);
  });

  it('binds #empresa_id# itself: passing empresa_id as a parameter changes nothing', async () => {
    const forged = await post('/v1/integrations/22/preview', { contaId: CONTA_B.id, empresa_id: empresaB });
    expect(forged.statusCode).toBe(404);
    const own = await post('/v1/integrations/22/preview', { contaId: CONTA.id, empresa_id: empresaB });
    expect(own.statusCode).toBe(200);
    expect(own.json().consulta.parameters).toContain(empresaA);
    expect(own.json().consulta.parameters).not.toContain(empresaB);
  });

  it("refuses and rolls back an sql_update that reaches B's row", async () => {
    const run = await post('/v1/integrations/23/run', { contaId: CONTA.id });
    expect(run.statusCode).toBe(202);
    expect(await failedReason(run.json().jobId)).toMatch(/another empresa/);
    expect(await contaB()).toMatchObject({ id_erp: 'B-ORIGINAL', empresa_id: empresaB });
    const own = await database.db.selectFrom('contas').select('id_erp').where('id', '=', CONTA.id).executeTakeFirstOrThrow();
    expect(own.id_erp).toBeNull();
  });

  it('admits a job again when the worker takes it: a row set to ativo = 0 fails its retry, sending nothing', async () => {
    erp.setMode('unavailable');
    try {
      const run = await post('/v1/integrations/19/run', { contaId: CONTA.id });
      expect(run.statusCode).toBe(202);
      const jobId = run.json().jobId as string;
      const deadline = Date.now() + 20000;
      while (((await producer.getJob('set', jobId))?.attemptsMade ?? 0) < 1) {
        if (Date.now() > deadline) throw new Error('the first attempt never failed');
        await new Promise((r) => setTimeout(r, 50));
      }
      await database.db.updateTable('integracao').set({ ativo: 0 }).where('id', '=', 19).execute();
      erp.setMode('normal');
      const before = calls();
      expect(await failedReason(jobId)).toMatch(/inactive/);
      expect(calls()).toBe(before);
    } finally {
      erp.setMode('normal');
      await database.db.updateTable('integracao').set({ ativo: 1 }).where('id', '=', 19).execute();
    }
  });

  it('fails a bad return-index list or an unknown sql_update variable before any request leaves', async () => {
    const before = calls();
    const badIndex = await post('/v1/integrations/24/run', { contaId: CONTA.id });
    expect(await failedReason(badIndex.json().jobId)).toMatch(/indice_erro_retorno "erro, mensagemErro" has spaces/);
    const unknown = await post('/v1/integrations/25/run', { contaId: CONTA.id });
    expect(await failedReason(unknown.json().jobId)).toMatch(/#codigoQueNaoVem#.*nothing was sent/);
    expect(calls()).toBe(before);
  });

  it("answers another tenant's integration as missing on every run route", async () => {
    const keyB = await issueApiKey(database.db, empresaB, null, 'test-b');
    for (const url of ['/v1/integrations/19/run', '/v1/integrations/19/preview', '/v1/integrations/20/info']) {
      const res = await app.inject({
        method: 'POST',
        url,
        headers: { authorization: `Bearer ${keyB}` },
        payload: { parametros: { contaId: CONTA.id } },
      });
      expect(res.statusCode).toBe(404);
    }
  });
});
