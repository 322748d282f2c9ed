import fs from 'node:fs';
import type { Database } from '@integrador/store';
import { type Kysely, sql } from 'kysely';
import { cpuMs } from './proc';

/** One normalised statement's counters in pg_stat_statements (calls, and time spent planning + executing, ms). */
interface StatementCounters {
  query: string;
  calls: number;
  ms: number;
}

/** What kind of work a statement of the product is, from its text (the table below sums calls per kind). */
const KINDS: Array<[kind: string, pattern: RegExp]> = [
  ['begin', /^\s*(begin|start transaction)/i],
  ['commit / rollback', /^\s*(commit|rollback)/i],
  ['set_config (tenant scope)', /^\s*select\s+set_config/i],
  ['registro_jobs upsert', /insert into "?registro_jobs"?/i],
  ['outbox claim', /insert into "?integracao_execucoes"?/i],
  ['outbox claim read-back', /^\s*select .* from "?integracao_execucoes"? where "?chave"?/i],
  ['attempt + enviado', /insert into "?integracao_tentativas"?/i],
  ['concluido + scope', /^\s*update "?integracao_execucoes"?.*escopo/is],
  ['outbox status', /^\s*update "?integracao_execucoes"?/i],
  ['write-back (sql_update)', /^\s*update\s+"?contas"?/i],
  ['consulta', /from\s+"?contas"?/i],
];

function kindOf(query: string): string {
  return KINDS.find(([, pattern]) => pattern.test(query))?.[0] ?? 'other';
}

/**
 * pg_stat_statements of the CRM database, when the server loads it (shared_preload_libraries; the shared test server
 * does not): the counters per normalised statement, or null without it.
 */
export async function crmStatements(db: Kysely<Database>): Promise<Map<string, StatementCounters> | null> {
  try {
    const { rows: loaded } = await sql<{
      on: boolean;
    }>`select current_setting('shared_preload_libraries') like '%pg_stat_statements%' as on`.execute(db);
    if (!loaded[0]?.on) return null;
    // The view lives in the extension, created in the run's throw-away database.
    await sql`create extension if not exists pg_stat_statements`.execute(db);
    const { rows } = await sql<{ id: string; query: string; calls: string; ms: number }>`
      select queryid::text as id, query, calls::text as calls, total_plan_time + total_exec_time as ms
      from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())`.execute(db);
    return new Map(rows.map((row) => [row.id, { query: row.query, calls: Number(row.calls), ms: Number(row.ms) }]));
  } catch {
    return null;
  }
}

/** Statements per push between two snapshots: per kind, and the busiest statements with their text cut short. */
export function statementsPerPush(before: Map<string, StatementCounters>, after: Map<string, StatementCounters>, pushes: number) {
  const deltas = [...after.entries()]
    .map(([id, counters]) => {
      const earlier = before.get(id);
      return { ...counters, calls: counters.calls - (earlier?.calls ?? 0), ms: counters.ms - (earlier?.ms ?? 0) };
    })
    .filter((delta) => delta.calls > 0 && !/pg_stat_statements|pg_stat_database/.test(delta.query));
  const byKind = new Map<string, { calls: number; ms: number }>();
  for (const delta of deltas) {
    const kind = kindOf(delta.query);
    const total = byKind.get(kind) ?? { calls: 0, ms: 0 };
    byKind.set(kind, { calls: total.calls + delta.calls, ms: total.ms + delta.ms });
  }
  const per = (n: number) => Math.round((n / pushes) * 1000) / 1000;
  return {
    total: per(deltas.reduce((sum, delta) => sum + delta.calls, 0)),
    byKind: Object.fromEntries(
      [...byKind.entries()]
        .sort((a, b) => b[1].calls - a[1].calls)
        .map(([kind, t]) => [kind, { perPush: per(t.calls), msPerPush: per(t.ms) }]),
    ),
    top: deltas
      .sort((a, b) => b.calls - a.calls)
      .slice(0, 12)
      .map((delta) => ({ perPush: per(delta.calls), msPerPush: per(delta.ms), query: delta.query.replace(/\s+/g, ' ').slice(0, 110) })),
  };
}

function parentOf(pid: string): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] ?? null;
  } catch {
    return null;
  }
}

/**
 * Starts measuring the CPU of the CRM database server only (its postmaster's children: the backends and background
 * processes), not every postgres process on the machine; null when the server is not a local process we can read.
 * Returns the ms of CPU used since the start (backends that exit meanwhile drop out).
 */
export async function crmServerCpu(db: Kysely<Database>): Promise<(() => number) | null> {
  try {
    const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db);
    const postmaster = parentOf(String(rows[0]?.pid));
    if (!postmaster) return null;
    const sum = () => {
      let total = 0;
      for (const entry of fs.readdirSync('/proc'))
        if (/^\d+$/.test(entry) && parentOf(entry) === postmaster) total += cpuMs(Number(entry)) ?? 0;
      return total;
    };
    const start = sum();
    return () => sum() - start;
  } catch {
    return null;
  }
}
