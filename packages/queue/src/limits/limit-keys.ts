import type { TenantRef } from '@integrador/jobs';

/**
 * A limit scope: a tenant (empresa, optionally one filial) and optionally one connection of it.
 * Encoded as "e:<empresa>[:f:<filial>][:c:<connection>]" — the field of the config hash and the suffix of its keys.
 */
export interface LimitScope {
  empresaId: number;
  filialId: number | null;
  connection: string | null;
}

/** The scope's encoded name. */
export function scopeName(scope: LimitScope): string {
  const filial = scope.filialId === null ? '' : `:f:${scope.filialId}`;
  const connection = scope.connection === null ? '' : `:c:${scope.connection}`;
  return `e:${scope.empresaId}${filial}${connection}`;
}

/** Decodes a scope name written by scopeName; undefined for anything else. */
export function parseScope(name: string): LimitScope | undefined {
  const match = /^e:(\d+)(?::f:(\d+))?(?::c:(.+))?$/.exec(name);
  if (!match) return undefined;
  return { empresaId: Number(match[1]), filialId: match[2] ? Number(match[2]) : null, connection: match[3] ?? null };
}

/** The scopes a job of this tenant counts against: the empresa, then the filial when the job carries one. */
export function tenantScopes(tenant: TenantRef, connection: string | null = null): string[] {
  const scopes = [scopeName({ empresaId: tenant.empresaId, filialId: null, connection })];
  if (tenant.filialId !== null) scopes.push(scopeName({ empresaId: tenant.empresaId, filialId: tenant.filialId, connection }));
  return scopes;
}

/** Every key of the limits layer is under the queue prefix, so one Cluster hash tag keeps them on BullMQ's slot. */
export const limitKeys = {
  /** hash scope → "rate,burst,concurrency": the mirror of limites_tenant the workers read. */
  config: (prefix: string) => `${prefix}:limits:config`,
  /** bumped on every change so workers reload the config hash only when it changed. */
  version: (prefix: string) => `${prefix}:limits:version`,
  /** GCRA theoretical arrival time (ms) of a scope; a Retry-After cooldown pushes it forward. */
  tat: (prefix: string, scope: string) => `${prefix}:limits:tat:${scope}`,
  /**
   * hash scope → until (ms) of the Retry-After cooldowns set lately: a worker reads it with its config poll, so a call of
   * a scope without any configured limit needs no Redis command unless a cooldown of that scope is in force.
   */
  cooldowns: (prefix: string) => `${prefix}:limits:cooldowns`,
  /** zset of concurrency leases "queue|jobId" → expiry (ms): a crashed worker's lease lapses on its own. */
  active: (prefix: string, scope: string) => `${prefix}:limits:active:${scope}`,
  /** zset "kind|queue|jobId" → reserved start (ms) of jobs delayed by a rate limit, per empresa. */
  reservations: (prefix: string, empresaId: number) => `${prefix}:limits:resv:e:${empresaId}`,
  /**
   * zset "queue|jobId" → when it returns (ms) of jobs delayed because every concurrency slot was taken, per empresa: what
   * GET /v1/limits counts as waiting for a slot until the job is admitted (the take script removes its entry).
   */
  slotWaits: (prefix: string, empresaId: number) => `${prefix}:limits:slotwait:e:${empresaId}`,
  /** hash of counters: "admitted|<scope>", "delayed|<reason>|<scope>". */
  stats: (prefix: string) => `${prefix}:limits:stats`,
  /** hash scope → admitted count for one wall-clock second (kept a minute): the current rate. */
  second: (prefix: string, epochSecond: number) => `${prefix}:limits:sec:${epochSecond}`,
  /** hash empresaId → pending jobs of that tenant on a queue: the fairness priority of its next job. */
  fairness: (prefix: string, queue: string) => `${prefix}:limits:fair:${queue}`,
};
