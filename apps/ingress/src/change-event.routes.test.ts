import { requestFingerprint } from '@integrador/queue';
import { createEmpresa, issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import type { FastifyInstance } from 'fastify';
import { startTestIngress, type TestIngress } from '../../../test/support/test-ingress';

// POST /v1/events/crm-change from the CRM developer's side: a typo is refused naming what is accepted, and an event
// that sends no webhook says why (motivo) instead of a bare 202.
describe('crm-change answers', () => {
  let database: TestDatabase;
  let ingress: TestIngress;
  let app: FastifyInstance;
  let empresaA: number;
  let keyA: string;
  let keyB: string;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    const { db } = database;
    empresaA = await createEmpresa(db, 'Faculdade A');
    keyA = await issueApiKey(db, empresaA, null, 'a');
    keyB = await issueApiKey(db, await createEmpresa(db, 'Faculdade B'), null, 'b');
    // A's SET integration on pedidos (inactive: its table is still one the CRM may report).
    await db
      .insertInto('integracao')
      .values({ empresa_id: empresaA, nome: 'SET-PEDIDOS', tipo_servico: 'SET', tabela: 'pedidos', ativo: 0 } as never)
      .execute();
    await db.insertInto('contatos').values({ id: 1, empresa_id: empresaA, nome: 'Ana' }).execute();
    await db.insertInto('oportunidades').values({ id: 1, empresa_id: empresaA, titulo: 'Matrícula', status: 'aberta' }).execute();
    await db.insertInto('atividades').values({ id: 1, empresa_id: empresaA, tipo: 'ligacao', status: 'aberta' }).execute();
    ingress = await startTestIngress(database);
    app = ingress.app;
  });

  afterAll(async () => {
    await ingress.close();
    await database.drop();
  });

  const post = (payload: Record<string, unknown>, options: { key?: string; lang?: string; url?: string } = {}) =>
    app.inject({
      method: 'POST',
      url: options.url ?? '/v1/events/crm-change',
      headers: { authorization: `Bearer ${options.key ?? keyA}`, ...(options.lang ? { 'accept-language': options.lang } : {}) },
      payload,
    });

  it('names the allowed operacoes (and /v1/ping its queues) when a value is not one of them, in pt-BR and English', async () => {
    const pt = await post({ tabela: 'contatos', id: 1, operacao: 'insert' });
    expect(pt.statusCode).toBe(400);
    expect(pt.json().error).toEqual({
      code: 'VALIDATION_FAILED',
      field: 'body.operacao',
      message: 'campo "body.operacao" deve ser um destes valores: "criado", "alterado", "status_alterado", "concluido"',
    });
    const en = await post({ tabela: 'contatos', id: 1, operacao: 'insert' }, { lang: 'en' });
    expect(en.json().error.message).toBe('field "body.operacao" must be one of: "criado", "alterado", "status_alterado", "concluido"');
    const ping = await post({ queue: 'foo' }, { url: '/v1/ping' });
    expect(ping.statusCode).toBe(400);
    expect(ping.json().error.message).toMatch(/^campo "body.queue" deve ser um destes valores: "set", "get", /);
  });

  it('refuses a chaveIdempotencia with a control character (400, not a 500 from the claim insert)', async () => {
    const nul = await post({ tabela: 'contatos', id: 1, chaveIdempotencia: 'k\u0000x' });
    expect(nul.statusCode).toBe(400);
    expect(nul.json().error.code).toBe('CONTROL_CHARACTER');
    expect(nul.json().error.field).toBe('body.chaveIdempotencia');
  });

  it('refuses a table nothing uses (a typo) with 400 naming the accepted tables, and claims nothing', async () => {
    const typo = await post({ tabela: 'contato', id: 1, operacao: 'criado', chaveIdempotencia: 'typo-1' });
    expect(typo.statusCode).toBe(400);
    expect(typo.json().error).toEqual({
      code: 'CHANGE_TABLE_INVALID',
      message:
        'tabela desconhecida: "contato"; nenhum gatilho de webhook nem integração da empresa usa essa tabela. Tabelas aceitas: contatos, oportunidades, atividades, eventos, pedidos',
    });
    const en = await post({ tabela: 'naoexiste', id: 1 }, { lang: 'en' });
    expect(en.json().error.message).toMatch(
      /^unknown table: "naoexiste"; .* Accepted tables: contatos, oportunidades, atividades, eventos, pedidos$/,
    );
    expect(await database.db.selectFrom('crm_mudancas').select('chave').where('chave', '=', 'typo-1').execute()).toEqual([]);
    // A SET integration's table is known: no webhook for it (null), no error.
    const pedidos = await post({ tabela: 'pedidos', id: 1 });
    expect(pedidos.statusCode).toBe(202);
    expect(pedidos.json()).toMatchObject({ jobs: [], webhooks: null });
  });

  it("does not accept another tenant's SET table", async () => {
    const foreign = await post({ tabela: 'pedidos', id: 1 }, { key: keyB });
    expect(foreign.statusCode).toBe(400);
    expect(foreign.json().error.message).toMatch(/Tabelas aceitas: contatos, oportunidades, atividades, eventos$/);
  });

  it('answers a repeated key with its stored answer even once its table is unknown; a new key on it is the 400', async () => {
    const { db } = database;
    await db
      .insertInto('integracao')
      .values({ empresa_id: empresaA, nome: 'SET-MATRICULAS', tipo_servico: 'SET', tabela: 'matriculas', ativo: 0 } as never)
      .execute();
    const first = await post({ tabela: 'matriculas', id: 7, chaveIdempotencia: 'retry-1' });
    expect(first.statusCode).toBe(202);
    // The integration is deleted between the CRM's call and its retry (the first answer was lost on the way back).
    await db.deleteFrom('integracao').where('nome', '=', 'SET-MATRICULAS').execute();
    const retry = await post({ tabela: 'matriculas', id: 7, chaveIdempotencia: 'retry-1' });
    expect(retry.statusCode).toBe(202);
    expect(retry.json()).toEqual({ ...first.json(), deduplicated: true });
    expect((await post({ tabela: 'matriculas', id: 7, chaveIdempotencia: 'retry-2' })).json().error.code).toBe('CHANGE_TABLE_INVALID');
    // Another tenant's same key is not A's answer: B never reported it, and matriculas is no table of B's.
    const b = await post({ tabela: 'matriculas', id: 7, chaveIdempotencia: 'retry-1' }, { key: keyB });
    expect(b.statusCode).toBe(400);
    expect(b.json().error.code).toBe('CHANGE_TABLE_INVALID');
  });

  it('answers 409 CHANGE_IN_PROGRESS (retry later) to a replay while the first attempt still runs, by body key or header', async () => {
    // The first attempt's claim, its answer not written yet (as while it runs its SET integrations).
    await database.db
      .insertInto('crm_mudancas')
      .values({ empresa_id: empresaA, chave: 'k-inflight', tabela: 'contatos', registro_id: '1', operacao: 'alterado' })
      .execute();
    const byBody = await post({ tabela: 'contatos', id: 1, chaveIdempotencia: 'k-inflight' });
    expect(byBody.statusCode).toBe(409);
    expect(byBody.headers['retry-after']).toBe('5');
    expect(byBody.json().error).toMatchObject({
      code: 'CHANGE_IN_PROGRESS',
      message: expect.stringMatching(/ainda está sendo processado/),
    });
    const byHeader = await app.inject({
      method: 'POST',
      url: '/v1/events/crm-change',
      headers: { authorization: `Bearer ${keyA}`, 'idempotency-key': 'k-inflight', 'accept-language': 'en' },
      payload: { tabela: 'contatos', id: 1 },
    });
    expect(byHeader.statusCode).toBe(409);
    expect(byHeader.json().error.message).toMatch(/^the event with this idempotency key is still being processed/);
    // Another tenant's same key is its own: not in progress.
    expect((await post({ tabela: 'contatos', id: 1, chaveIdempotencia: 'k-inflight' }, { key: keyB })).statusCode).toBe(202);
  });

  it('refuses an event of a webhook table with neither id nor parametros (a typo such as "ID"): 400, worded', async () => {
    const typo = await post({ tabela: 'contatos', operacao: 'alterado' });
    expect(typo.statusCode).toBe(400);
    expect(typo.json().error).toEqual({
      code: 'CHANGE_ID_REQUIRED',
      message:
        'falta o campo "id" (a linha de contatos que mudou): sem ele nenhum webhook é enviado e nenhuma integração tem parâmetros. Envie "id" com o id da linha (em minúsculas), ou "parametros" para só disparar as integrações SET',
    });
  });

  it('runs an event without id when a SET integration of the tabela needs no parameter; {} is no parametros (rev9b M3)', async () => {
    const { db } = database;
    const empresa = await createEmpresa(db, 'Faculdade C');
    const key = await issueApiKey(db, empresa, null, 'c');
    // Seed 001 allows PARAMETROS_OBRIGATORIOS null: this one runs on {tabela} alone; the contatos one needs its row.
    await db
      .insertInto('integracao')
      .values([
        { empresa_id: empresa, nome: 'SET-OPORTUNIDADES', tipo_servico: 'SET', tabela: 'oportunidades' },
        { empresa_id: empresa, nome: 'SET-CONTATOS', tipo_servico: 'SET', tabela: 'contatos', parametros_obrigatorios: 'contatoId' },
      ] as never)
      .execute();
    const [semParametros, vazio] = [
      await post({ tabela: 'oportunidades' }, { key }),
      await post({ tabela: 'oportunidades', parametros: {} }, { key }),
    ];
    expect([semParametros.statusCode, vazio.statusCode]).toEqual([202, 202]);
    expect(semParametros.json()).toMatchObject({ jobs: [{ integracaoId: expect.any(Number) }], webhooks: null });
    // The event needs its id when no SET integration would run without it: omitted or {} parametros alike.
    for (const payload of [{ tabela: 'contatos' }, { tabela: 'contatos', parametros: {} }]) {
      const refused = await post(payload, { key });
      expect({ payload, status: refused.statusCode, code: refused.json().error?.code }).toEqual({
        payload,
        status: 400,
        code: 'CHANGE_ID_REQUIRED',
      });
    }
    expect((await post({ tabela: 'contatos', parametros: { contatoId: 1 } }, { key })).statusCode).toBe(202);
  });

  it('says why nothing was sent: no such row, an operacao that fires no gatilho (naming those that do), no endpoint', async () => {
    const noRow = await post({ tabela: 'contatos', id: 999 });
    expect(noRow.statusCode).toBe(202);
    expect(noRow.json().webhooks).toEqual({
      gatilho: 'contato.alterado',
      entregas: [],
      via: 'route',
      motivo: { code: 'NO_ROW', message: 'nenhum webhook enviado: a linha contatos #999 não existe nesta empresa' },
    });
    const noGatilho = await post({ tabela: 'oportunidades', id: 1 });
    expect(noGatilho.json().webhooks).toEqual({
      gatilho: null,
      entregas: [],
      via: 'route',
      motivo: {
        code: 'NO_GATILHO',
        message:
          'nenhum webhook enviado: a operação "alterado" em oportunidades não dispara gatilho; disparam: criado → oportunidade.criada, status_alterado → oportunidade.status_alterado',
      },
    });
    const notConcluded = await post({ tabela: 'atividades', id: 1, operacao: 'status_alterado' }, { lang: 'en' });
    expect(notConcluded.json().webhooks.motivo).toEqual({
      code: 'NOT_CONCLUDED',
      message:
        'no webhook sent: the current status of atividade #1 ("aberta") is not concluded; "status_alterado" fires atividade.concluida only once the atividade is concluded in the CRM: save the concluded status before sending the event',
    });
    // `concluido` is checked the same way: no atividade.concluida for a pending atividade (its body would say "0").
    const concluidoPending = await post({ tabela: 'atividades', id: 1, operacao: 'concluido' });
    expect(concluidoPending.json().webhooks).toMatchObject({ gatilho: null, entregas: [], motivo: { code: 'NOT_CONCLUDED' } });
    const noEndpoint = await post({ tabela: 'contatos', id: 1 }, { lang: 'en' });
    expect(noEndpoint.json().webhooks.motivo).toEqual({
      code: 'NO_ENDPOINT',
      message: 'no webhook sent: no webhook of the empresa subscribes to gatilho contato.alterado',
    });
  });

  it('sends and says nothing more once an endpoint subscribes; a repeat answers the reason in the reader’s language', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: { authorization: `Bearer ${keyA}` },
      payload: { nome: 'ERP', url: 'https://erp.exemplo.com.br/hook', gatilhos: ['contato.alterado'] },
    });
    expect(created.statusCode).toBe(201);
    const sent = await post({ tabela: 'contatos', id: 1 });
    expect(sent.json().webhooks).toEqual({ gatilho: 'contato.alterado', entregas: [expect.any(Number)], via: 'route' });
    const first = await post({ tabela: 'contatos', id: 998, chaveIdempotencia: 'gone-1' });
    expect(first.json().webhooks.motivo.code).toBe('NO_ROW');
    const repeat = await post({ tabela: 'contatos', id: 998, chaveIdempotencia: 'gone-1' }, { lang: 'en' });
    expect(repeat.json()).toMatchObject({
      deduplicated: true,
      webhooks: { motivo: { code: 'NO_ROW', message: 'no webhook sent: row contatos #998 does not exist in this empresa' } },
    });
  });

  it("answers no row for A's row id with B's key, and sends nothing to A's endpoint", async () => {
    const b = await post({ tabela: 'contatos', id: 1 }, { key: keyB });
    expect(b.statusCode).toBe(202);
    expect(b.json().webhooks).toMatchObject({ entregas: [], motivo: { code: 'NO_ROW' } });
  });

  const postKeyed = (key: string, payload: Record<string, unknown>) =>
    app.inject({
      method: 'POST',
      url: '/v1/events/crm-change',
      headers: { authorization: `Bearer ${keyA}`, 'idempotency-key': key },
      payload,
    });

  it('binds an Idempotency-Key header to the body chave too: another chave under it is a 422, not the first event answered', async () => {
    const first = await postKeyed('hk-1', { tabela: 'contatos', id: 1, chaveIdempotencia: 'c1-hk-1' });
    expect([first.statusCode, first.json().deduplicated]).toEqual([202, false]);
    // A second edit of the same row (its own chave) under the same header: refused, not dropped with the first's answer.
    const other = await postKeyed('hk-1', { tabela: 'contatos', id: 1, chaveIdempotencia: 'c2-hk-1' });
    expect([other.statusCode, other.json().error?.code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);
    const claims = await database.db.selectFrom('crm_mudancas').select('chave').where('chave', 'like', 'c%-hk-1').execute();
    expect(claims.map((row) => row.chave)).toEqual(['c1-hk-1']);
    const replay = await postKeyed('hk-1', { tabela: 'contatos', id: 1, chaveIdempotencia: 'c1-hk-1' });
    expect([replay.statusCode, replay.headers['idempotent-replayed'], replay.json().chaveIdempotencia]).toEqual([202, 'true', 'c1-hk-1']);
    // A body without a chave is the event its header names: the same as a body naming the header as its chave.
    expect((await postKeyed('hk-2', { tabela: 'contatos', id: 1 })).statusCode).toBe(202);
    const same = await postKeyed('hk-2', { tabela: 'contatos', id: 1, chaveIdempotencia: 'hk-2' });
    expect([same.statusCode, same.json().chaveIdempotencia]).toEqual([202, 'hk-2']);
  });

  it('takes an empty parametros as none: the same event under one chave, also for a claim bound before', async () => {
    const bare = await post({ tabela: 'contatos', id: 1, chaveIdempotencia: 'p-empty-1' });
    expect([bare.statusCode, bare.json().deduplicated]).toEqual([202, false]);
    const empty = await post({ tabela: 'contatos', id: 1, chaveIdempotencia: 'p-empty-1', parametros: {} });
    expect([empty.statusCode, empty.json().deduplicated]).toEqual([202, true]);
    expect((await post({ tabela: 'contatos', id: 1, chaveIdempotencia: 'p-empty-1', parametros: { x: '1' } })).statusCode).toBe(422);
    // A claim an earlier version bound to `parametros: {}` (its fingerprint kept the empty object): both spellings retry it.
    const earlier = requestFingerprint({
      method: 'POST',
      route: '/v1/events/crm-change',
      body: { tabela: 'contatos', id: '1', operacao: 'alterado', parametros: {} },
    });
    await post({ tabela: 'contatos', id: 1, chaveIdempotencia: 'p-empty-2', parametros: {} });
    await database.db.updateTable('crm_mudancas').set({ impressao: earlier }).where('chave', '=', 'p-empty-2').execute();
    for (const parametros of [{}, undefined]) {
      const retry = await post({ tabela: 'contatos', id: 1, chaveIdempotencia: 'p-empty-2', ...(parametros ? { parametros } : {}) });
      expect([retry.statusCode, retry.json().deduplicated]).toEqual([202, true]);
    }
  });
});
