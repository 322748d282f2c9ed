import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { capturedStatements } from '@integrador/test-support/statements';
import { CompiledQuery, type Kysely, sql } from 'kysely';
import {
  claimExecucao,
  claimExecucoes,
  concludeExecucoesInScope,
  type ExecucaoKey,
  RecordBusyError,
  recordTentativas,
  setExecucaoStatus,
} from '../execucoes.repository';
import { migrateTo, migrateToLatest } from '../migrate';
import { findPurgeCandidates } from '../retention.repository';
import type { Database } from '../schema';
import { createEmpresa } from '../tenants.repository';

const exchange = { url: 'http://erp/g5', requisicao: '<req/>', resposta: '<resp/>', statusHttp: 200, duracaoMs: 12, erro: null };

// Migration 028: the purge pages the SET outbox by (empresa_id, criado_em, id) on every dialect, and on PostgreSQL the
// in-flight guard indexes a stored column the attempt's update leaves as it was, so that update is heap-only (HOT).
// The guard refuses a second claim of a record in flight or held before, after and back down, on every dialect.
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
    expect(await migrateToLatest(database)).toEqual(['028-execucoes-hot']);
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

  if (dialect === 'postgres')
    it("writes the attempt's update heap-only, and both updates of a row without a record key", async () => {
      const { db } = database;
      /**
       * Updates and HOT updates of the outbox counted by this connection and not yet flushed (pg_stat_get_xact_*: this
       * transaction's, and earlier ones' of the connection still pending), since `from`.
       */
      const counts = async (trx: Kysely<Database>, from = { updates: 0, hot: 0 }) => {
        const { rows } = await sql<{ upd: string; hot: string }>`SELECT
          pg_stat_get_xact_tuples_updated('integracao_execucoes'::regclass) AS upd,
          pg_stat_get_xact_tuples_hot_updated('integracao_execucoes'::regclass) AS hot`.execute(trx);
        return { updates: Number(rows[0]?.upd) - from.updates, hot: Number(rows[0]?.hot) - from.hot };
      };
      /** A push of a record known by its id and one known by its position, claimed and attempted (enviado): their ids. */
      const attempted = async (trx: Kysely<Database>, job: string) => {
        const [byId, byPosition] = await claimExecucoes(trx, [key(job, `${job}-1`), key(job, null)]);
        const ids = [byId?.id ?? 0, byPosition?.id ?? 0];
        const outcome = { status: 'enviado' as const, valores: { codCli: 1 }, mensagem: 'OK' };
        await recordTentativas(
          trx,
          ids.map((execucaoId) => ({ execucaoId, attempt: exchange, outcome })),
        );
        return ids;
      };
      await db.transaction().execute(async (trx) => {
        const from = await counts(trx);
        await attempted(trx, 'hot-a');
        // Both attempts heap-only (before 028: none, atualizado_em and status are indexed).
        expect(await counts(trx, from)).toEqual({ updates: 2, hot: 2 });
      });
      // The write-back as the engine runs it: the record's row lets its record go (its guard value changes: not HOT),
      // the row without a record key stays heap-only.
      await db.transaction().execute(async (trx) => {
        const from = await counts(trx);
        const ids = await attempted(trx, 'hot-b');
        // Its first statement opens the tenant scope (withTenantScope's 'first-statement'), here in this transaction.
        await concludeExecucoesInScope(trx, ids, empresaId);
        expect(await counts(trx, from)).toEqual({ updates: 4, hot: 3 });
      });
    });
});
