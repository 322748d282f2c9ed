import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { claimExecucao } from './execucoes.repository';
import { concludeNotWrittenBack, findHeldExecucoes, releaseHeldRecord } from './held-records.repository';
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
});
