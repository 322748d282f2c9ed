import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { sql } from 'kysely';
import { claimExecucao, type ExecucaoKey, RecordBusyError, setExecucaoStatus } from '../execucoes.repository';
import { migrateTo, migrateToLatest } from '../migrate';
import { createEmpresa } from '../tenants.repository';
import { CLAIMS } from './024-set-registro-em-voo';

const IN_FLIGHT = 'integracao_execucoes_em_voo';

// Migration 029: a PostgreSQL database that applied 028 as it was before its release (a stored generated column under the
// in-flight guard, fillfactor 50) gets 024's guard and 016's fillfactor back, keeping the claims it holds; every other
// database is left as it is.
describe.each(ALL_DIALECTS)('029-execucoes-sem-coluna-gerada on %s', (dialect) => {
  let database: TestDatabase;
  let empresaId: number;
  beforeEach(async () => {
    database = await createTestDatabase(dialect, { migrate: false });
    await migrateTo(database, '028-execucoes-hot');
    empresaId = await createEmpresa(database.db, 'Fria');
  });
  afterEach(async () => {
    await database?.drop();
  });

  const key = (job: string, registro: string): ExecucaoKey => ({
    empresaId,
    integracaoId: 29,
    chave: `set:29:${job}:${registro}`,
    jobId: job,
    registro,
  });
  const refusal = (job: string, registro: string) =>
    claimExecucao(database.db, key(job, registro)).then(
      () => null,
      (err: unknown) => (err instanceof RecordBusyError ? `busy:${err.holderJobId}` : err),
    );
  /** What the guard and the table look like: the in-flight index's definition, the table's storage options, its columns. */
  const schema = async () => {
    if (dialect !== 'postgres') return null;
    const { rows: index } = await sql<{ indexdef: string }>`SELECT indexdef FROM pg_indexes
      WHERE schemaname = current_schema() AND indexname = ${IN_FLIGHT}`.execute(database.db);
    const { rows: table } = await sql<{ reloptions: string[] | null }>`SELECT reloptions FROM pg_class
      WHERE oid = 'integracao_execucoes'::regclass`.execute(database.db);
    const { rows: columns } = await sql<{ column_name: string }>`SELECT column_name FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = 'integracao_execucoes' AND column_name = 'registro_em_voo'`.execute(
      database.db,
    );
    return { index: index.map((row) => row.indexdef), options: table[0]?.reloptions, generated: columns.length > 0 };
  };

  it('leaves a database migrated by 028 as it is now unchanged', async () => {
    const before = await schema();
    expect(await migrateToLatest(database)).toEqual(['029-execucoes-sem-coluna-gerada']);
    expect(await schema()).toEqual(before);
    await claimExecucao(database.db, key('a', 'r1'));
    expect(await refusal('b', 'r1')).toBe('busy:a');
  });

  if (dialect === 'postgres')
    it("takes the released-before 028's generated column and fillfactor out, keeping the records it claims", async () => {
      const { db } = database;
      const expected = await schema();
      // 028 as main had it before its release, applied over the index 028 keeps.
      await sql.raw(`DROP INDEX ${IN_FLIGHT}`).execute(db);
      await sql`ALTER TABLE integracao_execucoes ADD COLUMN registro_em_voo varchar(200)
        GENERATED ALWAYS AS (CASE WHEN ${CLAIMS} THEN registro END) STORED`.execute(db);
      await sql
        .raw(`CREATE UNIQUE INDEX ${IN_FLIGHT} ON integracao_execucoes (empresa_id, integracao_id, registro_em_voo)
        WHERE registro_em_voo IS NOT NULL`)
        .execute(db);
      await sql`ALTER TABLE integracao_execucoes SET (fillfactor = 50)`.execute(db);
      expect(await schema()).toMatchObject({ generated: true, options: ['fillfactor=50'] });
      const inFlight = await claimExecucao(db, key('old-a', 'old1'));
      const held = await claimExecucao(db, key('old-c', 'old2'));
      await db.updateTable('integracao_execucoes').set({ status: 'concluido', retido: 1 }).where('id', '=', held.id).execute();

      expect(await migrateToLatest(database)).toEqual(['029-execucoes-sem-coluna-gerada']);
      expect(await schema()).toEqual(expected);
      expect(expected).toMatchObject({ generated: false, options: ['fillfactor=85'] });
      expect(await refusal('old-b', 'old1')).toBe('busy:old-a');
      expect(await refusal('old-d', 'old2')).toBe('busy:old-c');
      await setExecucaoStatus(db, inFlight.id, 'concluido');
      expect(await refusal('old-b', 'old1')).toBeNull();
      expect(await refusal('new-b', 'old1')).toBe('busy:old-b');
    });
});
