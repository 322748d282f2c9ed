import type { TenantRef } from '@integrador/jobs';
import type { Logger } from '@integrador/logging';
import type { CrmDatabase, EstadoRegistroJob, JobEvent } from '@integrador/store';
import { recordJobEvents } from '@integrador/store';
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

function keyParameters(data: Record<string, unknown>): Record<string, unknown> | null {
  const params: Record<string, unknown> = {};
  const parametros = data.parametros;
  if (parametros && typeof parametros === 'object') Object.assign(params, parametros);
  for (const field of KEY_FIELDS) if (data[field] !== undefined && typeof data[field] !== 'object') params[field] = data[field];
  return Object.keys(params).length ? params : null;
}

/** The class, code and message of a failure: the cause's class when the runner wrapped it as permanent. */
function describeError(error: Error | undefined): JobEvent['erro'] {
  if (!error) return null;
  const cause = error.cause instanceof Error ? error.cause : undefined;
  const withCode = (e: unknown) => (e as { code?: unknown } | undefined)?.code;
  const code = withCode(error) ?? withCode(cause);
  const classe = error.name === 'UnrecoverableError' && cause ? cause.name : error.name;
  return { classe, codigo: typeof code === 'string' || typeof code === 'number' ? String(code) : null, mensagem: error.message };
}

function stateOf(event: ObservedJobEvent): EstadoRegistroJob {
  if (event.kind === 'started') return 'ativo';
  if (event.kind === 'completed') return 'concluido';
  if (event.kind === 'delayed') return 'adiado';
  if (event.error?.name === 'FlowBlockedError') return 'bloqueado';
  return event.final ? 'falhou' : 'aguardando_retentativa';
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
    // While running, the attempt under way counts.
    tentativas: event.kind === 'started' ? job.attemptsMade + 1 : job.attemptsMade,
    maxTentativas: job.opts.attempts ?? 1,
    erro: event.kind === 'failed' || event.kind === 'delayed' ? describeError(event.error) : null,
  };
}

/** How long events wait to be written together, and how many make a batch written at once. */
export const RECORDER_FLUSH_MS = 100;
export const RECORDER_BATCH_MAX = 500;

/** A later moment of the same job replaces an earlier one still waiting; the start time it carried is kept. */
function coalesce(earlier: JobEvent, later: JobEvent): JobEvent {
  if (later.estado === 'ativo') return later;
  const iniciadoEm = earlier.estado === 'ativo' ? earlier.at : earlier.iniciadoEm;
  return iniciadoEm ? { ...later, iniciadoEm } : later;
}

/**
 * Records every job's life in the CRM database (registro_jobs) for the operators' dashboard. Events wait up to
 * RECORDER_FLUSH_MS and are written together in one transaction; a job's start and finish within that window become
 * one upsert carrying both times (at hundreds of jobs a second that is one commit per batch instead of two per job).
 * Batches are written one after another, so a start never overwrites the completion that followed it. A failed write
 * is logged and dropped — recording must never fail or slow a job. The dashboard sees a job at most ~100 ms late.
 */
export function createJobRecorder(
  database: CrmDatabase,
  logger: Logger,
  options: { flushMs?: number; batchMax?: number } = {},
): JobObserver & { drain(): Promise<void> } {
  const flushMs = options.flushMs ?? RECORDER_FLUSH_MS;
  const batchMax = options.batchMax ?? RECORDER_BATCH_MAX;
  let pending = new Map<string, JobEvent>();
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  const flush = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = undefined;
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
      const earlier = pending.get(key);
      pending.set(key, earlier ? coalesce(earlier, now) : now);
      if (pending.size >= batchMax) void flush();
      else if (!timer) timer = setTimeout(() => void flush(), flushMs).unref();
    },
    /** Writes what waits and waits for the writes under way (shutdown, tests). */
    async drain() {
      await flush();
    },
  };
}
