import { TransientTransportError } from '@integrador/transports';

/**
 * The fields by which the receptor recognises a record it already holds. Senior G5's GravarClientes is an upsert by
 * codCli, else cgcCpf, else ideExt (docs: senior-g5): a request carrying one of them updates the customer the first
 * attempt may have created instead of creating a second one.
 */
const RECEPTOR_KEYS = ['codCli', 'cgcCpf', 'ideExt'] as const;

/** Socket failures that happen before a request reaches the receptor: nothing can have been processed. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EHOSTDOWN']);

const blank = (value: unknown) => value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * True when sending the body again cannot create a second record: each entry of it (each dadosGeraisCliente, or the
 * body itself when it has no nested entries) carries a key the receptor upserts by.
 */
export function carriesReceptorKey(body: Record<string, unknown>): boolean {
  const entries = Object.values(body)
    .flatMap((value) => (Array.isArray(value) ? value : [value]))
    .filter(isObject);
  const records = entries.length > 0 ? entries : [body];
  return records.every((record) => RECEPTOR_KEYS.some((key) => !blank(record[key])));
}

/** Statuses by which a receptor (not a proxy before it) says it did not take the request: slow down, unavailable. */
const REFUSED_STATUSES = new Set([429, 503]);

/** Errors raised before a request left the hub (a limits token refused, its Redis unreachable). */
const notSent = new WeakSet<object>();

/** Marks an error raised before anything was sent: the receptor cannot hold the record, a retry sends it as new. */
export function markNotSent<E>(error: E): E {
  if (error !== null && typeof error === 'object') notSent.add(error);
  return error;
}

/** True for an error marked by markNotSent: no call was made, so there is no attempt to record. */
export function wasNotSent(error: unknown): boolean {
  return error !== null && typeof error === 'object' && notSent.has(error);
}

/**
 * True when a failed call certainly left the receptor untouched: nothing was sent, the connection was never made, the
 * receptor answered 429 or 503, or a soap:Server fault (for this ERP infrastructure, nothing processed). A timeout, a
 * reset mid-call or another error status (a 500, or a proxy's 502/504 that may hide a processed request) is not: the
 * receptor may have processed the request.
 */
export function receptorUntouched(error: unknown): boolean {
  // Walks the causes: the limits layer wraps a 429's error in the DelayedError that postpones the job.
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 10; current = current.cause, depth++) {
    if (notSent.has(current)) return true;
    if (current instanceof TransientTransportError) {
      if (current.serverFault || current.notProcessed) return true;
      const status = current.exchange?.statusCode;
      if (typeof status === 'number' && REFUSED_STATUSES.has(status)) return true;
    }
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NOT_CONNECTED.has(code)) return true;
  }
  return false;
}
