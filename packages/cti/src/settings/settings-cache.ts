import type { Database } from '@integrador/store';
import type { Kysely } from 'kysely';
import { type CtiSettings, findCtiSettings } from './cti-settings.repository';

/**
 * A tenant's CTI settings cached per process for a few seconds: a PBX's call rate must not read cti_configuracoes on
 * every event, and a CLI change applies within `ttlMs`. Misses are cached too (unknown tenants cost nothing twice).
 */
export class SettingsCache {
  private readonly entries = new Map<string, { settings: CtiSettings | undefined; expires: number }>();
  /** Loads under way: concurrent misses of one key share one query (a PBX burst at expiry is one read, not hundreds). */
  private readonly loading = new Map<string, Promise<CtiSettings | undefined>>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly ttlMs = 5000,
  ) {}

  /** The settings under a cache key, loaded by `load` when absent or stale. */
  async through(key: string, load: () => Promise<CtiSettings | undefined>): Promise<CtiSettings | undefined> {
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && hit.expires > now) return hit.settings;
    let pending = this.loading.get(key);
    if (!pending) {
      pending = load()
        .then((settings) => {
          if (this.entries.size > 10000) this.entries.clear();
          this.entries.set(key, { settings, expires: Date.now() + this.ttlMs });
          return settings;
        })
        .finally(() => this.loading.delete(key));
      this.loading.set(key, pending);
    }
    return pending;
  }

  /** The settings of one empresa. */
  get(empresaId: number): Promise<CtiSettings | undefined> {
    return this.through(`e:${empresaId}`, () => findCtiSettings(this.db, empresaId));
  }
}
