import { maskUrlsInText } from '@integrador/logging';
import { passwordVariablesParam, RECEPTOR_LOGIN_REFUSAL } from '@integrador/queue';
import {
  type Execucao,
  markSending,
  OUTBOX_KEY_MAX_LENGTH,
  outboxGroupsOf,
  RecordBusyError,
  releaseHeldRecord,
  setExecucaoStatus,
  type TentativaOutcome,
  type TentativaRecord,
} from '@integrador/store';
import {
  OutboundAddressError,
  ReceptorError,
  ResponseTooLargeError,
  TransientTransportError,
  type Transport,
  type TransportExchange,
} from '@integrador/transports';
import { joinReasons, readReturn, returnKeysMissing } from '../return-reader';
import { bindEngineValues, runTenantOf } from '../runs/tenant-scope';
import { writeBackValues } from '../set-plan';
import { bindStatement } from '../template';
import { claimHeld, type HeldRecord, heldRecordsError, heldRecordsOf, keysWriteBackLacks } from './held-records';
import { type OrphanedRecord, orphanedClaim, orphanedRecordsError } from './orphaned-claims';
import { PermanentError } from './permanent-error';
import { type PrepareContext, type PreparedRecord, prepareSet } from './prepare-set';
import { recordGroupSize, runGroup } from './record-group';
import { inFlightOf, type RecordInFlight, RecordsInFlightError } from './records-in-flight';
import { carriesReceptorKey, receptorUntouched, wasNotSent } from './resend-safety';
import { writeBackFailure } from './write-back-failure';
import { writeBackGrouped } from './write-back-groups';

export interface SetRunContext extends PrepareContext {
  /** The BullMQ job id: with the record key it is the idempotency key of each push. */
  jobId: string;
  /**
   * How many times an operator retried the job (the queue's retryFailedJob counts them; a BullMQ retry, a stalled
   * job's re-run or a delay never does): only a run under more retries than a hold was met under releases it
   * (held-records.ts).
   */
  operatorRetries?: number;
  /** Whether a job no longer exists (discarded, trimmed): its claim of a record is orphaned (orphaned-claims.ts). */
  jobGone?: (jobId: string) => Promise<boolean>;
  transport: Transport;
  timeoutMs: number;
  /** The `${NAME}` variables the connection's password comes from (Connection.passwordVariables): a refused login names them. */
  passwordVariables?: readonly string[];
  signal?: AbortSignal;
  /** Called with each attempt's raw exchange (secrets already redacted), e.g. to append it to the job's log. */
  onAttempt?: (attempt: {
    recordKey: string;
    url: string | null;
    request: string | null;
    response: string | null;
    error: string | null;
  }) => Promise<void> | void;
  /** Called for a record held back (not sent: an earlier push was accepted and nothing written back), e.g. for the job's log. */
  onHeld?: (held: HeldRecord) => Promise<void> | void;
}

export interface SetRecordOutcome {
  key: string;
  status: 'concluido' | 'falhou';
  message: string | null;
  values: Record<string, unknown>;
  /**
   * indice_valor_retorno keys sql_update uses that the receptor's successful answer left out (and the record has no
   * value of that name): sql_update did not run, nothing was written to the CRM, and the run shows them as a warning.
   * Absent when sql_update ran.
   */
  missingReturnKeys?: string[];
  /** With missingReturnKeys: new pushes of the record are held back (known by its id; held-records.ts). */
  heldBack?: boolean;
}

export interface SetRunResult {
  message: string;
  records: SetRecordOutcome[];
}

async function report(ctx: SetRunContext, record: PreparedRecord, exchange: TransportExchange | undefined, error: string | null) {
  await ctx.onAttempt?.({
    recordKey: record.key,
    url: exchange?.url ?? null,
    request: exchange?.request ?? null,
    response: exchange?.response ?? null,
    error,
  });
}

/**
 * Stores an attempt. Its error text and the record's message may quote a URL or echo the request's path and query (a
 * library's error, a receptor's body): their secret parts are masked here, by the shownUrl rule, before they are kept.
 */
function recordTentativa(ctx: SetRunContext, execucao: Execucao, attempt: TentativaRecord, outcome?: TentativaOutcome): Promise<void> {
  const shownAttempt = { ...attempt, erro: attempt.erro === null ? null : maskUrlsInText(attempt.erro) };
  const shownOutcome = outcome?.mensagem ? { ...outcome, mensagem: maskUrlsInText(outcome.mensagem) } : outcome;
  return outboxGroupsOf(ctx.db).recordTentativa({
    execucaoId: execucao.id,
    attempt: shownAttempt,
    ...(shownOutcome ? { outcome: shownOutcome } : {}),
  });
}

/** An attempt's row; the receptor's answer may quote the request ('Cannot POST /api/x?token=…'): kept masked. */
function attemptOf(exchange: TransportExchange | undefined, erro: string | null) {
  const resposta = exchange?.response ?? null;
  return {
    url: exchange?.url ?? null,
    requisicao: exchange?.request ?? null,
    resposta: resposta === null ? null : maskUrlsInText(resposta),
    statusHttp: exchange?.statusCode ?? null,
    duracaoMs: exchange?.durationMs ?? null,
    erro,
  };
}

/**
 * An HTTP 4xx answer judged as a 2xx one would be: when its JSON body carries the integration's indice_erro_retorno
 * keys, the reason is what readReturn makes of them (the first key found, the others as detail), not only the
 * transport's guess at one message field. Null when the body says nothing the configuration names.
 */
function refusalReasons(err: unknown, integracao: SetRunContext['definition']['integracao']): string | null {
  if (!(err instanceof ReceptorError)) return null;
  const status = err.exchange?.statusCode ?? null;
  const body = err.exchange?.response ?? null;
  if (status === null || status < 400 || status >= 500 || body === null || !integracao.indice_erro_retorno) return null;
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    return null;
  }
  const reading = readReturn(data, integracao);
  return !reading.ok && reading.errorKeyFound !== null ? reading.message : null;
}

/** Sends one record and records the receptor's answer (status enviado) before anything is written back. */
async function send(
  ctx: SetRunContext,
  execucao: Execucao,
  record: PreparedRecord,
): Promise<{ values: Record<string, unknown>; message: string | null }> {
  const { integracao } = ctx.definition;
  const { db } = ctx;
  let result: Awaited<ReturnType<Transport['send']>>;
  try {
    result = await ctx.transport.send({
      link: record.link,
      operation: integracao.porta_ws,
      body: record.body,
      timeoutMs: ctx.timeoutMs,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
  } catch (err) {
    // Nothing left the hub (a limits delay before the call): no attempt to record, the record is new again.
    if (wasNotSent(err)) {
      await setExecucaoStatus(db, execucao.id, 'pendente');
      throw err;
    }
    const exchange = (err as { exchange?: TransportExchange }).exchange;
    // The receptor's text may quote the request ('Cannot POST /api/x?token=…'): masked once here, and only the masked
    // text is reported (the job's log), recorded and thrown (BullMQ's failedReason, registro_jobs).
    const erro = maskUrlsInText((err as Error).message);
    if (err instanceof Error) err.message = erro;
    const receptorMessage = refusalReasons(err, integracao) ?? (err as { receptorMessage?: string }).receptorMessage;
    const shownReceptor = receptorMessage === undefined ? undefined : maskUrlsInText(receptorMessage);
    await report(ctx, record, exchange, erro);
    if (err instanceof ResponseTooLargeError && err.mayHaveBeenProcessed) {
      // The receptor answered, so it may have done it; its answer would be as large again: failed for good, but the
      // record stays enviando (outcome unknown) so a later run reconciles instead of sending it again blindly.
      const message = shownReceptor ?? erro;
      await recordTentativa(ctx, execucao, attemptOf(exchange, erro), { status: 'enviando', mensagem: message });
      throw new PermanentError('RESPONSE_TOO_LARGE', message, { cause: err });
    }
    if (err instanceof ReceptorError || err instanceof OutboundAddressError || err instanceof ResponseTooLargeError) {
      const message = err instanceof OutboundAddressError ? erro : (shownReceptor ?? erro);
      await recordTentativa(ctx, execucao, attemptOf(exchange, erro), { status: 'falhou', mensagem: message });
      // The guard's refusal keeps its own code and values (host, range): the hub refused, not the receptor.
      if (err instanceof OutboundAddressError) throw new PermanentError(err.code, message, { cause: err, params: err.params });
      throw new PermanentError(err instanceof ResponseTooLargeError ? 'RESPONSE_TOO_LARGE' : 'RECEPTOR_REJECTED', message, { cause: err });
    }
    // Refused, or answered 429/503/soap:Server: the receptor has nothing, a retry sends as new (pendente). A timeout, a
    // reset mid-call or another error status leaves the record enviando: the receptor may have it (runRecord reconciles).
    // A transient failure the transport words for the user (a batch's answer too large) leaves its pt-BR text as the
    // record's message, as a refusal does: what the operator reads if the retries run out. Any other one clears it, so
    // an earlier attempt's text never stands for this attempt's failure. The record is enviando here (runRecord set it).
    const mensagem = err instanceof TransientTransportError ? (shownReceptor ?? null) : null;
    const status: TentativaOutcome['status'] = receptorUntouched(err) ? 'pendente' : 'enviando';
    await recordTentativa(ctx, execucao, attemptOf(exchange, erro), { status, mensagem });
    throw err;
  }
  const reading = readReturn(result.data, integracao);
  const attempt = attemptOf(result.exchange, null);
  // The receptor's words may quote the connection's secret: masked as the stored answer is.
  const shownMessage = reading.message === null ? null : maskUrlsInText(result.maskText?.(reading.message) ?? reading.message);
  await report(ctx, record, result.exchange, reading.ok ? null : shownMessage);
  if (!reading.ok) {
    const message = shownMessage ?? 'receptor reported an error';
    // No return array where the integration says (RETURN_ARRAY_NOT_FOUND) is no refusal: the ERP reported no error and
    // may have stored the record. Failed for good (a configuration to fix), but the record stays enviando (outcome
    // unknown), as with an answer too large, so a later run reconciles instead of sending it again blindly.
    const status = reading.code === 'RETURN_ARRAY_NOT_FOUND' ? 'enviando' : 'falhou';
    await recordTentativa(ctx, execucao, attempt, { status, mensagem: message, valores: reading.values });
    // The ERP refusing the connection's login (Senior answers tipoRetorno 2 "Usuário ou senha inválidos"): a credentials
    // fault of the connection, not of the record, worded with the connection's name and where its password comes from.
    if (reading.code === undefined && RECEPTOR_LOGIN_REFUSAL.test(message)) {
      const conexao = ctx.definition.conexao?.nome_conexao ?? integracao.nome;
      const params = { conexao, ...passwordVariablesParam(ctx.passwordVariables), rawDetail: message };
      throw new PermanentError('RECEPTOR_LOGIN_REFUSED', message, { params });
    }
    throw new PermanentError(reading.code ?? 'RECEPTOR_ERROR', message);
  }
  // The outbox step: from here on a re-run writes back these values and never sends the record again.
  await recordTentativa(ctx, execucao, attempt, { status: 'enviado', valores: reading.values, mensagem: shownMessage });
  return { values: reading.values, message: shownMessage };
}

/**
 * Runs sql_update with the record's values and the receptor's returned values (#codCli# …) bound, in the run's
 * tenant-scoped transaction: a statement that reaches another empresa's row is refused and rolled back (ForeignRowError).
 */
async function writeBack(
  ctx: SetRunContext,
  execucao: Execucao,
  record: PreparedRecord,
  answer: { values: Record<string, unknown>; message: string | null },
): Promise<string[]> {
  const returned = answer.values;
  const { statement: compiled } = ctx.definition.compiled.writeBack;
  const tenant = runTenantOf({ empresaId: ctx.empresaId, filialId: ctx.filialId ?? null }, ctx.definition.integracao);
  // Seed 001: sql_update runs when the answer is positive. A listed key the answer left out (SOAP omits an empty field)
  // is never made up: when sql_update uses it and the record has no value of that name, sql_update does not run at all
  // (a NULL would overwrite the CRM's data — an id_erp already linked, wiped, means a duplicate customer next push).
  // The receptor accepted the record, so it is concluded all the same; the run reports the keys (missingReturnKeys: the
  // job's log line, the CLI's warning, each in the reader's language) and the outbox row keeps them (worded where it is
  // shown) and holds back new pushes of the record (held-records.ts). The job's message stays the receptor's answer.
  const missing = keysWriteBackLacks(ctx.definition, record.values, returnKeysMissing(ctx.definition.integracao, returned));
  // What the receptor answered never replaces the engine's own values (#empresa_id#).
  const values = bindEngineValues(writeBackValues(record.values, { values: returned }), tenant);
  try {
    // The write-back and the outbox's concluido commit together: a crash leaves the row enviado and a re-run writes back again.
    const statement = compiled && missing.length === 0 ? bindStatement(compiled, values) : null;
    await writeBackGrouped(ctx.db, ctx.dialect, tenant.empresaId, {
      execucaoId: execucao.id,
      statement,
      ...(missing.length === 0
        ? {}
        : { notWrittenBack: { registro: record.key, retornoAusente: missing, mensagem: answer.message, retido: record.identified } }),
    });
    return missing;
  } catch (err) {
    // The record is in the receptor (status enviado): only what a retry can change (a lost connection) is retried.
    throw writeBackFailure(err, { integracaoId: ctx.definition.integracao.id, recordKey: record.key, returned });
  }
}

/**
 * Every #var# of sql_update must have a value once the receptor answers — from the record, the indice_valor_retorno
 * keys or the engine — or the record would reach the receptor and then fail: refused before anything is sent.
 */
function assertWriteBackResolvable(ctx: SetRunContext, record: PreparedRecord): void {
  const { integracao } = ctx.definition;
  const needed = ctx.definition.compiled.writeBack.needs;
  if (needed.length === 0) return;
  const missing = needed.filter((variable) => !Object.hasOwn(record.values, variable.head)).map((variable) => variable.name);
  if (missing.length === 0) return;
  throw new PermanentError(
    'UNRESOLVED_WRITE_BACK_VARIABLE',
    `sql_update of integracao #${integracao.id} uses ${missing.map((name) => `#${name}#`).join(', ')}, which neither the record, indice_valor_retorno nor the engine provides; nothing was sent`,
  );
}

/**
 * A record left enviando: an earlier attempt sent it and its answer was never stored (worker killed, timeout, an answer
 * too large to read), so the receptor may hold it. Sending again is safe only when the body carries a key the receptor upserts by
 * (ideExt, cgcCpf, codCli for Senior G5), never to a database receptor (a plain INSERT): it then updates what the first
 * attempt created. Without one it is not sent
 * again: the record fails with OUTCOME_UNKNOWN for an operator to check the receptor, never creating it twice.
 */
async function reconcileUnknownOutcome(ctx: SetRunContext, execucao: Execucao, record: PreparedRecord): Promise<void> {
  // A database receptor inserts a new row on every send, whatever keys the body carries.
  if (!ctx.transport.resendMayDuplicate && carriesReceptorKey(record.body)) return;
  const why = ctx.transport.resendMayDuplicate
    ? 'a database receptor inserts a new row on every send'
    : 'its request carries no key the receptor recognises it by (ideExt, cgcCpf, codCli)';
  const message = `record ${record.key} may already be in the receptor (an earlier attempt sent it and its answer was never read: interrupted, timed out, or too large to read) and ${why}; not sent again, to avoid a duplicate: check the receptor, then run it again`;
  await setExecucaoStatus(ctx.db, execucao.id, 'falhou', { mensagem: message });
  throw new PermanentError('OUTCOME_UNKNOWN', message);
}

/** The record's outbox key in this job: with it a re-run finds what an earlier attempt did. */
function outboxKeyOf(ctx: SetRunContext, record: PreparedRecord): string {
  return `set:${ctx.definition.integracao.id}:${ctx.jobId}:${record.key}`;
}

/**
 * A record whose outbox key would not fit its column (an id of some 170 characters) is refused before anything is
 * sent: refused by the database after the receptor accepted it, it would be sent again on every retry. The key, and
 * the record key it ends with (registro), are then stored whole wherever they are compared.
 */
function assertOutboxKeyFits(ctx: SetRunContext, record: PreparedRecord): void {
  const length = outboxKeyOf(ctx, record).length;
  if (length <= OUTBOX_KEY_MAX_LENGTH) return;
  throw new PermanentError(
    'RECORD_KEY_TOO_LONG',
    `record ${record.key.slice(0, 40)}… of integracao #${ctx.definition.integracao.id}: its id is too long for the outbox key (${length} > ${OUTBOX_KEY_MAX_LENGTH} characters); nothing was sent`,
  );
}

/** Pushes one record through the outbox; a record held back (held-records.ts) is not sent: its hold comes back. */
async function runRecord(
  ctx: SetRunContext,
  record: PreparedRecord,
  hold?: HeldRecord,
): Promise<SetRecordOutcome | HeldRecord | RecordInFlight | OrphanedRecord> {
  try {
    return await pushRecord(ctx, record, hold);
  } catch (err) {
    if (!(err instanceof RecordBusyError)) throw err;
    // A hold left from when the integration had a sql_update: without one nothing is held (heldRecordsOf), so it goes.
    if (err.held && !ctx.definition.compiled.writeBack.statement) {
      await releaseHeldRecord(ctx.db, ctx.empresaId, ctx.definition.integracao.id, record.key);
      return pushRecord(ctx, record, hold);
    }
    // A claim whose job no longer exists: named (the job fails), or taken over on an operator's retry of this job.
    const orphan = hold ? null : await orphanedClaim(ctx, outboxKeyOfRecord(ctx, record), err);
    if (orphan === 'taken') return pushRecord(ctx, record);
    if (orphan instanceof RecordBusyError) return inFlightOf(record.key, orphan);
    return orphan ?? inFlightOf(record.key, err);
  }
}

/** The record's outbox row key; a record known by its id is claimed as such: one job's push of it at a time (migration 024). */
function outboxKeyOfRecord(ctx: SetRunContext, record: PreparedRecord) {
  return {
    empresaId: ctx.empresaId,
    integracaoId: ctx.definition.integracao.id,
    chave: outboxKeyOf(ctx, record),
    jobId: ctx.jobId,
    registro: record.identified ? record.key : null,
  };
}

/** runRecord's push; RecordBusyError (nothing sent) when another job claims the record. */
async function pushRecord(ctx: SetRunContext, record: PreparedRecord, hold?: HeldRecord): Promise<SetRecordOutcome | HeldRecord> {
  const key = outboxKeyOfRecord(ctx, record);
  const execucao = hold ? await claimHeld(ctx, key, hold) : await outboxGroupsOf(ctx.db).claim(key);
  if (!execucao) {
    await ctx.onHeld?.(hold as HeldRecord);
    return hold as HeldRecord;
  }
  const stored = execucao.valores ? (JSON.parse(execucao.valores) as Record<string, unknown>) : {};
  if (execucao.status === 'concluido') return { key: record.key, status: 'concluido', message: execucao.mensagem, values: stored };
  if (execucao.status === 'enviando' && !execucao.created) await reconcileUnknownOutcome(ctx, execucao, record);
  // A record that failed before (without reaching the receptor, or for good and now run again) is marked before the
  // call: from here its outcome is unknown until the answer is stored.
  if (execucao.status === 'pendente' || execucao.status === 'falhou') await markSending(ctx.db, execucao.id, key);
  // enviado = the receptor already has it (a crash hit between its answer and the write-back): only write back.
  const answer = execucao.status === 'enviado' ? { values: stored, message: execucao.mensagem } : await send(ctx, execucao, record);
  const missing = await writeBack(ctx, execucao, record, answer);
  const outcome: SetRecordOutcome = { key: record.key, status: 'concluido', message: answer.message, values: answer.values };
  return missing.length > 0 ? { ...outcome, missingReturnKeys: missing, heldBack: record.identified } : outcome;
}

/**
 * Runs a SET integration: prepares every record, pushes each one through the outbox (enviando → enviado → concluido;
 * pendente after a failure that never reached the receptor), and reports the receptor's message. Receptor errors are
 * PermanentError; transport hiccups are rethrown for BullMQ to retry, and a retry skips the records already done
 * (with micro-batching on, every record is tried before the job fails: runGroup).
 */
export async function runSet(ctx: SetRunContext): Promise<SetRunResult> {
  const prepared = await prepareSet(ctx);
  for (const record of prepared.records) {
    assertWriteBackResolvable(ctx, record);
    assertOutboxKeyFits(ctx, record);
  }
  const held = await heldRecordsOf(ctx, prepared.records);
  const free = prepared.records.filter((record) => !held.has(record.key));
  // With micro-batching on, the job's records go out together (one batched call for up to lote_maximo of them), each
  // through its own outbox row; otherwise one by one, stopping at the first failure.
  const size = recordGroupSize(
    ctx.definition.integracao,
    free.map((record) => record.key),
  );
  const outcomes: SetRecordOutcome[] = [];
  const inFlight: RecordInFlight[] = [];
  const orphaned: OrphanedRecord[] = [];
  for (const outcome of await runGroup(free, size, (record) => runRecord(ctx, record)))
    if ('status' in outcome) outcomes.push(outcome);
    else if ('orphanJobId' in outcome) orphaned.push(outcome);
    else if ('holderJobId' in outcome) inFlight.push(outcome);
  // The records held back go last, once the others succeeded: one never keeps the others from going out. Each held key
  // runs once (the consulta may return a record twice): whether it is released is decided once per attempt.
  const heldBack: HeldRecord[] = [];
  const heldRecords = [...new Map(prepared.records.filter((r) => held.has(r.key)).map((r) => [r.key, r])).values()];
  for (const record of heldRecords) {
    const outcome = await runRecord(ctx, record, held.get(record.key));
    if ('status' in outcome) outcomes.push(outcome);
    else if ('orphanJobId' in outcome) orphaned.push(outcome);
    else if ('holderJobId' in outcome) inFlight.push(outcome);
    else heldBack.push(outcome);
  }
  // Another job claims some of them: this one waits and runs again (the records done meanwhile are not sent again).
  if (inFlight.length > 0) throw new RecordsInFlightError(ctx.definition.integracao.id, inFlight);
  if (orphaned.length > 0) throw orphanedRecordsError(ctx.definition.integracao.id, orphaned);
  if (heldBack.length > 0) throw heldRecordsError(ctx.definition.integracao.id, heldBack);
  const order = new Map(prepared.records.map((record, index) => [record.key, index]));
  outcomes.sort((a, b) => (order.get(a.key) ?? 0) - (order.get(b.key) ?? 0));
  return { message: joinReasons(outcomes.map((o) => o.message)) || 'OK', records: outcomes };
}
