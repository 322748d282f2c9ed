import type { TipoEventoEndpoint } from '@integrador/store';
import { FIELDS_OF, type FieldKind } from './payload-schemas';

const INTEGER_TEXT = /^\s*-?\d{1,15}\s*$/;
const TRUE_VALUES = new Set<unknown>(['1', 'true', 1]);
const FALSE_VALUES = new Set<unknown>(['0', 'false', 0]);

/** "342" → 342; anything else stays as it is, for ajv to refuse with the field's name. */
function toInteger(value: unknown): unknown {
  return typeof value === 'string' && INTEGER_TEXT.test(value) ? Number(value) : value;
}

/** "0"/"1", 0/1 and "true"/"false" → boolean (the seed's example sends "0" and "1"). */
function toBoolean(value: unknown): unknown {
  const key = typeof value === 'string' ? value.trim().toLowerCase() : value;
  if (TRUE_VALUES.has(key)) return true;
  if (FALSE_VALUES.has(key)) return false;
  return value;
}

/**
 * Trimmed, and without NUL characters: PostgreSQL's text cannot hold one, and a single record carrying it would fail
 * the whole sync (every other record with it); it means nothing in these fields.
 */
function text(value: unknown): unknown {
  return typeof value === 'string' ? value.replaceAll('\u0000', '').trim() : value;
}

function absent(value: unknown): boolean {
  return value === null || value === undefined || (typeof value === 'string' && value.trim() === '');
}

function normalizeItems(value: unknown, item: (v: unknown) => unknown): unknown {
  return Array.isArray(value) ? value.map(item) : value;
}

function normalizeObjectItem(value: unknown, integers: readonly string[]): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const name of integers) {
    if (absent(copy[name])) delete copy[name];
    else copy[name] = name === 'tipos' ? normalizeItems(copy[name], toInteger) : toInteger(copy[name]);
  }
  return copy;
}

function normalizeValue(kind: FieldKind, value: unknown): unknown {
  switch (kind) {
    case 'integer':
    case 'year':
      return toInteger(value);
    case 'boolean':
      return toBoolean(value);
    case 'string':
    case 'date':
    case 'dateTime':
    case 'telefone':
    case 'email':
    case 'cep':
    case 'cpf':
      return text(value);
    case 'emails':
    case 'telefones':
      return normalizeItems(value, text);
    case 'deficiencias':
      return normalizeItems(value, (v) => normalizeObjectItem(v, ['id', 'tipos']));
    case 'assinaturas':
      return normalizeItems(value, (v) => normalizeObjectItem(v, ['id']));
    default:
      return value;
  }
}

/**
 * A record of the seed's structure as the engine stores it: "" and null mean absent, integers and booleans sent as
 * text are converted, texts trimmed (and stripped of NUL); attributes the seed does not list are dropped. Non-objects come back unchanged.
 */
export function normalizeRecord(tipo: TipoEventoEndpoint, record: unknown): unknown {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return record;
  const fields = FIELDS_OF[tipo];
  const result: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(record as Record<string, unknown>)) {
    const spec = fields[name];
    if (!spec || absent(value)) continue;
    result[name] = normalizeValue(spec.kind, value);
  }
  return result;
}
