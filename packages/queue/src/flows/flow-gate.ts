import type { FlowStep } from '@integrador/jobs';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { dropBlocked, findBlocked } from './blocked-index';
import { blockedMessage, FlowBlockedError } from './flow-blocked-error';
import { emptyFlowValues, type FlowValues, flowValuesOf } from './flow-values';
import { jobKey } from './job-keys';

/** The flow step a job's payload declares, if it is part of a flow. */
export function flowStepOf(job: Pick<Job, 'data'>): FlowStep | undefined {
  const flow = (job.data as { flow?: FlowStep } | undefined)?.flow;
  return flow && typeof flow === 'object' ? flow : undefined;
}

const WHY = {
  expired: 'it failed and the flow gave up waiting for it to be retried',
  cascade: 'a step before it ended the flow',
  gone: 'its job was removed before it completed',
} as const;

/**
 * Runs before a flow step's handler. BullMQ also releases a dependent when its failed child is *removed* (retention
 * or by hand) — it would then run without its prerequisite; so the step checks that its prerequisite's result is
 * among its processed children, and otherwise fails for good (FlowBlockedError) with the prerequisite's failure.
 * Returns the upstream values (undefined outside flows, empty for a flow's first step).
 */
export async function openFlowGate(job: Job, redis: Redis, prefix: string): Promise<FlowValues | undefined> {
  const flow = flowStepOf(job);
  if (!flow) return undefined;
  const prerequisite = flow.prerequisite;
  if (!prerequisite) return emptyFlowValues();
  const children = await job.getChildrenValues();
  const key = jobKey(prefix, prerequisite.queue, prerequisite.jobId);
  if (Object.hasOwn(children, key)) return flowValuesOf(children[key]);
  const entry = await findBlocked(redis, prefix, prerequisite.queue, prerequisite.jobId);
  if (entry) await dropBlocked(redis, prefix, prerequisite.queue, prerequisite.jobId);
  const why = WHY[entry?.released ?? 'gone'];
  throw new FlowBlockedError(blockedMessage(prerequisite, entry?.reason ?? 'unknown (the failed job is gone)', why));
}
