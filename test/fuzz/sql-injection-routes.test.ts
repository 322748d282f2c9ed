import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { loadConfig } from '@integrador/config';
import { type ConnectionsRegistry, loadConnectionsFile } from '@integrador/connections';
import { saveCtiSettings } from '@integrador/cti';
import { createLogger } from '@integrador/logging';
import { createRedis, type JobProducer, pingProcessor, startQueueWorker } from '@integrador/queue';
import type { WorkerDeps } from '@integrador/runtime';
import { createEmpresa, type DialectName, issueApiKey, setPermitirRedePrivada } from '@integrador/store';
import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { type JsonEndpointServer, startJsonEndpoint } from '@integrador/test-support/json-endpoint';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import type { Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { sql } from 'kysely';
import { createEndpointSyncProcessor } from '../../apps/worker-get/src/processors/endpoint-sync.processor';
import { createIntegrationRunProcessor as createGetRunProcessor } from '../../apps/worker-get/src/processors/integration-run.processor';
import { createIntegrationRunProcessor } from '../../apps/worker-set/src/processors/integration-run.processor';
import { pbxCall } from '../fixtures/pbx-simulator';
import { DEFAULT_CREDENTIALS, type SeniorG5Server, seniorG5ConnectionsYaml, startSeniorG5Server } from '../fixtures/senior-g5';
import { CONTA, SET_WS_CONTAS, SET_WS_CONTAS_CAMPO, seedSetWsContas } from '../fixtures/set-ws-contas';
import { startTestIngress, type TestIngress } from '../support/test-ingress';
import { closeWorkerDeps, testWorkerDeps } from '../support/worker-deps';
import { PAYLOADS } from './sql-payloads';

// SQL injection through what a caller can reach over HTTP, not only the engine (sql-injection.test.ts): run, preview
// and info parameters feeding a consulta's #var# and a sql_update, change events, the CTI listener's telefone and the
// dashboard's search and filters, the records of a JSON endpoint service (and its sync's tipo), on PostgreSQL, MariaDB and SQLite CRMs. Every answer is a 2xx or a 4xx with the
// error body (never a 500), a run's value reaches the database bound (stored exactly as sent, or refused as a value),
// a canary table and another tenant's row stay as they were. FUZZ_LONG=1 adds generated payloads.

const logger = createLogger({ name: 'fuzz', level: 'silent' });

/** A SET integration whose consulta and sql_update take a caller's #texto# (beside row 19's contaId). */
const ECHO = {
  ...SET_WS_CONTAS,
  id: 20,
  nome: 'SET-ECO',
  consulta: `{"consulta":"SELECT c.id, c.nome, c.fantasia, c.tipo_pessoa, c.status, c.cnpj, c.inscricao, c.cep, c.endereco, c.numero, c.bairro, c.telefone, c.email_geral FROM contas AS c WHERE c.id = #contaId# AND c.nome <> '#texto#'"}`,
  sql_update: "UPDATE contas SET email_geral = '#texto#', id_erp = #codCli# WHERE id = #contaId#",
  parametros_obrigatorios: 'contaId,texto',
};
/** An INFO integration looking a conta up by a caller's #texto#. */
const INFO = {
  ...SET_WS_CONTAS,
  id: 21,
  nome: 'INFO-ECO',
  tipo_servico: 'INFO',
  porta_ws: 'obterCliente',
  consulta: `{"consulta":"SELECT c.cnpj FROM contas c WHERE c.nome = '#texto#' OR c.id = #contaId#"}`,
  indice_array_retorno: 'cliente',
  indice_valor_retorno: 'codCli',
  indice_erro_retorno: 'erroExecucao',
  sql_update: null,
  parametros_obrigatorios: 'contaId,texto',
};

describe.each(ALL_DIALECTS)('SQL injection through the HTTP routes, on a %s CRM', (dialect: DialectName) => {
  let erp: SeniorG5Server;
  let database: TestDatabase;
  let connections: ConnectionsRegistry;
  let workerRedis: Redis;
  let producer: JobProducer;
  let app: FastifyInstance;
  let ingress: TestIngress;
  let base: string;
  let worker: Worker;
  let getWorker: Worker;
  let endpoint: JsonEndpointServer;
  let deps: WorkerDeps;
  let prefix: string;
  let key: string;
  let empresaId: number;
  let otherId: number;
  const statuses = new Map<string, Map<number, number>>();

  beforeAll(async () => {
    erp = await startSeniorG5Server({ latencyMs: 10 });
    endpoint = await startJsonEndpoint();
    const file = `${os.tmpdir()}/fuzz-sqli-${process.pid}-${dialect}.yaml`;
    fs.writeFileSync(file, seniorG5ConnectionsYaml(erp.url));
    connections = await loadConnectionsFile(file, { SENIOR_PASSWORD: DEFAULT_CREDENTIALS.password });
    database = await createTestDatabase(dialect);
    ({ empresaId } = await seedSetWsContas(database.db));
    key = await issueApiKey(database.db, empresaId, null, 'test');
    for (const row of [ECHO, INFO]) {
      await database.db
        .insertInto('integracao')
        .values({ ...row, empresa_id: empresaId, empresa_filial_id: null, ordem: row.id, ativo: 1 } as never)
        .execute();
    }
    await database.db
      .insertInto('campos_integracao')
      .values([
        { integracao_id: 20, campo_crm: JSON.stringify(SET_WS_CONTAS_CAMPO), ordem: 0 },
        { integracao_id: 21, campo_crm: JSON.stringify({ cgcCpf: '#cnpj#' }), ordem: 0 },
      ])
      .execute();
    await saveCtiSettings(database.db, empresaId, { hostLabel: 'acme', allowlist: ['127.0.0.1', '::1'] });
    const other = await createEmpresa(database.db, 'Empresa B');
    await database.db.insertInto('contas').values({ empresa_id: other, nome: 'Beta secreta', fantasia: 'B' }).execute();
    otherId = Number((await database.db.selectFrom('contas').select('id').where('nome', '=', 'Beta secreta').executeTakeFirstOrThrow()).id);
    await sql`CREATE TABLE canario (id INTEGER PRIMARY KEY, nota VARCHAR(50))`.execute(database.db);
    await sql`INSERT INTO canario (id, nota) VALUES (1, 'intacto')`.execute(database.db);

    workerRedis = createRedis(TEST_REDIS_URL, { role: 'worker' });
    ingress = await startTestIngress(database, {
      deps: {
        connections,
        cti: { domain: 'crm.test', trustedProxies: ['127.0.0.1'], dedupeWindowMs: 2000, callTimeoutMs: 60_000, popTokenTtlMs: 60_000 },
        dashboard: { secureCookies: false, scheduleTimezone: 'America/Sao_Paulo', loginRateLimit: 30 },
      },
    });
    ({ app, producer, prefix } = ingress);
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    deps = testWorkerDeps({ config: loadConfig({}, os.tmpdir()), logger, database, connections });
    worker = startQueueWorker({
      queue: 'set',
      connection: workerRedis,
      prefix,
      concurrency: 4,
      logger,
      handlers: { 'system.ping': pingProcessor, 'integration.run': createIntegrationRunProcessor(deps) },
    });
    getWorker = startQueueWorker({
      queue: 'get',
      connection: workerRedis,
      prefix,
      concurrency: 1,
      logger,
      handlers: {
        'system.ping': pingProcessor,
        'integration.run': createGetRunProcessor(deps),
        'endpoint.sync': createEndpointSyncProcessor(deps),
      },
    });
  }, 120_000);

  afterAll(async () => {
    for (const [route, counts] of statuses)
      process.stdout.write(`[sqli ${dialect}] ${route}: ${[...counts].map(([status, n]) => `${n}×${status}`).join(', ')}\n`);
    await worker.close();
    await getWorker.close();
    await closeWorkerDeps(deps);
    await endpoint.close();
    await ingress.close();
    workerRedis.disconnect();
    await database.drop();
    await erp.close();
  });

  /** Counts the answer per route and holds it to the API's contract: never a 500, errors in the error body. */
  function check(route: string, status: number, body: string): void {
    const counts = statuses.get(route) ?? new Map<number, number>();
    counts.set(status, (counts.get(status) ?? 0) + 1);
    statuses.set(route, counts);
    if (status >= 500) throw new Error(`${route} answered ${status}: ${body.slice(0, 500)}`);
    if (status >= 400) expect(JSON.parse(body)).toEqual({ error: expect.objectContaining({ code: expect.any(String) }) });
  }

  const headers = () => ({ authorization: `Bearer ${key}` });
  const post = (url: string, payload: unknown) => app.inject({ method: 'POST', url, headers: headers(), payload: payload as object });

  async function untouched(): Promise<void> {
    const canary = await sql<{ id: number; nota: string }>`SELECT id, nota FROM canario`.execute(database.db);
    expect(canary.rows.map((row) => ({ id: Number(row.id), nota: row.nota }))).toEqual([{ id: 1, nota: 'intacto' }]);
    const beta = await database.db
      .selectFrom('contas')
      .select(['nome', 'fantasia', 'email_geral'])
      .where('id', '=', otherId)
      .executeTakeFirst();
    expect(beta).toEqual({ nome: 'Beta secreta', fantasia: 'B', email_geral: null });
    const count = await database.db
      .selectFrom('contas')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(2);
  }

  it('preview binds each value: the SQL never holds it, its parameters hold it exactly', async () => {
    for (const texto of PAYLOADS) {
      const res = await post('/v1/integrations/20/preview', { parametros: { contaId: CONTA.id, texto } });
      check('POST /v1/integrations/20/preview', res.statusCode, res.body);
      if (res.statusCode !== 200) continue;
      const preview = res.json() as { consulta: { sql: string; parameters: unknown[] } };
      expect(preview.consulta.parameters).toContain(texto);
      if (texto.length > 3) expect(preview.consulta.sql).not.toContain(texto);
      // A hostile contaId is a value too: refused (4xx) or bound, never spliced.
      const hostileId = await post('/v1/integrations/19/preview', { parametros: { contaId: texto } });
      check('POST /v1/integrations/19/preview', hostileId.statusCode, hostileId.body);
    }
    await untouched();
  }, 120_000);

  it('info looks up with bound values and writes nothing', async () => {
    for (const texto of PAYLOADS) {
      const res = await post('/v1/integrations/21/info', { parametros: { contaId: CONTA.id, texto } });
      check('POST /v1/integrations/21/info', res.statusCode, res.body);
    }
    await untouched();
  }, 120_000);

  it("run: the job's consulta and sql_update bind the value, stored exactly as sent or refused as a value", async () => {
    let stored = 0;
    for (const texto of PAYLOADS) {
      const res = await post('/v1/integrations/20/run', { parametros: { contaId: CONTA.id, texto } });
      check('POST /v1/integrations/20/run', res.statusCode, res.body);
      if (res.statusCode !== 202) continue;
      const jobId = (res.json() as { jobId: string }).jobId;
      let state = '';
      for (const deadline = Date.now() + 30_000; !['completed', 'failed'].includes(state); ) {
        if (Date.now() > deadline) throw new Error(`job ${jobId} still ${state}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
        state = (await (await producer.getJob('set', jobId))?.getState()) ?? '';
      }
      const job = await producer.getJob('set', jobId);
      const conta = await database.db.selectFrom('contas').select('email_geral').where('id', '=', CONTA.id).executeTakeFirstOrThrow();
      if (state === 'completed') {
        stored++;
        expect(conta.email_geral).toBe(texto);
      } else {
        // Only a value the column cannot hold (NUL on PostgreSQL, over 200 characters) fails, as a statement error.
        expect(texto.includes('\u0000') || texto.length > 200).toBe(true);
        expect(job?.failedReason).toBeTruthy();
      }
    }
    expect(stored).toBeGreaterThanOrEqual(PAYLOADS.filter((p) => !p.includes('\u0000') && p.length <= 200).length - 1);
    await untouched();
  }, 300_000);

  it('change events, the CTI listener and the dashboard search answer 2xx/4xx and change nothing', async () => {
    for (const payload of PAYLOADS) {
      const event = await post('/v1/events/crm-change', { tabela: 'contas', id: payload, operacao: 'alterado' });
      check('POST /v1/events/crm-change (id)', event.statusCode, event.body);
      const table = await post('/v1/events/crm-change', { tabela: payload, id: '1', operacao: payload });
      check('POST /v1/events/crm-change (tabela)', table.statusCode, table.body);
      // The PBX's telefone: the listener enqueues it; the lookup itself is bound (sql-injection.test.ts).
      const short = payload.slice(0, 2000);
      const pop = await pbxCall(base, `/wconnect/WConnect_WSDL_ConsultaRamal.php?ramal=3501&telefone=${encodeURIComponent(short)}`, {
        host: 'acme.crm.test',
      });
      if (pop.status >= 500) throw new Error(`CTI listener answered ${pop.status}: ${pop.body.slice(0, 300)}`);
      check('GET CTI listener (telefone)', pop.status, pop.status >= 400 ? pop.body : '{}');
      for (const field of ['q', 'estado', 'integracao', 'empresa', 'fila', 'desde', 'ate']) {
        const search = await app.inject({
          url: `/dashboard/api/jobs?${field}=${encodeURIComponent(short.slice(0, 200))}`,
          headers: headers(),
        });
        check(`GET /dashboard/api/jobs?${field}=`, search.statusCode, search.body);
        if (search.statusCode === 200 && field === 'q') {
          // A search for a hostile text finds none of another tenant's jobs, and no job of ours that does not hold it.
          const items = (search.json() as { items: { empresa_id?: number }[] }).items;
          expect(items.filter((item) => item.empresa_id !== undefined && item.empresa_id !== empresaId)).toEqual([]);
        }
      }
    }
    await untouched();
  }, 300_000);
  it("endpoint sync: hostile values in the endpoint's records are stored as sent, and a hostile tipo is a 400", async () => {
    const created = await post('/v1/endpoints', {
      nome: 'Contatos hostis',
      urlBase: endpoint.url,
      autenticacao: 'nenhuma',
      eventos: [{ tipo: 'contato', url: `${endpoint.url}/hostis/contatos` }],
    });
    check('POST /v1/endpoints', created.statusCode, created.body);
    const id = (created.json() as { id: number }).id;
    // An operator's decision: the fake endpoint listens on loopback.
    await setPermitirRedePrivada(database.db, empresaId, id, true);
    const nomes = PAYLOADS.map((payload) => payload.slice(0, 150));
    endpoint.routes.set('/hostis/contatos', {
      body: nomes.map((nome, i) => ({ codigo: `H${i}`, nome, emailPrincipal: `h${i}@exemplo.com.br`, baseLegal: 1 })),
    });
    for (const tipo of PAYLOADS) {
      const res = await post(`/v1/endpoints/${id}/sync`, { tipo });
      check('POST /v1/endpoints/:id/sync (tipo)', res.statusCode, res.body);
      expect(res.statusCode).toBe(400);
    }
    const accepted = await post(`/v1/endpoints/${id}/sync`, { tipo: 'contato' });
    check('POST /v1/endpoints/:id/sync', accepted.statusCode, accepted.body);
    const jobId = (accepted.json() as { jobId: string }).jobId;
    let state = '';
    for (const deadline = Date.now() + 30_000; !['completed', 'failed'].includes(state); ) {
      if (Date.now() > deadline) throw new Error(`sync ${jobId} still ${state}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      state = (await (await producer.getJob('get', jobId))?.getState()) ?? '';
    }
    const job = await producer.getJob('get', jobId);
    expect([state, job?.failedReason ?? null]).toEqual(['completed', null]);
    const rows = await database.db.selectFrom('contatos').select(['codigo', 'nome']).where('empresa_id', '=', empresaId).execute();
    const byCodigo = new Map(rows.map((row) => [row.codigo, row.nome]));
    let stored = 0;
    nomes.forEach((nome, i) => {
      const saved = byCodigo.get(`H${i}`);
      if (saved === undefined) return;
      stored++;
      // Stored as sent, trimmed as seed 003 normalises texts (NUL dropped: PostgreSQL cannot hold it), never spliced.
      expect(saved).toBe(nome.replaceAll('\u0000', '').trim());
    });
    expect(stored).toBe(nomes.length);
    await untouched();
  }, 120_000);
});
