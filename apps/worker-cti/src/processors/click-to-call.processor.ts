import {
  type ClickToCallDeps,
  type ClickToCallResult,
  completePlacedCall,
  failUnknownOutcome,
  PBX_CONNECTION,
  type PbxSendRecord,
  placeCall,
} from '@integrador/cti';
import type { CtiClickToCallPayload } from '@integrador/jobs';
import type { JobContext, JobHandler } from '@integrador/queue';

/** The job progress that records a PBX request that may have left (set just before it is sent, see PbxSendRecord). */
export const PBX_REQUEST_SENDING = { pbxRequest: 'sending' } as const;
const PBX_REQUEST_NOT_SENT = { pbxRequest: 'not sent' } as const;

/** The job progress that records the PBX took the call on (a 2xx), with the job's result: a retake completes with it. */
export const PBX_REQUEST_PLACED = 'placed';

/** What an earlier attempt of this job recorded and never took back: a send that may have left, or a placed call. */
function recordedBefore(progress: unknown): { sending: true } | { placed: ClickToCallResult } | undefined {
  if (typeof progress !== 'object' || progress === null) return undefined;
  const record = progress as { pbxRequest?: unknown; result?: unknown };
  if (record.pbxRequest === PBX_REQUEST_PLACED && typeof record.result === 'object' && record.result !== null)
    return { placed: record.result as ClickToCallResult };
  if (record.pbxRequest === PBX_REQUEST_SENDING.pbxRequest) return { sending: true };
  return undefined;
}

/**
 * The send record in the job's progress (a BullMQ job hash field, written before the request leaves and read again
 * when the job is taken). After writing it, the attempt checks it still holds the job's lock: a worker that froze past
 * its lock, its job already given to another, does not send (that other either saw the record, or sends itself).
 */
function jobSendRecord(ctx: JobContext, lockMs: number | undefined): PbxSendRecord {
  let marked = false;
  return {
    async mark() {
      await ctx.job.updateProgress({ ...PBX_REQUEST_SENDING, at: new Date().toISOString() });
      marked = true;
      if (ctx.token && lockMs && (await ctx.job.extendLock(ctx.token, lockMs)) !== 1)
        throw new Error('the job was taken again by another worker (its lock was lost): the PBX request is not sent from here');
    },
    async clear() {
      if (!marked) return;
      await ctx.job.updateProgress(PBX_REQUEST_NOT_SENT);
      marked = false;
    },
    async placed(result) {
      await ctx.job.updateProgress({ pbxRequest: PBX_REQUEST_PLACED, at: new Date().toISOString(), result });
      marked = false;
    },
  };
}

/**
 * cti.click-to-call: the tenant's PBX dials. A PBX refusal (4xx), and anything that went wrong after the request reached
 * the PBX (no answer, a reset, a 5xx other than 503: it may have dialled), is a permanent CtiError — the queue worker
 * fails the job at once; only what failed before the request was sent (refused, DNS, connect timeout) and 408 / 429 /
 * 503 retry with the job's backoff. A job taken again after its worker died while the request may have been out (the
 * send record in its progress) fails for good as PBX_OUTCOME_UNKNOWN, before anything else: the PBX is not called twice;
 * one whose earlier attempt recorded the PBX's 2xx (placed) completes with that attempt's result, unsent.
 */
export function createClickToCallProcessor(deps: ClickToCallDeps & { lockMs?: number }): JobHandler<CtiClickToCallPayload> {
  return async (payload, ctx): Promise<ClickToCallResult> => {
    const onLinkFailed = (err: unknown) => ctx.logger.warn({ err, callId: payload.callId }, 'click-to-call customer lookup failed');
    const recorded = recordedBefore(ctx.job.progress);
    if (recorded && 'placed' in recorded) return completePlacedCall(deps, payload, recorded.placed, { onLinkFailed });
    if (recorded) return failUnknownOutcome(deps.db, payload);
    const lastAttempt = ctx.job.attemptsMade + 1 >= (ctx.job.opts.attempts ?? 1);
    return placeCall(deps, payload, {
      lastAttempt,
      acquire: () => ctx.limits.acquire({ connection: PBX_CONNECTION }),
      sendRecord: jobSendRecord(ctx, deps.lockMs),
      onLinkFailed,
    });
  };
}
