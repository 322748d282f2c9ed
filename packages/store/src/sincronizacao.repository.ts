import { type Kysely, type Selectable, SqliteAdapter, sql, type Transaction } from 'kysely';
import type {
  Database,
  IntegracaoSincronizacaoChavesTable,
  IntegracaoSincronizacaoExecucoesTable,
  IntegracaoSincronizacaoTable,
} from './schema';

export type SyncState = Selectable<IntegracaoSincronizacaoTable>;
export type SyncRun = Selectable<IntegracaoSincronizacaoExecucoesTable>;
export type CursorKey = Pick<Selectable<IntegracaoSincronizacaoChavesTable>, 'chave' | 'assinatura'>;
type Db = Kysely<Database> | Transaction<Database>;

/** SQLite keeps timestamps as ISO text (its driver cannot bind a Date); the others take a Date. */
export function timestampValue(db: Db, date: Date): Date | string {
  return db.getExecutor().adapter instanceof SqliteAdapter ? date.toISOString() : date;
}

/** A stored timestamp (Date or text) as epoch milliseconds, or null. */
export function timestampMs(value: Date | string | null): number | null {
  if (value === null) return null;
  return value instanceof Date ? value.getTime() : Date.parse(value);
}

/** The sync state of one integracao of an empresa, or undefined before its first run. */
export async function findSyncState(db: Db, empresaId: number, integracaoId: number): Promise<SyncState | undefined> {
  return db
    .selectFrom('integracao_sincronizacao')
    .selectAll()
    .where('empresa_id', '=', empresaId)
    .where('integracao_id', '=', integracaoId)
    .executeTakeFirst();
}

/** The sync state row, created empty on first use (two workers racing both get the one row). */
export async function ensureSyncState(db: Db, empresaId: number, integracaoId: number): Promise<SyncState> {
  const found = await findSyncState(db, empresaId, integracaoId);
  if (found) return found;
  try {
    await db.insertInto('integracao_sincronizacao').values({ empresa_id: empresaId, integracao_id: integracaoId }).execute();
  } catch (err) {
    // The unique (empresa_id, integracao_id) index: someone else created it first.
    if (!(await findSyncState(db, empresaId, integracaoId))) throw err;
  }
  const created = await findSyncState(db, empresaId, integracaoId);
  if (!created) throw new Error(`sync state of integracao ${integracaoId} vanished after insert`);
  return created;
}

export interface LeaseRequest {
  empresaId: number;
  integracaoId: number;
  /** A token unique to this execution: every commit checks it (fencing), so a replaced holder can never write. */
  owner: string;
  /** A holder whose token starts with this (the same BullMQ job, recovered after a crash) is taken over at once. */
  takeOverPrefix: string;
  leaseMs: number;
  now?: Date;
}

export type LeaseOutcome = { acquired: true; state: SyncState } | { acquired: false; holder: string; expiresAt: number };

/** Takes the run lease of an integracao unless a live holder (another job) has it; compare-and-set, so two callers never both win. */
export async function acquireSyncLease(db: Kysely<Database>, request: LeaseRequest): Promise<LeaseOutcome> {
  const now = request.now ?? new Date();
  for (let tries = 0; tries < 3; tries++) {
    const state = await ensureSyncState(db, request.empresaId, request.integracaoId);
    const holder = state.execucao_dono;
    const expiresAt = timestampMs(state.execucao_expira_em) ?? 0;
    const free = holder === null || expiresAt <= now.getTime() || holder.startsWith(request.takeOverPrefix);
    if (!free) return { acquired: false, holder, expiresAt };
    const result = await db
      .updateTable('integracao_sincronizacao')
      .set({
        execucao_dono: request.owner,
        execucao_expira_em: timestampValue(db, new Date(now.getTime() + request.leaseMs)),
        status: 'executando',
        iniciado_em: timestampValue(db, now),
        erro: null,
        atualizado_em: timestampValue(db, now),
      })
      .where('id', '=', state.id)
      .where((eb) => (holder === null ? eb('execucao_dono', 'is', null) : eb('execucao_dono', '=', holder)))
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 1) {
      const taken = await findSyncState(db, request.empresaId, request.integracaoId);
      if (taken) return { acquired: true, state: taken };
    }
  }
  const state = await ensureSyncState(db, request.empresaId, request.integracaoId);
  return { acquired: false, holder: state.execucao_dono ?? '?', expiresAt: timestampMs(state.execucao_expira_em) ?? 0 };
}

/** Extends the lease; false when this owner no longer holds it. */
export async function renewSyncLease(db: Db, stateId: number, owner: string, leaseMs: number): Promise<boolean> {
  const now = new Date();
  const result = await db
    .updateTable('integracao_sincronizacao')
    .set({ execucao_expira_em: timestampValue(db, new Date(now.getTime() + leaseMs)), atualizado_em: timestampValue(db, now) })
    .where('id', '=', stateId)
    .where('execucao_dono', '=', owner)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** What a committed chunk (or the end of a run) changes in the sync state. */
export interface SyncStatePatch {
  cursor?: { valor: string | null; tipo: SyncState['cursor_tipo'] };
  geracao?: number;
  reconciliando?: boolean;
  ultimaReconciliacao?: Date;
  counts?: { lidas: number; gravadas: number; ignoradas: number; removidas: number };
  status?: SyncState['status'];
  erro?: string | null;
  concluido?: Date;
  /** Renew the lease by this much; with release the lease is given up. */
  leaseMs?: number;
  release?: boolean;
}

/** Applies a patch only while `owner` holds the lease (the fencing check); false when it does not. */
export async function updateSyncState(db: Db, stateId: number, owner: string, patch: SyncStatePatch): Promise<boolean> {
  const now = new Date();
  const result = await db
    .updateTable('integracao_sincronizacao')
    .set({
      atualizado_em: timestampValue(db, now),
      ...(patch.cursor ? { cursor_valor: patch.cursor.valor, cursor_tipo: patch.cursor.tipo } : {}),
      ...(patch.geracao !== undefined ? { geracao: patch.geracao } : {}),
      ...(patch.reconciliando !== undefined ? { reconciliando: patch.reconciliando ? 1 : 0 } : {}),
      ...(patch.ultimaReconciliacao ? { ultima_reconciliacao_em: timestampValue(db, patch.ultimaReconciliacao) } : {}),
      ...(patch.counts
        ? {
            linhas_lidas: patch.counts.lidas,
            linhas_gravadas: patch.counts.gravadas,
            linhas_ignoradas: patch.counts.ignoradas,
            linhas_removidas: patch.counts.removidas,
          }
        : {}),
      ...(patch.status ? { status: patch.status } : {}),
      ...(patch.erro !== undefined ? { erro: patch.erro } : {}),
      ...(patch.concluido ? { concluido_em: timestampValue(db, patch.concluido) } : {}),
      ...(patch.leaseMs !== undefined ? { execucao_expira_em: timestampValue(db, new Date(now.getTime() + patch.leaseMs)) } : {}),
      ...(patch.release ? { execucao_dono: null, execucao_expira_em: null } : {}),
    })
    .where('id', '=', stateId)
    .where('execucao_dono', '=', owner)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

const KEY_BATCH = 500;

/** The stored signatures of those keys among the ones committed at the saved cursor value. */
export async function findCursorKeys(
  db: Db,
  empresaId: number,
  integracaoId: number,
  chaves: readonly string[],
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (let i = 0; i < chaves.length; i += KEY_BATCH) {
    const rows = await db
      .selectFrom('integracao_sincronizacao_chaves')
      .select(['chave', 'assinatura'])
      .where('empresa_id', '=', empresaId)
      .where('integracao_id', '=', integracaoId)
      .where('chave', 'in', chaves.slice(i, i + KEY_BATCH))
      .execute();
    for (const row of rows) found.set(row.chave, row.assinatura);
  }
  return found;
}

/** Records keys at the cursor value; `replace` first forgets those of an older cursor value. */
export async function saveCursorKeys(
  db: Db,
  empresaId: number,
  integracaoId: number,
  keys: readonly CursorKey[],
  replace: boolean,
): Promise<void> {
  const scope = db
    .deleteFrom('integracao_sincronizacao_chaves')
    .where('empresa_id', '=', empresaId)
    .where('integracao_id', '=', integracaoId);
  if (replace) await scope.execute();
  for (let i = 0; i < keys.length; i += KEY_BATCH) {
    const batch = keys.slice(i, i + KEY_BATCH);
    if (!replace)
      await scope
        .where(
          'chave',
          'in',
          batch.map((k) => k.chave),
        )
        .execute();
    await db
      .insertInto('integracao_sincronizacao_chaves')
      .values(batch.map((k) => ({ empresa_id: empresaId, integracao_id: integracaoId, chave: k.chave, assinatura: k.assinatura })))
      .execute();
  }
}

/** How a run starts: a job resumed after a crash continues its own history row. */
export interface SyncRunStart {
  empresaId: number;
  integracaoId: number;
  jobId: string;
  gatilho: string;
  modo: SyncRun['modo'];
  reconciliacao: boolean;
  cursorInicial: string | null;
}

/** The history row of this job's run, created as 'executando' the first time the job starts. */
export async function startSyncRun(db: Kysely<Database>, start: SyncRunStart): Promise<SyncRun> {
  const running = await db
    .selectFrom('integracao_sincronizacao_execucoes')
    .selectAll()
    .where('empresa_id', '=', start.empresaId)
    .where('integracao_id', '=', start.integracaoId)
    .where('job_id', '=', start.jobId)
    .where('status', 'in', ['executando', 'falhou'])
    .orderBy('id', 'desc')
    .executeTakeFirst();
  // One row per job: a retry (or a recovered crash) continues the row, so its counts and duration cover every attempt.
  if (running?.status === 'falhou') {
    await db
      .updateTable('integracao_sincronizacao_execucoes')
      .set({ status: 'executando', erro: null, concluido_em: null })
      .where('id', '=', running.id)
      .execute();
    return { ...running, status: 'executando', erro: null, concluido_em: null };
  }
  if (running) return running;
  await db
    .insertInto('integracao_sincronizacao_execucoes')
    .values({
      empresa_id: start.empresaId,
      integracao_id: start.integracaoId,
      job_id: start.jobId,
      gatilho: start.gatilho,
      modo: start.modo,
      reconciliacao: start.reconciliacao ? 1 : 0,
      status: 'executando',
      cursor_inicial: start.cursorInicial,
      iniciado_em: timestampValue(db, new Date()),
    })
    .execute();
  return startSyncRun(db, start);
}

/** Adds one committed chunk's counts to the run (in the chunk's transaction). */
export async function addSyncRunCounts(
  db: Db,
  runId: number,
  counts: { lidas: number; gravadas: number; ignoradas: number },
): Promise<void> {
  await db
    .updateTable('integracao_sincronizacao_execucoes')
    .set({
      linhas_lidas: sql<number>`linhas_lidas + ${counts.lidas}`,
      linhas_gravadas: sql<number>`linhas_gravadas + ${counts.gravadas}`,
      linhas_ignoradas: sql<number>`linhas_ignoradas + ${counts.ignoradas}`,
      lotes: sql<number>`lotes + 1`,
    })
    .where('id', '=', runId)
    .execute();
}

/** Closes a run's history row. */
export async function finishSyncRun(
  db: Db,
  runId: number,
  outcome: { status: 'concluido' | 'falhou'; erro?: string | null; cursorFinal?: string | null; removidas?: number; duracaoMs: number },
): Promise<void> {
  await db
    .updateTable('integracao_sincronizacao_execucoes')
    .set({
      status: outcome.status,
      erro: outcome.erro ?? null,
      ...(outcome.cursorFinal !== undefined ? { cursor_final: outcome.cursorFinal } : {}),
      ...(outcome.removidas !== undefined ? { linhas_removidas: outcome.removidas } : {}),
      concluido_em: timestampValue(db, new Date()),
      // Attempts add up: a retried job's row holds the time of every attempt.
      duracao_ms: sql<number>`COALESCE(duracao_ms, 0) + ${outcome.duracaoMs}`,
    })
    .where('id', '=', runId)
    .execute();
}

/**
 * Closes the history rows still marked executando of an integracao whose jobs are no longer running: another job's row
 * when a new run holds the lease (`exceptJobId`), or the job's own when it failed for good without reaching its own
 * bookkeeping (its worker died once too often, or the CRM database was down when it failed). Also ends the sync
 * state's "executando" when `jobId` still holds the lease.
 */
export async function abandonSyncRuns(
  db: Db,
  target: { empresaId: number; integracaoId: number; jobId?: string; exceptJobId?: string },
  erro: string,
): Promise<number> {
  let query = db
    .updateTable('integracao_sincronizacao_execucoes')
    .set({ status: 'falhou', erro: erro.slice(0, 2000), concluido_em: timestampValue(db, new Date()) })
    .where('empresa_id', '=', target.empresaId)
    .where('integracao_id', '=', target.integracaoId)
    .where('status', '=', 'executando');
  if (target.jobId !== undefined) query = query.where('job_id', '=', target.jobId);
  if (target.exceptJobId !== undefined) query = query.where('job_id', '<>', target.exceptJobId);
  const result = await query.executeTakeFirst();
  if (target.jobId !== undefined)
    await db
      .updateTable('integracao_sincronizacao')
      .set({ status: 'falhou', erro: erro.slice(0, 2000), execucao_dono: null, execucao_expira_em: null })
      .where('empresa_id', '=', target.empresaId)
      .where('integracao_id', '=', target.integracaoId)
      .where('execucao_dono', 'like', `${target.jobId}:%`)
      .execute();
  return Number(result.numUpdatedRows);
}

/** One history row by id. */
export async function findSyncRun(db: Db, runId: number): Promise<SyncRun | undefined> {
  return db.selectFrom('integracao_sincronizacao_execucoes').selectAll().where('id', '=', runId).executeTakeFirst();
}

/** The latest runs of an integracao of an empresa, newest first (the dashboard's and getops' "last run"). */
export async function listSyncRuns(db: Db, empresaId: number, integracaoId: number, limit = 20): Promise<SyncRun[]> {
  return db
    .selectFrom('integracao_sincronizacao_execucoes')
    .selectAll()
    .where('empresa_id', '=', empresaId)
    .where('integracao_id', '=', integracaoId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

/** The latest run of an integracao of an empresa, or undefined. */
export async function lastSyncRun(db: Db, empresaId: number, integracaoId: number): Promise<SyncRun | undefined> {
  return (await listSyncRuns(db, empresaId, integracaoId, 1))[0];
}
