import { jobFailureText } from '@integrador/queue';
import { claimExecucao, createEmpresa } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { CONTA } from '../../../../test/fixtures/set-ws-contas';
import { isPermanent } from '../runs/run-errors';
import { bindStatement, compileStatement } from '../template';
import { writeBackFailure } from './write-back-failure';
import { writeBackGrouped } from './write-back-groups';

// Two contas with one CNPJ get one codCli from the ERP: the second write-back breaks contas' unique (empresa_id, id_erp).
describe.each(['postgres', 'mysql', 'sqlite'] as const)('a write-back the CRM refuses as a duplicate on %s', (dialect) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('fails for good, worded as a duplicate, with the returned code and the record', async () => {
    const { db } = database;
    const empresa = await createEmpresa(db, 'Empresa D');
    await db
      .insertInto('contas')
      .values([8001, 8002].map((id) => ({ ...CONTA, id, empresa_id: empresa })))
      .execute();
    const update = (conta: number) =>
      bindStatement(compileStatement('UPDATE contas SET id_erp = #codCli# WHERE id = #conta#', dialect), { codCli: '4711', conta });
    const [first, second] = await Promise.all(
      [1, 2].map((n) => claimExecucao(db, { empresaId: empresa, integracaoId: 19, chave: `dup:${dialect}:${n}`, jobId: `d${n}` })),
    );
    await writeBackGrouped(db, dialect, empresa, { execucaoId: first?.id ?? 0, statement: update(8001) });
    const refused = await writeBackGrouped(db, dialect, empresa, { execucaoId: second?.id ?? 0, statement: update(8002) }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(refused).not.toBeNull();

    const failure = writeBackFailure(refused, { integracaoId: 19, recordKey: '8002', returned: { codCli: '4711' } }) as Error & {
      code: string;
    };
    expect(isPermanent(failure)).toBe(true);
    expect(failure.code).toBe('WRITE_BACK_DUPLICATE');
    expect(failure.message).toMatch(/^record 8002: sql_update breaks a unique key of the CRM \(.+\); the receptor returned codCli=4711$/);
    // The key as each database names it: its columns (PostgreSQL, SQLite) or its index (MySQL).
    expect(failure.message).toMatch(/id_erp/);
    expect(jobFailureText('pt-BR', failure.code, failure.message)).toMatch(
      /^a atualização \(sql_update\) repete em outro registro um valor de uma chave única do CRM \(o detalhe diz qual\): corrija o cadastro duplicado antes de reprocessar: record 8002/,
    );
    expect(jobFailureText('en', failure.code, failure.message)).toMatch(
      /^the write-back \(sql_update\) repeats a value of a unique key of the CRM/,
    );
    // H1 (trial): with its values the reason says what happened in the reader's language; the database names the key.
    const params = (failure as unknown as { params: Record<string, string> }).params;
    const worded = jobFailureText('pt-BR', failure.code, failure.message, params);
    expect(worded).toMatch(
      /^o ERP devolveu codCli=4711 para o registro 8002, mas esse valor já está ligado a outro registro do CRM \(chave única\): .+: .*id_erp/,
    );
    expect(worded).not.toMatch(/breaks a unique key|the receptor returned/);
    // A lost connection stays retryable.
    const lost = Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
    expect(writeBackFailure(lost, { integracaoId: 19, recordKey: '8002', returned: {} })).toBe(lost);
  });
});
