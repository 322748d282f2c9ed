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

/** The outbox row of a record of a job, created as 'pendente' the first time the job reaches it. */
export async function claimExecucao(
  db: Kysely<Database>,
  key: { empresaId: number; integracaoId: number; chave: string; jobId: string },
): Promise<Execucao> {
  const existing = await db.selectFrom('integracao_execucoes').selectAll().where('chave', '=', key.chave).executeTakeFirst();
  if (existing) return existing;
  try {
    await db
      .insertInto('integracao_execucoes')
      .values({
        empresa_id: key.empresaId,
        integracao_id: key.integracaoId,
        chave: key.chave,
        job_id: key.jobId,
        status: 'pendente',
        tentativas: 0,
      })
      .execute();
  } catch (err) {
    // A concurrent run of the same job (stalled-job recovery) inserted it first: use that row.
    const raced = await db.selectFrom('integracao_execucoes').selectAll().where('chave', '=', key.chave).executeTakeFirst();
    if (raced) return raced;
    throw err;
  }
  return db.selectFrom('integracao_execucoes').selectAll().where('chave', '=', key.chave).executeTakeFirstOrThrow();
}

/** Records one attempt and counts it on the execucao. */
export async function recordTentativa(db: Kysely<Database>, execucaoId: number, attempt: TentativaRecord): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('integracao_execucoes')
      .set({ tentativas: sql<number>`tentativas + 1`, atualizado_em: sql<string>`CURRENT_TIMESTAMP` })
      .where('id', '=', execucaoId)
      .execute();
    const row = await trx.selectFrom('integracao_execucoes').select('tentativas').where('id', '=', execucaoId).executeTakeFirstOrThrow();
    await trx
      .insertInto('integracao_tentativas')
      .values({
        execucao_id: execucaoId,
        tentativa: Number(row.tentativas),
        url: attempt.url,
        requisicao: attempt.requisicao,
        resposta: attempt.resposta,
        status_http: attempt.statusHttp,
        duracao_ms: attempt.duracaoMs,
        erro: attempt.erro,
      })
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
