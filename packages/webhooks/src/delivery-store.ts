import type { Database } from '@integrador/store';
import type { Kysely } from 'kysely';
import { type Entrega, loadEntregas, recordDeliveries, type TentativaRecord } from './deliveries.repository';
import { GroupCommit } from './group-commit';

/**
 * The delivery reads and writes a worker process makes for every job, shared by its concurrent jobs (group-commit.ts):
 * under load a hundred deliveries read their rows in one SELECT and record their attempts in one transaction, where
 * each used to take three statements and two commits of its own.
 */
export interface DeliveryStore {
  /** The delivery with its payload, bound to the tenant (loadEntrega). */
  load(empresaId: number, entregaId: number): Promise<Entrega | undefined>;
  /** Records a successful attempt and moves its delivery to entregue; resolves once committed. */
  delivered(attempt: TentativaRecord): Promise<void>;
}

/** Batches per flush, and flushes under way at once (each holds one pooled connection). */
const BATCH = { maxBatch: 200, maxInFlight: 1 };

export function createDeliveryStore(db: Kysely<Database>): DeliveryStore {
  const loads = new GroupCommit<{ empresaId: number; entregaId: number }, Entrega | undefined>(async (items) => {
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
  }, BATCH);
  const writes = new GroupCommit<TentativaRecord, void>(async (attempts) => {
    await recordDeliveries(db, attempts);
    return attempts.map(() => undefined);
  }, BATCH);
  return {
    load: (empresaId, entregaId) => loads.run({ empresaId, entregaId }),
    delivered: (attempt) => writes.run(attempt),
  };
}
