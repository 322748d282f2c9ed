import { type ClickToCallDeps, type ClickToCallResult, CtiError, PBX_CONNECTION, placeCall } from '@integrador/cti';
import type { CtiClickToCallPayload } from '@integrador/jobs';
import type { JobHandler } from '@integrador/queue';
import { UnrecoverableError } from 'bullmq';

/** cti.click-to-call: the tenant's PBX dials; a PBX refusal (4xx) fails at once with its answer, 5xx / timeouts retry. */
export function createClickToCallProcessor(deps: ClickToCallDeps): JobHandler<CtiClickToCallPayload> {
  return async (payload, ctx): Promise<ClickToCallResult> => {
    const lastAttempt = ctx.job.attemptsMade + 1 >= (ctx.job.opts.attempts ?? 1);
    try {
      return await placeCall(deps, payload, { lastAttempt, acquire: () => ctx.limits.acquire({ connection: PBX_CONNECTION }) });
    } catch (err) {
      if (err instanceof CtiError) {
        ctx.logger.warn({ empresaId: payload.tenant.empresaId, code: err.code, permanent: err.permanent }, 'click-to-call failed');
        if (err.permanent) throw new UnrecoverableError(err.message);
      }
      throw err;
    }
  };
}
