import { createEmpresa, issueApiKey, timestampValue } from '@integrador/store';
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
      rotacaoAte: null,
      criadoEm: expect.any(String),
      segredo: expect.stringMatching(/^whsec_/),
    });
  });

  it('shows and lists the endpoint as the engine presents it, every field filled', async () => {
    const rotated = await app.inject({ method: 'POST', url: `/v1/webhooks/${endpointId}/rotate-secret`, headers: headers() });
    expect(rotated.statusCode).toBe(200);
    expect(Object.keys(rotated.json()).sort()).toEqual(['anteriorValidoAte', 'segredo']);
    await database.db
      .updateTable('webhook_endpoints')
      .set({
        ativo: 0,
        primeira_falha_em: at('2026-03-01T10:00:00Z'),
        desativado_motivo: JSON.stringify({ code: 'FAILING_TOO_LONG', since: '2026-03-01T10:00:00Z' }),
      })
      .where('id', '=', endpointId)
      .execute();
    const expected = asJson(presentEndpoint(await requireEndpoint(database.db, empresaA, endpointId), 'pt-BR'));
    expect(Object.values(expected as object)).not.toContain(null);
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

    const expectedDeliveries = asJson(await listEntregas(database.db, empresaA, endpointId)) as object[];
    expect(expectedDeliveries).toHaveLength(1);
    expect(Object.values(expectedDeliveries[0] as object)).not.toContain(null);
    const deliveries = await app.inject({ method: 'GET', url: `/v1/webhooks/${endpointId}/deliveries`, headers: headers() });
    expect(deliveries.json()).toEqual({ items: expectedDeliveries });

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

  it('answers the engine refusals and a missing id with the error body', async () => {
    const refused = await app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: headers(),
      payload: { nome: 'x', url: 'https://erp.exemplo.com.br/hook/{id}', gatilhos: ['contato.criado'] },
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toEqual({ error: { code: 'WEBHOOK_URL_PLACEHOLDER', message: expect.any(String) } });
    const gone = await app.inject({ method: 'DELETE', url: '/v1/webhooks/2147483647', headers: headers() });
    expect(gone.statusCode).toBe(404);
    expect(gone.json().error.code).toBe('WEBHOOK_NOT_FOUND');
  });
});
