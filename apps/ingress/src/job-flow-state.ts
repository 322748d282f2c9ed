import { isQueueName } from '@integrador/jobs';
import { type BlockingFailure, findBlockingFailure, type JobProducer, jobStateName } from '@integrador/queue';
import type { Job } from 'bullmq';
import type { Locale } from './i18n';

/** A job's state as the API shows it: BullMQ's, or `blocked` for a flow step waiting on a failed prerequisite. */
export interface JobFlowState {
  state: string;
  stateLabel: string;
  blockedBy: BlockingFailure | null;
}

/** The state of one job, resolving waiting-children into `blocked` (with the failed prerequisite) when it is. */
export async function jobFlowState(producer: JobProducer, job: Job, locale: Locale): Promise<JobFlowState> {
  const bullState = await job.getState();
  let blockedBy: BlockingFailure | null = null;
  if (bullState === 'waiting-children') {
    const prefix = producer.queue('set').opts.prefix ?? '';
    const getJob = (queue: string, id: string) => (isQueueName(queue) ? producer.getJob(queue, id) : Promise.resolve(undefined));
    blockedBy = (await findBlockingFailure(job, prefix, getJob)) ?? null;
  }
  const state = blockedBy ? 'blocked' : bullState;
  return { state, stateLabel: jobStateName(locale, state), blockedBy };
}
