import {
  cachedSetTargets,
  createJobAdmission,
  limitedTransport,
  PermanentError,
  pushTransportOf,
  RecordsInFlightError,
  runSet,
  type SetRunContext,
  type SetRunResult,
} from '@integrador/integrador';
import { type IntegrationRunPayload, notedRetryPolicy, noteRetryPolicy, underRetryPolicy } from '@integrador/jobs';
import {
  DelayedReason,
  type FlowValues,
  type JobContext,
  type JobHandler,
  mergeFlowValues,
  setAttemptLogLine,
  setHeldLogLine,
  setNotWrittenBackLogLine,
} from '@integrador/queue';
import type { WorkerDeps } from '@integrador/runtime';

type Attempt = Parameters<NonNullable<SetRunContext['onAttempt']>>[0];

/**
 * One compact line per attempt in the job's log: which record went where and how it ended, as a code and its values
 * (the dashboard words it in the reader's language). The request and response
 * themselves stay in the outbox (integracao_tentativas, on the dashboard's job page beside this log): copying every
 * envelope into Redis too cost a large write per push. ctx.log batches the lines of the worker's jobs and is not
 * awaited: the line must not delay the push, and a failed write only loses the line.
 */
function logAttempt(ctx: JobContext, attempt: Attempt): void {
  ctx.log(setAttemptLogLine(attempt));
}

/** How long a job first waits for another job's push of the same record before it runs again. */
const IN_FLIGHT_RECHECK_MS = 2000;
/** The longest wait between two looks: a holder in a long receptor backoff is not asked about every 2 s. */
const IN_FLIGHT_RECHECK_MAX_MS = 60_000;

/**
 * The wait before a waiting job runs again: 2 s, doubling with each of its starts since its last attempt (each wait is
 * one: moveToDelayed uses no attempt; a tenant pause's or a limit's delay counts too), up to a minute. Each run re-runs the consulta and the claims, so a holder that
 * waits out a receptor's backoff for hours costs a few looks a minute, not thirty.
 */
export function inFlightRecheckMs(job: { attemptsStarted: number; attemptsMade: number }): number {
  const waits = Math.max(0, job.attemptsStarted - job.attemptsMade - 1);
  return Math.min(IN_FLIGHT_RECHECK_MAX_MS, IN_FLIGHT_RECHECK_MS * 2 ** Math.min(waits, 10));
}

/**
 * Records another job claims (RecordsInFlightError): while that job is still running or waiting for its retry, this
 * one waits (moveToDelayed, no attempt used) and runs again. A job that ended leaving its push of the record in flight
 * (an answer never read or too large, a write-back that failed for good) will not end it: this job fails for good,
 * naming it. A holder that no longer exists (discarded, trimmed) is dealt with by runSet (jobGone: SET_RECORD_ORPHANED,
 * taken over on an operator's retry of this job).
 */
export async function waitForRecords(ctx: JobContext, err: RecordsInFlightError): Promise<never> {
  const ended: string[] = [];
  // A holder gone meanwhile (removed after runSet looked) is not one that ended: the next run finds it orphaned.
  for (const record of err.records)
    if (!record.held && record.holderJobId !== null && (await ctx.jobEnded(record.holderJobId)) && !(await ctx.jobGone(record.holderJobId)))
      ended.push(record.key);
  if (ended.length > 0) {
    const records = err.records.filter((record) => ended.includes(record.key));
    const registros = records.map((record) => record.key).join(', ');
    const jobs = [...new Set(records.map((record) => record.holderJobId ?? '?'))].join(', ');
    throw new PermanentError(
      'SET_RECORD_UNRESOLVED',
      `integracao #${err.integracaoId}: record ${registros} not sent: job ${jobs} sent it and ended without concluding it (its answer not read, or not written back); sending it again could create it twice. Check the receptor, retry job ${jobs}, then this job`,
      { params: { registros, jobs } },
    );
  }
  if (!ctx.token) throw err;
  ctx.logger.info({ records: err.records.map((record) => record.key) }, 'set record in flight in another job, waiting');
  await ctx.job.moveToDelayed(Date.now() + inFlightRecheckMs(ctx.job), ctx.token);
  throw new DelayedReason('SET_RECORD_IN_FLIGHT', err.message);
}

/** A SET push's result; in a dependency flow also the values it passes to the steps after it. */
export type IntegrationRunResult = SetRunResult & { flow?: FlowValues };

/** runSet; records another job claims make the job wait (waitForRecords). */
async function runSetOrWait(run: SetRunContext, ctx: JobContext): Promise<SetRunResult> {
  try {
    return await runSet(run);
  } catch (err) {
    if (err instanceof RecordsInFlightError) return waitForRecords(ctx, err);
    throw err;
  }
}

/**
 * integration.run on the set queue: admitted again (createJobAdmission: cached for a few seconds, fresh on a retry),
 * then one SET push. Errors are only marked here (their connection's retry policy): the queue worker fails permanent
 * ones for good and retries the others.
 */
export function createIntegrationRunProcessor(deps: WorkerDeps): JobHandler<IntegrationRunPayload> {
  const targetOf = cachedSetTargets(deps.database, deps.connections, deps.transports);
  const admitJob = createJobAdmission(deps.database);
  return async (payload, ctx): Promise<IntegrationRunResult> => {
    const { database } = deps;
    const jobId = String(ctx.job.id);
    // Until its connection is resolved, a failure (the admission's CRM read) goes by the policy its integration's
    // connection gave when this process last resolved it — the one its start record shows; none yet: the default.
    const known = notedRetryPolicy('set', jobId, payload);
    const { runTenant } = await underRetryPolicy(known, () => admitJob(payload, ctx.upstream, ctx.job.attemptsMade));
    const target = await underRetryPolicy(known, () => targetOf({ ...payload.tenant, nome: '' }, payload.integracaoId));
    // The job's records (dashboard) show the attempts its connection's policy gives, not the enqueue-time ceiling.
    noteRetryPolicy('set', jobId, target.connection.retry, payload);
    // Whatever fails from here on (the receptor, the CRM database's outbox or write-back) retries by that same policy.
    const result = await underRetryPolicy(target.connection.retry, () =>
      runSetOrWait(
        {
          db: database.db,
          dialect: database.dialect,
          empresaId: runTenant.empresaId,
          filialId: runTenant.filialId,
          definition: target.definition,
          parametros: payload.parametros,
          upstream: ctx.upstream,
          jobId,
          // Counted by retryFailedJob only: BullMQ's own retries, a stalled re-run and a delay leave it as it was.
          operatorRetries: ctx.operatorRetries,
          // A record's claim whose job was discarded or trimmed: an operator's retry of this job takes it over.
          jobGone: (id) => ctx.jobGone(id),
          // Rate limits of (tenant, connection) and a target's Retry-After apply to each outbound call; with lote_maximo > 1
          // the push shares a batcher of (tenant, integration).
          transport: limitedTransport(
            pushTransportOf(target, deps.batchers, `${runTenant.empresaId}:${runTenant.filialId ?? ''}:${payload.integracaoId}`),
            ctx.limits,
            target.connection,
          ),
          timeoutMs: target.timeoutMs,
          ...(target.connection.passwordVariables ? { passwordVariables: target.connection.passwordVariables } : {}),
          ...(ctx.signal ? { signal: ctx.signal } : {}),
          onAttempt: (attempt) => logAttempt(ctx, attempt),
          // A record held back (accepted before, nothing written back): the job's log says which and what to do.
          onHeld: (held) => ctx.log(setHeldLogLine(held.key, held.keys, held.jobId)),
        },
        ctx,
      ),
    );
    ctx.logger.info({ integracaoId: payload.integracaoId, empresaId: runTenant.empresaId, records: result.records.length }, 'set pushed');
    for (const record of result.records)
      if (record.missingReturnKeys) {
        ctx.logger.warn(
          { integracaoId: payload.integracaoId, recordKey: record.key, missing: record.missingReturnKeys },
          'return keys missing from the answer, nothing written back',
        );
        // The job's log, worded in the reader's language where it is shown (dashboard).
        ctx.log(setNotWrittenBackLogLine(record.key, record.missingReturnKeys, record.heldBack === true));
      }
    if (!payload.flow) return result;
    // A SET step hands down the values its receptor returned for its (first) record, e.g. codCli.
    const own = { nome: target.definition.integracao.nome, values: { ...(result.records[0]?.values ?? {}) } };
    return { ...result, flow: mergeFlowValues(ctx.upstream, payload.integracaoId, own) };
  };
}
