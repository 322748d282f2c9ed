import { type ClickToCallDeps, type ClickToCallResult, PBX_CONNECTION, placeCall } from '@integrador/cti';
import type { CtiClickToCallPayload } from '@integrador/jobs';
import type { JobHandler } from '@integrador/queue';

/**
 * cti.click-to-call: the tenant's PBX dials. A PBX refusal (4xx), and anything that went wrong after the request reached
 * the PBX (no answer, a reset, a 5xx other than 503: it may have dialled), is a permanent CtiError — the queue worker
 * fails the job at once; only what failed before the request was sent (refused, DNS, connect timeout) and 408 / 429 /
 * 503 retry with the job's backoff.
 */
export function createClickToCallProcessor(deps: ClickToCallDeps): JobHandler<CtiClickToCallPayload> {
  return async (payload, ctx): Promise<ClickToCallResult> => {
    const lastAttempt = ctx.job.attemptsMade + 1 >= (ctx.job.opts.attempts ?? 1);
    return placeCall(deps, payload, {
      lastAttempt,
      acquire: () => ctx.limits.acquire({ connection: PBX_CONNECTION }),
      onLinkFailed: (err) => ctx.logger.warn({ err, callId: payload.callId }, 'click-to-call customer lookup failed'),
    });
  };
}
