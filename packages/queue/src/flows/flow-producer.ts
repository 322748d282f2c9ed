import { jobDefinition, type QueueName, RETENTION, validatePayload } from '@integrador/jobs';
import type { FlowJob, FlowProducer, JobsOptions } from 'bullmq';
import { withRequestId } from '../request-context';
import { buildFlowTree, type FlowNodeInput, type FlowNodeRef } from './flow-tree';

/** Each node's attempts and backoff come from the catalog, retention is the fleet's, as for single jobs. */
function optionsFor(jobName: string) {
  return (queue: QueueName): JobsOptions => {
    const definition = jobDefinition(queue, jobName);
    return { attempts: definition?.policy.attempts, backoff: definition?.policy.backoff, ...RETENTION };
  };
}

/** Validates every node's payload in place (throws JobPayloadError naming the field, before anything reaches Redis). */
function validateTree(node: FlowJob, jobName: string): void {
  node.data = withRequestId(validatePayload(node.queueName as QueueName, jobName, node.data));
  for (const child of node.children ?? []) validateTree(child, jobName);
}

/** Builds, validates and adds one linear flow (flow-tree.ts); returns its nodes in run order. */
export async function addValidatedFlow(
  flowProducer: FlowProducer,
  steps: readonly FlowNodeInput[],
  options: { prefix: string; jobName: string; newId?: () => string },
  onSend: () => void = () => undefined,
): Promise<FlowNodeRef[]> {
  const { tree, nodes } = buildFlowTree(steps, { ...options, jobOptions: optionsFor(options.jobName) });
  validateTree(tree, options.jobName);
  onSend();
  await flowProducer.add(tree);
  return nodes;
}
