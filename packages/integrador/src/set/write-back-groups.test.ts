import { claimExecucao, createEmpresa, isTenantGuardViolation } from '@integrador/store';
import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { CONTA } from '../../../../test/fixtures/set-ws-contas';
import { bindStatement, compileStatement } from '../template';
import { writeBackGrouped, writeBackStats } from './write-back-groups';

describe.each(ALL_DIALECTS)('write-backs grouped per empresa on %s', (dialect) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('writes back the pushes of one call together; a foreign-row or broken statement fails only its own push', async () => {
    const { db } = database;
    const [own, other] = [await createEmpresa(db, 'Empresa A'), await createEmpresa(db, 'Empresa B')];
    await db
      .insertInto('contas')
      .values([...[1, 2, 3, 4].map((n) => ({ ...CONTA, id: 7000 + n, empresa_id: own })), { ...CONTA, id: 7009, empresa_id: other }])
      .execute();
    const rows = await Promise.all(
      [1, 2, 3, 4, 5].map((n) => claimExecucao(db, { empresaId: own, integracaoId: 19, chave: `wb:${dialect}:${n}`, jobId: `${n}` })),
    );
    const update = (conta: number, value: string) =>
      bindStatement(compileStatement('UPDATE contas SET id_erp = #v# WHERE id = #conta#', dialect), { v: value, conta });
    const statements = [
      update(7001, 'a1'),
      update(7009, 'stolen'), // another empresa's conta: the guard refuses it
      update(7003, 'a3'),
      bindStatement(compileStatement('UPDATE contas SET no_such_column = 1 WHERE id = #conta#', dialect), { conta: 7004 }),
      null, // nothing to write back: concluido only
    ];
    const outcomes = await Promise.allSettled(
      rows.map((row, index) => writeBackGrouped(db, dialect, own, { execucaoId: row.id, statement: statements[index] ?? null })),
    );

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
    expect(outcomes[1]?.status === 'rejected' && isTenantGuardViolation(outcomes[1].reason)).toBe(true);
    const contas = await db.selectFrom('contas').select(['id', 'id_erp']).where('id', '>', 7000).orderBy('id').execute();
    expect(contas.map((conta) => conta.id_erp)).toEqual(['a1', null, 'a3', null, null]);
    const execucoes = await db
      .selectFrom('integracao_execucoes')
      .select('status')
      .where('chave', 'like', `wb:${dialect}:%`)
      .orderBy('chave')
      .execute();
    expect(execucoes.map((row) => row.status)).toEqual(['concluido', 'enviando', 'concluido', 'enviando', 'concluido']);
  });
  it('writes back the pushes of one empresa that arrive together in one transaction', async () => {
    const { db } = database;
    const own = await createEmpresa(db, 'Empresa C');
    await db
      .insertInto('contas')
      .values([1, 2, 3, 4].map((n) => ({ ...CONTA, id: 7100 + n, empresa_id: own })))
      .execute();
    const rows = await Promise.all(
      [1, 2, 3, 4].map((n) => claimExecucao(db, { empresaId: own, integracaoId: 19, chave: `wb:${dialect}:ok:${n}`, jobId: `ok${n}` })),
    );
    await Promise.all(
      rows.map((row, index) =>
        writeBackGrouped(db, dialect, own, {
          execucaoId: row.id,
          statement: bindStatement(compileStatement('UPDATE contas SET id_erp = #v# WHERE id = #conta#', dialect), {
            v: `b${index}`,
            conta: 7101 + index,
          }),
        }),
      ),
    );
    // One group, not push by push.
    expect(writeBackStats(db, own)).toEqual({ groups: 1, fallbacks: 0 });
    const contas = await db.selectFrom('contas').select('id_erp').where('id', '>', 7100).where('id', '<', 7200).orderBy('id').execute();
    expect(contas.map((conta) => conta.id_erp)).toEqual(['b0', 'b1', 'b2', 'b3']);
  });

  it("stores a push not written back (its missing keys, held) with its concluido, leaving the others' as they were", async () => {
    const { db } = database;
    const own = await createEmpresa(db, 'Empresa D');
    const rows = await Promise.all(
      [1, 2].map((n) => claimExecucao(db, { empresaId: own, integracaoId: 19, chave: `wb:${dialect}:msg:${n}`, jobId: `msg${n}` })),
    );
    await db.updateTable('integracao_execucoes').set({ mensagem: 'OK' }).where('chave', 'like', `wb:${dialect}:msg:%`).execute();
    await Promise.all([
      writeBackGrouped(db, dialect, own, {
        execucaoId: rows[0]?.id ?? 0,
        statement: null,
        notWrittenBack: { registro: 'id42', retornoAusente: ['cgcCpf'], mensagem: 'OK, gravado', retido: true },
      }),
      writeBackGrouped(db, dialect, own, { execucaoId: rows[1]?.id ?? 0, statement: null }),
    ]);
    const execucoes = await db
      .selectFrom('integracao_execucoes')
      .select(['status', 'mensagem', 'registro', 'retorno_ausente', 'retido'])
      .where('chave', 'like', `wb:${dialect}:msg:%`)
      .orderBy('chave')
      .execute();
    expect(execucoes).toEqual([
      { status: 'concluido', mensagem: 'OK, gravado', registro: 'id42', retorno_ausente: 'cgcCpf', retido: 1 },
      { status: 'concluido', mensagem: 'OK', registro: null, retorno_ausente: null, retido: 0 },
    ]);
  });
});
