import type { QueueName } from '@integrador/jobs';
import type { JobProducer } from '@integrador/queue';
import type { Database } from '@integrador/store';
import type { Job } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';

/** A job that has settled: completed or failed (with its retries spent). */
export interface SettledJob {
  job: Job;
  state: 'completed' | 'failed';
}

/** POST /v1/integrations/<id>/run with the tenant's key and these parametros; expects 202 and answers the job's id and queue. */
export async function runIntegration(
  app: FastifyInstance,
  key: string,
  integracaoId: number,
  parametros: Record<string, unknown> = {},
): Promise<{ jobId: string; queue: QueueName }> {
  const response = await app.inject({
    method: 'POST',
    url: `/v1/integrations/${integracaoId}/run`,
    headers: { authorization: `Bearer ${key}` },
    payload: { parametros },
  });
  expect(response.statusCode).toBe(202);
  return response.json() as { jobId: string; queue: QueueName };
}

/**
 * Waits until the job has completed or failed, then reads it again: the read that saw it settle may predate the job's
 * final update (returnvalue, failedReason). Throws, naming its state, when `timeoutMs` passes first.
 */
export async function settledJob(
  producer: JobProducer,
  { jobId, queue }: { jobId: string; queue: QueueName },
  timeoutMs = 60_000,
  pollMs = 50,
): Promise<SettledJob> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await producer.getJob(queue, jobId);
    const state = await job?.getState();
    if (job && (state === 'completed' || state === 'failed')) return { job: (await producer.getJob(queue, jobId)) ?? job, state };
    if (Date.now() > deadline) throw new Error(`job ${queue}/${jobId} still ${state} after ${timeoutMs} ms: ${job?.failedReason ?? ''}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/**
 * The failure code a worker recorded for a failed job (registro_jobs, written within its recorder's flush, after BullMQ
 * already says failed), waited for up to ~5 s; what the job status words its failure from.
 */
export async function recordedFailureCode(db: Kysely<Database>, jobId: string): Promise<string | null | undefined> {
  let record: { codigo: string | null } | undefined;
  for (let i = 0; i < 200 && !record?.codigo; i++) {
    record = await db
      .selectFrom('registro_jobs')
      .select('erro_codigo as codigo')
      .where('job_id', '=', jobId)
      .where('estado', '=', 'falhou')
      .executeTakeFirst();
    if (!record?.codigo) await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return record?.codigo;
}
