import { maxAttemptsOf, notedRetryPolicy, type RetryPolicy, retryPolicyOf, type TenantRef } from '@integrador/jobs';
import { type Logger, maskSecretsInText } from '@integrador/logging';
import type { CrmDatabase, EstadoRegistroJob, FailureParams, JobEvent } from '@integrador/store';
import { recordJobEvents } from '@integrador/store';
import { UnrecoverableError } from 'bullmq';
import { delayReason } from './delayed-reason';
import type { JobObserver, ObservedJobEvent } from './job-observer';

/** Payload fields that are a job's key parameters (searchable, shown in the dashboard); never secrets. */
// Webhook deliveries by endpoint and delivery (entregaId=…), CTI jobs by event, call, ramal and number.
const KEY_FIELDS = [
  'servicoId',
  'tipo',
  'trigger',
  'telefone',
  'contaId',
  'endpointId',
  'entregaId',
  'manual',
  'eventId',
  'callId',
  'kind',
  'ramal',
  'numero',
] as const;

/** The key parameters a record keeps: the run's parametros and the KEY_FIELDS (secret-named values masked by the store). */
function keyParameters(data: Record<string, unknown>): Record<string, unknown> | null {
  const params: Record<string, unknown> = {};
  const parametros = data.parametros;
  if (parametros && typeof parametros === 'object') Object.assign(params, parametros);
  for (const field of KEY_FIELDS) if (data[field] !== undefined && typeof data[field] !== 'object') params[field] = data[field];
  return Object.keys(params).length ? params : null;
}

/**
 * An error's `params` (the values its code is worded with: an endpoint sync's URL, limit…) when they are plain values,
 * their texts masked as a message is (maskSecretsInText): an HTTP_ERROR's `detail` quotes the endpoint's answer, which
 * may echo a password, and the dashboard and its API show these values.
 */
function paramsOf(error: unknown): FailureParams | null {
  const params = (error as { params?: unknown } | undefined)?.params;
  if (!params || typeof params !== 'object' || Array.isArray(params)) return null;
  const entries = Object.entries(params);
  if (entries.length === 0 || !entries.every(([, v]) => typeof v === 'string' || typeof v === 'number')) return null;
  return Object.fromEntries(entries.map(([k, v]) => [k, typeof v === 'string' ? maskSecretsInText(v) : v])) as FailureParams;
}

/**
 * The class, code, message and parameters of a failure: the cause's class when the runner wrapped it as permanent. The
 * parameters let a reader word the code in its own language (an endpoint sync's message is the engine's pt-BR).
 */
function describeError(error: Error | undefined): JobEvent['erro'] {
  if (!error) return null;
  const cause = error.cause instanceof Error ? error.cause : undefined;
  const withCode = (e: unknown) => (e as { code?: unknown } | undefined)?.code;
  const code = withCode(error) ?? withCode(cause);
  // instanceof, not the name: BullMQ names an UnrecoverableError subclass (PermanentJobFailure) after its constructor.
  const classe = error instanceof UnrecoverableError && cause ? cause.name : error.name;
  const codigo = typeof code === 'string' || typeof code === 'number' ? String(code) : null;
  const parametros = codigo === null ? null : (paramsOf(error) ?? paramsOf(cause));
  return { classe, codigo, mensagem: error.message, ...(parametros ? { parametros } : {}) };
}

/**
 * Why a job waits (moved to delayed: a limit, a paused tenant, another run of its integration): recorded with its code
 * and words, never as BullMQ's bare "bullmq:movedToDelayed" — a wait is no failure.
 */
function describeDelay(error: Error | undefined): JobEvent['erro'] {
  const described = describeError(error);
  // A retry wait follows a failed attempt, counted: recorded as that attempt waiting to retry, not as a wait's code.
  if (isRetryWait(error)) return described;
  const { code, message } = delayReason(error);
  return { ...described, classe: described?.classe ?? 'DelayedError', codigo: described?.codigo ?? code ?? null, mensagem: message };
}

/**
 * The policy giving a SET push its attempts: its connection's, as the processor noted it in this process (before it
 * resolved it: its integration's, as this process last resolved it — also at its start), else the one its failure
 * carried (a receptor's failure carries its connection's).
 */
function retryPolicyAt(event: ObservedJobEvent): RetryPolicy | undefined {
  return notedRetryPolicy(event.queue, String(event.job.id), event.job.data) ?? retryPolicyOf(event.error);
}

/**
 * The attempts an engine counts on its own (a webhook delivery retries on its schedule through moveToDelayed, so
 * BullMQ's attemptsMade stays at the worker's failures): carried by its retry wait or its final failure.
 */
function ownAttempts(error: Error | undefined): { made: number; max: number | undefined } | undefined {
  const { attemptsMade, maxAttempts } = (error ?? {}) as { attemptsMade?: unknown; maxAttempts?: unknown };
  if (typeof attemptsMade !== 'number') return undefined;
  return { made: attemptsMade, max: typeof maxAttempts === 'number' ? maxAttempts : undefined };
}

/** A wait for the next attempt of an engine's own retry schedule (not a limit's delay): `retryWait` on the DelayedError. */
function isRetryWait(error: Error | undefined): boolean {
  return (error as { retryWait?: unknown } | undefined)?.retryWait === true;
}

function stateOf(event: ObservedJobEvent): EstadoRegistroJob {
  if (event.kind === 'started') return 'ativo';
  if (event.kind === 'completed') return 'concluido';
  // A limit's delay is "adiado"; a retry's backoff (a webhook delivery's schedule) waits to retry.
  if (event.kind === 'delayed') return isRetryWait(event.error) ? 'aguardando_retentativa' : 'adiado';
  if (event.error?.name === 'FlowBlockedError') return 'bloqueado';
  return event.final ? 'falhou' : 'aguardando_retentativa';
}

/**
 * The attempts a record shows: the engine's own count when its error carries one (a final failure's made count is
 * also its last, so "4/4", never "1/10" beside "gave up after 4 attempts"), else BullMQ's, the attempt under way
 * counted while running.
 */
function attemptsOf(event: ObservedJobEvent): { tentativas: number; maxTentativas: number } {
  const { job } = event;
  const bullmq = maxAttemptsOf(job.opts, retryPolicyAt(event));
  const own = event.kind === 'started' || event.kind === 'completed' ? undefined : ownAttempts(event.error);
  if (own) return { tentativas: own.made, maxTentativas: event.kind === 'failed' ? own.made : (own.max ?? bullmq) };
  return { tentativas: event.kind === 'started' ? job.attemptsMade + 1 : job.attemptsMade, maxTentativas: bullmq };
}

/** What one observed moment of a job becomes in registro_jobs, or undefined for a job without a tenant. */
export function toJobEvent(event: ObservedJobEvent): JobEvent | undefined {
  const { job } = event;
  const data = (job.data ?? {}) as Record<string, unknown>;
  const tenant = data.tenant as TenantRef | undefined;
  if (!tenant || typeof tenant.empresaId !== 'number' || job.id === undefined) return undefined;
  return {
    empresaId: tenant.empresaId,
    filialId: tenant.filialId ?? null,
    fila: event.queue,
    jobId: String(job.id),
    nomeJob: job.name,
    integracaoId: typeof data.integracaoId === 'number' ? data.integracaoId : null,
    parametros: keyParameters(data),
    estado: stateOf(event),
    ...attemptsOf(event),
    erro: event.kind === 'failed' ? describeError(event.error) : event.kind === 'delayed' ? describeDelay(event.error) : null,
  };
}

/** How long events wait to be written together, and how many make a batch written at once. */
export const RECORDER_FLUSH_MS = 100;
export const RECORDER_BATCH_MAX = 500;
/**
 * How long a job's start waits before it is written on its own: most jobs finish sooner, and their start and finish
 * then become one insert instead of an insert and an update (each maintains every index of registro_jobs, among them
 * the trigram index of the free-text search on PostgreSQL).
 */
export const RECORDER_START_DELAY_MS = 1000;
/**
 * How long a stalled job's start (onDurableStart) may hold the job before it runs: its write normally takes a round
 * trip; with the database slow or down the job goes on after this (recording must never stop a job).
 */
export const RECORDER_DURABLE_START_WAIT_MS = 2000;

/** A later moment of the same job replaces an earlier one still waiting; the start time it carried is kept. */
function coalesce(earlier: JobEvent, later: JobEvent): JobEvent {
  if (later.estado === 'ativo') return later;
  const iniciadoEm = earlier.estado === 'ativo' ? earlier.at : earlier.iniciadoEm;
  return iniciadoEm ? { ...later, iniciadoEm } : later;
}

/**
 * Records every job's life in the CRM database (registro_jobs) for the operators' dashboard. Events wait up to
 * RECORDER_FLUSH_MS and are written together in one statement; a job's start waits RECORDER_START_DELAY_MS, so that a
 * job finishing within it is written once, its row carrying both times (at hundreds of jobs a second: one write per
 * job, shared by a batch, instead of two). Batches are written one after another, so a start never overwrites the
 * completion that followed it. A failed write is logged and dropped — recording must never fail or slow a job. The
 * dashboard sees a finished job at most ~100 ms late, and a running one once it has run for a second.
 *
 * What a worker killed (SIGKILL, the OOM killer) loses: the starts it held back — a job that died with it within its
 * first second has no row yet. Its job is not lost (BullMQ's stalled check gives it back after the lock, JOB_LOCK_MS),
 * and the side effects that must survive have their own rows written before them (the SET outbox, ligacoes'
 * "discando", webhook deliveries). Where the start does matter — a job that may be what kills its worker, taken again
 * after its worker died (stalledCounter > 0) — it is written before the job runs again (onDurableStart): the row
 * shows it running ("ativo") whatever happens to that worker, one extra write for those rare jobs only. A graceful stop
 * (SIGTERM) writes everything first (drain).
 */
export function createJobRecorder(
  database: CrmDatabase,
  logger: Logger,
  options: { flushMs?: number; batchMax?: number; startDelayMs?: number; durableStartWaitMs?: number } = {},
): JobObserver & { drain(): Promise<void> } {
  const flushMs = options.flushMs ?? RECORDER_FLUSH_MS;
  const batchMax = options.batchMax ?? RECORDER_BATCH_MAX;
  const startDelayMs = options.startDelayMs ?? RECORDER_START_DELAY_MS;
  const durableStartWaitMs = options.durableStartWaitMs ?? RECORDER_DURABLE_START_WAIT_MS;
  let pending = new Map<string, JobEvent>();
  /** Starts not written yet, by job, oldest first (a Map keeps insertion order). */
  const starts = new Map<string, JobEvent & { at: Date }>();
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  const schedule = () => {
    if (!timer && (pending.size > 0 || starts.size > 0)) timer = setTimeout(() => void flush(), flushMs).unref();
  };

  /** Writes what waits: every event, and the starts older than startDelayMs (all of them with `everything`). */
  const flush = (everything = false): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const due = Date.now() - startDelayMs;
    for (const [key, start] of starts) {
      if (!everything && start.at.getTime() > due) break;
      starts.delete(key);
      pending.set(key, start);
    }
    schedule();
    if (pending.size === 0) return writing;
    const batch = [...pending.values()];
    pending = new Map();
    writing = writing
      .then(() => recordJobEvents(database.db, batch))
      .catch((err: unknown) => logger.warn({ err, jobs: batch.length, firstJobId: batch[0]?.jobId }, 'job record write failed'));
    return writing;
  };

  return {
    onJobEvent(event) {
      const record = toJobEvent(event);
      if (!record) return;
      const key = `${record.fila}/${record.jobId}`;
      const now = { ...record, at: new Date() };
      if (now.estado === 'ativo') {
        // The start supersedes whatever of the job still waits; it is held back in case the job finishes soon.
        pending.delete(key);
        starts.delete(key);
        starts.set(key, now);
      } else {
        const earlier = starts.get(key) ?? pending.get(key);
        starts.delete(key);
        pending.set(key, earlier ? coalesce(earlier, now) : now);
      }
      if (pending.size >= batchMax) void flush();
      else schedule();
    },
    /** A stalled job's start: written now, after the writes under way (so in order), awaited up to durableStartWaitMs. */
    async onDurableStart(event) {
      const record = toJobEvent(event);
      if (!record) return;
      const key = `${record.fila}/${record.jobId}`;
      // Whatever of the job still waited is older than this start: this start supersedes it.
      pending.delete(key);
      starts.delete(key);
      const batch = [{ ...record, at: new Date() }];
      writing = writing
        .then(() => recordJobEvents(database.db, batch))
        .catch((err: unknown) => logger.warn({ err, jobs: 1, firstJobId: record.jobId }, 'job record write failed'));
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, durableStartWaitMs);
      });
      await Promise.race([writing, bound]).finally(() => clearTimeout(timer));
    },
    /** Writes what waits and waits for the writes under way (shutdown, tests). */
    async drain() {
      await flush(true);
    },
  };
}
