import type { TenantRef } from '@integrador/jobs';
import type { Logger } from '@integrador/logging';
import type { JobObserver, ObservedJobEvent } from '@integrador/queue';
import type { CrmDatabase, EstadoRegistroJob, JobEvent } from '@integrador/store';
import { recordJobEvent } from '@integrador/store';

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

/**
 * Records every job's life in the CRM database (registro_jobs) for the operators' dashboard. Writes run in the
 * background, one after another per job (a start never overwrites the completion that followed it); a failed
 * write is logged and dropped — recording must never fail or slow a job.
 */
export function createJobRecorder(database: CrmDatabase, logger: Logger): JobObserver & { drain(): Promise<void> } {
  const chains = new Map<string, Promise<void>>();
  return {
    onJobEvent(event) {
      const record = toJobEvent(event);
      if (!record) return;
      const key = `${record.fila}/${record.jobId}`;
      const previous = chains.get(key) ?? Promise.resolve();
      const next = previous
        .then(() => recordJobEvent(database.db, record))
        .catch((err: unknown) => logger.warn({ err, queue: record.fila, jobId: record.jobId }, 'job record write failed'))
        .finally(() => {
          if (chains.get(key) === next) chains.delete(key);
        });
      chains.set(key, next);
    },
    /** Waits for the writes under way (shutdown, tests). */
    async drain() {
      await Promise.all([...chains.values()]);
    },
  };
}
