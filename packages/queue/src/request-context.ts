import { AsyncLocalStorage } from 'node:async_hooks';

// The request id of the HTTP request (or CLI call) being served, carried into every job it enqueues so the worker's
// log lines of that job can be found by it. It travels beside the payload (job.data.reqId), which the producer adds
// after validating the payload and the worker removes before validating it again: payload schemas stay closed.

const context = new AsyncLocalStorage<{ reqId: string }>();

/** Runs `work` with `reqId` as the request id of everything it enqueues. */
export function runWithRequestId<T>(reqId: string, work: () => T): T {
  return context.run({ reqId }, work);
}

/** The request id of the work in progress, if any. */
export function currentRequestId(): string | undefined {
  return context.getStore()?.reqId;
}

/** A validated payload with the current request id beside it (none outside a request). */
export function withRequestId<T>(payload: T): T {
  const reqId = currentRequestId();
  return reqId === undefined || payload === null || typeof payload !== 'object' ? payload : { ...payload, reqId };
}

/** Splits job data into the payload to validate and the request id that travelled with it. */
export function splitRequestId(data: unknown): { payload: unknown; reqId: string | undefined } {
  if (data === null || typeof data !== 'object' || !('reqId' in data)) return { payload: data, reqId: undefined };
  const { reqId, ...payload } = data as { reqId?: unknown };
  return { payload, reqId: typeof reqId === 'string' ? reqId : undefined };
}
