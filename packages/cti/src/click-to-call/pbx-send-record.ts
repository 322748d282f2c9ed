import type { CtiClickToCallPayload } from '@integrador/jobs';
import type { Database } from '@integrador/store';
import type { Kysely } from 'kysely';
import { setOutboundOutcome } from '../calls/call-log.repository';
import { CtiError } from '../cti-error';
import { OUTCOME_UNKNOWN } from './pbx-client';

/** What a placed call returns (the job's result). */
export interface ClickToCallResult {
  ligacaoId: number;
  status: number;
  dialled: string;
  interno: boolean;
  url: string;
  pbxAnswer: string;
}

/**
 * The durable record, kept where the job is, that a click-to-call's PBX request may be leaving. A worker killed
 * (SIGKILL, OOM, a node drained) while its request is out leaves the job to BullMQ's stalled check, which gives it to
 * another worker within the expiry: that retake must not send the request again (the phone would ring twice), so the
 * attempt records the send before it makes it, and takes the record back only when the PBX is known not to have the
 * request (PBX_UNREACHABLE, PBX_BUSY), so those still retry. worker-cti keeps it in the job's progress.
 */
export interface PbxSendRecord {
  /** Records, durably, that this attempt's request may leave now; when it throws, the request is not sent. */
  mark(): Promise<void>;
  /** Takes back this attempt's record (a no-op unless this attempt marked): the PBX did not get the request. */
  clear(): Promise<void>;
  /**
   * Records that the PBX took the call on (a 2xx), with the job's result, before the customer is linked (which may
   * wait on a phone index catch-up): a retake then completes the job with it, unsent, instead of failing it as
   * PBX_OUTCOME_UNKNOWN (completePlacedCall).
   */
  placed(result: ClickToCallResult): Promise<void>;
}

/**
 * A retake found the record of an earlier attempt's send: the PBX may have dialled. Fails for good
 * (PBX_OUTCOME_UNKNOWN), the call row `falhou` with that reason; the PBX is not called again.
 */
export async function failUnknownOutcome(db: Kysely<Database>, call: CtiClickToCallPayload): Promise<never> {
  const err = new CtiError(
    'PBX_OUTCOME_UNKNOWN',
    true,
    `${OUTCOME_UNKNOWN} (an earlier attempt was sending the request to the PBX when its worker stopped; it is not sent again)`,
  );
  await setOutboundOutcome(db, call.tenant.empresaId, call.callId, 'falhou', err.message);
  throw err;
}
