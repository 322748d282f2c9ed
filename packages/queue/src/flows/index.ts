export {
  type BlockedEntry,
  blockedKey,
  countBlockedDependents,
  type DependentRef,
  dropBlocked,
  findBlocked,
  readBlocked,
  readLiveBlocked,
} from './blocked-index';
export { type BlockingFailure, findBlockingFailure } from './blocked-state';
export { FlowBlockedError, isFlowBlockedError } from './flow-blocked-error';
export { handleFlowCompletion, handleFlowFailure } from './flow-failures';
export { flowStepOf, openFlowGate } from './flow-gate';
export { addValidatedFlow } from './flow-producer';
export { buildFlowTree, CHILD_FAILURE_OPTIONS, type FlowNodeInput, type FlowNodeRef } from './flow-tree';
export { emptyFlowValues, type FlowStepValues, type FlowValues, flowValuesOf, mergeFlowValues } from './flow-values';
export { jobKey, parseJobKey } from './job-keys';
export { type RetryOutcome, type RetryRefusal, retryFailedJob } from './retry-failed-job';
export { startWedgeGuard, type WedgeGuard, type WedgeGuardOptions } from './wedge-guard';
