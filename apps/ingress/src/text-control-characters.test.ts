import { createEmpresa, issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import type { FastifyInstance } from 'fastify';
import { startTestIngress, type TestIngress } from '../../../test/support/test-ingress';

type Method = 'POST' | 'PUT' | 'PATCH' | 'GET';

const hook = { nome: 'ERP', url: 'https://erp.exemplo.com.br/hook', gatilhos: ['contato.criado'] };
const servico = {
  nome: 'Rubeus',
  urlBase: 'https://api.exemplo.com.br',
  autenticacao: 'nenhuma',
  eventos: [{ tipo: 'contato', url: 'https://api.exemplo.com.br/contatos' }],
};
/** Another service: one that would be created but for the character (not a 409 for Rubeus's name). */
const outro = { ...servico, nome: 'Outro' };
/** A secret reference as the API takes it: `${NAME}`. */
const ref = (name: string) => ['$', '{', name, '}'].join('');

// Red-team round 2 #5: a NUL in a free-text field (a webhook's nome or url, an endpoint's nome) reached PostgreSQL,
// which refuses it in text: a 500. Every free-text field of the API now refuses control characters with 400
// CONTROL_CHARACTER naming the field, as parametros do.
describe('free-text fields refuse control characters (PostgreSQL CRM)', () => {
  let database: TestDatabase;
  let ingress: TestIngress;
  let app: FastifyInstance;
  let key: string;
  let webhookId: number;
  let servicoId: number;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    key = await issueApiKey(database.db, await createEmpresa(database.db, 'A'), null, 'a');
    ingress = await startTestIngress(database);
    app = ingress.app;
    const created = await call('POST', '/v1/webhooks', hook);
    expect(created.statusCode).toBe(201);
    webhookId = created.json().id;
    const servicoCreated = await call('POST', '/v1/endpoints', servico);
    expect(servicoCreated.statusCode).toBe(201);
    servicoId = servicoCreated.json().id;
  });

  afterAll(async () => {
    await ingress.close();
    await database.drop();
  });

  function call(method: Method, url: string, payload?: object, language = 'pt-BR') {
    return app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${key}`, 'accept-language': language },
      ...(payload ? { payload } : {}),
    });
  }

  const cases: [string, Method, () => string, object | undefined, string][] = [
    ['webhook nome on POST', 'POST', () => '/v1/webhooks', { ...hook, nome: 'a\u0000' }, 'body.nome'],
    ['webhook url on POST', 'POST', () => '/v1/webhooks', { ...hook, url: 'https://erp.exemplo.com.br/h\u0000' }, 'body.url'],
    [
      'webhook header value on POST',
      'POST',
      () => '/v1/webhooks',
      { ...hook, cabecalhos: { 'X-Token': 'a\u0000' } },
      'body.cabecalhos.X-Token',
    ],
    ['webhook nome on PUT', 'PUT', () => `/v1/webhooks/${webhookId}`, { ...hook, nome: 'c\u0000' }, 'body.nome'],
    ['webhook nome on PATCH', 'PATCH', () => `/v1/webhooks/${webhookId}`, { nome: 'b\u0000' }, 'body.nome'],
    ['webhook url on PATCH', 'PATCH', () => `/v1/webhooks/${webhookId}`, { url: 'https://erp.exemplo.com.br/\u007f' }, 'body.url'],
    ['endpoint nome on POST', 'POST', () => '/v1/endpoints', { ...servico, nome: 'e\u0000' }, 'body.nome'],
    ['endpoint nome on PUT', 'PUT', () => `/v1/endpoints/${servicoId}`, { ...servico, nome: 'e\u0000' }, 'body.nome'],
    ['endpoint urlBase', 'POST', () => '/v1/endpoints', { ...outro, urlBase: 'https://api.exemplo.com.br\u0000' }, 'body.urlBase'],
    [
      'endpoint event url',
      'POST',
      () => '/v1/endpoints',
      { ...outro, eventos: [{ tipo: 'contato', url: 'https://api.exemplo.com.br/c\u0000' }] },
      'body.eventos.0.url',
    ],
    ['endpoint cron', 'POST', () => '/v1/endpoints', { ...outro, cron: '0 * * * *\u0000' }, 'body.cron'],
    [
      'endpoint usuario',
      'POST',
      () => '/v1/endpoints',
      { ...outro, autenticacao: 'basic', usuario: 'u\u0000', segredo: ref('A') },
      'body.usuario',
    ],
    ['endpoint segredo', 'POST', () => '/v1/endpoints', { ...outro, autenticacao: 'bearer', segredo: ref('A\u0000') }, 'body.segredo'],
    ['ping note (a C1 control)', 'POST', () => '/v1/ping', { queue: 'get', note: 'n\u0085' }, 'body.note'],
    [
      'crm-change chaveIdempotencia',
      'POST',
      () => '/v1/events/crm-change',
      { tabela: 'contatos', id: 1, chaveIdempotencia: 'k\u0000' },
      'body.chaveIdempotencia',
    ],
    ['connection name', 'POST', () => '/v1/connections/erp%00/test', undefined, 'params.name'],
    ['webhook nome with a line break', 'POST', () => '/v1/webhooks', { ...hook, nome: 'a\nb' }, 'body.nome'],
  ];

  it.each(cases)('%s → 400 CONTROL_CHARACTER naming the field', async (_label, method, url, payload, field) => {
    const res = await call(method, url(), payload);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toEqual({
      code: 'CONTROL_CHARACTER',
      field,
      message: `campo "${field}" inválido: contém um caractere de controle (NUL, U+0001–U+001F, tabulação e quebras de linha incluídas, ou U+007F–U+009F); envie o texto sem ele`,
    });
  });

  it('answers in English when asked', async () => {
    const res = await call('POST', '/v1/webhooks', { ...hook, nome: 'a\u0000' }, 'en');
    expect(res.json().error.message).toBe(
      'invalid field "body.nome": it holds a control character (NUL, U+0001–U+001F, tab and line breaks included, or U+007F–U+009F); send the text without it',
    );
  });

  it('the screen-pop stream refuses a token holding a NUL (no stream opened)', async () => {
    const res = await app.inject({ method: 'GET', url: '/cti/pop?token=a%00' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('CONTROL_CHARACTER');
  });

  it('stored nothing refused and kept what was valid: accents and symbols are text, not control characters', async () => {
    const renamed = await call('PATCH', `/v1/webhooks/${webhookId}`, { nome: 'ERP — São Paulo ✓' });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json().nome).toBe('ERP — São Paulo ✓');
    const names = await database.db.selectFrom('webhook_endpoints').select('nome').execute();
    expect(names.map((n) => n.nome)).toEqual(['ERP — São Paulo ✓']);
  });
});
