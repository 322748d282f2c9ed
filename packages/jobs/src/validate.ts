import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { jobDefinition } from './catalog';
import type { QueueName } from './queues';

/** A payload that does not match its job's schema, or a job name the queue does not accept. */
export class JobPayloadError extends Error {
  override name = 'JobPayloadError';
  /** What a job's record keeps when a worker refuses the payload (the failure catalogue words it). */
  readonly code = 'JOB_PAYLOAD_INVALID';
  constructor(
    readonly queue: string,
    readonly jobName: string,
    /** JSON pointer of the offending field ('' for the payload itself). */
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const ajv = new Ajv({ allErrors: false, useDefaults: true, strict: false });
const compiled = new Map<string, ValidateFunction>();

function validatorFor(queue: QueueName, name: string): ValidateFunction {
  const key = `${queue}\u0000${name}`;
  let validate = compiled.get(key);
  if (!validate) {
    const definition = jobDefinition(queue, name);
    if (!definition) throw new JobPayloadError(queue, name, '', `queue "${queue}" has no job named "${name}"`);
    validate = ajv.compile(definition.schema);
    compiled.set(key, validate);
  }
  return validate;
}

function fieldOf(error: ErrorObject): string {
  const missing = error.keyword === 'required' ? `/${String(error.params.missingProperty)}` : '';
  const extra = error.keyword === 'additionalProperties' ? `/${String(error.params.additionalProperty)}` : '';
  return `${error.instancePath}${missing}${extra}`;
}

/**
 * Validates (and fills defaults into) a job payload; used by producers before `add` and by workers
 * when they take the job. Returns the payload with defaults applied.
 */
export function validatePayload<T = unknown>(queue: QueueName, name: string, data: unknown): T {
  const validate = validatorFor(queue, name);
  const copy = data === undefined ? undefined : structuredClone(data);
  if (!validate(copy)) {
    const error = validate.errors?.[0] as ErrorObject;
    const field = fieldOf(error);
    const what = error.keyword === 'additionalProperties' ? 'is not allowed' : (error.message ?? 'is invalid');
    throw new JobPayloadError(queue, name, field, `job ${queue}/${name}: field "${field || '/'}" ${what}`);
  }
  return copy as T;
}
