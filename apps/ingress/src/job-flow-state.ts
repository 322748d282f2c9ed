import { isQueueName } from '@integrador/jobs';
import { type BlockingFailure, findBlockingFailure, type JobProducer } from '@integrador/queue';
import type { Job } from 'bullmq';
import type { Locale } from './i18n';

/** A job's state as the API shows it: BullMQ's, or `blocked` for a flow step waiting on a failed prerequisite. */
export interface JobFlowState {
  state: string;
  stateLabel: string;
  blockedBy: BlockingFailure | null;
}

const LABELS: Record<string, Record<Locale, string>> = {
  waiting: { 'pt-BR': 'aguardando', en: 'waiting' },
  active: { 'pt-BR': 'em execução', en: 'active' },
  delayed: { 'pt-BR': 'adiado', en: 'delayed' },
  prioritized: { 'pt-BR': 'aguardando', en: 'waiting' },
  completed: { 'pt-BR': 'concluído', en: 'completed' },
  failed: { 'pt-BR': 'falhou', en: 'failed' },
  'waiting-children': { 'pt-BR': 'aguardando dependências', en: 'waiting for its prerequisites' },
  blocked: { 'pt-BR': 'bloqueado', en: 'blocked' },
};

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
  return { state, stateLabel: LABELS[state]?.[locale] ?? state, blockedBy };
}
