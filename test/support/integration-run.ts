import type { QueueName } from '@integrador/jobs';
import type { JobProducer } from '@integrador/queue';
import type { Job } from 'bullmq';
import type { FastifyInstance } from 'fastify';

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
