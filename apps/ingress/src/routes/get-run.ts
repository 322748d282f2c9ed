import type { IntegrationRunPayload } from '@integrador/jobs';
import { enqueueGetRun, type JobProducer } from '@integrador/queue';

/** The 202 answer of a run request; deduplicated = true when the job is a run of the integration already waiting or running. */
export interface RunAccepted {
  queue: string;
  jobId: string;
  deduplicated?: boolean;
}

/**
 * Enqueues a GET pull unless one of the same integration is waiting or running: then that job is answered
 * (202 with deduplicated: true), so the caller follows the run in progress instead of starting a second one.
 */
export async function acceptGetRun(producer: JobProducer, payload: IntegrationRunPayload): Promise<RunAccepted> {
  const { job, deduplicated } = await enqueueGetRun(producer, payload);
  return { queue: 'get', jobId: String(job.id), deduplicated };
}
