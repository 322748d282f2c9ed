import type { TipoEventoEndpoint } from '@integrador/store';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { recordErrorMessage } from './endpoint-messages';
import { normalizeRecord } from './payload-normalize';
import { FORMAT_PATTERNS, structureSchema } from './payload-schemas';

/** Why one record was refused: its position in the endpoint's array, the attribute and a message code. */
export interface RecordError {
  /** 0-based index in the array the endpoint answered. */
  index: number;
  /** Dotted path of the attribute, e.g. "cep" or "deficiencias.0.id" ("" for the record itself). */
  field: string;
  code: RecordErrorCode;
  params: Record<string, string | number>;
  /** pt-BR text (the API renders English from code and params). */
  message: string;
}

export type RecordErrorCode =
  | 'REQUIRED'
  | 'TYPE'
  | 'FORMAT'
  | 'TOO_LONG'
  | 'OUT_OF_RANGE'
  | 'CONTACT_REQUIRED'
  | 'NOT_OBJECT'
  | 'CONTATO_NOT_FOUND';

/** Masks the secrets sent to the endpoint (`***`) in a text quoting a record's value (fetchJsonRecords' maskText). */
export type MaskText = (text: string) => string;

/** A record that passed, normalised (see normalizeRecord), with its index. */
export interface ValidRecord {
  index: number;
  data: Record<string, unknown>;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2}) ([01]\d|2[0-3]):([0-5]\d):([0-5]\d)$/;

function realDate(year: string, month: string, day: string): boolean {
  const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  return date.getUTCFullYear() === Number(year) && date.getUTCMonth() === Number(month) - 1 && date.getUTCDate() === Number(day);
}

function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false, verbose: false });
  ajv.addFormat('data', (value: string) => {
    const m = DATE.exec(value);
    return m !== null && realDate(m[1] as string, m[2] as string, m[3] as string);
  });
  ajv.addFormat('data-hora', (value: string) => {
    const m = DATE_TIME.exec(value);
    return m !== null && realDate(m[1] as string, m[2] as string, m[3] as string);
  });
  // Seed 003 writes "xx(xx) xxxxxxxxx"; its own example is "55(31)26582323" (no space, 8 digits): both are accepted.
  ajv.addFormat('telefone', /^\d{2}\(\d{2}\) ?\d{8,9}$/);
  ajv.addFormat('cep', /^\d{5}-\d{3}$/);
  ajv.addFormat('cpf', /^\d{11}$/);
  ajv.addFormat('email', /^[^\s@]+@[^\s@]+\.[^\s@]+$/);
  return ajv;
}

let validators: Record<TipoEventoEndpoint, ValidateFunction> | undefined;

/** Compiled on first use, so that loading the engine costs no schema compilation to processes that never validate. */
function validatorFor(tipo: TipoEventoEndpoint): ValidateFunction {
  if (!validators) {
    const ajv = createAjv();
    validators = { contato: ajv.compile(structureSchema('contato')), evento: ajv.compile(structureSchema('evento')) };
  }
  return validators[tipo];
}

function pathOf(error: ErrorObject): string {
  const parts = error.instancePath.split('/').filter(Boolean);
  if (error.keyword === 'required') parts.push(String(error.params.missingProperty));
  return parts.join('.');
}

function valueAt(record: unknown, field: string): unknown {
  let current: unknown = record;
  for (const part of field.split('.').filter(Boolean)) current = (current as Record<string, unknown> | undefined)?.[part];
  return current;
}

/** Keeps a text as it is: for records whose source sent no secret. */
const unmasked = (text: string): string => text;

function toRecordError(index: number, error: ErrorObject, record: unknown, maskText: MaskText): RecordError | null {
  const field = pathOf(error);
  // Masked before it is cut: a secret across the 100th character would otherwise leave its start in the message.
  const shown = (v: unknown) => maskText(typeof v === 'string' ? v : (JSON.stringify(v) ?? '')).slice(0, 100);
  let code: RecordErrorCode;
  let params: Record<string, string | number> = {};
  switch (error.keyword) {
    case 'required':
      code = 'REQUIRED';
      break;
    case 'type':
      code = 'TYPE';
      params = { type: String(error.params.type), value: shown(valueAt(record, field)) };
      break;
    case 'format':
      code = 'FORMAT';
      params = {
        pattern: FORMAT_PATTERNS[String(error.params.format)] ?? String(error.params.format),
        value: shown(valueAt(record, field)),
      };
      break;
    case 'maxLength':
      code = 'TOO_LONG';
      params = { max: Number(error.params.limit) };
      break;
    case 'minimum':
    case 'maximum':
      code = 'OUT_OF_RANGE';
      params = { min: 1900, max: 2100 };
      break;
    case 'anyOf':
      code = 'CONTACT_REQUIRED';
      break;
    default:
      return null;
  }
  const base = { index, field, code, params };
  return { ...base, message: recordErrorMessage('pt-BR', base) };
}

/** The "required" errors of anyOf's branches repeat what CONTACT_REQUIRED says: keep only the latter. */
function meaningful(errors: ErrorObject[]): ErrorObject[] {
  const anyOf = errors.some((e) => e.keyword === 'anyOf');
  return errors.filter((e) => !(anyOf && e.keyword === 'required' && e.schemaPath.startsWith('#/anyOf')));
}

/**
 * Checks one record against seed 003's structure; the normalised record when it passes, its errors otherwise (a value
 * they quote passed through maskText).
 */
export function validateRecord(
  tipo: TipoEventoEndpoint,
  index: number,
  raw: unknown,
  maskText: MaskText = unmasked,
): { valid: ValidRecord } | { errors: RecordError[] } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    const base = {
      index,
      field: '',
      code: 'NOT_OBJECT' as const,
      params: { got: Array.isArray(raw) ? 'array' : raw === null ? 'null' : typeof raw },
    };
    return { errors: [{ ...base, message: recordErrorMessage('pt-BR', base) }] };
  }
  const data = normalizeRecord(tipo, raw) as Record<string, unknown>;
  const validate = validatorFor(tipo);
  if (validate(data)) return { valid: { index, data } };
  const errors = meaningful(validate.errors ?? [])
    .map((e) => toRecordError(index, e, data, maskText))
    .filter((e): e is RecordError => e !== null);
  return { errors };
}

/** Splits an endpoint's records into the valid ones (normalised) and the errors of the others (values quoted masked). */
export function validateRecords(
  tipo: TipoEventoEndpoint,
  records: readonly unknown[],
  maskText: MaskText = unmasked,
): { valid: ValidRecord[]; errors: RecordError[]; invalid: number } {
  const valid: ValidRecord[] = [];
  const errors: RecordError[] = [];
  let invalid = 0;
  records.forEach((record, index) => {
    const result = validateRecord(tipo, index, record, maskText);
    if ('valid' in result) valid.push(result.valid);
    else {
      invalid++;
      errors.push(...result.errors);
    }
  });
  return { valid, errors, invalid };
}
