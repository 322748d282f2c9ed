import { Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { limitKeys } from './limit-keys';

/**
 * After a limit change of an empresa's scopes: their rate state restarts (a full burst under the new limit)
 * and jobs already delayed to a slot reserved under the old limit are promoted, so they are admitted again
 * under the new one (sooner when it was raised, re-spread when it was lowered). Call it once the workers have
 * reloaded the mirror (their poll interval after writeLimitsMirror). Returns how many jobs were promoted.
 */
export async function releaseReservations(
  redis: Redis,
  prefix: string,
  empresaId: number,
  scopes: string[],
  queueOf: (name: string) => Queue,
): Promise<number> {
  const key = limitKeys.reservations(prefix, empresaId);
  const multi = redis.multi().zrange(key, 0, -1).del(key);
  for (const scope of scopes) multi.del(limitKeys.tat(prefix, scope));
  const [members] = (await multi.exec()) ?? [];
  const list = (members?.[1] as string[] | undefined) ?? [];
  const jobs = new Map<string, { queue: string; id: string }>();
  for (const member of list) {
    const [, queue, id] = member.split('|');
    if (queue && id) jobs.set(`${queue}|${id}`, { queue, id });
  }
  const all = [...jobs.values()];
  for (let i = 0; i < all.length; i += 200) {
    await Promise.all(
      all.slice(i, i + 200).map(async ({ queue, id }) => {
        const job = await Job.fromId(queueOf(queue), id);
        // Not delayed any more (already running or finished): nothing to do.
        await job?.promote().catch(() => undefined);
      }),
    );
  }
  return all.length;
}
