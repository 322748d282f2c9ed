import { createEmpresa, issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import type { FastifyInstance } from 'fastify';
import { startTestIngress, type TestIngress } from '../../../test/support/test-ingress';

// Every route that takes an Idempotency-Key answers a replay the same way: 202, the first attempt's job and
// `deduplicated: true`, nothing added; a malformed key is refused in words, with its code.
describe('Idempotency-Key on every admission route', () => {
  let database: TestDatabase;
  let ingress: TestIngress;
  let app: FastifyInstance;
  let keyA: string;
  let keyB: string;
  let setA: number;
  let flowA: number;
  let servicoA: number;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    const { db } = database;
    const empresaA = await createEmpresa(db, 'Faculdade A');
    const empresaB = await createEmpresa(db, 'Faculdade B');
    keyA = await issueApiKey(db, empresaA, null, 'a');
    keyB = await issueApiKey(db, empresaB, null, 'b');
    const integracao = (empresa: number, nome: string, extra: Record<string, unknown> = {}) =>
      db
        .insertInto('integracao')
        .values({ empresa_id: empresa, nome, tipo_servico: 'SET', tabela: 'pedidos', ...extra } as never)
        .returning('id')
        .executeTakeFirstOrThrow();
    setA = (await integracao(empresaA, 'SET-PEDIDOS')).id;
    // A SET with a prerequisite: enqueued as one flow (two jobs).
    const pre = (await integracao(empresaA, 'SET-PRE', { tabela: 'clientes' })).id;
    flowA = (await integracao(empresaA, 'SET-FLOW', { tabela: 'clientes', depende_de: pre })).id;
    await integracao(empresaB, 'SET-PEDIDOS-B');
    ingress = await startTestIngress(database);
    app = ingress.app;
    const created = await app.inject({
      method: 'POST',
      url: '/v1/endpoints',
      headers: { authorization: `Bearer ${keyA}` },
      payload: {
        nome: 'svc',
        urlBase: 'http://127.0.0.1:1',
        autenticacao: 'nenhuma',
        eventos: [{ tipo: 'contato', url: 'http://127.0.0.1:1/c' }],
      },
    });
    expect(created.statusCode).toBe(201);
    servicoA = created.json().id;
  });

  afterAll(async () => {
    await ingress.close();
    await database.drop();
  });

  const post = (url: string, idempotencyKey: string, options: { key?: string; lang?: string; payload?: object } = {}) =>
    app.inject({
      method: 'POST',
      url,
      headers: {
        authorization: `Bearer ${options.key ?? keyA}`,
        'idempotency-key': idempotencyKey,
        ...(options.lang ? { 'accept-language': options.lang } : {}),
      },
      payload: options.payload ?? {},
    });

  const queued = async () => {
    let total = 0;
    for (const queue of ['set', 'get'] as const) {
      const counts = await ingress.producer.queue(queue).getJobCounts('waiting', 'prioritized', 'waiting-children', 'delayed');
      total += Object.values(counts).reduce((a, b) => a + b, 0);
    }
    return total;
  };

  it.each([
    ['POST /v1/ping', () => '/v1/ping', { queue: 'set' }],
    ['POST /v1/integrations/:id/run (one job)', () => `/v1/integrations/${setA}/run`, {}],
    ['POST /v1/integrations/:id/run (a flow)', () => `/v1/integrations/${flowA}/run`, {}],
    ['POST /v1/endpoints/:id/sync', () => `/v1/endpoints/${servicoA}/sync`, {}],
    ['POST /v1/events/crm-change (the header, no chaveIdempotencia)', () => '/v1/events/crm-change', { tabela: 'pedidos' }],
  ])('%s: a replay answers the first job with deduplicated: true and adds nothing', async (_route, url, payload) => {
    const key = `k-${Math.random()}`;
    const first = await post(url(), key, { payload });
    expect(first.statusCode).toBe(202);
    expect(first.json().deduplicated).toBe(false);
    const before = await queued();
    const replay = await post(url(), key, { payload });
    expect(replay.statusCode).toBe(202);
    expect(replay.json()).toEqual({ ...first.json(), deduplicated: true });
    expect(await queued()).toBe(before);
    // Another key is another request.
    const other = await post(url(), `${key}-2`, { payload });
    expect(other.json().deduplicated).toBe(false);
    expect(JSON.stringify(other.json())).not.toBe(JSON.stringify(first.json()));
  });

  it("the same key from another tenant is that tenant's own request, never a replay of A's", async () => {
    const key = 'shared-key';
    const a = await post('/v1/ping', key, { payload: { queue: 'set' } });
    // A's integration is not B's (404), and a refused request leaves B's key free for B's next request.
    const bRun = await post(`/v1/integrations/${setA}/run`, key, { key: keyB });
    expect(bRun.statusCode).toBe(404);
    const b = await post('/v1/ping', key, { key: keyB, payload: { queue: 'set' } });
    expect(b.statusCode).toBe(202);
    expect(b.json().deduplicated).toBe(false);
    expect(b.json().jobId).not.toBe(a.json().jobId);
  });

  // IETF draft-ietf-httpapi-idempotency-key: a key reused with another body or route is a 422, and nothing is done.
  it('the same key with another body or on another route: 422 IDEMPOTENCY_KEY_REUSED (pt-BR/en), no new job', async () => {
    const key = 'same-body-test';
    const first = await post('/v1/ping', key, { payload: { queue: 'set' } });
    expect(first.statusCode).toBe(202);
    const counts = async () =>
      JSON.stringify(await Promise.all(['set', 'get'].map((q) => ingress.producer.queue(q as 'set').getJobCounts())));
    const before = await counts();
    const otherBody = await post('/v1/ping', key, { payload: { queue: 'get' } });
    expect(otherBody.statusCode).toBe(422);
    expect(otherBody.json().error).toEqual({
      code: 'IDEMPOTENCY_KEY_REUSED',
      message:
        'esta Idempotency-Key já foi usada com outra requisição (outra rota ou outro corpo); nada foi feito. Use uma chave nova para uma requisição nova, ou repita a primeira requisição exatamente como foi',
    });
    const otherRoute = await post(`/v1/integrations/${setA}/run`, key, { lang: 'en' });
    expect(otherRoute.statusCode).toBe(422);
    expect(otherRoute.json().error.message).toMatch(/^this Idempotency-Key was already used with another request/);
    expect(await counts()).toBe(before);
    // The first request itself is still a replay.
    const replay = await post('/v1/ping', key, { payload: { queue: 'set' } });
    expect(replay.json()).toMatchObject({ jobId: first.json().jobId, deduplicated: true });
    // Another tenant's key of the same text is its own.
    expect((await post('/v1/ping', key, { key: keyB, payload: { queue: 'get' } })).statusCode).toBe(202);
  });

  it('a request refused with a 4xx frees its key: the corrected request may use it', async () => {
    const key = 'fix-and-retry';
    const url = `/v1/integrations/${setA}/run`;
    const refused = await post(url, key, { payload: { parametros: { pedidoId: '1\u0000' } } });
    expect(refused.statusCode).toBe(400);
    const fixed = await post(url, key, { payload: { parametros: { pedidoId: '1' } } });
    expect(fixed.statusCode).toBe(202);
    expect(fixed.json().deduplicated).toBe(false);
    // Now bound to the corrected request.
    expect((await post(url, key, { payload: { parametros: { pedidoId: '2' } } })).statusCode).toBe(422);
  });

  const rule = 'use 1 to 200 visible ASCII characters — unaccented letters, digits and punctuation, no spaces (a UUID will do)';
  it.each([
    ['x'.repeat(201), 'a chave recebida tem 201 caracteres', 'the key received has 201 characters'],
    [
      'pedido 42',
      'o caractere na posição 7 não é permitido',
      'the character at position 7 is not allowed (a space, an accent or a control character)',
    ],
  ])('a malformed key %#: 400 IDEMPOTENCY_KEY_INVALID saying in words what is accepted, pt-BR and English', async (bad, pt, en) => {
    for (const url of ['/v1/ping', `/v1/integrations/${setA}/run`, '/v1/events/crm-change', `/v1/endpoints/${servicoA}/sync`]) {
      const res = await post(url, bad, {
        payload: url === '/v1/ping' ? { queue: 'set' } : url.includes('crm-change') ? { tabela: 'pedidos' } : {},
      });
      expect(res.statusCode).toBe(400);
      const { error } = res.json();
      expect(error).toEqual({ code: 'IDEMPOTENCY_KEY_INVALID', field: 'headers.idempotency-key', message: expect.any(String) });
      expect(error.message).toContain(pt);
      expect(error.message).toContain('de 1 a 200 caracteres ASCII visíveis');
      expect(error.message).not.toMatch(/\\x|\^|\{1,200\}/);
    }
    const english = await post('/v1/ping', bad, { lang: 'en', payload: { queue: 'set' } });
    expect(english.json().error.message).toBe(`invalid Idempotency-Key header: ${en}; ${rule}`);
  });
});
