/**
 * The dashboard's reads over a large job history: 100k finished jobs in registro_jobs (20 tenants, 10 % failed),
 * then the failures list (first page + total) and free-text searches, timed against a baseline in the same run
 * (one job's record by its unique key). Goal: each answer under 300 ms.
 *
 *   npx tsx bench/dashboard.bench.ts [--records 100000] [--database postgres|mysql|sqlite] [--runs 20]
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  countJobRecords,
  type DialectName,
  findJobRecord,
  type JobFilter,
  searchJobRecords,
  searchText,
  timestampValue,
} from '@integrador/store';
import { createTestDatabase } from '@integrador/test-support/databases';
import { sql } from 'kysely';
import { startBenchRun } from './support/bench-run';
import { round, spread } from './support/stats';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '100000' },
    database: { type: 'string', default: 'postgres' },
    runs: { type: 'string', default: '20' },
  },
});
const RECORDS = Number(values.records);
const RUNS = Number(values.runs);
const TENANTS = 20;
const GOAL_MS = 300;
/** packages/dashboard's BULK_LIMIT (src/actions.ts): the failures list counts its total up to this many. */
const TOTAL_CAP = 5000;

async function main(): Promise<void> {
  const run = startBenchRun();
  const database = await createTestDatabase(values.database as DialectName);
  run.cleanups.push({ name: 'database', run: () => database.drop() });
  const { db } = database;

  run.log(`inserting ${RECORDS} finished jobs on ${values.database}`);
  const now = Date.now();
  const chunk = 1000;
  for (let start = 0; start < RECORDS; start += chunk) {
    const rows = [];
    for (let i = start; i < Math.min(start + chunk, RECORDS); i++) {
      const failed = i % 10 === 0;
      const parametros = { contaId: String(i), telefone: `1199${String(i).padStart(7, '0')}` };
      const erro = failed
        ? {
            classe: 'PermanentError',
            codigo: 'RECEPTOR_ERROR',
            mensagem: i % 1000 === 0 ? `Cliente ${i} bloqueado no ERP` : 'Usuário ou senha inválidos',
          }
        : null;
      const at = timestampValue(db, new Date(now - (RECORDS - i) * 1000));
      rows.push({
        empresa_id: (i % TENANTS) + 1,
        empresa_filial_id: null,
        fila: 'set',
        job_id: String(i + 1),
        nome_job: 'integration.run',
        integracao_id: 19,
        parametros: JSON.stringify(parametros),
        estado: failed ? ('falhou' as const) : ('concluido' as const),
        tentativas: 1,
        max_tentativas: 6,
        erro_classe: erro?.classe ?? null,
        erro_codigo: erro?.codigo ?? null,
        erro_mensagem: erro?.mensagem ?? null,
        busca: searchText({ nomeJob: 'integration.run', jobId: String(i + 1), integracaoId: 19, parametros, erro }),
        criado_em: at,
        iniciado_em: at,
        finalizado_em: at,
        atualizado_em: at,
      });
    }
    await db.insertInto('registro_jobs').values(rows).execute();
  }
  // Fresh statistics, as autovacuum would have after a day of such writes.
  if (values.database === 'postgres') await sql`ANALYZE registro_jobs`.execute(db);

  async function time(label: string, work: () => Promise<unknown>) {
    await work(); // warm-up
    const samples = [];
    for (let i = 0; i < RUNS; i++) {
      const began = performance.now();
      await work();
      samples.push(performance.now() - began);
    }
    const s = spread(samples);
    run.log(`${label}: median ${round(s.median)} ms, max ${round(s.max)} ms`);
    return { label, ...s };
  }

  const tenant = [3];
  // As the dashboard reads them: the first page and the total counted up to one bulk retry's worth (BULK_LIMIT).
  const failuresList = (filter: JobFilter) => Promise.all([searchJobRecords(db, filter), countJobRecords(db, filter, TOTAL_CAP)]);
  const baseline = await time('baseline: one record by key', () => findJobRecord(db, tenant, 'set', '3'));
  const results = [
    await time('failures list, one tenant (page + total)', () => failuresList({ scope: tenant, estados: ['falhou'] })),
    await time('failures list, admin (page + total)', () => failuresList({ scope: 'all', estados: ['falhou'] })),
    await time('free text, common ("senha inválidos"), one tenant', () => failuresList({ scope: tenant, texto: 'senha inválidos' })),
    await time('free text, rare ("contaid=54321"), one tenant', () => failuresList({ scope: [2], texto: 'contaid=54321' })),
    await time('free text, common ("senha inválidos"), admin', () => failuresList({ scope: 'all', texto: 'senha inválidos' })),
    await time('free text, rare ("bloqueado no erp"), admin', () => failuresList({ scope: 'all', texto: 'bloqueado no erp' })),
  ];
  const summary = {
    database: values.database,
    records: RECORDS,
    runs: RUNS,
    goalMs: GOAL_MS,
    baselineMs: round(baseline.median, 2),
    results: results.map((r) => ({ ...r, ratio: round(r.median / Math.max(baseline.median, 0.01)), withinGoal: r.max < GOAL_MS })),
  };
  const out = JSON.stringify(summary, null, 2);
  process.stdout.write(`${out}\n`);
  fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
  fs.writeFileSync(path.join(__dirname, 'results', `dashboard-${run.stamp}.json`), out);
  await run.cleanUp();
}

main().catch((err: unknown) => {
  process.stderr.write(`dashboard bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
