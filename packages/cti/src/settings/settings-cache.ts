import type { Database } from '@integrador/store';
import type { Kysely } from 'kysely';
import { LRUCache } from 'lru-cache';
import { type CtiSettings, findCtiSettings } from './cti-settings.repository';

/**
 * Values read from the CRM cached per process for a few seconds, so that a PBX's call rate does not read the same
 * rows on every event; a change applies within `ttlMs`, counted from the start of the load that read the value. A
 * `ttlMs` of 0 or less caches nothing: every read loads (lru-cache would take a ttl of 0 for "never expires"). Misses
 * are cached too (unknown keys cost nothing twice). Each entry is the load's promise, stored when the load starts, so
 * concurrent misses of one key share one query (a PBX burst at expiry is one read, not hundreds); a failed load is not
 * kept. lru-cache's fetchMethod would share the load too, but it does not cache a miss (undefined).
 */
export class TtlCache<V> {
  private readonly entries: LRUCache<string, Promise<V>> | undefined;

  /** `now` is the clock entries expire by (tests pass their own; lru-cache takes a time of 0 for "no time"). */
  constructor(ttlMs = 5000, now?: () => number) {
    if (ttlMs > 0) this.entries = new LRUCache({ max: 10000, ttl: ttlMs, ...(now ? { perf: { now }, ttlResolution: 0 } : {}) });
  }

  /** The value under a key, loaded by `load` when absent or stale. */
  through(key: string, load: () => Promise<V>): Promise<V> {
    const entries = this.entries;
    if (!entries) return load();
    const hit = entries.get(key);
    if (hit) return hit;
    const pending = load();
    entries.set(key, pending);
    pending.catch(() => {
      if (entries.peek(key) === pending) entries.delete(key);
    });
    return pending;
  }
}

/** A tenant's CTI settings, cached per process (a CLI change applies within `ttlMs`). */
export class SettingsCache extends TtlCache<CtiSettings | undefined> {
  constructor(
    private readonly db: Kysely<Database>,
    ttlMs = 5000,
  ) {
    super(ttlMs);
  }

  /** The settings of one empresa. */
  get(empresaId: number): Promise<CtiSettings | undefined> {
    return this.through(`e:${empresaId}`, () => findCtiSettings(this.db, empresaId));
  }
}
