import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { claimExecucao } from './execucoes.repository';
import {
  concludeNotWrittenBack,
  findHeldExecucoes,
  findHeldExecucoesGrouped,
  heldLookupStats,
  releaseHeldRecord,
} from './held-records.repository';
import { createEmpresa } from './tenants.repository';

// A record accepted with nothing written back holds back new pushes of it in its own empresa and integration only.
describe.each(ALL_DIALECTS)('held records on %s', (dialect) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await database?.drop();
  });

  it("finds and releases a held record within its empresa and integration, never another tenant's", async () => {
    const { db } = database;
    const own = await createEmpresa(db, 'Retida');
    const other = await createEmpresa(db, 'Outra');
    const accepted = async (empresaId: number, integracaoId: number, jobId: string) => {
      const row = await claimExecucao(db, { empresaId, integracaoId, chave: `set:${integracaoId}:${jobId}:id42`, jobId });
      await concludeNotWrittenBack(db, empresaId, row.id, {
        registro: 'id42',
        retornoAusente: ['cgcCpf', 'codCli'],
        mensagem: 'OK',
        retido: true,
      });
    };
    await accepted(own, 19, 'j1');
    await accepted(other, 19, 'j2');
    await accepted(own, 20, 'j3');
    expect(await findHeldExecucoes(db, own, 19, ['id42', 'id43'])).toEqual([
      { id: expect.any(Number), registro: 'id42', retornoAusente: ['cgcCpf', 'codCli'], jobId: 'j1' },
    ]);
    // Another empresa's release (the same integration id and record key) leaves this one held.
    await releaseHeldRecord(db, other, 19, 'id42');
    expect(await findHeldExecucoes(db, other, 19, ['id42'])).toEqual([]);
    expect(await findHeldExecucoes(db, own, 19, ['id42'])).toHaveLength(1);
    await releaseHeldRecord(db, own, 19, 'id42');
    expect(await findHeldExecucoes(db, own, 19, ['id42'])).toEqual([]);
    expect(await findHeldExecucoes(db, own, 20, ['id42'])).toHaveLength(1);
    // The note stays after the release: the row still says what its answer lacked.
    const rows = await db.selectFrom('integracao_execucoes').select(['retorno_ausente', 'retido']).where('job_id', '=', 'j1').execute();
    expect(rows).toEqual([{ retorno_ausente: 'cgcCpf,codCli', retido: 0 }]);
  });

  it("finds holds among more records than one statement binds, and concludes only the calling empresa's row", async () => {
    const { db } = database;
    const own = await createEmpresa(db, 'Muitos');
    const other = await createEmpresa(db, 'Alheia');
    const row = await claimExecucao(db, { empresaId: own, integracaoId: 21, chave: 'set:21:j9:id7', jobId: 'j9' });
    const note = { registro: 'id7', retornoAusente: ['codCli'], mensagem: 'OK', retido: true };
    // Another empresa naming this row's id changes nothing.
    await concludeNotWrittenBack(db, other, row.id, note);
    expect(await findHeldExecucoes(db, own, 21, ['id7'])).toEqual([]);
    await concludeNotWrittenBack(db, own, row.id, note);
    const registros = Array.from({ length: 70_000 }, (_, index) => `id${index + 10}`);
    registros.push('id7');
    expect(await findHeldExecucoes(db, own, 21, registros)).toEqual([expect.objectContaining({ registro: 'id7', jobId: 'j9' })]);
  });

  it("answers the lookups of runs in flight together, each with its own empresa's, integration's and records' holds", async () => {
    const { db } = database;
    const own = await createEmpresa(db, 'Grupo');
    const other = await createEmpresa(db, 'Vizinha');
    const hold = async (empresaId: number, integracaoId: number, registro: string, jobId: string) => {
      const row = await claimExecucao(db, { empresaId, integracaoId, chave: `set:${integracaoId}:${jobId}:${registro}`, jobId });
      await concludeNotWrittenBack(db, empresaId, row.id, { registro, retornoAusente: ['codCli'], mensagem: 'OK', retido: true });
    };
    await hold(own, 31, 'id1', 'g1');
    await hold(own, 31, 'id2', 'g2');
    await hold(own, 32, 'id3', 'g3');
    await hold(other, 31, 'id3', 'g4');
    await hold(other, 32, 'id1', 'g5');
    // One hold per record (migration 024's in-flight index refuses a second one).
    const lookups: Array<[number, number, string[]]> = [
      [own, 31, ['id1', 'id3']],
      [own, 32, ['id1', 'id3']],
      [other, 31, ['id1', 'id2', 'id3']],
      [other, 32, ['id1']],
      [own, 33, ['id1']],
      [own, 31, ['id2']],
    ];
    const before = { ...(heldLookupStats(db) ?? { groups: 0, fallbacks: 0 }) };
    const grouped = await Promise.all(
      lookups.map(([empresaId, integracaoId, registros]) => findHeldExecucoesGrouped(db, empresaId, integracaoId, registros)),
    );
    const alone = await Promise.all(
      lookups.map(([empresaId, integracaoId, registros]) => findHeldExecucoes(db, empresaId, integracaoId, registros)),
    );
    expect(grouped).toEqual(alone);
    expect(grouped.map((rows) => rows.map((row) => row.jobId))).toEqual([['g1'], ['g3'], ['g4'], ['g5'], [], ['g2']]);
    // PostgreSQL: one statement for the six runs; elsewhere each run reads alone.
    const after = heldLookupStats(db);
    if (dialect === 'postgres') expect(after).toEqual({ groups: before.groups + 1, fallbacks: before.fallbacks });
    else expect(after).toBeUndefined();
  });
});
