import type { GetRunProgress, GetRunResult } from '@integrador/jobs';
import { passwordVariablesParam } from '@integrador/queue';
import { classifySourceError, type SourceErrorCode, type SourceReader, type SourceRow } from '@integrador/sources';
import {
  abandonSyncRuns,
  acquireSyncLease,
  addSyncRunCounts,
  type Database,
  type DialectName,
  findCursorKeys,
  findSyncRun,
  finishSyncRun,
  isRowValueError,
  isStatementError,
  isTenantGuardViolation,
  isUniqueViolation,
  type SyncState,
  saveCursorKeys,
  startSyncRun,
  timestampMs,
  updateSyncState,
  withTenantScope,
} from '@integrador/store';
import type { Kysely, Transaction } from 'kysely';
import { failingItem } from '../failing-item';
import { reconcileRequested } from '../parametros';
import { ForeignRowError } from '../runs/run-errors';
import { PermanentError } from '../set/permanent-error';
import { type CrmTable, describeCrmTable, upsertKeyProblem } from './crm-table';
import { hasTenantRows, markRemoved, type RowStamp, upsertRecords, writeWithTemplates } from './crm-write';
import { atCursor, type CursorValue, cursorOf, savedCursor } from './cursor';
import { getConfigError } from './get-config-messages';
import type { GetDefinition } from './get-definition';
import {
  CRM_DATABASE,
  GetConfigError,
  onCrm,
  SourceConnectionRefusedError,
  SyncBusyError,
  SyncLeaseLostError,
  sideError,
} from './get-errors';
import type { GetSettings } from './get-settings';
import { type ColumnPlan, planColumns, type SyncRecord, signatureOf, toRecord } from './row-mapping';
import { buildSourceQuery } from './source-query';

export interface GetRunContext {
  db: Kysely<Database>;
  dialect: DialectName;
  definition: GetDefinition;
  reader: SourceReader;
  /** The `${NAME}` variables the connection's password comes from (Connection.passwordVariables): a refused login names them. */
  passwordVariables?: readonly string[];
  tenant: { empresaId: number; filialId: number | null };
  parametros: Readonly<Record<string, unknown>>;
  jobId: string;
  trigger: string;
  /** Unique to this execution (fencing token); `takeOverPrefix` lets the same job resume after its worker died. */
  owner: string;
  takeOverPrefix: string;
  leaseMs: number;
  signal?: AbortSignal;
  onProgress?: (progress: GetRunProgress) => Promise<void> | void;
  /** Told about rows skipped for an empty key (counts only, never values). */
  onWarning?: (message: string, detail: Record<string, unknown>) => void;
}

/** Everything a run carries from chunk to chunk. */
interface RunState {
  stateId: number;
  runId: number;
  stamp: RowStamp;
  reconcile: boolean;
  /** Cursor at the start of the run: rows at exactly this value may already be committed. */
  startCursor: CursorValue | null;
  cursor: CursorValue | null;
  plan: ColumnPlan | null;
  /** The table held no row of the tenant when the run began: chunks are inserted, not upserted, until a key collides. */
  insertOnly: boolean;
  progress: GetRunProgress;
  skipped: number;
  /** Rows of this attempt dropped because a later row of the same chunk had their key (the later one is written). */
  duplicates: number;
}

/** True when this run must be (or continue) a reconcile pass. */
function reconcileDue(settings: GetSettings, state: SyncState, parametros: Readonly<Record<string, unknown>>): boolean {
  if (settings.write !== 'upsert') return false;
  if (reconcileRequested(parametros.reconciliar) === true) return true;
  if (settings.reconcileHours === null) return false;
  const last = timestampMs(state.ultima_reconciliacao_em);
  return last === null || Date.now() - last >= settings.reconcileHours * 3600_000;
}

async function crmTableOf(ctx: GetRunContext): Promise<CrmTable | null> {
  const { settings } = ctx.definition;
  if (settings.write !== 'upsert' || settings.table === null) return null;
  const table = await describeCrmTable(ctx.db, ctx.dialect, settings.table);
  if (!table) throw getConfigError('CRM_TABLE_ABSENT', { tabela: settings.table });
  const keyProblem = upsertKeyProblem(table, settings.keyColumns);
  if (keyProblem) throw getConfigError(keyProblem.problem, { chave: keyProblem.chave, tabela: table.name });
  return table;
}

/** Commits a patch of the sync state under the lease; throws when the lease was lost (the transaction rolls back). */
async function fenced(
  trx: Kysely<Database> | Transaction<Database>,
  ctx: GetRunContext,
  run: RunState,
  patch: Parameters<typeof updateSyncState>[3],
) {
  if (!(await updateSyncState(trx, run.stateId, ctx.owner, { leaseMs: ctx.leaseMs, ...patch })))
    throw new SyncLeaseLostError(
      `integracao #${ctx.definition.integracao.id}: lease lost to another execution; stopping without committing`,
    );
}

/** Drops rows committed before at exactly the start cursor value (same key, same signature) and repeated keys. */
async function dedupe(ctx: GetRunContext, run: RunState, records: SyncRecord[]): Promise<SyncRecord[]> {
  const plan = run.plan;
  // Only rows at the start cursor were possibly committed before: the others need no signature.
  const isAtStart = run.startCursor === null ? null : atCursor(run.startCursor);
  const atStart = isAtStart === null ? [] : records.filter((r) => isAtStart(r.cursorValue));
  let fresh = records;
  if (atStart.length > 0 && plan !== null) {
    const saved = await findCursorKeys(ctx.db, ctx.tenant.empresaId, ctx.definition.integracao.id, [...new Set(atStart.map((r) => r.key))]);
    const unchanged = new Set(
      atStart.filter((r) => {
        const signature = saved.get(r.key);
        return signature !== undefined && signature === signatureOf(plan, r);
      }),
    );
    if (unchanged.size > 0) fresh = records.filter((r) => !unchanged.has(r));
  }
  // A key twice in one chunk: the later row (ordered by cursor) wins; one statement may not touch a row twice.
  const keys = new Set<string>();
  for (const record of fresh) keys.add(record.key);
  if (keys.size === fresh.length) return fresh;
  const byKey = new Map<string, SyncRecord>();
  // The first few keys seen again, in the order they repeat (a chunk holds up to tamanho_lote rows: one pass).
  const repeated = new Set<string>();
  for (const record of fresh) {
    if (byKey.delete(record.key) && repeated.size < 5) repeated.add(record.key);
    byKey.set(record.key, record);
  }
  // Two ERP rows under one key: not silent — counted in the result and logged with a few of the keys.
  const dropped = fresh.length - byKey.size;
  run.duplicates += dropped;
  ctx.onWarning?.('rows sharing a key in one pull: the later one was written', {
    integracaoId: ctx.definition.integracao.id,
    rows: dropped,
    keys: [...repeated].map((k) => k.replaceAll('\u001f', ', ')),
  });
  return [...byKey.values()];
}

/** The cursor after a chunk (rows come ordered by it) and the keys at that value, to dedupe the next >= read. */
function cursorAfter(
  run: RunState,
  records: readonly SyncRecord[],
): { cursor: CursorValue | null; keysAtCursor: SyncRecord[]; replace: boolean } {
  let last: CursorValue | null = null;
  for (let i = records.length - 1; i >= 0 && last === null; i--) last = cursorOf((records[i] as SyncRecord).cursorValue);
  if (last === null) return { cursor: run.cursor, keysAtCursor: [], replace: false };
  const isAtLast = atCursor(last);
  const keysAtCursor = new Map<string, SyncRecord>();
  for (const record of records) if (isAtLast(record.cursorValue)) keysAtCursor.set(record.key, record);
  return { cursor: last, keysAtCursor: [...keysAtCursor.values()], replace: run.cursor?.text !== last.text };
}

function toRecords(ctx: GetRunContext, run: RunState, rows: readonly SourceRow[], table: CrmTable | null): SyncRecord[] {
  const first = rows[0];
  if (run.plan === null && first) run.plan = planColumns(ctx.definition.settings, Object.keys(first), table);
  const plan = run.plan;
  if (plan === null) return [];
  const records: SyncRecord[] = [];
  let emptyKeys = 0;
  for (const row of rows) {
    const record = toRecord(plan, row);
    if (record) records.push(record);
    else emptyKeys++;
  }
  if (emptyKeys > 0) {
    run.skipped += emptyKeys;
    ctx.onWarning?.('rows without a key skipped', { integracaoId: ctx.definition.integracao.id, rows: emptyKeys });
  }
  return records;
}

/** Writes records into the CRM table (upsert) or through sql_insert/sql_update, in the caller's transaction. */
async function writeRecords(
  ctx: GetRunContext,
  run: RunState,
  table: CrmTable | null,
  trx: Transaction<Database>,
  records: readonly SyncRecord[],
  insertOnly: boolean,
): Promise<void> {
  const { settings } = ctx.definition;
  if (table && run.plan)
    await upsertRecords(
      ctx.db,
      trx,
      ctx.dialect,
      { table, keyColumns: settings.keyColumns, columns: run.plan.pairs.map((p) => p.target) },
      run.stamp,
      records,
      { insertOnly, warn: ctx.onWarning },
    );
  else
    await writeWithTemplates(trx, ctx.dialect, settings, baseValues(ctx, run), records, {
      empresaId: ctx.tenant.empresaId,
      filialId: run.stamp.filialId,
    });
}

const PROBE_ROLLBACK = Symbol('probe rollback');

/**
 * The ERP key of the row a chunk's statement error comes from (failingItem: halves of the chunk written in
 * transactions rolled back at once). Null when no single row fails alone or the probe fails otherwise.
 */
async function failingKey(
  ctx: GetRunContext,
  run: RunState,
  table: CrmTable | null,
  records: readonly SyncRecord[],
): Promise<string | null> {
  const only = await failingItem(records, async (part) => {
    try {
      await withTenantScope(ctx.db, ctx.dialect, ctx.tenant.empresaId, async (trx) => {
        await writeRecords(ctx, run, table, trx, part, false);
        throw PROBE_ROLLBACK;
      });
      return false;
    } catch (err) {
      return err !== PROBE_ROLLBACK && isStatementError(err);
    }
  });
  return only === null ? null : only.key.replaceAll('\u001f', ', ');
}

/** Writes one chunk and, in the same CRM transaction, the cursor it reaches and the run's counts. */
async function commitChunk(ctx: GetRunContext, run: RunState, table: CrmTable | null, rows: readonly SourceRow[]): Promise<void> {
  const { settings, integracao } = ctx.definition;
  const emptyBefore = run.skipped;
  const all = toRecords(ctx, run, rows, table);
  const records = await dedupe(ctx, run, all);
  const skipped = run.skipped - emptyBefore + (all.length - records.length);
  run.skipped += all.length - records.length;
  const incremental = settings.mode === 'incremental';
  const next = incremental ? cursorAfter(run, all) : { cursor: run.cursor, keysAtCursor: [], replace: false };
  const plan = run.plan;
  // The run's tenant scope: the database's guard refuses any row of another empresa (sql_insert/sql_update included).
  const write = () =>
    withTenantScope(ctx.db, ctx.dialect, ctx.tenant.empresaId, async (trx) => {
      await writeRecords(ctx, run, table, trx, records, run.insertOnly);
      if (incremental && plan !== null && next.keysAtCursor.length > 0)
        await saveCursorKeys(
          trx,
          ctx.tenant.empresaId,
          integracao.id,
          next.keysAtCursor.map((r) => ({ chave: r.key, assinatura: signatureOf(plan, r) })),
          next.replace,
        );
      const counts = { lidas: rows.length, gravadas: records.length, ignoradas: skipped };
      await fenced(trx, ctx, run, incremental && next.cursor ? { cursor: { valor: next.cursor.text, tipo: next.cursor.type } } : {});
      await addSyncRunCounts(trx, run.runId, counts);
    });
  try {
    try {
      await write();
    } catch (err) {
      if (!run.insertOnly || !isUniqueViolation(err)) throw err;
      // A key is in the table after all (written by an earlier chunk of this run, or by someone else meanwhile): the
      // transaction rolled back whole, and this chunk and the rest of the run take the upsert path.
      run.insertOnly = false;
      await write();
    }
  } catch (err) {
    if (isTenantGuardViolation(err)) {
      throw new ForeignRowError(
        `writing ${settings.table ?? 'sql_insert/sql_update'} reached a row of another empresa; the chunk was rolled back`,
        { cause: err },
      );
    }
    if (isStatementError(err)) {
      const key = isRowValueError(err) ? await failingKey(ctx, run, table, records) : null;
      const at = key === null ? '' : ` at the ERP row with key "${key}" (${settings.keyColumns.join(', ')})`;
      const tabela = settings.table ?? 'sql_insert/sql_update';
      // rawDetail: the database's own words, what the worded reason adds to its text (one language per line).
      const rawDetail = (err as Error).message;
      throw new PermanentError('GET_WRITE_FAILED', `writing ${tabela} failed${at}: ${rawDetail}`, {
        cause: err,
        params: key === null ? { rawDetail } : { chave: key, tabela, rawDetail },
      });
    }
    throw sideError('crm', CRM_DATABASE, err);
  }
  run.cursor = next.cursor;
  run.progress = {
    ...run.progress,
    phase: 'gravando',
    rowsRead: run.progress.rowsRead + rows.length,
    rowsWritten: run.progress.rowsWritten + records.length,
    chunks: run.progress.chunks + 1,
  };
  await ctx.onProgress?.(run.progress);
}

/** The engine's values for #vars#: the run's parametros, the tenant and (in sql_consulta) #cursor#. */
function baseValues(ctx: GetRunContext, run: RunState): Record<string, unknown> {
  return {
    ...ctx.parametros,
    empresa_id: ctx.tenant.empresaId,
    empresa_filial_id: run.stamp.filialId,
    integracao_id: ctx.definition.integracao.id,
  };
}

/** Takes the lease and prepares the run: reconcile generation, start cursor, history row. */
async function begin(ctx: GetRunContext): Promise<RunState> {
  const { integracao, settings } = ctx.definition;
  const lease = await acquireSyncLease(ctx.db, {
    empresaId: ctx.tenant.empresaId,
    integracaoId: integracao.id,
    owner: ctx.owner,
    takeOverPrefix: ctx.takeOverPrefix,
    leaseMs: ctx.leaseMs,
  });
  if (!lease.acquired) throw new SyncBusyError(lease.holder, lease.expiresAt);
  const { state } = lease;
  const continuing = Number(state.reconciliando) === 1;
  const reconcile = continuing || reconcileDue(settings, state, ctx.parametros);
  const geracao = reconcile && !continuing ? Number(state.geracao) + 1 : Number(state.geracao);
  // A reconcile reads the whole source: an incremental one starts again from no cursor (and resumes from its own after a crash).
  const startCursor = settings.mode === 'incremental' && !(reconcile && !continuing) ? savedCursor(state) : null;
  const run: RunState = {
    stateId: state.id,
    runId: 0,
    stamp: {
      empresaId: ctx.tenant.empresaId,
      filialId: integracao.empresa_filial_id ?? ctx.tenant.filialId,
      integracaoId: integracao.id,
      geracao,
    },
    reconcile,
    startCursor,
    cursor: settings.mode === 'incremental' ? startCursor : savedCursor(state),
    plan: null,
    insertOnly: false,
    progress: { phase: 'lendo', rowsRead: 0, rowsWritten: 0, chunks: 0, startedAt: new Date().toISOString() },
    skipped: 0,
    duplicates: 0,
  };
  if (reconcile && !continuing)
    await ctx.db.transaction().execute(async (trx) => {
      await fenced(trx, ctx, run, {
        geracao,
        reconciliando: true,
        ...(settings.mode === 'incremental' ? { cursor: { valor: null, tipo: null } } : {}),
      });
      if (settings.mode === 'incremental') await saveCursorKeys(trx, ctx.tenant.empresaId, integracao.id, [], true);
    });
  // Holding the lease, no other job of this integracao runs: a row another job left executando (its worker died,
  // the CRM was down when it failed) is closed now rather than shown as running for ever.
  await abandonSyncRuns(
    ctx.db,
    { empresaId: ctx.tenant.empresaId, integracaoId: integracao.id, exceptJobId: ctx.jobId },
    'interrompida: o job terminou sem concluir esta execução',
  );
  const history = await startSyncRun(ctx.db, {
    empresaId: ctx.tenant.empresaId,
    integracaoId: integracao.id,
    jobId: ctx.jobId,
    gatilho: ctx.trigger,
    modo: settings.mode,
    reconciliacao: reconcile,
    cursorInicial: startCursor?.text ?? null,
  });
  run.runId = history.id;
  // A resumed job (stalled worker, retry) continues its history row: its progress goes on from the earlier attempts'
  // counts, as its result does.
  run.progress = { ...run.progress, rowsRead: Number(history.linhas_lidas), rowsWritten: Number(history.linhas_gravadas) };
  return run;
}

/** Renews the lease while the source is slow to answer; aborts the run when the lease is lost. */
function keepLease(ctx: GetRunContext, run: RunState, abort: AbortController): () => void {
  const timer = setInterval(
    () => {
      updateSyncState(ctx.db, run.stateId, ctx.owner, { leaseMs: ctx.leaseMs })
        .then((held) => {
          if (!held) abort.abort(new SyncLeaseLostError('lease lost to another execution'));
        })
        .catch(() => undefined);
    },
    Math.max(250, Math.floor(ctx.leaseMs / 3)),
  );
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Refusals of the connection itself, named as `connections test` names them (packages/sources' classifier): a source
 * that refuses the login or has no such database fails the run for good with that code, never blaming sql_consulta
 * (PostgreSQL's `role "crm" does not exist` reads like a missing relation).
 */
const CONNECTION_REFUSALS: Partial<Record<SourceErrorCode, string>> = {
  LOGIN_REFUSED: "refused the login: check the connection's user and password (and that the user may access the database)",
  DATABASE_MISSING: "has no such database or cannot open it: check the connection's database name",
};

/**
 * A failure that retrying cannot fix: the source refusing the login or the database (CONNECTION_REFUSALS), or a
 * statement it refuses (sql_consulta, or a campo_cursor it does not select). Anything else is returned as it is.
 */
function sourceFailure(ctx: Pick<GetRunContext, 'definition' | 'reader' | 'passwordVariables'>, err: unknown): unknown {
  const settings = ctx.definition.settings;
  const code = classifySourceError(ctx.reader.driver, err);
  const refusal = CONNECTION_REFUSALS[code];
  if (refusal) {
    const detail = (err as Error | undefined)?.message ?? String(err);
    return new SourceConnectionRefusedError(
      code,
      `ERP source "${ctx.definition.conexao.nome_conexao}" ${refusal} (${code}; the source says: ${detail})`,
      {
        cause: err,
        params: { conexao: ctx.definition.conexao.nome_conexao, ...passwordVariablesParam(ctx.passwordVariables), rawDetail: detail },
      },
    );
  }
  if (
    !isStatementError(err) &&
    !/no such column|does not exist|unknown column|invalid identifier|column unknown|invalid column/i.test(String((err as Error)?.message))
  )
    return err;
  const message = (err as Error).message;
  const cursor = settings.cursorColumn;
  if (cursor && message.toLowerCase().includes(cursor.toLowerCase()))
    return getConfigError('CURSOR_NOT_IN_SOURCE', { cursor, detalhe: message }, { cause: err });
  return new GetConfigError('SOURCE_QUERY_FAILED', `sql_consulta failed on the source: ${message}`, {
    cause: err,
    params: { rawDetail: message },
  });
}

/**
 * Chunks up to this size are read ahead (two in memory); larger ones one at a time: two chunks of 50,000 rows would
 * not fit worker-get's 128 MB heap (GET.md, Memory).
 */
const READ_AHEAD_MAX_ROWS = 20_000;

/**
 * Reads the source in chunks and commits each one. Bounded pipeline: the next chunk is fetched while the current one
 * is written (the source and the CRM work at the same time), and never more than that one, so memory stays at two
 * chunks whatever the table's size.
 */
async function pull(ctx: GetRunContext, run: RunState, table: CrmTable | null, signal: AbortSignal): Promise<number> {
  const { settings } = ctx.definition;
  const query = buildSourceQuery(settings, ctx.reader.driver, { ...ctx.parametros, ...baseValues(ctx, run) }, run.startCursor);
  await ctx.onProgress?.(run.progress);
  // Stops a read in flight when the write fails: the pending fetch must not keep the source busy (or hang) meanwhile.
  const readAbort = new AbortController();
  const chunks = ctx.reader
    .stream(query, { chunkSize: settings.chunkSize, signal: AbortSignal.any([signal, readAbort.signal]) })
    [Symbol.asyncIterator]();
  let done = false;
  const readNext = () =>
    chunks.next().catch((err: unknown) => {
      done = true;
      const failure = sourceFailure(ctx, err);
      throw failure === err && !signal.aborted ? sideError('source', `ERP source "${ctx.definition.conexao.nome_conexao}"`, err) : failure;
    });
  const readAhead = settings.chunkSize <= READ_AHEAD_MAX_ROWS;
  let pending: Promise<IteratorResult<SourceRow[]>> | null = readNext();
  try {
    for (;;) {
      const next: IteratorResult<SourceRow[]> = await pending;
      pending = null;
      if (next.done) {
        done = true;
        break;
      }
      signal.throwIfAborted();
      if (readAhead) {
        pending = readNext();
        // A failed read surfaces at its await; until then nobody must see it as unhandled.
        pending.catch(() => undefined);
      }
      if (next.value.length > 0) await commitChunk(ctx, run, table, next.value);
      pending ??= readNext();
    }
  } finally {
    // Leaving early (an error, an abort) stops the read in flight, closes the source cursor and frees its connection.
    if (!done) {
      readAbort.abort(new Error('the GET run stopped'));
      await pending?.catch(() => undefined);
      await chunks.return?.(undefined).catch(() => undefined);
    }
  }
  signal.throwIfAborted();
  if (!run.reconcile || !table) return 0;
  run.progress = { ...run.progress, phase: 'reconciliando' };
  await ctx.onProgress?.(run.progress);
  return onCrm(() =>
    withTenantScope(ctx.db, ctx.dialect, ctx.tenant.empresaId, async (trx) => {
      const removed = await markRemoved(trx, ctx.dialect, table, run.stamp);
      await fenced(trx, ctx, run, { reconciliando: false, ultimaReconciliacao: new Date() });
      return removed;
    }),
  );
}

/**
 * Runs a GET pull (seed 000): sql_consulta streamed from the ERP in chunks, each chunk upserted into the CRM by
 * (empresa_id, key) — or written by sql_update/sql_insert — in ONE transaction with the cursor it reaches, so a
 * crash at any point resumes from the last committed chunk without losing or duplicating rows. One run per
 * integracao at a time (a lease with a fencing token); a due reconcile marks rows gone from the source.
 */
export async function runGet(ctx: GetRunContext): Promise<GetRunResult> {
  const started = Date.now();
  const { integracao, settings } = ctx.definition;
  const table = await onCrm(() => crmTableOf(ctx));
  const run = await onCrm(() => begin(ctx));
  const abort = new AbortController();
  const signal = ctx.signal ? AbortSignal.any([ctx.signal, abort.signal]) : abort.signal;
  const stopLease = keepLease(ctx, run, abort);
  try {
    // A first load into a table without a row of this empresa: the chunks are COPYed straight into it (crm-write.ts).
    if (table && ctx.dialect === 'postgres') run.insertOnly = !(await onCrm(() => hasTenantRows(ctx.db, table, ctx.tenant.empresaId)));
    const removed = await pull(ctx, run, table, signal);
    const history = await onCrm(() => findSyncRun(ctx.db, run.runId));
    const totals = {
      lidas: Number(history?.linhas_lidas ?? run.progress.rowsRead),
      gravadas: Number(history?.linhas_gravadas ?? run.progress.rowsWritten),
      ignoradas: Number(history?.linhas_ignoradas ?? run.skipped),
      removidas: removed,
    };
    const attemptMs = Date.now() - started;
    // The job's earlier attempts (same history row) count too.
    const durationMs = Number(history?.duracao_ms ?? 0) + attemptMs;
    await onCrm(() =>
      ctx.db.transaction().execute(async (trx) => {
        await fenced(trx, ctx, run, { status: 'concluido', erro: null, counts: totals, concluido: new Date(), release: true });
        await finishSyncRun(trx, run.runId, {
          status: 'concluido',
          cursorFinal: run.cursor?.text ?? null,
          removidas: removed,
          duracaoMs: attemptMs,
        });
      }),
    );
    run.progress = { ...run.progress, phase: 'concluido' };
    await ctx.onProgress?.(run.progress);
    return {
      integracaoId: integracao.id,
      mode: settings.mode,
      reconcile: run.reconcile,
      rowsRead: totals.lidas,
      rowsWritten: totals.gravadas,
      rowsSkipped: totals.ignoradas,
      rowsMarkedDeleted: removed,
      ...(run.duplicates > 0 ? { rowsDuplicateKey: run.duplicates } : {}),
      cursor: run.cursor?.text ?? null,
      durationMs,
    };
  } catch (err) {
    const reason = signal.reason instanceof SyncLeaseLostError ? signal.reason : err;
    if (!(reason instanceof SyncLeaseLostError)) await fail(ctx, run, reason as Error, Date.now() - started);
    throw reason;
  } finally {
    stopLease();
  }
}

/** Records the failure and gives up the lease (a retry of the same job, or another job, may run). */
async function fail(ctx: GetRunContext, run: RunState, err: Error, durationMs: number): Promise<void> {
  const message = err.message.slice(0, 2000);
  await Promise.allSettled([
    updateSyncState(ctx.db, run.stateId, ctx.owner, { status: 'falhou', erro: message, concluido: new Date(), release: true }),
    finishSyncRun(ctx.db, run.runId, { status: 'falhou', erro: message, cursorFinal: run.cursor?.text ?? null, duracaoMs: durationMs }),
  ]);
}
