import type { Kysely } from 'kysely';
import { currentTimestamp } from './current-timestamp';
import type { Execucao, ExecucaoKey } from './execucoes.repository';
import { findOwnRow, insertFailedRow } from './held-records.repository';
import type { Database } from './schema';

// A record's claim (its outbox row enviando or enviado, migration 024) left by a job that no longer exists (discarded
// on the dashboard, trimmed by BullMQ's removeOnFail): no run of that job will ever conclude it. A job that meets it
// fails for good naming it (its row failed, with this marker); an operator's retry of that job takes the claim over.

interface OrphanMarker {
  /** The orphaned claim's row the job met. */
  orfao: number;
  /** The operator's retries of the job when it met it. */
  operatorRetries: number;
}

/** The orphaned claim a job's row failed on, and under how many operator's retries; null for any other row. */
export function orphanMarkOf(execucao: Execucao | undefined): OrphanMarker | null {
  if (execucao?.status !== 'falhou' || !execucao.valores) return null;
  try {
    const marker = JSON.parse(execucao.valores) as Partial<OrphanMarker>;
    if (typeof marker.orfao !== 'number' || typeof marker.operatorRetries !== 'number') return null;
    return { orfao: marker.orfao, operatorRetries: marker.operatorRetries };
  } catch {
    return null;
  }
}

/**
 * The job's row of a record whose claim is orphaned: failed, naming the claim and the operator's retries of the job so
 * far (inserted, or the row it had updated). Only an operator's retry past that count takes the claim over.
 */
export async function markOrphanedBy(db: Kysely<Database>, key: ExecucaoKey, marker: OrphanMarker, mensagem: string): Promise<void> {
  const valores = JSON.stringify(marker);
  const own = await findOwnRow(db, key);
  if (own) {
    await db
      .updateTable('integracao_execucoes')
      .set({ status: 'falhou', valores, mensagem, atualizado_em: currentTimestamp(db) })
      .where('id', '=', own.id)
      .where('empresa_id', '=', key.empresaId)
      .where('status', 'in', ['pendente', 'falhou'])
      .execute();
    return;
  }
  await insertFailedRow(db, key, valores, mensagem);
}

/**
 * An operator's retry takes an orphaned claim over, in one transaction, and says how ('enviando' or 'enviado'):
 * - the orphan `enviado` (the receptor accepted it, its answer stored, only the write-back missing): its answer moves to
 *   the job's own row, `enviado` with the orphan's `valores` and `mensagem`, so the job's push only writes it back (never
 *   sent again); the orphan's row fails with `mensagem.answered`;
 * - the orphan `enviando` (its outcome unknown): the job's own row becomes the claim, enviando with its outcome unknown
 *   as the orphan's was (the job's push then reconciles it as an interrupted attempt of its own); the orphan's row fails
 *   with `mensagem.unknown`.
 * The own row takes the record's key (`registro`: a row from before migration 024 has none, and would claim nothing).
 * False when the orphan's row no longer claims the record (concluded, or taken over meanwhile by another job): nothing
 * changes.
 */
export async function takeOverOrphan(
  db: Kysely<Database>,
  empresaId: number,
  claim: { orphanId: number; ownId: number; registro: string | null; mensagem: { unknown: string; answered: string } },
): Promise<false | 'enviando' | 'enviado'> {
  return db.transaction().execute(async (trx) => {
    const orphan = await trx
      .selectFrom('integracao_execucoes')
      .select(['status', 'valores', 'mensagem'])
      .where('id', '=', claim.orphanId)
      .where('empresa_id', '=', empresaId)
      .where('status', 'in', ['enviando', 'enviado'])
      .where('retido', '=', 0)
      .executeTakeFirst();
    if (!orphan) return false;
    const answered = orphan.status === 'enviado';
    // Guarded by the status read: a row concluded or taken over since is left alone.
    const released = await trx
      .updateTable('integracao_execucoes')
      .set({
        status: 'falhou',
        mensagem: answered ? claim.mensagem.answered : claim.mensagem.unknown,
        atualizado_em: currentTimestamp(trx),
      })
      .where('id', '=', claim.orphanId)
      .where('empresa_id', '=', empresaId)
      .where('status', '=', orphan.status)
      .where('retido', '=', 0)
      .executeTakeFirst();
    if (Number(released.numUpdatedRows) !== 1) return false;
    await trx
      .updateTable('integracao_execucoes')
      .set(
        answered
          ? { status: 'enviado', valores: orphan.valores, mensagem: orphan.mensagem, registro: claim.registro }
          : { status: 'enviando', valores: null, registro: claim.registro },
      )
      .set({ atualizado_em: currentTimestamp(trx) })
      .where('id', '=', claim.ownId)
      .where('empresa_id', '=', empresaId)
      .execute();
    return answered ? 'enviado' : 'enviando';
  });
}
