import type { Logger } from '@integrador/logging';
import { type CrmDatabase, type LimiteTenant, listLimites } from '@integrador/store';
import { limitKeys, scopeName } from './limit-keys';
import type { LimitRule } from './limit-rule';
import { writeLimitsMirror } from './limits-mirror';
import { releaseReservations } from './release-reservations';

// The mirror's own types for the connection and the queue lookup.
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
 * At a worker's start: when Redis has no mirror at all (a new or restored Redis), rebuild it from limites_tenant, so
 * configured limits survive a Redis that lost its keys. An existing mirror is left alone (the CLI owns changes).
 * A database without the table (not migrated yet) only gets a warning: the fleet then runs without limits.
 */
export async function restoreLimitsMirror(database: CrmDatabase, redis: Redis, prefix: string, logger: Logger): Promise<void> {
  if ((await redis.exists(limitKeys.version(prefix))) === 1) return;
  try {
    const count = await syncLimits(database, redis, prefix);
    logger.info({ limits: count }, 'limits mirror restored from the database');
  } catch (err) {
    logger.warn(
      { reason: (err as Error).message },
      'limits: could not read limites_tenant; running without limits until `integrador limits sync`',
    );
  }
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
