import { purgeHistory } from '@integrador/queue';
import { createEmpresa } from '@integrador/store';
import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { startTestProducer, type TestProducer } from '@integrador/test-support/test-producer';
import { createWebhookEndpoint } from './endpoints.repository';
import { GATILHOS } from './gatilhos';
import { publishChange } from './publish-change';

// Each body of a record is its whole state (a receiver upserts them): what a later gatilho's body carries agrees with
// what an earlier one sent, and a gatilho fires only when the row says what its header says (real databases, Redis).
describe.each(ALL_DIALECTS)('the state a webhook body carries, on %s', (dialect) => {
  let database: TestDatabase;
  let queue: TestProducer;
  let empresaId: number;
  let nextChave = 0;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    queue = await startTestProducer();
    empresaId = await createEmpresa(database.db, 'Estado');
    const endpoint = {
      nome: 'e',
      url: 'https://example.com/hook',
      gatilhos: [...GATILHOS],
      ativo: true,
      cabecalhos: {},
      limitePorSegundo: null,
    };
    await createWebhookEndpoint(database.db, empresaId, endpoint, 'plain:whsec_x');
  });
  afterAll(async () => {
    await queue.close();
    await database.drop();
  });

  const publish = (
    tabela: 'oportunidades' | 'atividades' | 'contatos',
    registroId: number,
    operacao: 'criado' | 'status_alterado' | 'concluido',
    em?: Date,
  ) =>
    publishChange(database.db, queue.producer, {
      empresaId,
      tabela,
      registroId: String(registroId),
      operacao,
      chave: `c-${nextChave++}`,
      ...(em ? { em } : {}),
    });
  const bodyOf = async (gatilho: string, registroId: number) => {
    const row = await database.db
      .selectFrom('webhook_mensagens')
      .select('payload')
      .where('empresa_id', '=', empresaId)
      .where('gatilho', '=', gatilho)
      .where('registro_id', '=', String(registroId))
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    return (JSON.parse(row.payload) as Record<string, unknown>[])[0];
  };

  it("an oportunidade's status change keeps the criacao its creation sent, and the status as seed 004 labels it", async () => {
    await database.db.insertInto('oportunidades').values({ id: 1, empresa_id: empresaId, titulo: 'P', status: 'aberta' }).execute();
    await publish('oportunidades', 1, 'criado', new Date('2026-12-06T11:27:00Z'));
    const criada = await bodyOf('oportunidade.criada', 1);
    expect(criada).toMatchObject({ criacao: '2026-12-06 08:27', ultimaAlteracaoStatus: null, status: 'Aberta' });

    await database.db.updateTable('oportunidades').set({ status: 'ganha' }).where('id', '=', 1).execute();
    await publish('oportunidades', 1, 'status_alterado', new Date('2026-12-06T12:40:00Z'));
    // It was null: a receiver upserting the body wiped the creation date it had stored.
    expect(await bodyOf('oportunidade.status_alterado', 1)).toMatchObject({
      criacao: '2026-12-06 08:27',
      ultimaAlteracaoStatus: '2026-12-06 09:40',
      status: 'Ganha',
    });
  });

  it('a later status change keeps the dates the record last sent; one never created through the hub says null', async () => {
    await publish('oportunidades', 1, 'status_alterado', new Date('2026-12-06T13:00:00Z'));
    expect(await bodyOf('oportunidade.status_alterado', 1)).toMatchObject({
      criacao: '2026-12-06 08:27',
      ultimaAlteracaoStatus: '2026-12-06 10:00',
    });
    await database.db.insertInto('oportunidades').values({ id: 3, empresa_id: empresaId, titulo: 'R', status: 'Perdida' }).execute();
    await publish('oportunidades', 3, 'status_alterado', new Date('2026-12-06T13:00:00Z'));
    expect(await bodyOf('oportunidade.status_alterado', 3)).toMatchObject({ criacao: null, status: 'Perdida' });
  });

  it('operacao "concluido" on a pending atividade fires nothing; on a concluded one it fires atividade.concluida', async () => {
    await database.db.insertInto('atividades').values({ id: 1, empresa_id: empresaId, tipo: 'ligacao', status: 'pendente' }).execute();
    const pending = await publish('atividades', 1, 'concluido');
    expect(pending).toMatchObject({
      gatilho: null,
      entregas: [],
      motivo: { code: 'NOT_CONCLUDED', params: { status: 'pendente', operacao: 'concluido' } },
    });
    await database.db.updateTable('atividades').set({ status: 'concluida' }).where('id', '=', 1).execute();
    const done = await publish('atividades', 1, 'concluido');
    expect(done).toMatchObject({ gatilho: 'atividade.concluida', entregas: [expect.any(Number)] });
    expect(await bodyOf('atividade.concluida', 1)).toMatchObject({ concluido: '1' });
  });

  it("a status change keeps its creation's criacao after the retention purge took that body (it sent null)", async () => {
    await database.db.insertInto('oportunidades').values({ id: 20, empresa_id: empresaId, titulo: 'Antiga', status: 'aberta' }).execute();
    await publish('oportunidades', 20, 'criado', new Date('2026-10-01T12:00:00Z'));
    expect(await bodyOf('oportunidade.criada', 20)).toMatchObject({ criacao: '2026-10-01 09:00' });
    // Its deliveries done: 40 days later the purge (RETENTION_WEBHOOKS_DAYS, 30) takes them and every body of the record.
    await database.db.updateTable('webhook_entregas').set({ status: 'entregue' }).where('empresa_id', '=', empresaId).execute();
    await purgeHistory({
      database,
      redis: queue.redis,
      prefix: `${queue.prefix}-sem-jobs`,
      empresaId,
      retention: { jobsDays: 90, webhooksDays: 30, auditDays: 730, callsDays: 0 },
      now: new Date(Date.now() + 40 * 86_400_000),
    });
    const bodies = () =>
      database.db
        .selectFrom('webhook_mensagens')
        .select('id')
        .where('empresa_id', '=', empresaId)
        .where('registro_id', '=', '20')
        .execute();
    expect(await bodies()).toEqual([]);
    await database.db.updateTable('oportunidades').set({ status: 'perdida' }).where('id', '=', 20).execute();
    await publish('oportunidades', 20, 'status_alterado', new Date('2026-11-20T15:00:00Z'));
    expect(await bodyOf('oportunidade.status_alterado', 20)).toMatchObject({
      criacao: '2026-10-01 09:00',
      ultimaAlteracaoStatus: '2026-11-20 12:00',
      status: 'Perdida',
    });
  });

  it("an oportunidade's criacao is kept even when no endpoint took its creation, and only for its own empresa", async () => {
    const other = await createEmpresa(database.db, 'Outra');
    await database.db.insertInto('oportunidades').values({ id: 21, empresa_id: other, titulo: 'Sem', status: 'aberta' }).execute();
    // The other empresa has no endpoint: nothing is sent, the creation date is kept.
    const created = await publishChange(database.db, queue.producer, {
      empresaId: other,
      tabela: 'oportunidades',
      registroId: '21',
      operacao: 'criado',
      chave: 'outra-21',
      em: new Date('2026-09-02T10:00:00Z'),
    });
    expect(created.motivo?.code).toBe('NO_ENDPOINT');
    const kept = await database.db
      .selectFrom('webhook_registros')
      .select(['empresa_id', 'registro_id', 'criacao'])
      .where('registro_id', '=', '21')
      .execute();
    expect(kept).toEqual([{ empresa_id: other, registro_id: '21', criacao: '2026-09-02 07:00' }]);
    // A date kept for another empresa's record of the same id (a CRM per empresa) is not this empresa's record's.
    await database.db
      .insertInto('webhook_registros')
      .values({ empresa_id: other, tabela: 'oportunidades', registro_id: '22', criacao: '2026-01-01 00:00' })
      .execute();
    await database.db.insertInto('oportunidades').values({ id: 22, empresa_id: empresaId, titulo: 'Nossa', status: 'aberta' }).execute();
    await publish('oportunidades', 22, 'status_alterado', new Date('2026-12-01T12:00:00Z'));
    expect(await bodyOf('oportunidade.status_alterado', 22)).toMatchObject({ criacao: null });
  });

  it("a contato's phones are digits only, as seed 004 writes them", async () => {
    await database.db
      .insertInto('contatos')
      .values({ id: 1, empresa_id: empresaId, nome: 'C', telefone: '(11) 3456-7891', celular: '+55 11 98765-4321' })
      .execute();
    await publish('contatos', 1, 'criado');
    expect(await bodyOf('contato.criado', 1)).toMatchObject({ telefones: { principal: '1134567891', secundarios: ['11987654321'] } });
  });
});
