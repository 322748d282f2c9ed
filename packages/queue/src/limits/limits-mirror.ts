import type { Redis } from 'ioredis';
import { limitKeys, parseScope, scopeName } from './limit-keys';
import { decodeLimit, encodeLimit, type LimitRule, type ScopeLimit } from './limit-rule';

/**
 * Replaces the Redis mirror of the limits with `rules` (the CRM database's limites_tenant is the source) and
 * bumps its version, so every worker reloads it within a poll interval. One MULTI: workers never see half a change.
 */
export async function writeLimitsMirror(redis: Redis, prefix: string, rules: LimitRule[]): Promise<void> {
  const multi = redis.multi().del(limitKeys.config(prefix));
  if (rules.length) {
    multi.hset(limitKeys.config(prefix), Object.fromEntries(rules.map((rule) => [scopeName(rule), encodeLimit(rule)])));
  }
  await multi.incr(limitKeys.version(prefix)).exec();
}

/** The mirrored limits, as the workers see them. */
export async function readLimitsMirror(redis: Redis, prefix: string): Promise<LimitRule[]> {
  const hash = await redis.hgetall(limitKeys.config(prefix));
  return Object.entries(hash).flatMap(([name, value]) => {
    const scope = parseScope(name);
    const limit = decodeLimit(value);
    return scope && limit ? [{ ...scope, ratePerSecond: limit.rate, burst: limit.burst, maxConcurrency: limit.concurrency }] : [];
  });
}

/**
 * A worker's copy of the mirror: polls the version key (one GET a second per process) and reloads the hash
 * only when it changed, so the hot path reads limits from memory and a change applies within ~1 s everywhere.
 */
export class LimitsConfigCache {
  private limits = new Map<string, ScopeLimit>();
  /** undefined until the first load, which always reads the hash. */
  private version: string | null | undefined;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  /** The limit of a scope, or undefined when none is configured. */
  get(scope: string): ScopeLimit | undefined {
    return this.limits.get(scope);
  }

  /** Reloads when the version moved; concurrent calls share one load. */
  refresh(): Promise<void> {
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async load(): Promise<void> {
    const version = await this.redis.get(limitKeys.version(this.prefix));
    if (version === this.version) return;
    const hash = await this.redis.hgetall(limitKeys.config(this.prefix));
    const next = new Map<string, ScopeLimit>();
    for (const [scope, value] of Object.entries(hash)) {
      const limit = decodeLimit(value);
      if (limit) next.set(scope, limit);
    }
    this.limits = next;
    this.version = version;
  }
}
