/**
 * What one registro_jobs row costs PostgreSQL, index by index (bench/README.md, SET, 2026-12-06 afternoon).
 *
 *   TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5482/postgres npx tsx bench/registro-jobs-row.ts [rows] [perStatement]
 *
 * Migrates a throw-away database, then for each variant (every index; then without one index at a time) upserts
 * `rows` completed SET job records (the recorder's one insert per job) in statements of `perStatement` rows through
 * the product's recordJobEvents, on one connection, and reports the server backend's CPU per row (its
 * /proc/<pid>/schedstat, so the server must run on this machine) and the statement's execution time.
 */
import fs from 'node:fs';
import { type JobEvent, recordJobEvents } from '@integrador/store';
import { createTestDatabase } from '@integrador/test-support/databases';
import { sql } from 'kysely';

const rows = Number(process.argv[2] ?? 2800);
const perStatement = Number(process.argv[3] ?? 14);

async function main(): Promise<void> {
  const database = await createTestDatabase('postgres');
  const db = database.db;
  try {
    const indexes = (
      await sql<{
        indexname: string;
        indexdef: string;
      }>`SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'registro_jobs' ORDER BY indexname`.execute(db)
    ).rows;
    console.error(indexes.map((i) => i.indexdef).join('\n'));
    const droppable = indexes.filter((i) => !i.indexname.endsWith('_pkey') && i.indexname !== 'registro_jobs_fila_job');
    let seq = 0;
    const event = (): JobEvent => {
      seq += 1;
      const at = new Date();
      return {
        empresaId: 1 + (seq % 5),
        filialId: null,
        fila: 'set',
        jobId: String(100000 + seq),
        nomeJob: 'integration.run',
        integracaoId: 7,
        parametros: { contaId: seq % 10000 },
        estado: 'concluido',
        tentativas: 1,
        maxTentativas: 5,
        erro: null,
        at,
        iniciadoEm: new Date(at.getTime() - 40),
      };
    };
    const measure = async (label: string) => {
      // One connection for the whole variant, so its backend's CPU is this variant's work.
      await db.connection().execute(async (conn) => {
        const pid = (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(conn)).rows[0]?.pid;
        const cpu = () => Number(fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1000; // µs
        for (let i = 0; i < 200; i += perStatement) await recordJobEvents(conn, Array.from({ length: perStatement }, event)); // warm-up
        await sql`SELECT pg_stat_statements_reset()`.execute(conn).catch(() => undefined);
        const before = cpu();
        const started = process.hrtime.bigint();
        for (let i = 0; i < rows; i += perStatement) await recordJobEvents(conn, Array.from({ length: perStatement }, event));
        const wall = Number(process.hrtime.bigint() - started) / 1000;
        const used = cpu() - before;
        const exec = (
          await sql<{
            ms: number;
          }>`SELECT coalesce(sum(total_exec_time), 0)::float AS ms FROM pg_stat_statements WHERE query ILIKE 'insert into "registro_jobs"%'`
            .execute(conn)
            .catch(() => ({ rows: [{ ms: Number.NaN }] }))
        ).rows[0]?.ms;
        console.log(
          `${label.padEnd(34)} backend CPU ${(used / rows).toFixed(1).padStart(6)} µs/row  exec ${(((exec ?? 0) * 1000) / rows).toFixed(1).padStart(6)} µs/row  wall ${(wall / rows).toFixed(1).padStart(6)} µs/row`,
        );
      });
    };
    await measure('all indexes');
    for (const index of droppable) {
      await sql.raw(`DROP INDEX ${index.indexname}`).execute(db);
      await measure(`without ${index.indexname}`);
      await sql.raw(index.indexdef).execute(db);
    }
    for (const index of droppable) await sql.raw(`DROP INDEX ${index.indexname}`).execute(db);
    await measure('without any of them');
    const trigger = (
      await sql<{ tgname: string }>`SELECT tgname FROM pg_trigger WHERE tgrelid = 'registro_jobs'::regclass AND NOT tgisinternal`.execute(
        db,
      )
    ).rows;
    for (const t of trigger) await sql.raw(`ALTER TABLE registro_jobs DISABLE TRIGGER ${t.tgname}`).execute(db);
    await measure(`… and without triggers (${trigger.map((t) => t.tgname).join(', ')})`);
  } finally {
    await database.drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
