import { type CallEventDeps, type CallEventResult, processCallEvent } from '@integrador/cti';
import type { CtiCallEventPayload } from '@integrador/jobs';
import type { JobHandler } from '@integrador/queue';

/** cti.call-event: a WConnect call start / end — call log, caller lookup, screen pop (the work is the engine's). */
export function createCallEventProcessor(deps: CallEventDeps): JobHandler<CtiCallEventPayload> {
  return async (payload, ctx): Promise<CallEventResult> => {
    const result = await processCallEvent(deps, payload);
    ctx.logger.debug({ empresaId: payload.tenant.empresaId, kind: payload.kind, ligacaoId: result.ligacaoId }, 'call event processed');
    return result;
  };
}
