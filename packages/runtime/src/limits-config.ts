import { type LimitRule, releaseReservations, scopeName, writeLimitsMirror } from '@integrador/queue';
import { type CrmDatabase, type LimiteTenant, listLimites } from '@integrador/store';

// The queue package's own types for the connection and the queue lookup, so this package needs no bullmq/ioredis import.
type Redis = Parameters<typeof writeLimitsMirror>[0];
type QueueLookup = Parameters<typeof releaseReservations>[4];

/** How long workers take to see a mirror change (their poll interval, 1 s) plus a margin. */
export const LIMITS_SETTLE_MS = 1500;

/** A limites_tenant row as the queue layer reads it. */
export function toLimitRule(row: LimiteTenant): LimitRule {
  return {
    empresaId: row.empresa_id,
    filialId: row.empresa_filial_id,
    connection: row.nome_conexao,
    ratePerSecond: Number(row.taxa_por_segundo),
    burst: row.rajada,
    maxConcurrency: row.concorrencia_maxima,
  };
}

/** Rewrites the Redis mirror from limites_tenant (after a Redis restore, or at deploy). Returns the rule count. */
export async function syncLimits(database: CrmDatabase, redis: Redis, prefix: string): Promise<number> {
  const rules = (await listLimites(database.db)).map(toLimitRule);
  await writeLimitsMirror(redis, prefix, rules);
  return rules.length;
}

/**
 * Applies a change of one empresa's limites_tenant rows to the running fleet: mirrors the table into Redis,
 * waits until every worker has reloaded it, then restarts the empresa's buckets and promotes the jobs it had
 * delayed under the old limits. Returns how many delayed jobs were promoted.
 */
export async function applyLimitChange(
  database: CrmDatabase,
  redis: Redis,
  prefix: string,
  empresaId: number,
  change: () => Promise<void>,
  queueOf: QueueLookup,
  settleMs = LIMITS_SETTLE_MS,
): Promise<number> {
  const before = (await listLimites(database.db, empresaId)).map(toLimitRule);
  await change();
  await syncLimits(database, redis, prefix);
  const after = (await listLimites(database.db, empresaId)).map(toLimitRule);
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  const scopes = [...new Set([...before, ...after].map(scopeName))];
  return releaseReservations(redis, prefix, empresaId, scopes, queueOf);
}
