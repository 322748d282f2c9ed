import type { Logger } from '@integrador/logging';
import {
  type CrmDatabase,
  findPurgeCandidates,
  listEmpresaIds,
  PURGE_CLASS,
  PURGE_KINDS,
  type PurgeCandidate,
  type PurgeCursor,
  type PurgedCounts,
  type PurgedTable,
  type PurgeKind,
  purgeCandidates,
} from '@integrador/store';
import type { Cluster, Redis } from 'ioredis';

/** Days each class of history is kept once finished; 0 = forever (packages/config RetentionConfig). */
export interface RetentionDays {
  jobsDays: number;
  webhooksDays: number;
  auditDays: number;
  callsDays: number;
}

/** Rows per statement: each batch is one short transaction (a lock on a few hundred rows, never on a table). */
export const PURGE_BATCH_SIZE = 500;

export interface PurgeHistoryOptions {
  database: CrmDatabase;
  /** Where BullMQ keeps the jobs (a row of a job still there stays: a retry, or an operator's, reads it). */
  redis: Redis | Cluster;
  prefix: string;
  retention: RetentionDays;
  /** Only this empresa's history (the CLI's --empresa); every empresa's otherwise, and the audit rows of none. */
  empresaId?: number;
  /** Count what would go, delete nothing. */
  dryRun?: boolean;
  batchSize?: number;
  logger?: Logger;
  /** Each batch's removed rows per table (the Prometheus counter). */
  onPurged?: (table: PurgedTable, rows: number) => void;
  /** Asked between batches: true stops the purge (shutdown, or the fleet's lock lost). */
  shouldStop?: () => Promise<boolean> | boolean;
  now?: Date;
}

/** What one purge removed (or, dry, would remove) per table, and the old rows it kept because their job is still in Redis. */
export interface PurgeReport {
  dryRun: boolean;
  removed: Record<PurgedTable, number>;
  keptForJobs: number;
  stopped: boolean;
}

const DAY_MS = 86_400_000;

function daysOf(retention: RetentionDays, kind: PurgeKind): number {
  const cls = PURGE_CLASS[kind];
  return cls === 'jobs'
    ? retention.jobsDays
    : cls === 'webhooks'
      ? retention.webhooksDays
      : cls === 'audit'
        ? retention.auditDays
        : retention.callsDays;
}

/** The candidates whose BullMQ job still exists (any state: waiting, delayed, active, failed or completed and retryable). */
async function withJobInRedis(redis: Redis | Cluster, prefix: string, candidates: readonly PurgeCandidate[]): Promise<Set<number>> {
  const withJob = candidates.filter((candidate) => candidate.job !== null);
  if (withJob.length === 0) return new Set();
  const pipeline = redis.pipeline();
  for (const candidate of withJob) pipeline.exists(`${prefix}:${candidate.job?.fila}:${candidate.job?.jobId}`);
  const answers = (await pipeline.exec()) ?? [];
  const kept = new Set<number>();
  withJob.forEach((candidate, index) => {
    const [err, exists] = answers[index] ?? [new Error('no answer'), 0];
    // An unanswered check keeps the row: a purge never guesses a job is gone.
    if (err || Number(exists) > 0) kept.add(candidate.id);
  });
  return kept;
}

/**
 * Removes the history past its retention that the engine no longer needs, kind by kind and tenant by tenant, in
 * batches of `batchSize` rows (store retention.repository.ts says which rows each kind keeps). A row whose job is still
 * in Redis stays for a later purge.
 */
export async function purgeHistory(options: PurgeHistoryOptions): Promise<PurgeReport> {
  const { database, dryRun = false, batchSize = PURGE_BATCH_SIZE } = options;
  const now = options.now ?? new Date();
  const report: PurgeReport = { dryRun, removed: {} as Record<PurgedTable, number>, keptForJobs: 0, stopped: false };
  const empresas = options.empresaId === undefined ? await listEmpresaIds(database.db) : [options.empresaId];
  for (const kind of PURGE_KINDS) {
    const days = daysOf(options.retention, kind);
    if (days === 0) continue;
    const before = new Date(now.getTime() - days * DAY_MS);
    // The audit rows of no empresa (an admin's actions on the whole fleet) are purged with every empresa's, never for one.
    const tenants: (number | null)[] = kind === 'auditoria_acoes' && options.empresaId === undefined ? [...empresas, null] : empresas;
    for (const empresaId of tenants) {
      const counts: PurgedCounts = {};
      let after: PurgeCursor | null = null;
      for (;;) {
        if (await options.shouldStop?.()) {
          report.stopped = true;
          return report;
        }
        const { candidates, next, read } = await findPurgeCandidates(database.db, { kind, empresaId, before, after, limit: batchSize });
        // No step forward (a cursor bound back before its own row) would read the same batch forever.
        if (read === 0 || (next !== null && after !== null && next.id === after.id)) break;
        after = next;
        const kept = await withJobInRedis(options.redis, options.prefix, candidates);
        report.keptForJobs += kept.size;
        const ids = candidates.filter((candidate) => !kept.has(candidate.id)).map((candidate) => candidate.id);
        const batch = await purgeCandidates(database.db, database.dialect, { kind, empresaId, before }, ids, dryRun);
        for (const [table, rows] of Object.entries(batch) as [PurgedTable, number][]) {
          counts[table] = (counts[table] ?? 0) + rows;
          report.removed[table] = (report.removed[table] ?? 0) + rows;
          if (!dryRun && rows > 0) options.onPurged?.(table, rows);
        }
        // A batch may read rows that are not candidates yet (store retention.repository.ts, pageBy): the range ends when a batch reads fewer.
        if (read < batchSize) break;
      }
      if (!dryRun && Object.values(counts).some((rows) => rows > 0))
        options.logger?.info({ kind, empresaId, removed: counts, olderThanDays: days }, 'history purged');
    }
  }
  return report;
}
