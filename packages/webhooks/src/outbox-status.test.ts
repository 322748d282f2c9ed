import { createEmpresa, migrateTo, migrateToLatest } from '@integrador/store';
import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { startTestProducer, type TestProducer } from '@integrador/test-support/test-producer';
import { installCaptureTriggers } from './capture-triggers';
import { createWebhookEndpoint } from './endpoints.repository';
import { drainOutbox } from './outbox-drain';
import { dateTimeText } from './payload-format';

// The capture triggers keep the status each change set (migration 018), and the drain decides from it: what the
// receivers get does not depend on when the outbox is drained (real databases and Redis; the drain as worker-webhook
// runs it).
describe.each(ALL_DIALECTS)('capture outbox with the status each change set, on %s', (dialect) => {
  let database: TestDatabase;
  let producer: TestProducer;
  let empresaId: number;
  let nextId = 100;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    producer = await startTestProducer();
    empresaId = await createEmpresa(database.db, 'Captura');
    const gatilhos = ['atividade.concluida' as const, 'oportunidade.status_alterado' as const];
    const endpoint = { nome: 'e', url: 'https://example.com/hook', gatilhos, ativo: true, cabecalhos: {}, limitePorSegundo: null };
    await createWebhookEndpoint(database.db, empresaId, endpoint, 'plain:whsec_x');
    await installCaptureTriggers(database);
  });
  afterAll(async () => {
    await producer.close();
    await database.drop();
  });

  /** Drains the whole outbox; answers the messages published for the row, oldest first, with their payload's status. */
  async function drained(tabela: string, id: number) {
    while ((await drainOutbox(database.db, producer.producer)) > 0);
    const rows = await database.db
      .selectFrom('webhook_mensagens')
      .select(['gatilho', 'payload'])
      .where('empresa_id', '=', empresaId)
      .where('tabela', '=', tabela)
      .where('registro_id', '=', String(id))
      .orderBy('id')
      .execute();
    return rows.map((r) => {
      const [payload] = JSON.parse(r.payload) as Array<{ status?: string; concluido?: string }>;
      return `${r.gatilho} ${payload?.status ?? payload?.concluido}`;
    });
  }

  const atividade = async (statuses: string[]) => {
    const id = nextId++;
    const [first, ...rest] = statuses;
    await database.db.insertInto('atividades').values({ id, empresa_id: empresaId, tipo: 'ligacao', status: first }).execute();
    for (const status of rest) await database.db.updateTable('atividades').set({ status }).where('id', '=', id).execute();
    return id;
  };

  it('an atividade concluded then reopened before the drain: one atividade.concluida, its payload concluded', async () => {
    const id = await atividade(['aberta', 'concluida', 'aberta']);
    expect(await drained('atividades', id)).toEqual(['atividade.concluida 1']);
  });

  it('an atividade moved x → y → concluída before the drain: one atividade.concluida', async () => {
    const id = await atividade(['aberta', 'em andamento', 'concluida']);
    expect(await drained('atividades', id)).toEqual(['atividade.concluida 1']);
  });

  it("an oportunidade's two status changes before the drain: each payload with the status it set", async () => {
    const id = nextId++;
    await database.db.insertInto('oportunidades').values({ id, empresa_id: empresaId, titulo: 'M', status: 'Aberta' }).execute();
    for (const status of ['Em negociação', 'Ganha']) {
      await database.db.updateTable('oportunidades').set({ status }).where('id', '=', id).execute();
    }
    expect(await drained('oportunidades', id)).toEqual([
      'oportunidade.status_alterado Em negociação',
      'oportunidade.status_alterado Ganha',
    ]);
  });

  it("an oportunidade's status change: ultimaAlteracaoStatus is the change's time when dados has none", async () => {
    const id = nextId++;
    const before = Date.now();
    await database.db.insertInto('oportunidades').values({ id, empresa_id: empresaId, titulo: 'T', status: 'Aberta' }).execute();
    await database.db.updateTable('oportunidades').set({ status: 'Ganha' }).where('id', '=', id).execute();
    const after = Date.now();
    expect(await drained('oportunidades', id)).toEqual(['oportunidade.status_alterado Ganha']);
    const { payload } = await database.db
      .selectFrom('webhook_mensagens')
      .select('payload')
      .where('empresa_id', '=', empresaId)
      .where('registro_id', '=', String(id))
      .executeTakeFirstOrThrow();
    const [sent] = JSON.parse(payload) as Array<{ ultimaAlteracaoStatus: string | null }>;
    // São Paulo wall-clock minutes around the update (the outbox row's time, whatever the dialect stores).
    const [from, to] = [dateTimeText(new Date(before - 60_000)) ?? '', dateTimeText(new Date(after + 60_000)) ?? ''];
    const stamp = sent?.ultimaAlteracaoStatus ?? '';
    expect(stamp).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
    expect([stamp >= from, stamp <= to]).toEqual([true, true]);
  });

  it('migration 018 rewrites installed triggers both ways; a row the older triggers wrote reads the row as before', async () => {
    const outbox = () => database.db.selectFrom('webhook_outbox').selectAll().orderBy('id').execute();
    // Down: the installed triggers go back to the older form before the column is dropped (SQLite refuses otherwise),
    // and they keep capturing.
    await migrateTo(database, '017-webhook-recuperacao');
    const id = await atividade(['aberta', 'concluida']);
    const older = await outbox();
    expect(older.map((r) => r.operacao)).toEqual(['criado', 'status_alterado']);
    expect(older[0]).not.toHaveProperty('status');
    // Up: the column comes back and the installed triggers fill it, with no reinstall.
    await migrateToLatest(database);
    await database.db.updateTable('atividades').set({ status: null }).where('id', '=', id).execute();
    expect((await outbox()).map((r) => [r.operacao, r.status])).toEqual([
      ['criado', null],
      ['status_alterado', null],
      ['status_alterado', ''],
    ]);
    // The older trigger's row carries no status: decided from the row as it is when drained (concluded by then), as
    // before this migration; the NULL the newer one captured is no conclusion; the last change is one.
    await database.db.updateTable('atividades').set({ status: 'concluida' }).where('id', '=', id).execute();
    expect(await drained('atividades', id)).toEqual(['atividade.concluida 1', 'atividade.concluida 1']);
    // Migrations take the server-wide migration lock (GET_LOCK on MySQL/MariaDB), which other suites' migrations hold
    // for a while on a shared server.
  }, 180_000);
});
