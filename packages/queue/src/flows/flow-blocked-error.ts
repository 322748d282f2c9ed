import { UnrecoverableError } from 'bullmq';

/**
 * A flow step that cannot run because its prerequisite did not complete (it failed and the wedge guard gave up
 * waiting, or its failed job was removed). Permanent: retrying the step cannot bring the prerequisite's values back;
 * the dependents above it end the same way at once.
 */
export class FlowBlockedError extends UnrecoverableError {
  override name = 'FlowBlockedError';
  readonly code = 'FLOW_BLOCKED';
}

/** True for a FlowBlockedError, also once it has crossed the worker boundary as a plain error. */
export function isFlowBlockedError(err: unknown): boolean {
  return err instanceof FlowBlockedError || (err as { name?: unknown } | null)?.name === 'FlowBlockedError';
}

/** The failedReason of a step blocked by a failed prerequisite. */
export function blockedMessage(
  prerequisite: { queue: string; jobId: string; integracaoId: number | null },
  reason: string,
  why: string,
): string {
  const which = `integracao #${prerequisite.integracaoId ?? '?'} (job ${prerequisite.queue}/${prerequisite.jobId})`;
  return `blocked by ${which}: ${why}; its failure: ${reason}`;
}
