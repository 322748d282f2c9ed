import { type Kysely, type Selectable, sql } from 'kysely';
import type { Database, IntegracaoExecucoesTable } from './schema';

export type Execucao = Selectable<IntegracaoExecucoesTable>;

/** What one attempt exchanged with the receptor (secrets already redacted by the transport). */
export interface TentativaRecord {
  url: string | null;
  requisicao: string | null;
  resposta: string | null;
  statusHttp: number | null;
  duracaoMs: number | null;
  erro: string | null;
}

/**
 * The outbox row of a record of a job, created as 'enviando' the first time the job reaches it, right before its
 * call; `created` tells that first time apart from a row found again (retry, stalled-job recovery), for which
 * enviando means an attempt was interrupted with its outcome unknown.
 */
export async function claimExecucao(
  db: Kysely<Database>,
  key: { empresaId: number; integracaoId: number; chave: string; jobId: string },
): Promise<Execucao & { created: boolean }> {
  const insert = db.insertInto('integracao_execucoes').values({
    empresa_id: key.empresaId,
    integracao_id: key.integracaoId,
    chave: key.chave,
    job_id: key.jobId,
    status: 'enviando',
    tentativas: 0,
  });
  try {
    // One round trip on the common path (a first run): RETURNING where the dialect has it.
    if (db.getExecutor().adapter.supportsReturning) return { ...(await insert.returningAll().executeTakeFirstOrThrow()), created: true };
    await insert.execute();
  } catch (err) {
    // The key exists: this job ran before (retry, stalled-job recovery): continue from its row.
    const existing = await findByChave(db, key.chave);
    if (existing) return { ...existing, created: false };
    throw err;
  }
  const created = await findByChave(db, key.chave);
  if (!created) throw new Error(`outbox row ${key.chave} vanished after insert`);
  return { ...created, created: true };
}

function findByChave(db: Kysely<Database>, chave: string): Promise<Execucao | undefined> {
  return db.selectFrom('integracao_execucoes').selectAll().where('chave', '=', chave).executeTakeFirst();
}

/**
 * Records one attempt (raw exchange) and, in the same transaction, the execucao's new state: the attempt count
 * and, when the receptor answered, status enviado with its values (the outbox step before any write-back).
 */
export async function recordTentativa(
  db: Kysely<Database>,
  execucaoId: number,
  attempt: TentativaRecord,
  outcome?: { status: Execucao['status']; valores?: Record<string, unknown>; mensagem?: string | null },
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('integracao_execucoes')
      .set({
        tentativas: sql<number>`tentativas + 1`,
        atualizado_em: sql<string>`CURRENT_TIMESTAMP`,
        ...(outcome ? { status: outcome.status } : {}),
        ...(outcome?.valores ? { valores: JSON.stringify(outcome.valores) } : {}),
        ...(outcome && outcome.mensagem !== undefined ? { mensagem: outcome.mensagem } : {}),
      })
      .where('id', '=', execucaoId)
      .execute();
    await trx
      .insertInto('integracao_tentativas')
      .values((eb) => ({
        execucao_id: execucaoId,
        tentativa: eb.selectFrom('integracao_execucoes').select('tentativas').where('id', '=', execucaoId),
        url: attempt.url,
        requisicao: attempt.requisicao,
        resposta: attempt.resposta,
        status_http: attempt.statusHttp,
        duracao_ms: attempt.duracaoMs,
        erro: attempt.erro,
      }))
      .execute();
  });
}

/** Moves an execucao to a new status, keeping the receptor's values and message. */
export async function setExecucaoStatus(
  db: Kysely<Database>,
  id: number,
  status: Execucao['status'],
  details: { valores?: Record<string, unknown>; mensagem?: string | null } = {},
): Promise<void> {
  await db
    .updateTable('integracao_execucoes')
    .set({
      status,
      ...(details.valores ? { valores: JSON.stringify(details.valores) } : {}),
      ...(details.mensagem !== undefined ? { mensagem: details.mensagem } : {}),
      atualizado_em: sql<string>`CURRENT_TIMESTAMP`,
    })
    .where('id', '=', id)
    .execute();
}

/** The attempts of an execucao, oldest first. */
export async function listTentativas(db: Kysely<Database>, execucaoId: number) {
  return db.selectFrom('integracao_tentativas').selectAll().where('execucao_id', '=', execucaoId).orderBy('id').execute();
}

/** A tenant's execucoes of one job (what a job sent and how it ended). */
export async function listExecucoesOfJob(db: Kysely<Database>, empresaId: number, jobId: string): Promise<Execucao[]> {
  return db
    .selectFrom('integracao_execucoes')
    .selectAll()
    .where('empresa_id', '=', empresaId)
    .where('job_id', '=', jobId)
    .orderBy('id')
    .execute();
}
