import { type FilialCaller, findServicoEndpoint, type ServicoEndpoint } from '@integrador/store';
import type { CodedError } from '../runs/run-errors';
import type { EndpointLimits } from './endpoint-sync';

/** Seed 003's limits of one call (the ENDPOINT_* defaults), for a caller given no configuration (tests, a bare plugin). */
export const SEED_003_LIMITS: EndpointLimits = { maxRecords: 1000, timeoutMs: 180_000, maxResponseBytes: 32 * 1024 * 1024 };

/** How long Validate waits for one endpoint by default: an operator's request is not held open for seed 003's minutes. */
export const VALIDATE_TIMEOUT_MS = 20_000;

/** Validate's limits: seed 003's, each URL waited for at most `capMs` (a sync still allows the full limit). */
export function validationLimits(limits: EndpointLimits, capMs: number = VALIDATE_TIMEOUT_MS): EndpointLimits {
  return { ...limits, timeoutMs: Math.min(limits.timeoutMs, capMs) };
}

/** A sync asked of a service that cannot run (inactive): refused before anything is enqueued, worded by run-refusals. */
export class EndpointSyncRefusedError extends Error implements CodedError {
  override name = 'EndpointSyncRefusedError';
  readonly permanent = true;
  readonly code = 'SERVICE_INACTIVE';
  readonly params: Readonly<Record<string, string>>;
  constructor(servicoId: number) {
    super(`endpoint service #${servicoId} is inactive; nothing was enqueued`);
    this.params = { id: String(servicoId) };
  }
}

/**
 * The one rule for "may this service be synced now" (the API, the CLI and the dashboard call it before enqueueing
 * endpoint.sync): the caller's service, or undefined when it is not theirs (another tenant's answers as missing);
 * an inactive one throws EndpointSyncRefusedError.
 */
export async function admitEndpointSync(
  db: Parameters<typeof findServicoEndpoint>[0],
  caller: FilialCaller,
  servicoId: number,
): Promise<ServicoEndpoint | undefined> {
  const service = await findServicoEndpoint(db, caller, servicoId);
  if (service && !service.ativo) throw new EndpointSyncRefusedError(servicoId);
  return service;
}
