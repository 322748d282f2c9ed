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

/**
 * True when a failed call certainly left the receptor untouched: the connection was never made, or the receptor
 * answered an error status (a 5xx, 429 or soap:Server fault: for this ERP infrastructure, nothing processed). A
 * timeout or a reset mid-call is not: the receptor may have processed the request.
 */
export function receptorUntouched(error: unknown): boolean {
  // Walks the causes: the limits layer wraps a 429's error in the DelayedError that postpones the job.
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 10; current = current.cause, depth++) {
    if (current instanceof TransientTransportError && typeof current.exchange?.statusCode === 'number') return true;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NOT_CONNECTED.has(code)) return true;
  }
  return false;
}
