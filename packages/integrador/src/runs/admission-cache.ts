import type { ConnectionsRegistry } from '@integrador/connections';
import type { Database } from '@integrador/store';
import type { Kysely } from 'kysely';
import { type AdmissionRequest, type AdmittedRun, completeAdmission, type LoadedAdmission, loadAdmission } from './admit-run';

/**
 * How long a worker reuses the database half of an admission. It bounds how long a change to the integracao row
 * (ativo = 0, a new connection, a dependency) can go unseen by jobs already queued: a row set inactive stops new
 * jobs within this time. Kept short on purpose; a retry never uses the cache (see cachedAdmission).
 */
export const ADMISSION_CACHE_TTL_MS = 2000;

export interface AdmissionCacheOptions {
  /** At most ADMISSION_CACHE_TTL_MS unless a caller knowingly asks for more; 0 turns the cache off. */
  ttlMs?: number;
  /** Keys kept at most (tenant × integration × purpose); the oldest go first. */
  max?: number;
  now?: () => number;
  /**
   * The connections file the worker runs by: admission then checks what depends on it (a connection's empresa
   * restriction, a kind a GET cannot read or a SET cannot push through) as the interactive callers' admission does.
   */
  connections?: ConnectionsRegistry;
}

/** admitRun with its database half reused for `fresh: false` requests of the same key within the TTL. */
export type CachedAdmit = (request: AdmissionRequest & { fresh?: boolean }) => Promise<AdmittedRun>;

/**
 * Workers admit every job they take (admitRun); at hundreds of pushes a second the rows it reads (the integracao, its
 * conexao, the empresa's dependency plan) are the same for every job of an integration. This keeps them for
 * `ttlMs` per (empresa, filial, integracao, purpose, configurationScope) — the tenant is part of the key, and the
 * per-job half (parametros_obrigatorios, the run's tenant binding) runs for every job. Refusals and failed reads are not kept;
 * `fresh: true` (a retried attempt) reads the database and refreshes the entry.
 */
export function cachedAdmission(db: Kysely<Database>, options: AdmissionCacheOptions = {}): CachedAdmit {
  const ttlMs = options.ttlMs ?? ADMISSION_CACHE_TTL_MS;
  const max = options.max ?? 500;
  const now = options.now ?? Date.now;
  const entries = new Map<string, { at: number; loaded: Promise<LoadedAdmission> }>();
  return async (request) => {
    const purpose = request.purpose ?? 'run';
    const { tenant } = request;
    const scope = request.configurationScope ?? 'plan';
    const key = `${tenant.empresaId}:${tenant.filialId ?? ''}:${request.integracaoId}:${purpose}:${scope}`;
    const entry = entries.get(key);
    let loaded = entry && !request.fresh && now() - entry.at < ttlMs ? entry.loaded : undefined;
    if (!loaded) {
      loaded = loadAdmission(db, tenant, request.integracaoId, purpose, options.connections, false, scope);
      const fresh = { at: now(), loaded };
      entries.delete(key);
      if (ttlMs > 0) entries.set(key, fresh);
      if (entries.size > max) entries.delete(entries.keys().next().value as string);
      // Only a clean load is kept: a refusal or a lost connection is read again by the next job.
      const forget = () => entries.get(key) === fresh && entries.delete(key);
      loaded.then((l) => l.refusal !== undefined && forget(), forget);
    }
    return completeAdmission(await loaded, request);
  };
}
