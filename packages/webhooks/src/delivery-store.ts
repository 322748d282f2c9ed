import { Coalescer, type Database } from '@integrador/store';
import type { Kysely } from 'kysely';
import {
  type Entrega,
  type FailureRecord,
  loadEntregas,
  recordDeliveries,
  recordFailures,
  type TentativaRecord,
} from './deliveries.repository';

/**
 * The delivery reads and writes a worker process makes for every job, shared by its concurrent jobs (the store's Coalescer):
 * under load a hundred deliveries read their rows in one SELECT and record their attempts in one transaction, where
 * each used to take three statements and two commits of its own (a failure: up to four, one after another).
 */
export interface DeliveryStore {
  /** The delivery with its payload, bound to the tenant (loadEntrega). */
  load(empresaId: number, entregaId: number): Promise<Entrega | undefined>;
  /** Records a successful attempt and moves its delivery to entregue; resolves once committed. */
  delivered(attempt: TentativaRecord): Promise<void>;
  /**
   * Records a failed attempt with its delivery's new state and its endpoint's clock or disabling; resolves once
   * committed, with whether its endpoint was disabled by that write.
   */
  failed(failure: FailureRecord): Promise<boolean>;
}

/** Items per group, and groups under way at once (each holds one pooled connection). */
const GROUPS = { maxItems: 200, maxRunning: 1 };

/** A Coalescer whose lone items (and those of a failed group) go through the same batch function, as a batch of one. */
function grouped<I, R>(name: string, runGroup: (items: I[]) => Promise<R[]>): Coalescer<I, R> {
  return new Coalescer<I, R>({ name, runGroup, runOne: async (item) => (await runGroup([item]))[0] as R, ...GROUPS });
}

/**
 * A group's failures in rounds holding each delivery once (recordFailures refuses two of one delivery), in order: a
 * delivery's second failure (a manual resend ending with an automatic attempt) goes in the next round, the rest of the
 * group stays one statement. Rounds are contiguous, so the answers come back in the items' order.
 */
function oncePerDelivery(items: FailureRecord[]): FailureRecord[][] {
  const rounds: FailureRecord[][] = [];
  let seen = new Set<number>();
  let round: FailureRecord[] = [];
  for (const item of items) {
    if (seen.has(item.attempt.entregaId)) {
      rounds.push(round);
      round = [];
      seen = new Set();
    }
    seen.add(item.attempt.entregaId);
    round.push(item);
  }
  if (round.length > 0) rounds.push(round);
  return rounds;
}

export function createDeliveryStore(db: Kysely<Database>): DeliveryStore {
  const loads = grouped<{ empresaId: number; entregaId: number }, Entrega | undefined>('delivery loads', async (items) => {
    // One query per tenant: each stays bound to its empresa_id, as loadEntrega is.
    const byTenant = new Map<number, Set<number>>();
    for (const { empresaId, entregaId } of items) byTenant.set(empresaId, (byTenant.get(empresaId) ?? new Set()).add(entregaId));
    const found = new Map<string, Entrega>();
    await Promise.all(
      [...byTenant].map(async ([empresaId, ids]) => {
        for (const row of await loadEntregas(db, empresaId, [...ids])) {
          found.set(`${empresaId}:${row.id}`, row);
        }
      }),
    );
    return items.map((item) => found.get(`${item.empresaId}:${item.entregaId}`));
  });
  const writes = grouped<TentativaRecord, void>('delivery attempts', async (attempts) => {
    await recordDeliveries(db, attempts);
    return attempts.map(() => undefined);
  });
  // Failures apart from successes: a failing endpoint's deliveries end together (the same timeout, the same 500), and
  // their statement differs (each delivery its own next attempt).
  const failures = grouped<FailureRecord, boolean>('delivery failures', async (items) => {
    const rounds = oncePerDelivery(items);
    if (rounds.length === 1) return recordFailures(db, items);
    // The rounds in one transaction: when a later round fails, the earlier ones roll back with it, so the Coalescer's
    // one-by-one run of the whole group records each failure once (a committed round would be recorded twice).
    return db.transaction().execute(async (trx) => {
      const answers: boolean[] = [];
      for (const round of rounds) answers.push(...(await recordFailures(trx, round)));
      return answers;
    });
  });
  return {
    load: (empresaId, entregaId) => loads.add({ empresaId, entregaId }),
    delivered: (attempt) => writes.add(attempt),
    failed: (failure) => failures.add(failure),
  };
}
