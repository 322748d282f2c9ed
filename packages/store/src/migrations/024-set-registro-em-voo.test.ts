import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { sql } from 'kysely';
import { claimExecucao, RecordBusyError } from '../execucoes.repository';
import { findHeldExecucoes } from '../held-records.repository';
import { migrateTo, migrateToLatest } from '../migrate';

// Migration 024 on MySQL/MariaDB: the in-flight index tells `idP1` from `idp1` (two records), the holds the old
// collation would have taken as one do not break it, and a run that failed half-way (DDL is not transactional there)
// can run again.
describe('024-set-registro-em-voo on mysql', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('mysql', { migrate: false });
    await migrateTo(database, '023-retencao-historico');
  });
  afterAll(async () => {
    await database?.drop();
  });

  const hold = (id: number, registro: string, jobId: string) => ({
    id,
    empresa_id: 1,
    integracao_id: 1,
    chave: `set:1:${jobId}:${registro}`,
    job_id: jobId,
    registro,
    status: 'concluido' as const,
    tentativas: 1,
    retido: 1,
    retorno_ausente: 'codCli',
  });

  it('runs again after a failed run, keeps idP1 and idp1 apart, and keeps one hold of keys differing by trailing spaces', async () => {
    const { db } = database;
    await db
      .insertInto('integracao_execucoes')
      .values([hold(1, 'idP1', 'j1'), hold(2, 'idp1', 'j2'), hold(3, 'id7', 'j3'), hold(4, 'id7 ', 'j4')])
      .execute();
    // What a run that failed at its index left behind: the virtual column, no index.
    await sql`ALTER TABLE integracao_execucoes ADD COLUMN registro_em_voo varchar(200)
      GENERATED ALWAYS AS (CASE WHEN status IN ('enviando', 'enviado') OR retido = 1 THEN registro END) VIRTUAL`.execute(db);
    await migrateToLatest(database);

    const holds = await db.selectFrom('integracao_execucoes').select(['id', 'retido']).orderBy('id').execute();
    // Two records kept apart; of the two rows the index compares as one, the newest hold stays.
    expect(holds).toEqual([
      { id: 1, retido: 1 },
      { id: 2, retido: 1 },
      { id: 3, retido: 0 },
      { id: 4, retido: 1 },
    ]);
    expect((await findHeldExecucoes(db, 1, 1, ['idp1'])).map((row) => row.id)).toEqual([2]);

    // idp1 is free once its own hold goes, whatever idP1 does; idP1 itself stays claimed.
    await db.updateTable('integracao_execucoes').set({ retido: 0 }).where('id', '=', 2).execute();
    const claim = await claimExecucao(db, { empresaId: 1, integracaoId: 1, chave: 'set:1:j5:idp1', jobId: 'j5', registro: 'idp1' });
    expect(claim.created).toBe(true);
    const refused = await claimExecucao(db, { empresaId: 1, integracaoId: 1, chave: 'set:1:j6:idP1', jobId: 'j6', registro: 'idP1' }).catch(
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(RecordBusyError);
    expect((refused as RecordBusyError).holderJobId).toBe('j1');
  });

  it("gives registro and chave the table's collation back when migrated down past 024 (and 027)", async () => {
    const collations = async () => {
      const { rows } = await sql<{ column: string; collation: string }>`SELECT COLUMN_NAME AS \`column\`, COLLATION_NAME AS collation
        FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'integracao_execucoes'
        AND COLUMN_NAME IN ('chave', 'registro') ORDER BY COLUMN_NAME`.execute(database.db);
      return rows.map((row) => `${row.column}:${row.collation}`);
    };
    const { rows } = await sql<{ collation: string }>`SELECT TABLE_COLLATION AS collation FROM information_schema.TABLES
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'integracao_execucoes'`.execute(database.db);
    const table = rows[0]?.collation;
    await migrateToLatest(database);
    expect(await collations()).toEqual([expect.stringMatching(/^chave:utf8mb4_(nopad_bin|0900_bin)$/), 'registro:utf8mb4_bin']);
    await migrateTo(database, '023-retencao-historico');
    expect(await collations()).toEqual([`chave:${table}`, `registro:${table}`]);
  });
});
