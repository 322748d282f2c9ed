import { randomUUID } from 'node:crypto';
import type { FlowStep, QueueName } from '@integrador/jobs';
import type { FlowJob, JobsOptions } from 'bullmq';

/** One integration.run of a flow, in run order. */
export interface FlowNodeInput {
  queue: QueueName;
  integracaoId: number;
  /** The integration.run payload without `flow` (added here). */
  data: Record<string, unknown>;
}

/** A node as enqueued: which job runs which integracao on which queue. */
export interface FlowNodeRef {
  integracaoId: number;
  queue: QueueName;
  jobId: string;
}

/**
 * What a failed prerequisite does to its dependent: nothing. The dependent stays in waiting-children, which is what
 * lets `retry` of the failed prerequisite resume the chain (verified in bullmq-flow-behaviour.test.ts).
 * failParentOnFailure would fail the dependents at once (a retry then resumes nothing); ignore/remove/continue would
 * run them without their prerequisite. The wedge guard (wedge-guard.ts) closes the "waits forever" gap instead.
 */
export const CHILD_FAILURE_OPTIONS = {
  failParentOnFailure: false,
  ignoreDependencyOnFailure: false,
  removeDependencyOnFailure: false,
  continueParentOnFailure: false,
} as const;

/**
 * Builds one BullMQ flow from steps in run order: a linear chain whose last step (the triggered integration) is the
 * root and whose first step is the deepest leaf, so BullMQ runs them first to last. A chain rather than a DAG: it keeps
 * seed 001's (ordem, id) order between independent prerequisites, a BullMQ tree cannot share a prerequisite between
 * two dependents (a diamond), and each step then has exactly one child whose result carries every upstream value.
 * Every node gets the same prefix (one Cluster hash tag) and its own id, so each payload can name its prerequisite.
 */
export function buildFlowTree(
  steps: readonly FlowNodeInput[],
  options: { prefix: string; jobName: string; jobOptions: (queue: QueueName) => JobsOptions; newId?: () => string },
): { tree: FlowJob; nodes: FlowNodeRef[] } {
  const last = steps.at(-1);
  if (!last || steps.length < 2) throw new Error('a flow needs at least two steps');
  const newId = options.newId ?? randomUUID;
  const nodes = steps.map((step) => ({ integracaoId: step.integracaoId, queue: step.queue, jobId: newId() }));
  let child: FlowJob | undefined;
  steps.forEach((step, index) => {
    const previous = index > 0 ? nodes[index - 1] : undefined;
    const flow: FlowStep = {
      triggeredIntegracaoId: last.integracaoId,
      step: index + 1,
      steps: steps.length,
      ...(previous ? { prerequisite: { queue: previous.queue, jobId: previous.jobId, integracaoId: previous.integracaoId } } : {}),
    };
    const node: FlowJob = {
      name: options.jobName,
      queueName: step.queue,
      prefix: options.prefix,
      data: { ...step.data, flow },
      opts: { ...options.jobOptions(step.queue), ...CHILD_FAILURE_OPTIONS, jobId: (nodes[index] as FlowNodeRef).jobId },
      ...(child ? { children: [child] } : {}),
    };
    child = node;
  });
  return { tree: child as FlowJob, nodes };
}
