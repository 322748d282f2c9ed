import { createEmpresa } from '@integrador/store';
import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { insertEntregaOnce, insertMensagemOnce, listTentativas, type TentativaRecord } from './deliveries.repository';
import { createDeliveryStore } from './delivery-store';
import { createWebhookEndpoint } from './endpoints.repository';

describe.each(ALL_DIALECTS)('delivery store on %s', (dialect) => {
  let database: TestDatabase;
  const tenants: { empresaId: number; entregaIds: number[] }[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    const { db } = database;
    for (const nome of ['A', 'B']) {
      const empresaId = await createEmpresa(db, nome);
      const endpoint = { nome, url: 'https://example.com/hook', gatilhos: ['contato.criado' as const], ativo: true, cabecalhos: {} };
      const endpointId = await createWebhookEndpoint(db, empresaId, { ...endpoint, limitePorSegundo: null }, 'sealed');
      const entregaIds: number[] = [];
      for (let i = 0; i < 3; i++) {
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
      tenants.push({ empresaId, entregaIds });
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
      ...a.entregaIds.map((id) => store.load(a.empresaId, id)),
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
});
