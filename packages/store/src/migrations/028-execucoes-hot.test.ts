import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { capturedStatements } from '@integrador/test-support/statements';
import { CompiledQuery, type Kysely, sql } from 'kysely';
import { claimExecucao, type ExecucaoKey, RecordBusyError, recordTentativas, setExecucaoStatus } from '../execucoes.repository';
import { migrateTo, migrateToLatest } from '../migrate';
import { findPurgeCandidates } from '../retention.repository';
import type { Database } from '../schema';
import { createEmpresa } from '../tenants.repository';

const exchange = { url: 'http://erp/g5', requisicao: '<req/>', resposta: '<resp/>', statusHttp: 200, duracaoMs: 12, erro: null };

// Migration 028: the purge pages the SET outbox by (empresa_id, criado_em, id) on every dialect. The guard refuses a
// second claim of a record in flight or held before, after and back down, on every dialect.
describe.each(ALL_DIALECTS)('028-execucoes-hot on %s', (dialect) => {
  let database: TestDatabase;
  let empresaId: number;
  beforeAll(async () => {
    database = await createTestDatabase(dialect, { migrate: false });
    await migrateTo(database, '027-execucoes-chave-binaria');
    empresaId = await createEmpresa(database.db, 'Quente');
  });
  afterAll(async () => {
    await database?.drop();
  });

  const key = (job: string, registro: string | null): ExecucaoKey => ({
    empresaId,
    integracaoId: 19,
    chave: `set:19:${job}:${registro ?? 'p0'}`,
    jobId: job,
    registro,
  });
  const refusal = (db: Kysely<Database>, job: string, registro: string) =>
    claimExecucao(db, key(job, registro)).then(
      () => null,
      (err: unknown) => (err instanceof RecordBusyError ? `busy:${err.holderJobId}${err.held ? ':held' : ''}` : err),
    );

  /** The guard as a push meets it: in flight (enviando, then enviado) and held refuse; concluded lets go. */
  async function guardHolds(db: Kysely<Database>, tag: string): Promise<void> {
    const sending = await claimExecucao(db, key(`${tag}-a`, `${tag}1`));
    expect(await refusal(db, `${tag}-b`, `${tag}1`)).toBe(`busy:${tag}-a`);
    await recordTentativas(db, [{ execucaoId: sending.id, attempt: exchange, outcome: { status: 'enviado', valores: { codCli: 1 } } }]);
    expect(await refusal(db, `${tag}-b`, `${tag}1`)).toBe(`busy:${tag}-a`);
    await setExecucaoStatus(db, sending.id, 'concluido');
    expect(await refusal(db, `${tag}-b`, `${tag}1`)).toBeNull();
    const held = await claimExecucao(db, key(`${tag}-c`, `${tag}2`));
    await db.updateTable('integracao_execucoes').set({ status: 'concluido', retido: 1 }).where('id', '=', held.id).execute();
    expect(await refusal(db, `${tag}-d`, `${tag}2`)).toBe(`busy:${tag}-c:held`);
  }

  it('keeps refusing a second claim of a record in flight or held, across the migration and back down', async () => {
    const { db } = database;
    // Rows the old index admitted, in flight and held, are kept and still claim their records once migrated.
    const before = await claimExecucao(db, key('old-a', 'old1'));
    expect(await migrateToLatest(database)).toEqual(['028-execucoes-hot', '029-execucoes-sem-coluna-gerada']);
    expect(await refusal(db, 'old-b', 'old1')).toBe('busy:old-a');
    await setExecucaoStatus(db, before.id, 'concluido');
    expect(await refusal(db, 'old-b', 'old1')).toBeNull();
    await guardHolds(db, 'up');

    await migrateTo(database, '027-execucoes-chave-binaria');
    await guardHolds(db, 'down');
    const columns = (await db.introspection.getTables()).find((table) => table.name === 'integracao_execucoes')?.columns ?? [];
    // Only MySQL/MariaDB had the column before 028 (024's virtual one).
    expect(columns.some((column) => column.name === 'registro_em_voo')).toBe(dialect === 'mysql');
    await migrateToLatest(database);
    await guardHolds(db, 'again');
    // Three migrations of the table on MariaDB (each ALTER rebuilds it) take most of a minute on a loaded machine.
  }, 240_000);

  it('pages the purge through (empresa_id, criado_em, id)', async () => {
    const { db } = database;
    const at = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000);
    const stamp = (date: Date) => (dialect === 'sqlite' ? date.toISOString() : date);
    // Enough rows of several tenants that reading by the index is the plan's choice, not only its permission.
    const rows = Array.from({ length: 600 }, (_, index) => ({
      empresa_id: index % 3 === 0 ? empresaId : 900 + (index % 7),
      integracao_id: 19,
      chave: `set:19:plan:${index}`,
      job_id: `plan-${index}`,
      status: 'concluido' as const,
      tentativas: 1,
      criado_em: stamp(at(200 - (index % 150))),
      atualizado_em: stamp(at(200 - (index % 150))),
    }));
    for (let from = 0; from < rows.length; from += 200)
      await db
        .insertInto('integracao_execucoes')
        .values(rows.slice(from, from + 200) as never)
        .execute();
    await sql.raw(dialect === 'mysql' ? 'ANALYZE TABLE integracao_execucoes' : 'ANALYZE integracao_execucoes').execute(db);
    const batch = { kind: 'integracao_execucoes' as const, empresaId, before: at(90), after: null, limit: 500 };
    const statements = await capturedStatements(db, (logged) => findPurgeCandidates(logged, batch));
    const statement = statements[0] as CompiledQuery;
    // PostgreSQL: with scans, bitmaps and sorts priced out, the plan left is the one an index reading the tenant's rows in
    // the purge's order gives (at this size the planner may prefer a bitmap and a sort; bench/README.md has the plan at 100k rows).
    const settings = ['enable_seqscan', 'enable_bitmapscan', 'enable_sort'];
    const explain = async (prefix: string) =>
      db.connection().execute(async (conn) => {
        if (dialect === 'postgres') for (const setting of settings) await sql`SELECT set_config(${setting}, 'off', false)`.execute(conn);
        try {
          const { rows: plan } = await conn.executeQuery<Record<string, unknown>>(
            CompiledQuery.raw(`${prefix} ${statement.sql}`, [...statement.parameters]),
          );
          return plan;
        } finally {
          if (dialect === 'postgres') for (const setting of settings) await sql.raw(`RESET ${setting}`).execute(conn);
        }
      });
    if (dialect === 'postgres') {
      const plan = (await explain('EXPLAIN')).map((row) => row['QUERY PLAN']).join('\n');
      expect(plan).toMatch(/Index Scan using integracao_execucoes_empresa_criado/);
      expect(plan).toMatch(/Index Cond: \(\(empresa_id = \d+\) AND \(criado_em < /);
      expect(plan).not.toMatch(/Sort|Seq Scan|Bitmap/);
    } else if (dialect === 'mysql') {
      const plan = await explain('EXPLAIN');
      expect(plan.map((row) => `${row.type}:${row.key}`)).toEqual([
        expect.stringMatching(/^(ref|range):integracao_execucoes_empresa_criado$/),
      ]);
      expect(String(plan[0]?.Extra ?? '')).not.toMatch(/filesort/);
    } else {
      const plan = (await explain('EXPLAIN QUERY PLAN')).map((row) => String(row.detail)).join('\n');
      expect(plan).toMatch(
        /SEARCH integracao_execucoes USING INDEX integracao_execucoes_empresa_criado \(empresa_id=\? AND criado_em<\?\)/,
      );
      expect(plan).not.toMatch(/TEMP B-TREE/);
    }
    const { candidates } = await findPurgeCandidates(db, batch);
    expect(candidates).toHaveLength(rows.filter((row) => row.empresa_id === empresaId && new Date(row.criado_em) < at(90)).length);
  });
});
