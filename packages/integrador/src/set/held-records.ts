import {
  claimHeldExecucao,
  type DialectName,
  type Execucao,
  type ExecucaoKey,
  findHeldExecucoesGrouped,
  findOwnRow,
  heldByOf,
  markHeldBy,
  releaseHeldRecord,
  releaseHoldFor,
} from '@integrador/store';
import type { CompiledSetDefinition } from './compile-set';
import { PermanentError } from './permanent-error';
import type { PrepareContext, PreparedRecord } from './prepare-set';

// A push the receptor accepted whose answer lacked a key sql_update uses is concluded with nothing written back: the
// CRM row stays unmarked (no id_erp), so the next run selects it again, and sending it again would create it twice
// in the receptor (GravarClientes without a key it upserts by). Such a record is held back: not sent again
// automatically while the configuration still needs the missing keys; the job fails for good (SET_RECORD_HELD) saying
// what is missing and what to do. An operator's retry of that job sends it again, as for OUTCOME_UNKNOWN: only the
// retry of a job held back by the record's current hold, and only once per retry (operatorRetries).

/** A record held back: the earlier push the receptor accepted, and the keys its answer lacked that sql_update still uses. */
export interface HeldRecord {
  key: string;
  keys: string[];
  /** The job whose push the receptor accepted. */
  jobId: string | null;
  /** The hold's outbox row (the accepted push): a job held back by it names it. */
  execucaoId: number;
}

/** Of `keys`, those sql_update uses and the record has no value of: what a write-back would lack without the answer. */
export function keysWriteBackLacks(
  definition: CompiledSetDefinition,
  recordValues: Readonly<Record<string, unknown>>,
  keys: readonly string[],
): string[] {
  const variables = definition.compiled.writeBack.statement?.variables ?? [];
  const used = new Set(variables.map((name) => name.split('.')[0] ?? name));
  return keys.filter((key) => used.has(key) && !Object.hasOwn(recordValues, key));
}

/**
 * Of a lookup's rows, the hold of record `key` as the database matched it: exactly, else on MySQL/MariaDB (utf8mb4_bin
 * is PAD SPACE, as the in-flight index) a key differing by trailing spaces only, e.g. the hold of `id7 ` for `id7`.
 * Missed, the record's claim would meet that hold on the index and wait for it (SET_RECORD_IN_FLIGHT) for ever.
 */
function heldRowOf<Row extends { registro: string }>(dialect: DialectName, rows: readonly Row[], key: string): Row | undefined {
  const exact = rows.find((row) => row.registro === key);
  if (exact || dialect !== 'mysql') return exact;
  const padded = key.replace(/ +$/, '');
  return rows.find((row) => row.registro.replace(/ +$/, '') === padded);
}

/**
 * The run's records held back, by key (one query for all of them, shared with the runs in flight). A hold whose keys the configuration no longer
 * needs (sql_update corrected) is released here: that record goes out again and is written back.
 */
export async function heldRecordsOf(ctx: PrepareContext, records: readonly PreparedRecord[]): Promise<Map<string, HeldRecord>> {
  const held = new Map<string, HeldRecord>();
  const { integracao } = ctx.definition;
  if (!ctx.definition.compiled.writeBack.statement) return held;
  // A record known by its position only is not the same record in another run: it is never held (nor held back).
  const identified = records.filter((record) => record.identified);
  // Grouped with the lookups of the other runs in flight (one statement for them all on PostgreSQL).
  const rows = await findHeldExecucoesGrouped(
    ctx.db,
    ctx.empresaId,
    integracao.id,
    identified.map((record) => record.key),
  );
  for (const record of identified) {
    const row = heldRowOf(ctx.dialect, rows, record.key);
    if (!row) continue;
    const keys = keysWriteBackLacks(ctx.definition, record.values, row.retornoAusente);
    if (keys.length > 0) held.set(record.key, { key: record.key, keys, jobId: row.jobId, execucaoId: row.id });
    else await releaseHeldRecord(ctx.db, ctx.empresaId, integracao.id, record.key);
  }
  return held;
}

/**
 * This job's outbox row of a held record, or null when the record stays held back (nothing sent). The first time the
 * job reaches it, its row is inserted failed, naming the hold and the operator's retries of the job so far. Found
 * again, it is released only when an operator retried the job since (`operatorRetries` above the row's) and the hold
 * is still the one the job was held back by: a stalled re-run, a BullMQ retry or a run delayed meanwhile (paused
 * tenant, limits) finds the same count and holds it again. Of several jobs held by one hold, the first released sends
 * the record for all: their rows are concluded with the release (releaseHoldFor), so none sends it again.
 */
export async function claimHeld(
  ctx: PrepareContext & { operatorRetries?: number },
  key: ExecucaoKey,
  hold: HeldRecord,
): Promise<(Execucao & { created: boolean }) | null> {
  const current = { holdId: hold.execucaoId, operatorRetries: ctx.operatorRetries ?? 0 };
  const execucao = await claimHeldExecucao(ctx.db, key, current);
  if (execucao.created) return null;
  const heldBy = heldByOf(execucao);
  // Past its hold (this job released it and went on): a push done or in flight goes on from the row's status; one that
  // never reached the receptor, or was refused, meets the hold found now (another job's push since) as any job does.
  if (heldBy === null && execucao.status !== 'pendente' && execucao.status !== 'falhou') return execucao;
  if (heldBy?.holdId !== hold.execucaoId) {
    await markHeldBy(ctx.db, ctx.empresaId, execucao.id, current);
    return null;
  }
  if (current.operatorRetries <= heldBy.operatorRetries) return null;
  const released = await releaseHoldFor(ctx.db, ctx.empresaId, {
    id: execucao.id,
    holdId: hold.execucaoId,
    integracaoId: ctx.definition.integracao.id,
  });
  if (released) return { ...execucao, status: 'pendente', valores: null };
  // Another job retried with this one (a bulk retry) released the hold first: its push sends the record for both and
  // concluded this job's row with the release. Read after the release lost, the row says so: the job completes.
  const now = await findOwnRow(ctx.db, key);
  return now?.status === 'concluido' ? { ...now, created: false } : null;
}

/** The job's permanent failure for the records it held back, with the values the failure's reason is worded with. */
export function heldRecordsError(integracaoId: number, held: readonly HeldRecord[]): PermanentError {
  const registros = held.map((hold) => hold.key).join(', ');
  const chaves = [...new Set(held.flatMap((hold) => hold.keys))].join(', ');
  const jobs = [...new Set(held.map((hold) => hold.jobId ?? '?'))].join(', ');
  return new PermanentError(
    'SET_RECORD_HELD',
    `integracao #${integracaoId}: record ${registros} not sent again: the receptor accepted it in job ${jobs} and its answer lacked ${chaves} (indice_valor_retorno), so sql_update wrote nothing back; sending it again could create it twice. Check the receptor, then correct indice_valor_retorno / sql_update, or retry this job to send it again`,
    { params: { registros, chaves, jobs } },
  );
}
