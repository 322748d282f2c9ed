import { type Kysely, PostgresAdapter } from 'kysely';
import { Coalescer, type CoalescerStats } from './coalescer';
import {
  type ClaimedExecucao,
  claimExecucao,
  claimExecucoes,
  type Execucao,
  type ExecucaoKey,
  RecordBusyError,
  recordTentativa,
  recordTentativas,
  type TentativaWrite,
} from './execucoes.repository';
import { getOrCreate } from './get-or-create';
import type { Database } from './schema';

/**
 * The outbox writes of the pushes in flight in one process, grouped (see Coalescer): their claims in one multi-row
 * statement, their attempts in another. Each still commits before its caller goes on, so `enviando` is durable before
 * the call and `enviado` before the write-back, exactly as with claimExecucao and recordTentativa. No tenant scope
 * applies to these statements (the outbox rows carry their own empresa_id), so pushes of any empresa may share one.
 */
export interface OutboxGroups {
  claim(key: ExecucaoKey): Promise<Execucao & { created: boolean }>;
  recordTentativa(write: TentativaWrite): Promise<void>;
  /** Groups run and fallbacks so far, per kind (a fallback: the shared statement failed and each item ran alone). */
  readonly stats: { claims: CoalescerStats; tentativas: CoalescerStats };
}

const groupsByDatabase = new WeakMap<Kysely<Database>, OutboxGroups>();

/** The grouped outbox writes of `db` (a pool, never a transaction: a group commits on its own). */
export function outboxGroupsOf(db: Kysely<Database>): OutboxGroups {
  return getOrCreate(groupsByDatabase, db, () => createOutboxGroups(db));
}

function createOutboxGroups(db: Kysely<Database>): OutboxGroups {
  const claims = new Coalescer<ExecucaoKey, ClaimedExecucao>({
    name: 'outbox claims',
    // Insert and read-back commit together: if the read-back failed after the insert committed, the fallback would find
    // its own new rows as if an earlier attempt had made them (and refuse to send them as outcomes unknown). On
    // PostgreSQL claimExecucoes is one statement (no transaction needed: one round trip); elsewhere one transaction.
    runGroup: (keys) =>
      db.getExecutor().adapter instanceof PostgresAdapter
        ? claimExecucoes(db, keys)
        : db.transaction().execute((trx) => claimExecucoes(trx, keys)),
    runOne: (key) => claimExecucao(db, key),
  });
  const tentativas = new Coalescer<TentativaWrite, void>({
    name: 'outbox attempts',
    runGroup: async (writes) => {
      await recordTentativas(db, writes);
      return writes.map(() => undefined);
    },
    runOne: ({ execucaoId, attempt, outcome }) => recordTentativa(db, execucaoId, attempt, outcome),
  });
  return {
    claim: async (key) => {
      const { concurrent, ...row } = await claims.add(key);
      if (!concurrent) return row;
      // Another run of this job inserted the row while the claim ran and is sending it now: never this run's
      // interrupted attempt (an outcome unknown). In flight: this run waits (the job's own id as the holder) and then
      // finds it concluded, or left enviando by a run that died (then an interrupted attempt indeed).
      throw new RecordBusyError(key.registro ?? key.chave, row.job_id, false, { holderId: row.id });
    },
    recordTentativa: (write) => tentativas.add(write),
    stats: { claims: claims.stats, tentativas: tentativas.stats },
  };
}
