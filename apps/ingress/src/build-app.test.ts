import fs from 'node:fs';
import path from 'node:path';
import { parseConnections } from '@integrador/connections';
import { createLogger } from '@integrador/logging';
import { createRedis, pingProcessor, startQueueWorker } from '@integrador/queue';
import { createEmpresa, createFilial, issueApiKey, revokeApiKey } from '@integrador/store';
import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import type { Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { startTestIngress, type TestIngress } from '../../../test/support/test-ingress';

const logger = createLogger({ name: 'ingress-test', level: 'silent' });

describe.each(ALL_DIALECTS)('ingress on %s', (dialect) => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let ingress: TestIngress;
  let prefix: string;
  let keyA: string;
  let keyA2: string;
  let keyB: string;
  let integracaoA: number;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a ${VAR} secret reference of the connections file
    const passwordRef = '${SENIOR_PASSWORD}';
    const connections = parseConnections(
      JSON.stringify({
        connections: { senior_g5: { tipo: 'webservice', baseUrl: 'http://127.0.0.1:9', user: 'u', password: passwordRef } },
      }),
      'json',
      { SENIOR_PASSWORD: 'secret' },
      'test',
    );
    ingress = await startTestIngress(database, { deps: { connections } });
    ({ app, prefix } = ingress);

    const a = await createEmpresa(database.db, 'Empresa A');
    const b = await createEmpresa(database.db, 'Empresa B');
    const filialA2 = await createFilial(database.db, a, 'Filial 2');
    keyA = await issueApiKey(database.db, a, null, 'a');
    keyA2 = await issueApiKey(database.db, a, filialA2, 'a-filial-2');
    keyB = await issueApiKey(database.db, b, null, 'b');
    await database.db
      .insertInto('integracao')
      .values([
        { nome: 'SET-WS-CONTAS', tipo_servico: 'SET', empresa_id: a, empresa_filial_id: null, ordem: 1 },
        { nome: 'GET-B', tipo_servico: 'GET', empresa_id: b, empresa_filial_id: null, ordem: 1 },
      ])
      .execute();
    const row = await database.db.selectFrom('integracao').select('id').where('nome', '=', 'SET-WS-CONTAS').executeTakeFirstOrThrow();
    integracaoA = row.id;
  });

  afterAll(async () => {
    await ingress.close();
    await database.drop();
  });

  const auth = (key: string) => ({ authorization: `Bearer ${key}` });

  it('answers /healthz and /readyz', async () => {
    // The version is the root package.json's (the release), so a roll shows which pods run what.
    const { version } = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8')) as { version: string };
    expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok', version });
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', checks: { redis: 'ok', database: 'ok' } });
  });

  it.each([
    ['no header', undefined],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['a malformed key', 'Bearer nope'],
    ['a wrong secret', 'Bearer igk_aaaaaaaaaaaa_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
  ])('refuses %s with 401 and a JSON body', async (_case, header) => {
    const response = await app.inject({ url: '/v1/me', headers: header ? { authorization: header } : {} });
    expect(response.statusCode).toBe(401);
    expect(response.headers['content-type']).toContain('application/json');
    expect(response.json().error.code).toBe('UNAUTHORIZED');
    expect(response.json().error.message).toContain('chave de API');
  });

  it('speaks English when asked', async () => {
    const response = await app.inject({ url: '/v1/me', headers: { 'accept-language': 'en-US,en;q=0.9' } });
    expect(response.json().error.message).toContain('missing or invalid API key');
  });

  it('refuses a revoked key', async () => {
    const c = await createEmpresa(database.db, 'Empresa C');
    const key = await issueApiKey(database.db, c, null, 'c');
    expect((await app.inject({ url: '/v1/me', headers: auth(key) })).statusCode).toBe(200);
    await revokeApiKey(database.db, c, key.split('_')[1] as string);
    expect((await app.inject({ url: '/v1/me', headers: auth(key) })).statusCode).toBe(401);
  });

  it('identifies the tenant of the key', async () => {
    const me = await app.inject({ url: '/v1/me', headers: auth(keyA2) });
    expect(me.json()).toMatchObject({ nome: 'Empresa A', filialId: expect.any(Number) });
  });

  it("never shows one tenant another tenant's integrations", async () => {
    const listA = await app.inject({ url: '/v1/integrations', headers: auth(keyA) });
    // Exactly empresa A's rows, whichever tests of this file added some before (read from the table, bound to A).
    const ownA = await database.db
      .selectFrom('integracao')
      .select('nome')
      .where(
        'empresa_id',
        '=',
        (await database.db.selectFrom('integracao').select('empresa_id').where('id', '=', integracaoA).executeTakeFirstOrThrow())
          .empresa_id,
      )
      .execute();
    expect(
      listA
        .json()
        .items.map((r: { nome: string }) => r.nome)
        .sort(),
    ).toEqual(ownA.map((r) => r.nome).sort());
    expect(ownA.map((r) => r.nome)).toContain('SET-WS-CONTAS');
    const listB = await app.inject({ url: '/v1/integrations', headers: auth(keyB) });
    expect(listB.json().items.map((r: { nome: string }) => r.nome)).toEqual(['GET-B']);
    expect((await app.inject({ url: `/v1/integrations/${integracaoA}`, headers: auth(keyA) })).json()).toMatchObject({
      nome: 'SET-WS-CONTAS',
    });
    const cross = await app.inject({ url: `/v1/integrations/${integracaoA}`, headers: auth(keyB) });
    expect(cross.statusCode).toBe(404);
    expect(cross.json().error.code).toBe('NOT_FOUND');
  });

  it('answers one integracao with its campos, dependencias, regras, GET/SET settings and its connection by name only', async () => {
    const { empresa_id: a } = await database.db
      .selectFrom('integracao')
      .select('empresa_id')
      .where('id', '=', integracaoA)
      .executeTakeFirstOrThrow();
    // MySQL has no RETURNING: each id read back by its unique text.
    await database.db.insertInto('conexao_integracao').values({ tipo_conexao: 'WS', nome_conexao: 'senior_g5', empresa_id: a }).execute();
    const conexao = await database.db
      .selectFrom('conexao_integracao')
      .select('id')
      .where('nome_conexao', '=', 'senior_g5')
      .executeTakeFirstOrThrow();
    await database.db
      .insertInto('integracao')
      .values({
        nome: 'GET-CLIENTES',
        tipo_servico: 'GET',
        empresa_id: a,
        empresa_filial_id: null,
        conexao_integracao_id: conexao.id,
        tabela: 'contas',
        chave: 'id_erp',
        campo_cursor: 'DATALT',
        modo: 'incremental',
        reconciliacao_horas: 24,
        tamanho_lote: 500,
        lote_maximo: 10,
      })
      .execute();
    const get = await database.db.selectFrom('integracao').select('id').where('nome', '=', 'GET-CLIENTES').executeTakeFirstOrThrow();
    await database.db
      .insertInto('campos_integracao')
      .values({ integracao_id: get.id, campo_crm: '{"nome": "#NOMCLI#"}', ordem: 1 })
      .execute();
    const campo = await database.db
      .selectFrom('campos_integracao')
      .select('id')
      .where('integracao_id', '=', get.id)
      .executeTakeFirstOrThrow();
    await database.db
      .insertInto('dependencias')
      .values({
        integracao_id: get.id,
        campos_integracao_id: campo.id,
        variavel: 'cidade',
        tipo: 'consulta',
        consulta: 'SELECT 1',
        obrigatoria: 1,
      })
      .execute();
    await database.db
      .insertInto('regras')
      .values({ integracao_id: get.id, campos_integracao_id: campo.id, campo: 'nome', tipo: 'cortar', parametros: '{"tamanho": 40}' })
      .execute();
    const detail = await app.inject({ url: `/v1/integrations/${get.id}`, headers: auth(keyA) });
    expect(detail.statusCode).toBe(200);
    expect(detail.json()).toMatchObject({
      nome: 'GET-CLIENTES',
      chave: 'id_erp',
      campo_cursor: 'DATALT',
      modo: 'incremental',
      reconciliacao_horas: 24,
      tamanho_lote: 500,
      lote_maximo: 10,
      campos: [{ id: campo.id, campo_crm: '{"nome": "#NOMCLI#"}', ordem: 1, descricao: null }],
      dependencias: [{ campos_integracao_id: campo.id, variavel: 'cidade', tipo: 'consulta', consulta: 'SELECT 1', obrigatoria: 1 }],
      regras: [{ campos_integracao_id: campo.id, campo: 'nome', tipo: 'cortar', parametros: '{"tamanho": 40}' }],
      conexao: { id: conexao.id, nome_conexao: 'senior_g5', tipo_conexao: 'WS' },
    });
    // The connection by its row only: nothing of the connections file (its baseUrl, user, password), nor the child
    // rows' integracao_id (the URL names it).
    expect(detail.json().conexao).toEqual({ id: conexao.id, nome_conexao: 'senior_g5', tipo_conexao: 'WS' });
    expect(detail.json().campos[0]).not.toHaveProperty('integracao_id');
    expect((await app.inject({ url: `/v1/integrations/${get.id}`, headers: auth(keyB) })).statusCode).toBe(404);
    // A filial key reads the empresa-wide row too; the list carries the settings columns.
    expect((await app.inject({ url: `/v1/integrations/${get.id}`, headers: auth(keyA2) })).json().campos).toHaveLength(1);
    const listed = (await app.inject({ url: '/v1/integrations?tipo_servico=GET', headers: auth(keyA) })).json().items;
    expect(listed).toEqual([expect.objectContaining({ nome: 'GET-CLIENTES', campo_cursor: 'DATALT', tamanho_lote: 500 })]);
  });

  it.each([
    [{ queue: 'nope' }, 'body.queue'],
    [{ queue: 'set', sleepMs: -1 }, 'body.sleepMs'],
    [{ queue: 'set', sleepMs: 'soon' }, 'body.sleepMs'],
    // Red-team finding 2: a tenant's ping holds a worker slot at most a second (20 s pings once starved worker-cti).
    [{ queue: 'cti', sleepMs: 20000 }, 'body.sleepMs'],
    [{ queue: 'set', sleepMs: 1001 }, 'body.sleepMs'],
    [{ queue: 'set', tenant: { empresaId: 2 } }, 'body.tenant'],
    [{}, 'body.queue'],
  ])('answers 400 naming the field for body %j', async (body, field) => {
    const response = await app.inject({ method: 'POST', url: '/v1/ping', headers: auth(keyA), payload: body });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'VALIDATION_FAILED', field });
    expect(response.json().error.message).toContain(field);
    expect(response.body).not.toContain('at ');
  });

  it("caps a tenant's ping at 1000 ms, saying the bound", async () => {
    const held = await app.inject({ method: 'POST', url: '/v1/ping', headers: auth(keyA), payload: { queue: 'cti', sleepMs: 1000 } });
    expect(held.statusCode).toBe(202);
    const over = await app.inject({
      method: 'POST',
      url: '/v1/ping',
      headers: { ...auth(keyA), 'accept-language': 'en' },
      payload: { queue: 'cti', sleepMs: 60000 },
    });
    expect(over.statusCode).toBe(400);
    expect(over.json().error.message).toBe('field "body.sleepMs" must be <= 1000');
  });

  it('answers 400 naming the field for bad params and query strings', async () => {
    const params = await app.inject({ url: '/v1/integrations/abc', headers: auth(keyA) });
    expect(params.json().error.field).toBe('params.id');
    const query = await app.inject({ url: '/v1/integrations?limit=9999', headers: { ...auth(keyA), 'accept-language': 'en' } });
    expect(query.statusCode).toBe(400);
    expect(query.json().error.message).toBe('field "querystring.limit" must be <= 500');
    const unknown = await app.inject({ url: '/v1/integrations?foo=1', headers: auth(keyA) });
    expect(unknown.json().error.field).toBe('querystring.foo');
  });

  it('answers 400 for a body that is not JSON, and JSON 404 for unknown routes', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/ping',
      headers: { ...auth(keyA), 'content-type': 'application/json' },
      payload: '{"queue":',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('INVALID_JSON');
    const missing = await app.inject({ url: '/v2/nothing' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('NOT_FOUND');
  });

  it('enqueues a ping, follows it to completion and keeps it from other tenants', async () => {
    const workerRedis = createRedis(TEST_REDIS_URL, { role: 'worker' });
    let worker: Worker | undefined;
    try {
      const accepted = await app.inject({ method: 'POST', url: '/v1/ping', headers: auth(keyA), payload: { queue: 'webhook' } });
      expect(accepted.statusCode).toBe(202);
      const { jobId } = accepted.json();
      worker = startQueueWorker({
        queue: 'webhook',
        handlers: { 'system.ping': pingProcessor, 'webhook.deliver': async () => ({}) },
        connection: workerRedis,
        prefix,
        concurrency: 1,
        logger,
      });
      let state = '';
      for (let i = 0; i < 200 && state !== 'completed'; i++) {
        const job = await app.inject({ url: `/v1/jobs/webhook/${jobId}`, headers: auth(keyA) });
        state = job.json().state;
        if (state === 'completed') expect(job.json().returnvalue).toMatchObject({ pong: true });
        else await new Promise((r) => setTimeout(r, 25));
      }
      expect(state).toBe('completed');
      expect((await app.inject({ url: `/v1/jobs/webhook/${jobId}`, headers: auth(keyB) })).statusCode).toBe(404);
      // A filial key of the same empresa sees its filial's jobs and the empresa-wide ones (this one), never a sibling
      // filial's (job-filial-scope.test.ts).
      expect((await app.inject({ url: `/v1/jobs/webhook/${jobId}`, headers: auth(keyA2) })).statusCode).toBe(200);

      let metrics = '';
      for (let i = 0; i < 100 && !metrics.includes('outcome="completed"'); i++) {
        metrics = (await app.inject('/metrics')).body;
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(metrics).toMatch(/integrador_jobs_finished_total\{queue="webhook",empresa_id="\d+",outcome="completed"\} 1/);
      expect(metrics).toContain('integrador_queue_jobs{queue="webhook",state="completed"} 1');
      expect(metrics).toContain('integrador_http_request_duration_seconds_bucket');
      expect(metrics).toContain('integrador_redis_up 1');
    } finally {
      await worker?.close();
      workerRedis.disconnect();
    }
  });

  it("lints only the tenant's own configuration, naming row and column", async () => {
    const a = await app.inject({ url: '/v1/config/lint', headers: auth(keyA) });
    expect(a.statusCode).toBe(200);
    const findings = a.json().findings as { table: string; rowId: number; column: string; integracaoNome: string | null }[];
    expect(findings.every((f) => f.integracaoNome !== 'GET-B')).toBe(true);
    expect(findings).toEqual(
      expect.arrayContaining([expect.objectContaining({ table: 'integracao', rowId: integracaoA, column: 'conexao_integracao_id' })]),
    );
    const b = await app.inject({ url: '/v1/config/lint', headers: auth(keyB) });
    expect((b.json().findings as { rowId: number }[]).every((f) => f.rowId !== integracaoA)).toBe(true);
  });

  it('publishes its OpenAPI document and UI', async () => {
    const doc = (await app.inject('/openapi.json')).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/ping', '/v1/integrations/{id}', '/v1/jobs/{queue}/{id}']));
    expect((await app.inject('/docs')).statusCode).toBeLessThan(400);
  });

  it('serves real HTTP', async () => {
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const response = await fetch(`${address}/v1/me`, { headers: auth(keyB) });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ nome: 'Empresa B' });
  });
});
