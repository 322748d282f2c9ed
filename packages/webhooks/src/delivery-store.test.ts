import { createEmpresa } from '@integrador/store';
import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { insertEntregaOnce, insertMensagemOnce, listTentativas, type TentativaRecord } from './deliveries.repository';
import { createDeliveryStore } from './delivery-store';
import { createWebhookEndpoint, findWebhookEndpoint } from './endpoints.repository';

describe.each(ALL_DIALECTS)('delivery store on %s', (dialect) => {
  let database: TestDatabase;
  const tenants: { empresaId: number; endpointId: number; entregaIds: number[] }[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    const { db } = database;
    for (const nome of ['A', 'B']) {
      const empresaId = await createEmpresa(db, nome);
      const endpoint = { nome, url: 'https://example.com/hook', gatilhos: ['contato.criado' as const], ativo: true, cabecalhos: {} };
      const endpointId = await createWebhookEndpoint(db, empresaId, { ...endpoint, limitePorSegundo: null }, 'sealed');
      const entregaIds: number[] = [];
      for (let i = 0; i < 6; i++) {
        const mensagem = await insertMensagemOnce(db, {
          empresaId,
          chave: `${nome}${i}`,
          gatilho: 'contato.criado',
          tabela: 'contatos',
          registroId: String(i),
          webhookId: `msg_${nome}${i}`,
          payload: `{"n":${i}}`,
        });
        entregaIds.push((await insertEntregaOnce(db, empresaId, mensagem.id, endpointId)).id);
      }
      tenants.push({ empresaId, endpointId, entregaIds });
    }
  });
  afterAll(async () => {
    await database.drop();
  });

  const attempt = (empresaId: number, entregaId: number, numero: number): TentativaRecord => ({
    empresaId,
    entregaId,
    numero,
    origem: 'automatica',
    cabecalhos: { 'webhook-id': 'x' },
    statusHttp: 200,
    resposta: 'ok',
    duracaoMs: 5,
    classeErro: null,
    erro: null,
  });

  it('loads concurrent deliveries together, each bound to its own tenant', async () => {
    const store = createDeliveryStore(database.db);
    const [a, b] = tenants as [(typeof tenants)[0], (typeof tenants)[0]];
    const loaded = await Promise.all([
      ...a.entregaIds.slice(0, 3).map((id) => store.load(a.empresaId, id)),
      store.load(b.empresaId, b.entregaIds[0] as number),
      // Another tenant's delivery id is not found.
      store.load(b.empresaId, a.entregaIds[1] as number),
    ]);
    expect(loaded.map((e) => e?.payload)).toEqual(['{"n":0}', '{"n":1}', '{"n":2}', '{"n":0}', undefined]);
    expect(loaded[3]?.webhook_id).toBe('msg_B0');
  });

  it('records concurrent successes (different tenants and attempt numbers) and marks each delivery entregue', async () => {
    const store = createDeliveryStore(database.db);
    const [a, b] = tenants as [(typeof tenants)[0], (typeof tenants)[0]];
    const done = [
      attempt(a.empresaId, a.entregaIds[0] as number, 1),
      attempt(a.empresaId, a.entregaIds[1] as number, 1),
      attempt(a.empresaId, a.entregaIds[2] as number, 3),
      attempt(b.empresaId, b.entregaIds[0] as number, 1),
    ];
    await Promise.all(done.map((t) => store.delivered(t)));
    const rows = await database.db
      .selectFrom('webhook_entregas')
      .select(['id', 'status', 'tentativas', 'ultimo_status_http'])
      .orderBy('id')
      .execute();
    const byId = new Map(rows.map((r) => [Number(r.id), r]));
    for (const t of done) {
      expect(byId.get(t.entregaId)).toMatchObject({ status: 'entregue', tentativas: t.numero, ultimo_status_http: 200 });
      expect((await listTentativas(database.db, t.empresaId, t.entregaId)).map((r) => r.numero)).toEqual([t.numero]);
    }
    expect(byId.get(b.entregaIds[1] as number)?.status).toBe('pendente');
  });

  it('records concurrent failures with each delivery its own state, the clock from the earliest, the endpoint disabled once', async () => {
    const store = createDeliveryStore(database.db);
    const [a, b] = tenants as [(typeof tenants)[0], (typeof tenants)[0]];
    const ids = a.entregaIds.slice(3) as [number, number, number];
    const at = (ms: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, 0, ms));
    const failure = (entregaId: number, numero: number, since: Date | null, motivo: string | null) => ({
      attempt: { ...attempt(a.empresaId, entregaId, numero), statusHttp: 500, resposta: 'down', classeErro: 'server_error' },
      status: motivo ? ('falhou' as const) : ('pendente' as const),
      erro: 'HTTP 500',
      proximaEm: motivo ? null : at(60000 + entregaId),
      endpoint: { empresaId: a.empresaId, id: a.endpointId, since, motivo },
    });
    await Promise.all([
      store.failed(failure(ids[0], 1, at(300), null)),
      store.failed(failure(ids[1], 2, at(100), null)),
      store.failed(failure(ids[2], 4, null, '{"code":"GONE","status":410}')),
    ]);
    const rows = await database.db
      .selectFrom('webhook_entregas')
      .select(['id', 'empresa_id', 'status', 'tentativas', 'ultimo_status_http', 'ultimo_erro', 'proxima_tentativa_em'])
      .execute();
    const byId = new Map(rows.map((r) => [Number(r.id), r]));
    for (const [index, numero] of [1, 2].entries()) {
      const id = ids[index] as number;
      expect(byId.get(id)).toMatchObject({ status: 'pendente', tentativas: numero, ultimo_status_http: 500, ultimo_erro: 'HTTP 500' });
      expect(new Date(byId.get(id)?.proxima_tentativa_em as string | Date).getTime()).toBe(at(60000 + id).getTime());
      expect((await listTentativas(database.db, a.empresaId, id)).map((r) => [r.numero, r.status_http])).toEqual([[numero, 500]]);
    }
    expect(byId.get(ids[2])).toMatchObject({ status: 'falhou', tentativas: 4, proxima_tentativa_em: null });
    const endpoint = await findWebhookEndpoint(database.db, a.empresaId, a.endpointId);
    // The clock starts at the group's earliest failure; the 410 disables the endpoint with its reason.
    expect(endpoint?.primeiraFalhaEm?.getTime()).toBe(at(100).getTime());
    expect(endpoint).toMatchObject({ ativo: false, desativadoMotivo: '{"code":"GONE","status":410}' });
    // Tenant B: its endpoint and deliveries are untouched.
    expect(await findWebhookEndpoint(database.db, b.empresaId, b.endpointId)).toMatchObject({ ativo: true, primeiraFalhaEm: null });
    for (const id of b.entregaIds.slice(1)) expect(byId.get(id)).toMatchObject({ status: 'pendente', tentativas: 0 });
  });

  it("a group whose statement fails is retried item by item: one bad failure fails alone, even another tenant's id", async () => {
    const store = createDeliveryStore(database.db);
    const [a, b] = tenants as [(typeof tenants)[0], (typeof tenants)[0]];
    const clockBefore = (await findWebhookEndpoint(database.db, b.empresaId, b.endpointId))?.primeiraFalhaEm ?? null;
    const failure = (empresaId: number, entregaId: number, endpointId: number, origem = 'automatica') => ({
      attempt: { ...attempt(empresaId, entregaId, 1), statusHttp: 503, origem: origem as 'automatica' },
      status: 'pendente' as const,
      erro: 'HTTP 503',
      proximaEm: new Date(),
      endpoint: { empresaId, id: endpointId, since: new Date(), motivo: null },
    });
    const outcomes = await Promise.allSettled([
      store.failed(failure(b.empresaId, b.entregaIds[3] as number, b.endpointId)),
      // No origem (a NOT NULL column): this one's statement fails.
      store.failed(failure(b.empresaId, b.entregaIds[4] as number, b.endpointId, null as unknown as string)),
      // Tenant B's row under tenant A's id: bound to its tenant, it changes nothing of B's. (Its endpoint's clock runs
      // already: a failure that changes no endpoint row.)
      store.failed({
        ...failure(a.empresaId, b.entregaIds[5] as number, a.endpointId),
        endpoint: { empresaId: a.empresaId, id: a.endpointId, since: null, motivo: null },
      }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const row = (id: number) =>
      database.db.selectFrom('webhook_entregas').select(['status', 'tentativas']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(await row(b.entregaIds[3] as number)).toMatchObject({ tentativas: 1 });
    expect(await row(b.entregaIds[4] as number)).toMatchObject({ tentativas: 0 });
    expect(await row(b.entregaIds[5] as number)).toMatchObject({ status: 'pendente', tentativas: 0 });
    expect(clockBefore).toBeNull();
    expect((await findWebhookEndpoint(database.db, b.empresaId, b.endpointId))?.primeiraFalhaEm).not.toBeNull();
  });
});
