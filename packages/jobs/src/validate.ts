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
/** A job's validator, and whether its schema fills defaults in (the only way this ajv writes into what it checks). */
const compiled = new Map<string, { validate: ValidateFunction; fillsDefaults: boolean }>();

function validatorFor(queue: QueueName, name: string): { validate: ValidateFunction; fillsDefaults: boolean } {
  const key = `${queue}\u0000${name}`;
  let entry = compiled.get(key);
  if (!entry) {
    const definition = jobDefinition(queue, name);
    if (!definition) throw new JobPayloadError(queue, name, '', `queue "${queue}" has no job named "${name}"`);
    // Conservative: any "default" key in the schema text (a property so named too) counts as one.
    entry = { validate: ajv.compile(definition.schema), fillsDefaults: JSON.stringify(definition.schema).includes('"default"') };
    compiled.set(key, entry);
  }
  return entry;
}

function fieldOf(error: ErrorObject): string {
  const missing = error.keyword === 'required' ? `/${String(error.params.missingProperty)}` : '';
  const extra = error.keyword === 'additionalProperties' ? `/${String(error.params.additionalProperty)}` : '';
  return `${error.instancePath}${missing}${extra}`;
}

/**
 * Validates (and fills defaults into) a job payload; used by producers before `add` and by workers
 * when they take the job. Returns the payload with defaults applied: a copy when its schema has defaults, else the
 * payload itself (untouched).
 */
export function validatePayload<T = unknown>(queue: QueueName, name: string, data: unknown): T {
  const { validate, fillsDefaults } = validatorFor(queue, name);
  // Only a schema with defaults writes into the value it checks: the copy keeps the caller's object as it was. Without
  // defaults (most jobs, the CTI listener's call events among them) nothing is written, and the clone was a third of
  // the listener's enqueue cost.
  const copy = data === undefined || !fillsDefaults ? data : structuredClone(data);
  if (!validate(copy)) {
    const error = validate.errors?.[0] as ErrorObject;
    const field = fieldOf(error);
    const what = error.keyword === 'additionalProperties' ? 'is not allowed' : (error.message ?? 'is invalid');
    throw new JobPayloadError(queue, name, field, `job ${queue}/${name}: field "${field || '/'}" ${what}`);
  }
  return copy as T;
}
