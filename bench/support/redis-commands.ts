import { parseInfo } from '@integrador/queue';
import type { Redis } from 'ioredis';
import { round } from './stats';

/** Calls per command since the server started (`INFO commandstats`; commands run inside Lua scripts count too). */
export async function commandStats(redis: Redis): Promise<Map<string, number>> {
  const stats = parseInfo(await redis.info('commandstats'));
  return new Map(
    Object.entries(stats)
      .filter(([key]) => key.startsWith('cmdstat_'))
      .map(([key, value]) => [key.slice('cmdstat_'.length), Number(/calls=(\d+)/.exec(value)?.[1] ?? 0)]),
  );
}

/**
 * Calls per unit (a job, a push) of each command between two readings, and their total; commands under `minimum` per
 * unit are left out of `byCommand` (not of the total). An `evalsha` counts once, plus the calls its script makes.
 */
export function commandsPer(
  before: Map<string, number>,
  after: Map<string, number>,
  units: number,
  minimum: number,
): { total: number; byCommand: Record<string, number> } {
  const byCommand: Record<string, number> = {};
  let total = 0;
  for (const [name, calls] of after) {
    const delta = (calls - (before.get(name) ?? 0)) / units;
    total += delta;
    if (delta >= minimum) byCommand[name] = round(delta, 2);
  }
  return { total, byCommand };
}
