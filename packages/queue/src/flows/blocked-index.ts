import type { Redis } from 'ioredis';

/** A job of a flow that waits on a failed prerequisite. */
export interface DependentRef {
  queue: string;
  jobId: string;
  integracaoId: number | null;
}

/**
 * A prerequisite that failed for good while dependents wait on it. Kept by the workers (on the final failure) so the
 * API can list blocked flows per tenant, /metrics can count them and the wedge guard can end them after a while.
 */
export interface BlockedEntry {
  empresaId: number;
  filialId: number | null;
  queue: string;
  jobId: string;
  integracaoId: number | null;
  reason: string;
  failedAt: number;
  /** Nearest first: the job waiting on this one, then the one waiting on that… */
  dependents: DependentRef[];
  /** Set when the dependents were released to fail: 'expired' by the wedge guard, 'cascade' by an upstream ending. */
  released?: 'expired' | 'cascade';
}

/** The hash of blocked entries; field `<queue>:<jobId>` of the failed prerequisite. */
export function blockedKey(prefix: string): string {
  return `${prefix}:flows:blocked`;
}

const field = (queue: string, jobId: string) => `${queue}:${jobId}`;

/** Records (or replaces) the entry of a failed prerequisite. */
export async function recordBlocked(redis: Redis, prefix: string, entry: BlockedEntry): Promise<void> {
  await redis.hset(blockedKey(prefix), field(entry.queue, entry.jobId), JSON.stringify(entry));
}

/** Forgets a prerequisite (it was retried, completed, or its dependents have ended). */
export async function dropBlocked(redis: Redis, prefix: string, queue: string, jobId: string): Promise<void> {
  await redis.hdel(blockedKey(prefix), field(queue, jobId));
}

/** The entry of one prerequisite, if it blocks anything. */
export async function findBlocked(redis: Redis, prefix: string, queue: string, jobId: string): Promise<BlockedEntry | undefined> {
  const text = await redis.hget(blockedKey(prefix), field(queue, jobId));
  return text ? (JSON.parse(text) as BlockedEntry) : undefined;
}

/** Every entry, oldest failure first. */
export async function readBlocked(redis: Redis, prefix: string): Promise<BlockedEntry[]> {
  const all = await redis.hgetall(blockedKey(prefix));
  return Object.values(all)
    .map((text) => JSON.parse(text) as BlockedEntry)
    .sort((a, b) => a.failedAt - b.failedAt);
}

/**
 * The entries that still block: not yet released, and whose prerequisite is still failed (a retry from the CLI or a
 * dashboard moves it on before the worker forgets the entry on completion).
 */
export async function readLiveBlocked(redis: Redis, prefix: string): Promise<BlockedEntry[]> {
  const entries = (await readBlocked(redis, prefix)).filter((entry) => !entry.released);
  if (entries.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const entry of entries) pipeline.zscore(`${prefix}:${entry.queue}:failed`, entry.jobId);
  const scores = (await pipeline.exec()) ?? [];
  return entries.filter((_, i) => scores[i]?.[1] !== null && scores[i]?.[1] !== undefined);
}

/** Blocked dependents per empresa (entries already released are on their way to failing and not counted). */
export function countBlockedDependents(entries: readonly BlockedEntry[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const entry of entries) {
    if (entry.released) continue;
    counts.set(entry.empresaId, (counts.get(entry.empresaId) ?? 0) + entry.dependents.length);
  }
  return counts;
}
