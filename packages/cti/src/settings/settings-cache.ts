import type { Database } from '@integrador/store';
import type { Kysely } from 'kysely';
import { type CtiSettings, findCtiSettings } from './cti-settings.repository';

/**
 * Values read from the CRM cached per process for a few seconds, so that a PBX's call rate does not read the same
 * rows on every event; a change applies within `ttlMs`. Misses are cached too (unknown keys cost nothing twice).
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expires: number }>();
  /** Loads under way: concurrent misses of one key share one query (a PBX burst at expiry is one read, not hundreds). */
  private readonly loading = new Map<string, Promise<V>>();

  /** `now` is the clock entries expire by (tests pass their own). */
  constructor(
    protected readonly ttlMs = 5000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The value under a key, loaded by `load` when absent or stale. */
  async through(key: string, load: () => Promise<V>): Promise<V> {
    const now = this.now();
    const hit = this.entries.get(key);
    if (hit && hit.expires > now) return hit.value;
    let pending = this.loading.get(key);
    if (!pending) {
      pending = load()
        .then((value) => {
          if (this.entries.size > 10000) this.entries.clear();
          this.entries.set(key, { value, expires: this.now() + this.ttlMs });
          return value;
        })
        .finally(() => this.loading.delete(key));
      this.loading.set(key, pending);
    }
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
