import { runRefusalOf } from '@integrador/integrador';
import { HttpError } from './http-error';
import type { MessageKey } from './i18n';

/**
 * The one code → HTTP status table of the API. Routes throw the engine's domain errors as they are; the error
 * handler answers each coded error here with its status and localized message. A tenant never learns whether a row
 * of another tenant exists: NOT_FOUND, a consulta that finds no row of the tenant (NO_RECORDS) and a write refused by
 * the tenant guard (FOREIGN_ROW) all answer 404. The admission path's refusals (FILIAL_SCOPE, MISSING_PARAMETERS,
 * NOT_RUNNABLE, CONNECTION_FORBIDDEN, the dependency graph's…) are the engine's table (runRefusalOf in
 * packages/integrador), which the dashboard answers its actions with too.
 */
const STATUS_BY_CODE: Readonly<Record<string, { status: number; key: MessageKey }>> = {
  NOT_FOUND: { status: 404, key: 'NOT_FOUND' },
  INTEGRATION_NOT_FOUND: { status: 404, key: 'NOT_FOUND' },
  NO_RECORDS: { status: 404, key: 'RECORD_NOT_FOUND' },
  FOREIGN_ROW: { status: 404, key: 'RECORD_NOT_FOUND' },
  TRANSPORT_TRANSIENT: { status: 502, key: 'RECEPTOR_UNAVAILABLE' },
  // The admission limits (packages/runtime: TenantRateLimitedError, Retry-After already set).
  TENANT_RATE_LIMITED: { status: 429, key: 'TENANT_RATE_LIMITED' },
  // CTI (packages/cti)
  CTI_NOT_CONFIGURED: { status: 409, key: 'CTI_NOT_CONFIGURED' },
  CTI_INVALID_NUMBER: { status: 400, key: 'CTI_INVALID_NUMBER' },
  CTI_UNKNOWN_RAMAL: { status: 400, key: 'CTI_UNKNOWN_RAMAL' },
  CTI_NUMBER_TOO_SHORT: { status: 400, key: 'CTI_NUMBER_TOO_SHORT' },
  PBX_TEMPLATE_INVALID: { status: 409, key: 'PBX_TEMPLATE_INVALID' },
};

/** The answer to a coded engine error: the engine's refusals, the table above, any other permanent failure 422. */
export function domainHttpError(err: unknown): HttpError | undefined {
  if (!(err instanceof Error)) return undefined;
  const refusal = runRefusalOf(err, 'enqueued');
  if (refusal) return new HttpError(refusal.status, refusal.code, refusal.params, { cause: err });
  const code = (err as { code?: unknown }).code;
  const entry = typeof code === 'string' ? STATUS_BY_CODE[code] : undefined;
  const params = (err as { params?: Record<string, string> }).params ?? {};
  if (entry) return new HttpError(entry.status, entry.key, { detail: err.message, ...params }, { cause: err });
  if ((err as { permanent?: unknown }).permanent === true) {
    return new HttpError(422, 'INTEGRATION_FAILED', { detail: err.message }, { cause: err });
  }
  return undefined;
}
