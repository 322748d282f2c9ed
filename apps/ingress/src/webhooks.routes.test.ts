import { createEmpresa, createFilial, issueApiKey, timestampValue } from '@integrador/store';
import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { listEntregas, listTentativas, presentEndpoint, requireEndpoint } from '@integrador/webhooks';
import type { FastifyInstance } from 'fastify';
import { startTestIngress, type TestIngress } from '../../../test/support/test-ingress';

/** What JSON.stringify made of a value: the answer the routes gave before they had response schemas. */
const asJson = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;

// The webhook routes serialize through their response schemas, which drop any property not declared: every column
// the engine answers, filled in (no nulls, so a field left out of a schema cannot hide), must come back as it was.
describe.each(ALL_DIALECTS)('webhook route answers on %s', (dialect) => {
  let database: TestDatabase;
  let ingress: TestIngress;
  let app: FastifyInstance;
  let empresaA: number;
  let keyA: string;
  let keyB: string;
  let endpointId: number;
  let entregaId: number;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    empresaA = await createEmpresa(database.db, 'Faculdade A');
    keyA = await issueApiKey(database.db, empresaA, null, 'a');
    keyB = await issueApiKey(database.db, await createEmpresa(database.db, 'Faculdade B'), null, 'b');
    ingress = await startTestIngress(database);
    app = ingress.app;
  });

  afterAll(async () => {
    await ingress.close();
    await database.drop();
  });

  const headers = (key = keyA) => ({ authorization: `Bearer ${key}` });
  const at = (iso: string) => timestampValue(database.db, new Date(iso));

  it('creates an endpoint answering every field, the secret once', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: headers(),
      payload: {
        nome: 'ERP',
        url: 'https://erp.exemplo.com.br/hook',
        gatilhos: ['contato.criado', 'evento.criado'],
        cabecalhos: { 'X-Token': 'abc' },
        limitePorSegundo: 5,
      },
    });
    expect(created.statusCode).toBe(201);
    const body = created.json();
    endpointId = body.id;
    expect(body).toEqual({
      id: expect.any(Number),
      nome: 'ERP',
      url: 'https://erp.exemplo.com.br/hook',
      gatilhos: ['contato.criado', 'evento.criado'],
      ativo: true,
      cabecalhos: ['X-Token'],
      limitePorSegundo: 5,
      falhandoDesde: null,
      desativado: null,
      bloqueado: null,
      rotacaoAte: null,
      criadoEm: expect.any(String),
      segredo: expect.stringMatching(/^whsec_/),
    });
  });

  it('shows and lists the endpoint as the engine presents it, every field filled', async () => {
    const rotated = await app.inject({ method: 'POST', url: `/v1/webhooks/${endpointId}/rotate-secret`, headers: headers() });
    expect(rotated.statusCode).toBe(200);
    expect(Object.keys(rotated.json()).sort()).toEqual(['anteriorValidoAte', 'segredo']);
    // A second rotation inside the grace period would revoke the secret the receiver may still use: refused, worded.
    const again = await app.inject({ method: 'POST', url: `/v1/webhooks/${endpointId}/rotate-secret`, headers: headers() });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toEqual({
      code: 'WEBHOOK_ROTATION_IN_GRACE',
      message: expect.stringContaining(`o anterior ainda assina as entregas até ${rotated.json().anteriorValidoAte}`),
    });
    await database.db
      .updateTable('webhook_endpoints')
      .set({
        ativo: 0,
        primeira_falha_em: at('2026-03-01T10:00:00Z'),
        desativado_motivo: JSON.stringify({ code: 'FAILING_TOO_LONG', since: '2026-03-01T10:00:00Z' }),
      })
      .where('id', '=', endpointId)
      .execute();
    // Its circuit breaker open (as worker-webhook's flow control leaves it), so `circuito` is filled too.
    const openUntil = Date.parse('2030-01-01T00:00:00Z');
    await ingress.redis.hset(`${ingress.prefix}:webhook:breaker:${endpointId}`, { openUntil, failures: 5 });
    const circuito = { estado: 'aberto', aberto: true, ate: '2030-01-01T00:00:00.000Z', falhasSeguidas: 5 };
    const expected = {
      ...(asJson(presentEndpoint(await requireEndpoint(database.db, empresaA, endpointId), 'pt-BR', { httpsOnly: false })) as object),
      circuito,
    };
    // `bloqueado` is filled only under WEBHOOK_HTTPS_ONLY (webhook-https-only.test.ts).
    const { bloqueado, ...filled } = expected as unknown as { bloqueado: unknown };
    expect(bloqueado).toBeNull();
    expect(Object.values(filled)).not.toContain(null);
    const shown = await app.inject({ method: 'GET', url: `/v1/webhooks/${endpointId}`, headers: headers() });
    expect(shown.json()).toEqual(expected);
    const list = await app.inject({ method: 'GET', url: '/v1/webhooks', headers: headers() });
    expect(list.json()).toEqual({ items: [expected] });
  });

  it('lists deliveries and attempts with every column, and another tenant gets 404', async () => {
    await database.db
      .insertInto('webhook_mensagens')
      .values({
        empresa_id: empresaA,
        chave: 'k1',
        gatilho: 'contato.criado',
        tabela: 'contatos',
        registro_id: '341',
        webhook_id: 'msg_k1',
        payload: '[]',
        criado_em: at('2026-03-01T10:00:00Z'),
      })
      .execute();
    const mensagem = await database.db.selectFrom('webhook_mensagens').select('id').where('chave', '=', 'k1').executeTakeFirstOrThrow();
    const entrega = {
      empresa_id: empresaA,
      endpoint_id: endpointId,
      mensagem_id: Number(mensagem.id),
      status: 'falhou',
      tentativas: 1,
      ultimo_status_http: 500,
      ultimo_erro: 'HTTP 500',
      proxima_tentativa_em: at('2026-03-01T10:05:00Z'),
      entregue_em: at('2026-03-01T10:01:00Z'),
      criado_em: at('2026-03-01T10:00:00Z'),
    };
    await database.db.insertInto('webhook_entregas').values(entrega).execute();
    const row = await database.db
      .selectFrom('webhook_entregas')
      .select('id')
      .where('mensagem_id', '=', entrega.mensagem_id)
      .executeTakeFirstOrThrow();
    entregaId = Number(row.id);
    await database.db
      .insertInto('webhook_tentativas')
      .values({
        empresa_id: empresaA,
        entrega_id: entregaId,
        numero: 1,
        origem: 'automatica',
        cabecalhos: JSON.stringify({ 'webhook-id': 'msg_k1', 'webhook-signature': '***' }),
        status_http: 500,
        resposta: 'erro interno',
        duracao_ms: 42,
        classe_erro: 'http_5xx',
        erro: 'HTTP 500',
        criado_em: at('2026-03-01T10:00:01Z'),
      })
      .execute();

    const expectedDeliveries = asJson(await listEntregas(database.db, empresaA, endpointId)) as Record<string, unknown>[];
    expect(expectedDeliveries).toHaveLength(1);
    expect(Object.values(expectedDeliveries[0] as object)).not.toContain(null);
    const deliveries = await app.inject({ method: 'GET', url: `/v1/webhooks/${endpointId}/deliveries`, headers: headers() });
    // The row's columns, `ultimo_erro` worded from its last attempt (ultima_* are read for that, not answered),
    // `motivo` (the cancel reason's code: null, this delivery failed) and `endpoint_excluido` (its endpoint exists).
    const worded =
      'O servidor de destino teve um erro interno (status 500). O problema está na aplicação que recebe os dados: peça ao responsável que verifique os logs dela.';
    const answered = expectedDeliveries.map(({ ultima_classe, ultima_duracao_ms, ...d }: Record<string, unknown>) => ({
      ...d,
      ultimo_erro: worded,
      motivo: null,
      aguardando: null,
      endpoint_excluido: false,
    }));
    expect(deliveries.json()).toEqual({ items: answered });

    const expectedAttempts = asJson(await listTentativas(database.db, empresaA, entregaId)) as object[];
    expect(expectedAttempts).toHaveLength(1);
    expect(Object.values(expectedAttempts[0] as object)).not.toContain(null);
    const attempts = await app.inject({
      method: 'GET',
      url: `/v1/webhooks/${endpointId}/deliveries/${entregaId}/attempts`,
      headers: headers(),
    });
    expect(attempts.json()).toEqual({ items: expectedAttempts });

    for (const url of [`/v1/webhooks/${endpointId}/deliveries`, `/v1/webhooks/${endpointId}/deliveries/${entregaId}/attempts`]) {
      const foreign = await app.inject({ method: 'GET', url, headers: headers(keyB) });
      expect(foreign.statusCode).toBe(404);
      expect(foreign.json()).toEqual({ error: { code: expect.stringMatching(/_NOT_FOUND$/), message: expect.any(String) } });
    }
  });

  it("a pending delivery held by the endpoint's open breaker shows when the breaker lets it go, not a time gone by", async () => {
    // The breaker is open until 2030 (the test above); the delivery's retry was due in 2026 and nothing was tried.
    const values = { empresa_id: empresaA, gatilho: 'contato.criado', tabela: 'contatos', registro_id: '342', payload: '[]' };
    await database.db
      .insertInto('webhook_mensagens')
      .values({ ...values, chave: 'held', webhook_id: 'msg_held' })
      .execute();
    const mensagem = await database.db.selectFrom('webhook_mensagens').select('id').where('chave', '=', 'held').executeTakeFirstOrThrow();
    await database.db
      .insertInto('webhook_entregas')
      .values({
        empresa_id: empresaA,
        endpoint_id: endpointId,
        mensagem_id: Number(mensagem.id),
        status: 'pendente',
        tentativas: 1,
        proxima_tentativa_em: at('2026-03-01T10:05:00Z'),
      })
      .execute();
    try {
      const shown = await app.inject({ method: 'GET', url: `/v1/webhooks/${endpointId}/deliveries?status=pendente`, headers: headers() });
      expect(shown.json().items).toEqual([
        expect.objectContaining({ status: 'pendente', proxima_tentativa_em: '2030-01-01T00:00:00.000Z', aguardando: 'circuito' }),
      ]);
      // Closed, it is due when its row says.
      await ingress.redis.del(`${ingress.prefix}:webhook:breaker:${endpointId}`);
      const closed = await app.inject({ method: 'GET', url: `/v1/webhooks/${endpointId}/deliveries?status=pendente`, headers: headers() });
      expect(closed.json().items).toEqual([
        expect.objectContaining({ proxima_tentativa_em: '2026-03-01T10:05:00.000Z', aguardando: null }),
      ]);
    } finally {
      await database.db.deleteFrom('webhook_entregas').where('mensagem_id', '=', Number(mensagem.id)).execute();
    }
  });

  it('answers every date of deliveries and attempts as ISO 8601 with its zone, a defaulted criado_em too', async () => {
    const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
    // Written as the engine writes a new delivery: criado_em left to the column's default (SQLite: zone-less UTC text).
    const mensagem = await database.db
      .insertInto('webhook_mensagens')
      .values({
        empresa_id: empresaA,
        chave: 'k2',
        gatilho: 'contato.criado',
        tabela: 'contatos',
        registro_id: '342',
        webhook_id: 'msg_k2',
        payload: '[]',
      })
      .executeTakeFirst();
    const mensagemId = Number(
      mensagem.insertId ??
        (await database.db.selectFrom('webhook_mensagens').select('id').where('chave', '=', 'k2').executeTakeFirstOrThrow()).id,
    );
    await database.db
      .insertInto('webhook_entregas')
      .values({ empresa_id: empresaA, endpoint_id: endpointId, mensagem_id: mensagemId })
      .execute();
    const { id: newId } = await database.db
      .selectFrom('webhook_entregas')
      .select('id')
      .where('mensagem_id', '=', mensagemId)
      .executeTakeFirstOrThrow();
    await database.db
      .insertInto('webhook_tentativas')
      .values({ empresa_id: empresaA, entrega_id: Number(newId), numero: 1, origem: 'automatica', cabecalhos: '{}', duracao_ms: 1 })
      .execute();

    const deliveries = (await app.inject({ method: 'GET', url: `/v1/webhooks/${endpointId}/deliveries`, headers: headers() })).json();
    const [fresh, old] = deliveries.items as Record<string, string | null>[];
    expect(fresh?.criado_em).toMatch(iso);
    expect(Math.abs(Date.parse(fresh?.criado_em ?? '') - Date.now())).toBeLessThan(5 * 60_000);
    expect(old).toMatchObject({
      criado_em: '2026-03-01T10:00:00.000Z',
      entregue_em: '2026-03-01T10:01:00.000Z',
      proxima_tentativa_em: '2026-03-01T10:05:00.000Z',
    });
    const attempts = await app.inject({
      method: 'GET',
      url: `/v1/webhooks/${endpointId}/deliveries/${newId}/attempts`,
      headers: headers(),
    });
    expect(attempts.json().items[0].criado_em).toMatch(iso);
    const oldAttempts = await app.inject({
      method: 'GET',
      url: `/v1/webhooks/${endpointId}/deliveries/${entregaId}/attempts`,
      headers: headers(),
    });
    expect(oldAttempts.json().items[0].criado_em).toBe('2026-03-01T10:00:01.000Z');
  });

  it('names the allowed statuses when the deliveries filter is unknown, in pt-BR and English', async () => {
    const url = `/v1/webhooks/${endpointId}/deliveries?status=xyz`;
    const pt = await app.inject({ method: 'GET', url, headers: headers() });
    expect(pt.statusCode).toBe(400);
    expect(pt.json().error).toEqual({
      code: 'VALIDATION_FAILED',
      field: 'querystring.status',
      message: 'campo "querystring.status" deve ser um destes valores: "pendente", "entregue", "falhou", "cancelada"',
    });
    const en = await app.inject({ method: 'GET', url, headers: { ...headers(), 'accept-language': 'en' } });
    expect(en.json().error.message).toBe('field "querystring.status" must be one of: "pendente", "entregue", "falhou", "cancelada"');
  });

  it('answers the engine refusals (in the request language) and a missing id with the error body', async () => {
    const refuse = (lang: string) =>
      app.inject({
        method: 'POST',
        url: '/v1/webhooks',
        headers: { ...headers(), 'accept-language': lang },
        payload: { nome: 'x', url: 'https://erp.exemplo.com.br/hook/{id}', gatilhos: ['contato.criado'] },
      });
    const refused = await refuse('pt-BR');
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toEqual({ error: { code: 'WEBHOOK_URL_PLACEHOLDER', message: expect.stringContaining('a URL deve ser fixa') } });
    expect((await refuse('en')).json().error.message).toContain('the URL must be fixed');
    const gone = await app.inject({ method: 'DELETE', url: '/v1/webhooks/2147483647', headers: headers() });
    expect(gone.statusCode).toBe(404);
    expect(gone.json().error.code).toBe('WEBHOOK_NOT_FOUND');
  });

  // Review rev2 #4: inside the grace a rotation is refused (409); a leaked secret is revoked at once with revogarAnterior.
  it('rotate-secret with {"revogarAnterior": true} rotates inside the grace and revokes the previous secrets now; another tenant gets 404', async () => {
    const rotate = (payload?: object, key = keyA) =>
      app.inject({
        method: 'POST',
        url: `/v1/webhooks/${endpointId}/rotate-secret`,
        headers: headers(key),
        ...(payload ? { payload } : {}),
      });
    const inGrace = await rotate();
    expect(inGrace.statusCode).toBe(409);
    expect(inGrace.json().error.message).toContain('{"revogarAnterior": true}');
    const other = await rotate({ revogarAnterior: true }, keyB);
    expect(other.statusCode).toBe(404);
    expect(other.json().error.code).toBe('WEBHOOK_NOT_FOUND');
    const bad = await rotate({ revogarAnterior: 'sim' });
    expect(bad.statusCode).toBe(400);
    const before = await requireEndpoint(database.db, empresaA, endpointId);
    const revoked = await rotate({ revogarAnterior: true });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json()).toEqual({ segredo: expect.stringMatching(/^whsec_/), anteriorValidoAte: null });
    const after = await requireEndpoint(database.db, empresaA, endpointId);
    expect(after).toMatchObject({ segredoAnterior: null, segredoAnteriorExpiraEm: null });
    expect(after.segredo).not.toBe(before.segredo);
    const shown = await app.inject({ method: 'GET', url: `/v1/webhooks/${endpointId}`, headers: headers() });
    expect(shown.json().rotacaoAte).toBeNull();
  });
});

// A user trial (F28, F5, F18, F30): a filial key changing the empresa's endpoints, a PUT erasing write-only headers,
// recover leaving the deliveries cancelled by the disabling behind, a resend on a disabled endpoint queued to be skipped.
describe.each(ALL_DIALECTS)('webhook filial scope, kept headers, recover and resend of a disabled endpoint on %s', (dialect) => {
  let database: TestDatabase;
  let ingress: TestIngress;
  let app: FastifyInstance;
  let empresaA: number;
  let keyA: string;
  let keyFilial: string;
  let keyB: string;
  let keyFilialB: string;
  let endpointId: number;
  let entregaId: number;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    empresaA = await createEmpresa(database.db, 'Faculdade A');
    keyA = await issueApiKey(database.db, empresaA, null, 'a');
    keyFilial = await issueApiKey(database.db, empresaA, await createFilial(database.db, empresaA, 'Filial 1'), 'a-filial');
    const empresaB = await createEmpresa(database.db, 'Faculdade B');
    keyB = await issueApiKey(database.db, empresaB, null, 'b');
    keyFilialB = await issueApiKey(database.db, empresaB, await createFilial(database.db, empresaB, 'Filial B'), 'b-filial');
    ingress = await startTestIngress(database);
    app = ingress.app;
  });

  afterAll(async () => {
    await ingress.close();
    await database.drop();
  });

  const as = (key: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object, lang?: string) =>
    app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${key}`, ...(lang ? { 'accept-language': lang } : {}) },
      ...(payload ? { payload } : {}),
    });
  const settings = { nome: 'ERP', url: 'https://erp.exemplo.com.br/hook', gatilhos: ['contato.criado'] };
  let seeded = 0;

  /** A delivery of the endpoint in a given state, of a change made at `criado` (ISO). */
  async function seedEntrega(endpoint: number, status: string, ultimoErro: string | null, criado = new Date().toISOString()) {
    seeded += 1;
    const criadoEm = timestampValue(database.db, new Date(criado));
    await database.db
      .insertInto('webhook_mensagens')
      .values({
        empresa_id: empresaA,
        chave: `s${seeded}`,
        gatilho: 'contato.criado',
        tabela: 'contatos',
        registro_id: String(seeded),
        webhook_id: `msg_s${seeded}`,
        payload: '[]',
        criado_em: criadoEm,
      })
      .execute();
    const mensagem = await database.db
      .selectFrom('webhook_mensagens')
      .select('id')
      .where('chave', '=', `s${seeded}`)
      .executeTakeFirstOrThrow();
    await database.db
      .insertInto('webhook_entregas')
      .values({
        empresa_id: empresaA,
        endpoint_id: endpoint,
        mensagem_id: Number(mensagem.id),
        status,
        tentativas: 1,
        ultimo_erro: ultimoErro,
        criado_em: criadoEm,
      })
      .execute();
    const row = await database.db
      .selectFrom('webhook_entregas')
      .select('id')
      .where('mensagem_id', '=', Number(mensagem.id))
      .executeTakeFirstOrThrow();
    return Number(row.id);
  }

  const statusOf = async (ids: number[]) =>
    (
      await database.db
        .selectFrom('webhook_entregas')
        .select(['id', 'status', 'ultimo_erro'])
        .where('id', 'in', ids)
        .orderBy('id')
        .execute()
    ).map((r) => [r.status, r.ultimo_erro]);
  const queued = async () =>
    (await ingress.producer.queue('webhook').getJobs(['waiting', 'delayed', 'prioritized']))
      .map((job) => job.data.entregaId as number)
      .sort();

  it("a filial key reads the empresa's endpoints and changes none (403 FILIAL_SCOPE); another empresa's keys get 404", async () => {
    const created = await as(keyA, 'POST', '/v1/webhooks', { ...settings, cabecalhos: { 'X-Token': 'abc' } });
    expect(created.statusCode).toBe(201);
    endpointId = created.json().id;
    entregaId = await seedEntrega(endpointId, 'falhou', 'HTTP 500');
    const before = await requireEndpoint(database.db, empresaA, endpointId);

    const refusedCreate = await as(keyFilial, 'POST', '/v1/webhooks', settings);
    expect(refusedCreate.statusCode).toBe(403);
    expect(refusedCreate.json()).toEqual({ error: { code: 'FILIAL_SCOPE', message: expect.stringContaining('a chave da filial') } });
    const changes: Array<['POST' | 'PUT' | 'DELETE', string, object?]> = [
      ['PUT', `/v1/webhooks/${endpointId}`, { ...settings, nome: 'hijack' }],
      ['DELETE', `/v1/webhooks/${endpointId}`],
      ['POST', `/v1/webhooks/${endpointId}/rotate-secret`],
      ['POST', `/v1/webhooks/${endpointId}/test`],
      ['POST', `/v1/webhooks/${endpointId}/deliveries/${entregaId}/resend`],
      ['POST', `/v1/webhooks/${endpointId}/recover`, { since: '2000-01-01T00:00:00Z' }],
    ];
    for (const [method, url, payload] of changes) {
      const filial = await as(keyFilial, method, url, payload, 'en');
      expect([method, url, filial.statusCode, filial.json().error.code]).toEqual([method, url, 403, 'FILIAL_SCOPE']);
      expect(filial.json().error.message).toContain(`webhook #${endpointId} belongs to the whole empresa`);
      for (const other of [keyB, keyFilialB]) expect([url, (await as(other, method, url, payload)).statusCode]).toEqual([url, 404]);
    }
    // Reads stay open to the filial key: endpoints are empresa-wide objects, readable by every key of the empresa.
    for (const url of [
      '/v1/webhooks',
      `/v1/webhooks/${endpointId}`,
      `/v1/webhooks/${endpointId}/deliveries`,
      `/v1/webhooks/${endpointId}/deliveries/${entregaId}/attempts`,
    ]) {
      expect([url, (await as(keyFilial, 'GET', url)).statusCode]).toEqual([url, 200]);
      expect([url, (await as(keyFilialB, 'GET', url)).statusCode]).toEqual([url, url === '/v1/webhooks' ? 200 : 404]);
    }
    expect((await as(keyFilialB, 'GET', '/v1/webhooks')).json()).toEqual({ items: [] });
    // Nothing changed, nothing queued.
    expect(await requireEndpoint(database.db, empresaA, endpointId)).toEqual(before);
    expect(await statusOf([entregaId])).toEqual([['falhou', 'HTTP 500']]);
    expect(await queued()).toEqual([]);
  });

  it('PUT without cabecalhos keeps the stored headers (values write-only); an explicit {} removes them', async () => {
    const kept = await as(keyA, 'PUT', `/v1/webhooks/${endpointId}`, { ...settings, nome: 'ERP 2', ativo: true });
    expect(kept.statusCode).toBe(200);
    expect(kept.json()).toMatchObject({ nome: 'ERP 2', cabecalhos: ['X-Token'] });
    expect((await requireEndpoint(database.db, empresaA, endpointId)).cabecalhos).toEqual({ 'X-Token': 'abc' });
    const replaced = await as(keyA, 'PUT', `/v1/webhooks/${endpointId}`, { ...settings, cabecalhos: { Authorization: 'Bearer x' } });
    expect(replaced.json().cabecalhos).toEqual(['Authorization']);
    const cleared = await as(keyA, 'PUT', `/v1/webhooks/${endpointId}`, { ...settings, cabecalhos: {} });
    expect(cleared.json().cabecalhos).toEqual([]);
    expect((await requireEndpoint(database.db, empresaA, endpointId)).cabecalhos).toEqual({});
  });

  it('PUT keeps the stored headers only while the URL keeps its origin: moved elsewhere without cabecalhos, 400 in pt-BR or English', async () => {
    const created = await as(keyA, 'POST', '/v1/webhooks', { ...settings, nome: 'Segredo', cabecalhos: { Authorization: 'Bearer s3' } });
    const id = created.json().id as number;
    // Another path of the same origin: the stored secret still goes to the same receiver.
    const samePlace = await as(keyA, 'PUT', `/v1/webhooks/${id}`, {
      ...settings,
      nome: 'Segredo',
      url: 'https://erp.exemplo.com.br:443/v2/hook',
    });
    expect(samePlace.statusCode).toBe(200);
    expect((await requireEndpoint(database.db, empresaA, id)).cabecalhos).toEqual({ Authorization: 'Bearer s3' });
    // Another host, scheme or port without cabecalhos: refused, nothing changed.
    for (const url of ['https://attacker.example.net/hook', 'http://erp.exemplo.com.br/hook', 'https://erp.exemplo.com.br:8443/hook']) {
      const moved = await as(keyA, 'PUT', `/v1/webhooks/${id}`, { ...settings, nome: 'Segredo', url }, 'en');
      expect(moved.statusCode).toBe(400);
      expect(moved.json().error).toEqual({
        code: 'WEBHOOK_HEADERS_REQUIRED',
        message: `the new URL leads to another receiver (https://erp.exemplo.com.br → ${new URL(url).origin}) and the webhook has custom headers (Authorization) whose values are never shown: send "cabecalhos" with the values for the new receiver, or {} to remove them`,
      });
    }
    const pt = await as(keyA, 'PUT', `/v1/webhooks/${id}`, { ...settings, nome: 'Segredo', url: 'https://attacker.example.net/hook' });
    expect(pt.json().error.message).toMatch(
      /^a nova URL leva a outro destino .* envie "cabecalhos" com os valores para o novo destino, ou \{\} para removê-los$/,
    );
    expect(await requireEndpoint(database.db, empresaA, id)).toMatchObject({
      url: 'https://erp.exemplo.com.br:443/v2/hook',
      cabecalhos: { Authorization: 'Bearer s3' },
    });
    // Moved with the headers given (or {}): accepted.
    const given = await as(keyA, 'PUT', `/v1/webhooks/${id}`, {
      ...settings,
      nome: 'Segredo',
      url: 'https://novo.example.net/h',
      cabecalhos: {},
    });
    expect(given.statusCode).toBe(200);
    expect((await requireEndpoint(database.db, empresaA, id)).cabecalhos).toEqual({});
  });

  it('PUT without ativo leaves a disabled endpoint disabled (with its reason) and an enabled one enabled', async () => {
    const created = await as(keyA, 'POST', '/v1/webhooks', { ...settings, nome: 'Desligado' });
    const id = created.json().id as number;
    const reason = JSON.stringify({ code: 'GONE', status: 410 });
    await database.db.updateTable('webhook_endpoints').set({ ativo: 0, desativado_motivo: reason }).where('id', '=', id).execute();
    const renamed = await as(keyA, 'PUT', `/v1/webhooks/${id}`, { ...settings, nome: 'Renomeado' });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json()).toMatchObject({ nome: 'Renomeado', ativo: false, desativado: { code: 'GONE' } });
    const enabled = await as(keyA, 'PUT', `/v1/webhooks/${id}`, { ...settings, nome: 'Renomeado', ativo: true });
    expect(enabled.json()).toMatchObject({ ativo: true, desativado: null });
    expect((await as(keyA, 'PUT', `/v1/webhooks/${id}`, { ...settings, nome: 'De novo' })).json()).toMatchObject({ ativo: true });
  });

  it('a disabled endpoint refuses resend and recover (409); re-enabled, recover re-sends the failed and the disable-cancelled deliveries', async () => {
    const created = await as(keyA, 'POST', '/v1/webhooks', { ...settings, nome: 'Recuperar', cabecalhos: { 'x-api-key': 's3' } });
    const id = created.json().id as number;
    const since = new Date(Date.now() - 60_000).toISOString();
    const failed = await seedEntrega(id, 'falhou', 'HTTP 500');
    const cancelled = await seedEntrega(id, 'cancelada', 'ENDPOINT_DISABLED');
    const legacy = await seedEntrega(id, 'cancelada', 'endpoint disabled or deleted');
    const deleted = await seedEntrega(id, 'cancelada', 'ENDPOINT_DELETED');
    const delivered = await seedEntrega(id, 'entregue', null);
    const older = await seedEntrega(id, 'falhou', 'HTTP 500', '2020-01-01T00:00:00Z');
    await database.db
      .updateTable('webhook_endpoints')
      .set({ ativo: 0, desativado_motivo: JSON.stringify({ code: 'FAILING_TOO_LONG', since }) })
      .where('id', '=', id)
      .execute();

    const shown = (await as(keyA, 'GET', `/v1/webhooks/${id}`)).json();
    expect(shown.desativado.message).toContain(
      `use "recuperar" (recover) desde ${since} para enviar as entregas que falharam ou foram canceladas, inclusive as mudanças feitas enquanto ele estava desativado`,
    );
    // It says what happens meanwhile: changes made while disabled are recorded (cancelled), for the recover.
    expect(shown.desativado.message).toContain(
      'Enquanto o webhook estiver desativado, nada é enviado a ele: as mudanças ficam registradas como entregas canceladas.',
    );
    const resend = await as(keyA, 'POST', `/v1/webhooks/${id}/deliveries/${cancelled}/resend`);
    expect(resend.statusCode).toBe(409);
    expect(resend.json()).toEqual({
      error: { code: 'WEBHOOK_DISABLED', message: expect.stringMatching(/^webhook desativado: reative-o/) },
    });
    const recover = await as(keyA, 'POST', `/v1/webhooks/${id}/recover`, { since }, 'en');
    expect(recover.statusCode).toBe(409);
    expect(recover.json().error.message).toMatch(/^webhook disabled: enable it again/);
    expect(await queued()).toEqual([]);

    // The list words the cancelled deliveries' reasons in the reader's language.
    const listed = async (lang: string) =>
      Object.fromEntries(
        (await as(keyA, 'GET', `/v1/webhooks/${id}/deliveries`, undefined, lang))
          .json()
          .items.map((d: { id: number; ultimo_erro: string }) => [d.id, d.ultimo_erro]),
      );
    expect((await listed('pt-BR'))[cancelled]).toMatch(/^cancelada: o webhook estava desativado; reative-o e use "recuperar"/);
    expect(await listed('en')).toMatchObject({
      [cancelled]: expect.stringMatching(/^cancelled: the webhook was disabled/),
      [legacy]: expect.stringMatching(/^cancelled: the webhook was disabled/),
      [deleted]: 'cancelled: the webhook was deleted',
      [failed]: 'HTTP 500',
    });
    // ...and answers the reason's code beside the words, for a client to tell disabled from deleted.
    const codes = Object.fromEntries(
      (await as(keyA, 'GET', `/v1/webhooks/${id}/deliveries`, undefined, 'en'))
        .json()
        .items.map((d: { id: number; motivo: string | null }) => [d.id, d.motivo]),
    );
    expect(codes).toEqual({
      [failed]: null,
      [cancelled]: 'ENDPOINT_DISABLED',
      [legacy]: 'ENDPOINT_DISABLED',
      [deleted]: 'ENDPOINT_DELETED',
      [delivered]: null,
      [older]: null,
    });

    expect((await as(keyA, 'PUT', `/v1/webhooks/${id}`, { ...settings, nome: 'Recuperar', ativo: true })).json()).toMatchObject({
      ativo: true,
      desativado: null,
      cabecalhos: ['x-api-key'],
    });
    const recovered = await as(keyA, 'POST', `/v1/webhooks/${id}/recover`, { since });
    expect(recovered.statusCode).toBe(202);
    expect(recovered.json()).toEqual({ recovered: 3, falhou: 1, cancelada: 2 });
    expect(await statusOf([failed, cancelled, legacy, deleted, delivered, older])).toEqual([
      ['pendente', 'HTTP 500'],
      ['pendente', null],
      ['pendente', null],
      ['cancelada', 'ENDPOINT_DELETED'],
      ['entregue', null],
      ['falhou', 'HTTP 500'],
    ]);
    expect(await queued()).toEqual([failed, cancelled, legacy].sort());
    expect((await as(keyA, 'POST', `/v1/webhooks/${id}/deliveries/${deleted}/resend`)).statusCode).toBe(202);
  });
});
