import { claimExecucao, type ExecucaoKey, findOwnRow, markSending, RecordBusyError, recordTentativa } from '@integrador/store';
import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { orphanedClaim } from './orphaned-claims';

const exchange = { url: 'http://erp/g5', requisicao: '<req/>', resposta: '<resp/>', statusHttp: 200, duracaoMs: 12, erro: null };

// A record's claim left by a job that no longer exists, met by other jobs' claims (the in-flight index, migration 024):
// named first, then taken over on an operator's retry, on every dialect.
describe.each(ALL_DIALECTS)('orphaned claims on %s', (dialect) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await database?.drop();
  });

  const keyOf = (job: string, registro: string): ExecucaoKey => ({
    empresaId: 1,
    integracaoId: 19,
    chave: `set:19:${job}:${registro}`,
    jobId: job,
    registro,
  });
  const gone = new Set<string>();
  const ctx = (operatorRetries: number) => ({
    db: database.db,
    empresaId: 1,
    operatorRetries,
    jobGone: async (jobId: string) => gone.has(jobId),
  });

  /** Job `orphanJob` claims the record and leaves it `status` (enviado: with the receptor's answer), then is removed. */
  async function orphan(orphanJob: string, registro: string, status: 'enviando' | 'enviado') {
    const row = await claimExecucao(database.db, keyOf(orphanJob, registro));
    if (status === 'enviado') await recordTentativa(database.db, row.id, exchange, { status, valores: { codCli: 'C9' }, mensagem: 'OK' });
    gone.add(orphanJob);
    return row.id;
  }

  /** The refusal a job's claim of the record meets (at its insert, or marking its failed row enviando, as a push does). */
  async function refusal(key: ExecucaoKey): Promise<RecordBusyError> {
    try {
      const own = await claimExecucao(database.db, key);
      await markSending(database.db, own.id, key);
    } catch (err) {
      if (err instanceof RecordBusyError) return err;
      throw err;
    }
    throw new Error(`${key.chave} claimed`);
  }

  it("moves an answered orphan's answer to the job that takes it over (written back, never sent again)", async () => {
    const orphanId = await orphan(`${dialect}-a1`, 'r1', 'enviado');
    const key = keyOf(`${dialect}-b1`, 'r1');
    const met = await refusal(key);
    expect(met).toMatchObject({ holderJobId: `${dialect}-a1`, holderId: orphanId });
    // First met: named, and the job's row fails with the marker.
    expect(await orphanedClaim(ctx(0), key, met)).toEqual({ key: 'r1', orphanJobId: `${dialect}-a1` });
    expect(await findOwnRow(database.db, key)).toMatchObject({ status: 'falhou' });
    // The operator's retry takes it over: its own row holds the receptor's answer, to be written back only.
    expect(await orphanedClaim(ctx(1), key, await refusal(key))).toBe('taken');
    expect(await claimExecucao(database.db, key)).toMatchObject({
      created: false,
      status: 'enviado',
      valores: JSON.stringify({ codCli: 'C9' }),
      mensagem: 'OK',
      registro: 'r1',
    });
    const old = await database.db
      .selectFrom('integracao_execucoes')
      .select(['status', 'mensagem'])
      .where('id', '=', orphanId)
      .executeTakeFirst();
    expect(old).toEqual({ status: 'falhou', mensagem: expect.stringContaining(`job ${dialect}-b1 took its answer over`) });
  });

  it('takes an orphan whose outcome is unknown over as an interrupted attempt of its own', async () => {
    const orphanId = await orphan(`${dialect}-a2`, 'r2', 'enviando');
    const key = keyOf(`${dialect}-b2`, 'r2');
    await orphanedClaim(ctx(0), key, await refusal(key));
    const met = await refusal(key);
    // A row from before migration 024 has no registro: the takeover gives it one, so its claim holds the record.
    await database.db.updateTable('integracao_execucoes').set({ registro: null }).where('chave', '=', key.chave).execute();
    expect(await orphanedClaim(ctx(1), key, met)).toBe('taken');
    expect(await claimExecucao(database.db, key)).toMatchObject({ created: false, status: 'enviando', valores: null, registro: 'r2' });
    const old = await database.db.selectFrom('integracao_execucoes').select(['mensagem']).where('id', '=', orphanId).executeTakeFirst();
    expect(old?.mensagem).toContain('outcome unknown');
  });

  it('names the job that won a takeover to the one that lost it, not the orphan', async () => {
    await orphan(`${dialect}-a3`, 'r3', 'enviando');
    const [b, c] = [keyOf(`${dialect}-b3`, 'r3'), keyOf(`${dialect}-c3`, 'r3')];
    for (const key of [b, c]) await orphanedClaim(ctx(0), key, await refusal(key));
    // Both retried in bulk: both met the orphan; b takes it over first.
    const [metB, metC] = [await refusal(b), await refusal(c)];
    expect(await orphanedClaim(ctx(1), b, metB)).toBe('taken');
    const lost = await orphanedClaim(ctx(1), c, metC);
    expect(lost).toBeInstanceOf(RecordBusyError);
    expect(lost).toMatchObject({ holderJobId: `${dialect}-b3`, held: false });
    expect(await findOwnRow(database.db, c)).toMatchObject({ status: 'falhou' });
  });
});
