import { syncEndpointService } from '@integrador/integrador';
import { createLogger } from '@integrador/logging';
import type { JobProducer } from '@integrador/queue';
import { createEmpresa, issueApiKey, setPermitirRedePrivada, setServiceLimit } from '@integrador/store';
import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { type JsonEndpointServer, startJsonEndpoint } from '@integrador/test-support/json-endpoint';
import { CONTATO_EXEMPLO, contato } from '@integrador/test-support/seed-003';
import type { FastifyInstance } from 'fastify';
import { startTestIngress, type TestIngress } from '../../../test/support/test-ingress';

const _logger = createLogger({ name: 'ingress-test', level: 'silent' });
// biome-ignore lint/suspicious/noTemplateCurlyInString: a ${NOME} secret reference, as a tenant writes it
const TOKEN_REF = '${RUBEUS_TOKEN}';

describe.each(ALL_DIALECTS)('JSON endpoint service routes on %s', (dialect) => {
  let database: TestDatabase;
  let producer: JobProducer;
  let app: FastifyInstance;
  let ingress: TestIngress;
  let endpoint: JsonEndpointServer;
  let empresaA: number;
  let keyA: string;
  let keyB: string;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    endpoint = await startJsonEndpoint();
    empresaA = await createEmpresa(database.db, 'Faculdade A');
    const empresaB = await createEmpresa(database.db, 'Faculdade B');
    keyA = await issueApiKey(database.db, empresaA, null, 'a');
    keyB = await issueApiKey(database.db, empresaB, null, 'b');
    const env = { [`ENDPOINT_SECRET_${empresaA}_RUBEUS_TOKEN`]: 'tok-a', RUBEUS_TOKEN: 'not-this-one' };
    const limits = { maxRecords: 5, timeoutMs: 1000, maxResponseBytes: 1024 * 1024 };
    ingress = await startTestIngress(database, { deps: { endpoints: { limits, env } } });
    ({ app, producer } = ingress);
  });

  afterAll(async () => {
    await ingress.close();
    await endpoint.close();
    await database.drop();
  });

  const headers = (key: string, lang?: string) => ({ authorization: `Bearer ${key}`, ...(lang ? { 'accept-language': lang } : {}) });
  const service = (nome: string, overrides: Record<string, unknown> = {}) => ({
    nome,
    urlBase: endpoint.url,
    autenticacao: 'bearer',
    segredo: TOKEN_REF,
    eventos: [{ tipo: 'contato', url: `${endpoint.url}/contatos/${nome}` }],
    ...overrides,
  });
  const create = (body: unknown, key = keyA) =>
    app.inject({ method: 'POST', url: '/v1/endpoints', headers: headers(key), payload: body as object });

  it('creates, lists, shows, updates and deletes a service; the secret stays a reference', async () => {
    const created = await create(service('crud'));
    expect(created.statusCode).toBe(201);
    const body = created.json();
    expect(body).toMatchObject({
      nome: 'crud',
      autenticacao: 'bearer',
      segredo: TOKEN_REF,
      permitirRedePrivada: false,
      ativo: true,
      status: 'nunca_executado',
      statusMotivo: null,
      eventos: [{ tipo: 'contato', status: 'nunca_executado', ultimoRelatorio: null }],
    });
    expect(JSON.stringify(body)).not.toContain('tok-a');
    const list = await app.inject({ url: '/v1/endpoints', headers: headers(keyA) });
    expect(list.json().items.map((s: { nome: string }) => s.nome)).toContain('crud');

    const updated = await app.inject({
      method: 'PUT',
      url: `/v1/endpoints/${body.id}`,
      headers: headers(keyA),
      payload: service('crud-2', {
        autenticacao: 'nenhuma',
        segredo: undefined,
        eventos: [{ tipo: 'evento', url: `${endpoint.url}/eventos` }],
      }),
    });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toMatchObject({ nome: 'crud-2', autenticacao: 'nenhuma', segredo: null, eventos: [{ tipo: 'evento' }] });

    expect((await app.inject({ method: 'DELETE', url: `/v1/endpoints/${body.id}`, headers: headers(keyA) })).statusCode).toBe(204);
    expect((await app.inject({ url: `/v1/endpoints/${body.id}`, headers: headers(keyA) })).statusCode).toBe(404);
  });

  it.each([
    [{ nome: '' }, 'body.nome'],
    [{ autenticacao: 'oauth' }, 'body.autenticacao'],
    [{ eventos: [] }, 'body.eventos'],
    [{ eventos: [{ tipo: 'pedido', url: 'http://x' }] }, 'body.eventos.0.tipo'],
    [{ permitirRedePrivada: true }, 'body.permitirRedePrivada'],
    [{ urlBase: 'ftp://erp.exemplo.com.br' }, 'body.urlBase'],
    [{ segredo: 'tok-em-claro' }, 'body.segredo'],
    [{ segredo: undefined }, 'body.segredo'],
    [{ usuario: 'api' }, 'body.usuario'],
    [{ autenticacao: 'basic' }, 'body.usuario'],
    [{ eventos: [{ tipo: 'contato', url: 'https://outro.exemplo.com/contatos' }] }, 'body.eventos.0.url'],
    [{ eventos: [{ tipo: 'contato', url: 'http://u:p@127.0.0.1/c' }] }, 'body.eventos.0.url'],
    [{ eventos: [{ tipo: 'contato', url: 'http://127.0.0.1/contatos?desde=#ultimaData#' }] }, 'body.eventos.0.url'],
    [
      {
        eventos: [
          { tipo: 'contato', url: 'http://127.0.0.1/a' },
          { tipo: 'contato', url: 'http://127.0.0.1/b' },
        ],
      },
      'body.eventos.1.tipo',
    ],
  ])('answers 400 naming the field for %j', async (change, field) => {
    const body = { ...service('bad'), urlBase: 'http://127.0.0.1', eventos: [{ tipo: 'contato', url: 'http://127.0.0.1/c' }], ...change };
    const response = await create(body);
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'VALIDATION_FAILED', field });
    expect(response.json().error.message).toContain(field);
  });

  it('takes an optional cron, refuses one the scheduler could not read, and lists the schedule to its tenant only', async () => {
    const bad = await create(service('cron-ruim', { cron: '0 25 * * *' }));
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'body.cron' });
    expect(bad.json().error.message).toContain('cron "0 25 * * *" inválido');

    const created = await create(service('com-cron', { cron: ' 0  */6 * * * ' }));
    expect(created.statusCode).toBe(201);
    expect(created.json().cron).toBe('0 */6 * * *');
    const id = created.json().id as number;
    try {
      const schedules = await app.inject({ method: 'GET', url: '/v1/schedules', headers: headers(keyA) });
      expect(schedules.statusCode).toBe(200);
      // Not reconciled by a worker-get yet: pending.
      expect(schedules.json().endpoints).toContainEqual(
        expect.objectContaining({ servicoId: id, nome: 'com-cron', cron: '0 */6 * * *', status: 'pending', nextRunAt: null }),
      );
      const other = await app.inject({ method: 'GET', url: '/v1/schedules', headers: headers(keyB) });
      expect(other.json().endpoints).toEqual([]);
    } finally {
      await app.inject({ method: 'DELETE', url: `/v1/endpoints/${id}`, headers: headers(keyA) });
    }
  });

  it('explains a literal secret in English too', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/endpoints',
      headers: headers(keyA, 'en'),
      payload: service('bad', { segredo: 'abc' }),
    });
    expect(response.json().error.message).toBe(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the message shows the ${NOME} reference syntax
      'field "body.segredo" must be a ${NOME} reference (A-Z, 0-9, _) to a secret the operator sets, never the secret itself',
    );
  });

  it('refuses a service over the contract limit with 409 naming the limit, and a repeated name', async () => {
    const empresa = await createEmpresa(database.db, 'Faculdade Pequena');
    const key = await issueApiKey(database.db, empresa, null, 'p');
    await setServiceLimit(database.db, empresa, 2);
    expect((await create(service('um'), key)).statusCode).toBe(201);
    const repeated = await create(service('um'), key);
    expect(repeated.statusCode).toBe(409);
    expect(repeated.json().error.code).toBe('SERVICE_NAME_TAKEN');
    expect((await create(service('dois'), key)).statusCode).toBe(201);
    const refused = await create(service('tres'), key);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toMatchObject({ code: 'SERVICE_QUOTA_EXCEEDED' });
    expect(refused.json().error.message).toContain('no máximo 2');
    const list = await app.inject({ url: '/v1/endpoints', headers: headers(key) });
    expect(list.json().items).toHaveLength(2);
  });

  it('lets concurrent creates take no more places than the contract has', async () => {
    const empresa = await createEmpresa(database.db, 'Faculdade Concorrida');
    const key = await issueApiKey(database.db, empresa, null, 'c');
    await setServiceLimit(database.db, empresa, 3);
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => create(service(`s${i}`), key)));
    expect(answers.filter((r) => r.statusCode === 201)).toHaveLength(3);
    expect(answers.filter((r) => r.statusCode === 409).every((r) => r.json().error.code === 'SERVICE_QUOTA_EXCEEDED')).toBe(true);
    expect(answers.filter((r) => r.statusCode === 409)).toHaveLength(5);
  });

  it("never shows or touches another tenant's service", async () => {
    const { id } = (await create(service('privado'))).json();
    for (const [method, url] of [
      ['GET', `/v1/endpoints/${id}`],
      ['PUT', `/v1/endpoints/${id}`],
      ['DELETE', `/v1/endpoints/${id}`],
      ['POST', `/v1/endpoints/${id}/validate`],
      ['POST', `/v1/endpoints/${id}/sync`],
    ] as const) {
      const response = await app.inject({ method, url, headers: headers(keyB), ...(method === 'PUT' ? { payload: service('x') } : {}) });
      expect([method, url, response.statusCode]).toEqual([method, url, 404]);
    }
    const list = await app.inject({ url: '/v1/endpoints', headers: headers(keyB) });
    expect(list.json().items).toEqual([]);
    expect((await app.inject({ url: `/v1/endpoints/${id}`, headers: headers(keyA) })).statusCode).toBe(200);
  });

  it('validates each event type: a positive answer, record errors with index and field, and what to do next', async () => {
    endpoint.routes.set('/contatos/validar', { body: [CONTATO_EXEMPLO, { ...contato(2), cep: '123' }], authorization: 'Bearer tok-a' });
    endpoint.routes.set('/eventos/validar', {
      body: [{ codContato: '34985761', data: '2024-01-01 10:00:00' }],
      authorization: 'Bearer tok-a',
    });
    const { id } = (
      await create(
        service('validar', {
          eventos: [
            { tipo: 'contato', url: `${endpoint.url}/contatos/validar` },
            { tipo: 'evento', url: `${endpoint.url}/eventos/validar` },
          ],
        }),
      )
    ).json();
    const validate = (lang?: string) => app.inject({ method: 'POST', url: `/v1/endpoints/${id}/validate`, headers: headers(keyA, lang) });

    // Loopback is refused until an operator allows private networks for this service.
    const refused = (await validate()).json();
    expect(refused.ok).toBe(false);
    expect(refused.eventos[0]).toMatchObject({ tipo: 'contato', ok: false, code: 'OUTBOUND_FORBIDDEN' });
    // The refused range is worded as every outbound-guard refusal words it, never the guard's identifier.
    // The hub's guard refused (not the source), naming the switches that open loopback.
    expect(refused.eventos[0].message).toContain('a proteção de saída do hub recusou o endereço de');
    expect(refused.eventos[0].message).toContain('interno (loopback, a própria máquina), e o sistema de origem nem foi chamado');
    expect(refused.eventos[0].message).toContain('OUTBOUND_ALLOW_LOOPBACK=true nos workers');
    expect((await validate('en')).json().eventos[0].message).toContain(
      'an internal one (loopback), and the source system was not contacted',
    );
    await setPermitirRedePrivada(database.db, empresaA, id, true);

    const result = (await validate()).json();
    expect(result.ok).toBe(false);
    expect(result.eventos[0]).toMatchObject({
      tipo: 'contato',
      ok: false,
      code: 'VALID_WITH_ERRORS',
      recebidos: 2,
      validos: 1,
      invalidos: 1,
    });
    expect(result.eventos[0].erros).toEqual([
      { index: 1, field: 'cep', code: 'FORMAT', message: 'registro 1: o campo "cep" deve seguir o padrão xxxxx-xxx, recebido "123"' },
    ]);
    // The evento's contato is not in the CRM yet (Validate writes nothing).
    expect(result.eventos[1]).toMatchObject({
      tipo: 'evento',
      ok: false,
      erros: [{ index: 0, field: 'codContato', code: 'CONTATO_NOT_FOUND' }],
    });

    endpoint.routes.set('/contatos/validar', { body: [CONTATO_EXEMPLO], authorization: 'Bearer tok-a' });
    const good = (await validate('en')).json();
    expect(good.eventos[0]).toMatchObject({
      ok: true,
      code: 'VALID_OK',
      message: 'the integration works: 1 contato records received, all valid',
    });
    expect(endpoint.requests.filter((r) => r.path === '/contatos/validar').every((r) => r.authorization === 'Bearer tok-a')).toBe(true);
    expect(await database.db.selectFrom('contatos').select('id').execute()).toEqual([]);

    endpoint.routes.set('/contatos/validar', { body: Array.from({ length: 6 }, (_, i) => contato(i)) });
    expect((await validate()).json().eventos[0]).toMatchObject({ ok: false, code: 'TOO_MANY_RECORDS' });
    endpoint.routes.set('/contatos/validar', { body: [], delayMs: 2500 });
    const slow = (await validate()).json().eventos[0];
    expect(slow).toMatchObject({ ok: false, code: 'TIMEOUT' });
    expect(slow.message).toContain('não respondeu em 1 s');
    endpoint.routes.set('/contatos/validar', { body: [], authorization: 'Bearer outro' });
    expect((await validate()).json().eventos[0]).toMatchObject({ ok: false, code: 'HTTP_UNAUTHORIZED' });
    endpoint.routes.set('/contatos/validar', { body: { dados: [] } });
    expect((await validate()).json().eventos[0]).toMatchObject({ ok: false, code: 'NOT_ARRAY' });
  });

  it("drops an operator's private-network allowance when the service's URLs change, and keeps it otherwise", async () => {
    const { id } = (await create(service('mudanca'))).json();
    await setPermitirRedePrivada(database.db, empresaA, id, true);
    const put = (body: unknown) =>
      app.inject({ method: 'PUT', url: `/v1/endpoints/${id}`, headers: headers(keyA), payload: body as object });
    const allowed = async () =>
      (await app.inject({ method: 'GET', url: `/v1/endpoints/${id}`, headers: headers(keyA) })).json().permitirRedePrivada;
    // Same URLs (a new name, deactivated and back): the allowance stands.
    expect((await put(service('mudanca', { ativo: false }))).statusCode).toBe(200);
    expect(await allowed()).toBe(true);
    // Another loopback URL: the tenant cannot carry the allowance (and the service's secret) to it.
    const moved = service('mudanca', { eventos: [{ tipo: 'contato', url: `${endpoint.url}/outro` }] });
    expect((await put(moved)).statusCode).toBe(200);
    expect(await allowed()).toBe(false);
    const validate = await app.inject({ method: 'POST', url: `/v1/endpoints/${id}/validate`, headers: headers(keyA) });
    expect(validate.json().eventos[0]).toMatchObject({ ok: false, code: 'OUTBOUND_FORBIDDEN' });
    // The sync the worker runs (endpoint.sync) is refused the same way, before a byte is sent.
    const syncContext = {
      database,
      limits: { maxRecords: 5, timeoutMs: 1000, maxResponseBytes: 1024 * 1024 },
      env: { [`ENDPOINT_SECRET_${empresaA}_RUBEUS_TOKEN`]: 'tok-a' },
    };
    await expect(syncEndpointService(syncContext, empresaA, id)).rejects.toMatchObject({
      code: 'OUTBOUND_FORBIDDEN',
      permanent: true,
      message: expect.stringContaining('interno (loopback, a própria máquina), e o sistema de origem nem foi chamado'),
    });
    expect(endpoint.requests.some((r) => r.path === '/outro')).toBe(false);
  });

  it('documents the routes in the OpenAPI document', async () => {
    const document = (await app.inject('/openapi.json')).json();
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/v1/endpoints', '/v1/endpoints/{id}', '/v1/endpoints/{id}/validate', '/v1/endpoints/{id}/sync']),
    );
  });

  it('says which environment variable a missing secret needs', async () => {
    const empresa = await createEmpresa(database.db, 'Faculdade Sem Segredo');
    const key = await issueApiKey(database.db, empresa, null, 's');
    const { id } = (await create(service('sem-segredo'), key)).json();
    const result = (await app.inject({ method: 'POST', url: `/v1/endpoints/${id}/validate`, headers: headers(key) })).json();
    expect(result.eventos[0]).toMatchObject({ ok: false, code: 'SECRET_MISSING' });
    expect(result.eventos[0].message).toContain(`ENDPOINT_SECRET_${empresa}_RUBEUS_TOKEN`);
  });

  it('enqueues a sync on the get queue with ids only, and refuses an inactive service', async () => {
    const { id } = (await create(service('sync'))).json();
    const accepted = await app.inject({
      method: 'POST',
      url: `/v1/endpoints/${id}/sync`,
      headers: headers(keyA),
      payload: { tipo: 'contato' },
    });
    expect(accepted.statusCode).toBe(202);
    expect(accepted.json().queue).toBe('get');
    const job = await producer.getJob('get', accepted.json().jobId);
    expect(job?.name).toBe('endpoint.sync');
    // The request id travels beside the payload (the worker logs it); the payload itself holds ids only.
    expect(job?.data).toEqual({
      tenant: { empresaId: empresaA, filialId: null },
      servicoId: id,
      tipo: 'contato',
      trigger: 'api',
      reqId: expect.any(String),
    });
    const bad = await app.inject({ method: 'POST', url: `/v1/endpoints/${id}/sync`, headers: headers(keyA), payload: { tipo: 'pedido' } });
    expect(bad.json().error.field).toBe('body.tipo');

    await app.inject({ method: 'PUT', url: `/v1/endpoints/${id}`, headers: headers(keyA), payload: service('sync', { ativo: false }) });
    const inactive = await app.inject({ method: 'POST', url: `/v1/endpoints/${id}/sync`, headers: headers(keyA) });
    expect(inactive.statusCode).toBe(409);
    expect(inactive.json().error.code).toBe('SERVICE_INACTIVE');
  });
});
