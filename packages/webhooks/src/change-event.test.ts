import { createEmpresa, timestampValue } from '@integrador/store';
import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs } from 'kysely';
import { CHANGE_CLAIM_STALE_MS, type ChangeEventDeps, receiveChangeEvent } from './change-event';

/** Counts the statements a Kysely instance runs (a plugin sees each one on its way to the database). */
class StatementCounter implements KyselyPlugin {
  count = 0;
  transformQuery(args: PluginTransformQueryArgs) {
    this.count += 1;
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs) {
    return args.result;
  }
}

// A claim whose attempt died with its process (killed between claiming the key and writing the answer) must not make
// every retry of that event a 409 forever: past CHANGE_CLAIM_STALE_MS a repeat takes it over and does the work.
describe.each(ALL_DIALECTS)('crm-change claims left by a dead attempt, on %s', (dialect) => {
  let database: TestDatabase;
  let empresaId: number;
  let runs = 0;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    empresaId = await createEmpresa(database.db, 'Acme');
  });
  afterAll(() => database.drop());

  // pedidos is a SET table only: no webhook is published, so the producer is never reached.
  const deps = (): ChangeEventDeps<{ jobs: number[] }> => ({
    db: database.db,
    producer: undefined as never,
    captureByTriggers: false,
    setTables: ['pedidos'],
    runSetIntegrations: async () => ({ jobs: [++runs] }),
  });
  const receive = () => receiveChangeEvent(deps(), empresaId, { tabela: 'pedidos', id: '7', chaveIdempotencia: 'k-dead' });

  it('answers 409 while the claim is young, takes it over once stale, then answers the new result as a repeat', async () => {
    await database.db
      .insertInto('crm_mudancas')
      .values({ empresa_id: empresaId, chave: 'k-dead', tabela: 'pedidos', registro_id: '7', operacao: 'alterado' })
      .execute();
    await expect(receive()).rejects.toMatchObject({ code: 'CHANGE_IN_PROGRESS', status: 409 });
    expect(runs).toBe(0);

    const old = new Date(Date.now() - CHANGE_CLAIM_STALE_MS - 60_000);
    await database.db
      .updateTable('crm_mudancas')
      .set({ criado_em: timestampValue(database.db, old) as never })
      .where('chave', '=', 'k-dead')
      .execute();
    const taken = await receive();
    expect(taken).toMatchObject({ jobs: [1], deduplicated: false });
    expect(await receive()).toMatchObject({ jobs: [1], deduplicated: true });
    expect(runs).toBe(1);
    expect(await database.db.selectFrom('crm_mudancas').select('id').where('chave', '=', 'k-dead').execute()).toHaveLength(1);
  });
  it("a slow first attempt that fails after a takeover leaves the new owner's claim and answer alone", async () => {
    const age = () =>
      database.db
        .updateTable('crm_mudancas')
        .set({ criado_em: timestampValue(database.db, new Date(Date.now() - CHANGE_CLAIM_STALE_MS - 60_000)) as never })
        .where('chave', '=', 'k-slow')
        .execute();
    const event = { tabela: 'pedidos', id: '8', chaveIdempotencia: 'k-slow' };
    let taken: unknown;
    const slow = receiveChangeEvent(
      {
        ...deps(),
        runSetIntegrations: async () => {
          // While this attempt runs past the stale age, a repeat takes its key over and finishes.
          await age();
          taken = await receiveChangeEvent({ ...deps(), runSetIntegrations: async () => ({ jobs: [100] }) }, empresaId, event);
          throw new Error('the slow attempt fails at last');
        },
      },
      empresaId,
      event,
    );
    await expect(slow).rejects.toThrow('the slow attempt fails at last');
    expect(taken).toMatchObject({ jobs: [100], deduplicated: false });
    expect(await receiveChangeEvent(deps(), empresaId, event)).toMatchObject({ jobs: [100], deduplicated: true });
  });
  it('a new event learns its claim id from the insert: look-up, insert and answer, three statements (two without a key)', async () => {
    const counter = new StatementCounter();
    const counted = (): ChangeEventDeps<{ jobs: number[] }> => ({ ...deps(), db: database.db.withPlugin(counter) });
    const first = await receiveChangeEvent(counted(), empresaId, { tabela: 'pedidos', id: '9', chaveIdempotencia: 'k-count' });
    expect(counter.count).toBe(3);
    expect(first).toMatchObject({ deduplicated: false });
    // The answer went to this claim's row (the id the insert reported): a repeat reads it back.
    const stored = await database.db
      .selectFrom('crm_mudancas')
      .select('resultado')
      .where('chave', '=', 'k-count')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(stored.resultado ?? 'null')).toEqual(first);
    counter.count = 0;
    const auto = await receiveChangeEvent(counted(), empresaId, { tabela: 'pedidos', id: '10' });
    expect(counter.count).toBe(2);
    const autoRow = await database.db
      .selectFrom('crm_mudancas')
      .select('resultado')
      .where('chave', '=', auto.chaveIdempotencia)
      .executeTakeFirstOrThrow();
    expect(JSON.parse(autoRow.resultado ?? 'null')).toEqual(auto);
  });
});
