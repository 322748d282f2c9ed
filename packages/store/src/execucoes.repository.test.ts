import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import {
  claimExecucao,
  concludeExecucoesInScope,
  listTentativas,
  recordTentativa,
  sendAttemptsOfJobs,
  setExecucaoStatus,
} from './execucoes.repository';
import { outboxEnviandoMigration } from './migrations/015-outbox-enviando';
import { isTenantGuardViolation, withTenantScope } from './tenant-guard';

const exchange = { url: 'http://erp/g5', requisicao: '<req/>', resposta: '<resp/>', statusHttp: 200, duracaoMs: 12, erro: null };

describe.each(ALL_DIALECTS)('SET outbox on %s', (dialect) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('numbers each attempt and moves the execucao with it, the receptor answer kept as sent', async () => {
    const { db } = database;
    const key = { empresaId: 1, integracaoId: 19, chave: `set:19:${dialect}:id42`, jobId: '7' };
    const claimed = await claimExecucao(db, key);
    expect(claimed).toMatchObject({ status: 'enviando', tentativas: 0, created: true });
    await recordTentativa(db, claimed.id, { ...exchange, resposta: null, statusHttp: null, erro: 'socket hang up' });
    await recordTentativa(db, claimed.id, exchange, { status: 'enviado', valores: { codCli: 901 }, mensagem: 'OK' });

    const again = await claimExecucao(db, key);
    expect(again).toMatchObject({ id: claimed.id, status: 'enviado', tentativas: 2, mensagem: 'OK' });
    expect(JSON.parse(again.valores ?? '{}')).toEqual({ codCli: 901 });
    const tentativas = await listTentativas(db, claimed.id);
    expect(tentativas).toEqual([
      expect.objectContaining({ tentativa: 1, erro: 'socket hang up', resposta: null, status_http: null, requisicao: '<req/>' }),
      expect.objectContaining({ tentativa: 2, erro: null, resposta: '<resp/>', status_http: 200, duracao_ms: 12, url: 'http://erp/g5' }),
    ]);
  });

  it("counts a job's sends across its runs, per job and only the tenant's own (trial 4: the list's attempts)", async () => {
    const { db } = database;
    const sent = async (empresaId: number, jobId: string, record: string, times: number) => {
      const row = await claimExecucao(db, { empresaId, integracaoId: 19, chave: `set:19:${jobId}:${dialect}:${record}`, jobId });
      for (let i = 0; i < times; i++) await recordTentativa(db, row.id, { ...exchange, statusHttp: 500, erro: 'HTTP 500' });
    };
    await sent(1, 'count-6', 'id4', 3);
    await sent(1, 'count-7', 'id5', 1);
    await sent(1, 'count-7', 'id6', 2);
    await sent(2, 'count-8', 'id4', 4);
    const counts = await sendAttemptsOfJobs(db, 1, ['count-6', 'count-7', 'count-8', 'count-none']);
    expect(Object.fromEntries(counts)).toEqual({ 'count-6': 3, 'count-7': 2 });
    expect(await sendAttemptsOfJobs(db, 1, [])).toEqual(new Map());
  });

  it('opens the tenant scope with the concluido mark: a write-back touching another empresa rolls both back', async () => {
    const { db } = database;
    const own = await claimExecucao(db, { empresaId: 1, integracaoId: 19, chave: `set:19:${dialect}:own`, jobId: '9' });
    const foreign = await claimExecucao(db, { empresaId: 2, integracaoId: 19, chave: `set:19:${dialect}:foreign`, jobId: '9' });
    const scoped = (work: Parameters<typeof withTenantScope>[3]) => withTenantScope(db, dialect, 1, work, { scopedBy: 'first-statement' });

    const refused = await scoped(async (trx) => {
      await concludeExecucoesInScope(trx, [own.id], 1);
      await setExecucaoStatus(trx, foreign.id, 'falhou');
    }).catch((err: unknown) => err);
    expect(isTenantGuardViolation(refused)).toBe(true);
    // The mark itself is checked against the scope it opens.
    expect(isTenantGuardViolation(await scoped((trx) => concludeExecucoesInScope(trx, [foreign.id], 1)).catch((err: unknown) => err))).toBe(
      true,
    );
    const statuses = await db
      .selectFrom('integracao_execucoes')
      .select(['id', 'status'])
      .where('id', 'in', [own.id, foreign.id])
      .orderBy('id')
      .execute();
    expect(statuses.map((row) => row.status)).toEqual(['enviando', 'enviando']);

    await scoped((trx) => concludeExecucoesInScope(trx, [own.id], 1));
    expect(await claimExecucao(db, { empresaId: 1, integracaoId: 19, chave: `set:19:${dialect}:own`, jobId: '9' })).toMatchObject({
      status: 'concluido',
    });
  });

  it('turns a pendente row left by a version without enviando into enviando (its outcome is unknown), and only those', async () => {
    const { db } = database;
    const old = await claimExecucao(db, { empresaId: 1, integracaoId: 19, chave: `set:19:${dialect}:old`, jobId: '8' });
    await setExecucaoStatus(db, old.id, 'pendente');
    const done = await claimExecucao(db, { empresaId: 1, integracaoId: 19, chave: `set:19:${dialect}:done`, jobId: '8' });
    await setExecucaoStatus(db, done.id, 'concluido');
    await outboxEnviandoMigration().up(db);
    expect(await claimExecucao(db, { empresaId: 1, integracaoId: 19, chave: `set:19:${dialect}:old`, jobId: '8' })).toMatchObject({
      status: 'enviando',
      created: false,
    });
    expect(await claimExecucao(db, { empresaId: 1, integracaoId: 19, chave: `set:19:${dialect}:done`, jobId: '8' })).toMatchObject({
      status: 'concluido',
    });
  });
  // PostgreSQL only: elsewhere the scope opens in its own statement, whatever the concluido mark matches.
  if (dialect === 'postgres')
    it('refuses a write-back whose outbox row is missing (the scope would not open, leaving it unguarded)', async () => {
      const { db } = database;
      const foreign = await claimExecucao(db, { empresaId: 2, integracaoId: 19, chave: `set:19:${dialect}:missing-row`, jobId: '11' });
      const failed = await withTenantScope(
        db,
        dialect,
        1,
        async (trx) => {
          await concludeExecucoesInScope(trx, [foreign.id + 100000], 1);
          await setExecucaoStatus(trx, foreign.id, 'falhou');
        },
        { scopedBy: 'first-statement' },
      ).catch((err: unknown) => err);
      expect(failed).toBeInstanceOf(Error);
      const row = await db.selectFrom('integracao_execucoes').select('status').where('id', '=', foreign.id).executeTakeFirstOrThrow();
      expect(row.status).toBe('enviando');
    });

  it('refuses a write-back with no outbox rows to conclude (the mark would match nothing and the scope never open)', async () => {
    const { db } = database;
    const foreign = await claimExecucao(db, { empresaId: 2, integracaoId: 19, chave: `set:19:${dialect}:no-rows`, jobId: '12' });
    const failed = await withTenantScope(
      db,
      dialect,
      1,
      async (trx) => {
        await concludeExecucoesInScope(trx, [], 1);
        await setExecucaoStatus(trx, foreign.id, 'falhou');
      },
      { scopedBy: 'first-statement' },
    ).catch((err: unknown) => err);
    expect(failed).toEqual(new Error('concludeExecucoesInScope: no outbox rows given; the write-back was not run'));
    const row = await db.selectFrom('integracao_execucoes').select('status').where('id', '=', foreign.id).executeTakeFirstOrThrow();
    expect(row.status).toBe('enviando');
  });
});
