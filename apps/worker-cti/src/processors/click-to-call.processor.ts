import { type ClickToCallDeps, type ClickToCallResult, PBX_CONNECTION, placeCall } from '@integrador/cti';
import type { CtiClickToCallPayload } from '@integrador/jobs';
import type { JobHandler } from '@integrador/queue';

/**
 * cti.click-to-call: the tenant's PBX dials. A PBX refusal (4xx) is a permanent CtiError — the queue worker fails the
 * job at once with the PBX's answer; 5xx / timeouts retry with the job's backoff.
 */
export function createClickToCallProcessor(deps: ClickToCallDeps): JobHandler<CtiClickToCallPayload> {
  return async (payload, ctx): Promise<ClickToCallResult> => {
    const lastAttempt = ctx.job.attemptsMade + 1 >= (ctx.job.opts.attempts ?? 1);
    return placeCall(deps, payload, { lastAttempt, acquire: () => ctx.limits.acquire({ connection: PBX_CONNECTION }) });
  };
}
