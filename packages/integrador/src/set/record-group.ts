import { isPermanent } from '../runs/run-errors';
import { microBatchOf } from './set-target';

/**
 * How many of a job's records go out at once: with micro-batching on (lote_maximo > 1 and an answer list to split) up
 * to lote_maximo, so a run whose consulta yields several records fills one batched call itself instead of sending them
 * one call each; otherwise one at a time, as always. Records with a repeated key share an outbox row and go one by one.
 */
export function recordGroupSize(integracao: Parameters<typeof microBatchOf>[0], keys: readonly string[]): number {
  const batch = microBatchOf(integracao);
  if (!batch || keys.length < 2) return 1;
  return new Set(keys).size === keys.length ? batch.max : 1;
}

/**
 * Runs `run` for every item, `size` at a time; with size 1 it stops at the first failure, exactly as a plain loop.
 * With more, every item is tried whatever the others do (each keeps its own outcome: its outbox row, attempt and
 * write-back), then the job fails with the first permanent failure if there is one — nothing a retry can fix, as when
 * the items ran one by one — else with the first failure, and its retry finds the concluded ones in the outbox and
 * sends only the others.
 */
export async function runGroup<T, R>(items: readonly T[], size: number, run: (item: T) => Promise<R>): Promise<R[]> {
  if (size <= 1) {
    const results: R[] = [];
    for (const item of items) results.push(await run(item));
    return results;
  }
  const settled: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    for (let at = next++; at < items.length; at = next++) {
      try {
        settled[at] = { status: 'fulfilled', value: await run(items[at] as T) };
      } catch (reason) {
        settled[at] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, lane));
  const failures = settled.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
  if (failures.length > 0) throw failures.find(isPermanent) ?? failures[0];
  return settled.map((result) => (result as PromiseFulfilledResult<R>).value);
}
