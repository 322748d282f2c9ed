import { type Kysely, sql } from 'kysely';
import type { Database } from './schema';

/** An outbox row of a record the receptor accepted whose write-back did not run, and which holds back new pushes of it. */
export interface HeldExecucao {
  registro: string;
  /** The keys the receptor's answer lacked (integracao_execucoes.retorno_ausente, comma-separated). */
  retornoAusente: string[];
  jobId: string | null;
}

/** Splits the stored list of keys (retorno_ausente). */
export function returnKeysOf(text: string | null): string[] {
  return (text ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter((key) => key !== '');
}

/** A push the receptor accepted whose write-back did not run, as its outbox row keeps it. */
export interface NotWrittenBack {
  /** The record's key (runSet's `id<id>`, or its position in the run). */
  registro: string;
  retornoAusente: readonly string[];
  /** The receptor's own answer. */
  mensagem: string | null;
  /** Hold back new pushes of the record: only a record known by its id is the same record in another run. */
  retido: boolean;
}

/**
 * Concludes a push the receptor accepted without writing anything back: the row keeps its record's key and the keys the
 * answer lacked and, for a record known by its id, holds back new pushes of it (retido) until it is sent again.
 */
export async function concludeNotWrittenBack(db: Kysely<Database>, execucaoId: number, note: NotWrittenBack): Promise<void> {
  await db
    .updateTable('integracao_execucoes')
    .set({
      status: 'concluido',
      mensagem: note.mensagem,
      registro: note.registro,
      retorno_ausente: note.retornoAusente.join(',').slice(0, 500),
      retido: note.retido ? 1 : 0,
      atualizado_em: sql<string>`CURRENT_TIMESTAMP`,
    })
    .where('id', '=', execucaoId)
    .execute();
}

/** The held rows of these records of one integration of one empresa, newest first (one query, by its index). */
export async function findHeldExecucoes(
  db: Kysely<Database>,
  empresaId: number,
  integracaoId: number,
  registros: readonly string[],
): Promise<HeldExecucao[]> {
  if (registros.length === 0) return [];
  const rows = await db
    .selectFrom('integracao_execucoes')
    .select(['registro', 'retorno_ausente', 'job_id'])
    .where('empresa_id', '=', empresaId)
    .where('integracao_id', '=', integracaoId)
    .where('registro', 'in', [...registros])
    .where('retido', '=', 1)
    .orderBy('id', 'desc')
    .execute();
  return rows.map((row) => ({ registro: row.registro ?? '', retornoAusente: returnKeysOf(row.retorno_ausente), jobId: row.job_id }));
}

/** Lets new pushes of the record go out again (an operator sends it again, or the configuration no longer needs the keys). */
export async function releaseHeldRecord(db: Kysely<Database>, empresaId: number, integracaoId: number, registro: string): Promise<void> {
  await db
    .updateTable('integracao_execucoes')
    .set({ retido: 0, atualizado_em: sql<string>`CURRENT_TIMESTAMP` })
    .where('empresa_id', '=', empresaId)
    .where('integracao_id', '=', integracaoId)
    .where('registro', '=', registro)
    .where('retido', '=', 1)
    .execute();
}
