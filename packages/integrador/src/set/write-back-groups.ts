import {
  Coalescer,
  type CoalescerStats,
  concludeExecucoesInScope,
  concludeNotWrittenBack,
  type Database,
  type DialectName,
  executePipelined,
  getOrCreate,
  type NotWrittenBack,
  withTenantScope,
} from '@integrador/store';
import type { CompiledQuery, Kysely } from 'kysely';

/** One push's write-back: its outbox row and its sql_update with every value bound (none when there is nothing to write). */
export interface WriteBack {
  execucaoId: number;
  statement: CompiledQuery<unknown> | null;
  /**
   * A push the receptor accepted whose sql_update did not run (its answer lacked `retornoAusente`): the row keeps the
   * record's key and those keys, and holds back new pushes of the record (concludeNotWrittenBack).
   */
  notWrittenBack?: NotWrittenBack;
}

type Groups = Map<number, Coalescer<WriteBack, undefined>>;
const groupsByDatabase = new WeakMap<Kysely<Database>, Groups>();

async function runWriteBacks(db: Kysely<Database>, dialect: DialectName, empresaId: number, items: WriteBack[]): Promise<undefined[]> {
  await withTenantScope(
    db,
    dialect,
    empresaId,
    async (trx) => {
      // concluido first: on PostgreSQL that statement also opens the tenant scope (one round trip fewer).
      await concludeExecucoesInScope(
        trx,
        items.map((item) => item.execucaoId),
        empresaId,
      );
      // Rare (an answer without a key sql_update uses): its own statement, inside the scope the first one opened.
      for (const item of items) if (item.notWrittenBack) await concludeNotWrittenBack(trx, empresaId, item.execucaoId, item.notWrittenBack);
      // The sql_updates go out together (PostgreSQL pipelining): one round trip for the group, each still its own
      // statement, in order (a conta written back twice ends with the later value, as one by one).
      await executePipelined(
        db,
        trx,
        items.flatMap((item) => (item.statement ? [item.statement] : [])),
      );
    },
    { scopedBy: 'first-statement' },
  );
  return items.map(() => undefined);
}

/**
 * Writes back a push in its empresa's tenant-scoped transaction, together with the write-backs of the same empresa
 * that arrive with it (the pushes of one batched call answer at once): one BEGIN, one concluido for all, each
 * sql_update (pipelined on PostgreSQL: sent together, answered in order), one COMMIT. Groups never mix empresas. When
 * the shared transaction fails (a foreign-row guard, a statement error, a deadlock), it rolls back whole and each push
 * is written back alone, so the error stays its own.
 */
export function writeBackGrouped(db: Kysely<Database>, dialect: DialectName, empresaId: number, item: WriteBack): Promise<undefined> {
  const groups = getOrCreate(groupsByDatabase, db, () => new Map());
  const coalescer = getOrCreate(
    groups,
    empresaId,
    () =>
      new Coalescer<WriteBack, undefined>({
        name: 'write-backs',
        runGroup: (items) => runWriteBacks(db, dialect, empresaId, items),
        runOne: async (one) => (await runWriteBacks(db, dialect, empresaId, [one]))[0],
      }),
  );
  return coalescer.add(item);
}

/** The write-back groups of one empresa so far (groups run together, and those that failed and ran push by push). */
export function writeBackStats(db: Kysely<Database>, empresaId: number): CoalescerStats {
  return { ...(groupsByDatabase.get(db)?.get(empresaId)?.stats ?? { groups: 0, fallbacks: 0 }) };
}
