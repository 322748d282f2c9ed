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
 * A worker's copy of the mirror: polls the version key and the Retry-After cooldowns (two reads a second per process)
 * and reloads the hash only when the version moved, so the hot path reads limits from memory and a change applies
 * within ~1 s everywhere.
 */
export class LimitsConfigCache {
  private limits = new Map<string, ScopeLimit>();
  /** Retry-After cooldowns: scope → until (ms), as polled from Redis plus those this process set since. */
  private cooldowns = new Map<string, number>();
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

  /** Until when (ms) a Retry-After cooldown holds the scope, as this process knows it (0 = none known). */
  cooldownUntil(scope: string): number {
    return this.cooldowns.get(scope) ?? 0;
  }

  /** A cooldown this process has just set: known at once here, by the other processes at their next poll. */
  noteCooldown(scope: string, until: number): void {
    if (until > this.cooldownUntil(scope)) this.cooldowns.set(scope, until);
  }

  /** Reloads when the version moved; concurrent calls share one load. */
  refresh(): Promise<void> {
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async load(): Promise<void> {
    const [version, cooldowns] = await Promise.all([
      this.redis.get(limitKeys.version(this.prefix)),
      this.redis.hgetall(limitKeys.cooldowns(this.prefix)),
    ]);
    const now = Date.now();
    const next = new Map<string, number>();
    for (const [scope, value] of Object.entries(cooldowns)) if (Number(value) > now) next.set(scope, Number(value));
    // One noted while this read was on the way may be missing from it.
    for (const [scope, until] of this.cooldowns) if (until > now && until > (next.get(scope) ?? 0)) next.set(scope, until);
    this.cooldowns = next;
    if (version === this.version) return;
    const hash = await this.redis.hgetall(limitKeys.config(this.prefix));
    const limits = new Map<string, ScopeLimit>();
    for (const [scope, value] of Object.entries(hash)) {
      const limit = decodeLimit(value);
      if (limit) limits.set(scope, limit);
    }
    this.limits = limits;
    this.version = version;
  }
}
