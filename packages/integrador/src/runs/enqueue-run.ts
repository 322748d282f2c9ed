import type { ConnectionsRegistry } from '@integrador/connections';
import { type IntegrationRunPayload, jobDefinition, type TenantRef } from '@integrador/jobs';
import { enqueueGetRun, idempotentJobId, type JobProducer } from '@integrador/queue';
import type { CrmDatabase } from '@integrador/store';
import type { Parametros } from '../parametros';
import type { PlannedStep } from '../run-plan';
import { runInputs, type UpstreamValues } from '../set/upstream-values';
import { type AdmissionCacheOptions, cachedAdmission } from './admission-cache';
import { admitRun } from './admit-run';
import type { RunQueue } from './runnability';

/** What triggers a run and with which values. */
export interface RunRequest {
  tenant: TenantRef;
  integracaoId: number;
  parametros: Parametros;
  trigger: IntegrationRunPayload['trigger'];
  /** The client's Idempotency-Key: a request retried with it finds the job(s) its first attempt created. */
  idempotencyKey?: string;
  /** The caller's connections file: a connection restricted to another empresa is refused before anything is enqueued. */
  connections?: ConnectionsRegistry;
}

/** One enqueued step: which job runs which integracao on which queue. */
export interface EnqueuedStep {
  integracaoId: number;
  nome: string;
  queue: RunQueue;
  jobId: string;
}

/** The triggered integration's job (the flow's last step) and every step in run order (one when it runs alone). */
export interface EnqueuedRun {
  queue: RunQueue;
  jobId: string;
  steps: EnqueuedStep[];
  /**
   * Nothing was added: a replay of the request's Idempotency-Key (jobId and steps are its first attempt's), or a lone
   * GET pull whose integration already had a run waiting or running (jobId is that run).
   */
  deduplicated: boolean;
}

/** A step whose queue has no integration.run job in this build (e.g. GET before the GET worker lands). */
export class StepQueueUnavailableError extends Error {
  override name = 'StepQueueUnavailableError';
  readonly code = 'STEP_QUEUE_UNAVAILABLE';
  constructor(
    readonly step: PlannedStep,
    readonly triggeredId: number,
  ) {
    super(
      `integracao #${step.integracaoId} (${step.nome}) runs on queue ${step.queue}, which takes no integration.run job in this version`,
    );
  }
}

function payloadOf(request: RunRequest, step: PlannedStep): IntegrationRunPayload {
  const trigger = step.integracaoId === request.integracaoId ? request.trigger : 'dependency';
  // Every step sees the caller's parametros (a chain usually works on one CRM record, e.g. contaId).
  return { tenant: request.tenant, integracaoId: step.integracaoId, parametros: request.parametros, trigger };
}

/** The job id a run request's idempotency key names (the triggered integration and the trigger kind scope it). */
function idempotentId(request: RunRequest): string | undefined {
  if (!request.idempotencyKey) return undefined;
  return idempotentJobId(request.tenant, `${request.trigger}-i${request.integracaoId}`, request.idempotencyKey);
}

/** Enqueues an already planned run: a plain job when it has no prerequisites, else one BullMQ flow. */
export async function enqueuePlannedRun(producer: JobProducer, request: RunRequest, plan: readonly PlannedStep[]): Promise<EnqueuedRun> {
  const last = plan.at(-1);
  if (!last) throw new Error(`empty run plan for integracao #${request.integracaoId}`);
  const unavailable = plan.find((step) => !jobDefinition(step.queue, 'integration.run'));
  if (unavailable) throw new StepQueueUnavailableError(unavailable, request.integracaoId);
  if (plan.length === 1 && last.queue === 'get') {
    // A GET pull on its own: one run at a time per integration; a request during a run follows that run.
    const { job, deduplicated } = await enqueueGetRun(producer, payloadOf(request, last), { idempotencyKey: request.idempotencyKey });
    const jobId = String(job.id);
    return { queue: last.queue, jobId, steps: [{ ...last, jobId }], deduplicated };
  }
  if (plan.length === 1) {
    // The queue comes from tipo_servico; the payload is validated against that queue's catalog when enqueued.
    const jobId = idempotentId(request);
    const payload = payloadOf(request, last);
    const { job, deduplicated } = jobId
      ? await producer.enqueueOnce(last.queue as 'set', 'integration.run', payload, { jobId })
      : { job: await producer.enqueue(last.queue as 'set', 'integration.run', payload), deduplicated: false };
    return { queue: last.queue, jobId: String(job.id), steps: [{ ...last, jobId: String(job.id) }], deduplicated };
  }
  const base = idempotentId(request);
  let step = 0;
  const newId = base ? () => `${base}-s${++step}` : undefined;
  const steps = plan.map((s) => ({ queue: s.queue, integracaoId: s.integracaoId, data: payloadOf(request, s) }));
  if (base && (await producer.getJob(last.queue, `${base}-s${plan.length}`))) {
    // The first attempt of this request added the flow: answer its jobs, add nothing.
    const jobIds = plan.map((s, i) => ({ ...s, jobId: `${base}-s${i + 1}` }));
    return { queue: last.queue, jobId: `${base}-s${plan.length}`, steps: jobIds, deduplicated: true };
  }
  const nodes = await producer.enqueueFlow('integration.run', steps, newId ? { newId } : {});
  const jobIds = plan.map((s, i) => ({ ...s, jobId: nodes[i]?.jobId ?? '' }));
  return { queue: last.queue, jobId: nodes.at(-1)?.jobId ?? '', steps: jobIds, deduplicated: false };
}

/**
 * The one way an integration run is enqueued (API, CLI, CRM events): admitRun decides
 * whether it may run — the tenant's row, runnable, its parametros_obrigatorios, its own conexao_integracao, an intact
 * dependency graph — and gives the plan; the integration is then enqueued together with everything it (transitively)
 * depends on as one flow, prerequisites first. Without prerequisites it is a plain job. Refusals throw the engine's
 * coded errors (RunRefusedError, the run-plan errors) and enqueue nothing.
 */
export async function enqueueIntegrationRun(database: CrmDatabase, producer: JobProducer, request: RunRequest): Promise<EnqueuedRun> {
  const admitted = await admitRun(database.db, {
    tenant: request.tenant,
    integracaoId: request.integracaoId,
    parametros: request.parametros,
    ...(request.connections ? { connections: request.connections } : {}),
  });
  return enqueuePlannedRun(producer, request, admitted.plan);
}

/**
 * A worker's admission of a job it takes (the configuration may have changed since it was enqueued): the same
 * admitRun, with the values the step will see. Required parameters are checked for the run a caller started; a
 * scheduler's run and a flow's prerequisite get theirs from the configuration and the flow. The configuration checks
 * (GET_CONFIG, SET_CONFIG) read the job's own row only: a misconfigured step of its flow fails in its own job, so a
 * healthy step still runs (a scheduled GET whose depende_de names a broken SET, a crm-change flow's prerequisite).
 */
function jobAdmissionRequest(payload: IntegrationRunPayload, upstream: UpstreamValues | undefined) {
  return {
    tenant: payload.tenant,
    integracaoId: payload.integracaoId,
    parametros: runInputs(payload.parametros, upstream),
    checkParameters: payload.trigger !== 'schedule' && payload.trigger !== 'dependency',
    configurationScope: 'own' as const,
  };
}

/**
 * Admission of a job when a worker takes it, for a worker's stream of jobs: the database half is reused per (tenant, integracao) for at most
 * ADMISSION_CACHE_TTL_MS (cachedAdmission), the parameter check and tenant binding run per job, and a retried attempt
 * (`attemptsMade > 0`) always reads the rows again — a row set to ativo = 0 fails the retry of a job already taken.
 */
export function createJobAdmission(database: CrmDatabase, options: AdmissionCacheOptions = {}) {
  const admit = cachedAdmission(database.db, options);
  return (payload: IntegrationRunPayload, upstream: UpstreamValues | undefined, attemptsMade: number) =>
    admit({ ...jobAdmissionRequest(payload, upstream), fresh: attemptsMade > 0 });
}
