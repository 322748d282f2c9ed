import { MAX_ROW_ID } from '@integrador/store';
import type { JobRef } from './actions';
import { FieldRefusedError } from './field-refusal';
import { filterDate } from './job-filter';

/** A required id field of a form (`empresa`, `integracao`, `endpoint`, `entrega`). */
export function formId(body: Record<string, unknown>, field: string): number {
  const value = body[field];
  if (typeof value !== 'string' || !/^\d{1,10}$/.test(value) || Number(value) < 1 || Number(value) > MAX_ROW_ID)
    throw new FieldRefusedError(field, 'id');
  return Number(value);
}

/** An optional id field: undefined when absent or empty, refused when present and not an id. */
export function optionalFormId(body: Record<string, unknown>, field: string): number | undefined {
  const value = body[field];
  return value === undefined || value === '' ? undefined : formId(body, field);
}

/**
 * A page's `empresa` filter (?empresa=): undefined when absent or empty, its id otherwise; anything else (`abc`, more
 * digits than an id has) is refused naming it (400), never read as "every empresa". An id the viewer does not see is
 * the caller's 404.
 */
export function queryEmpresa(query: Record<string, string | undefined>): number | undefined {
  const value = query.empresa;
  if (!value) return undefined;
  if (!/^\d{1,10}$/.test(value) || Number(value) > MAX_ROW_ID) throw new FieldRefusedError('querystring.empresa', 'integer');
  return Number(value);
}

/**
 * A required date-time field (`desde` of the webhook recovery, as the datetime-local input sends it): zone-less, a wall
 * clock in the viewer's zone, as the failures filter reads it.
 */
export function formDate(body: Record<string, unknown>, field: string, timeZone: string): Date {
  const value = body[field];
  const date = typeof value === 'string' && value.length <= 40 ? filterDate(value, timeZone) : undefined;
  if (!date || Number.isNaN(date.getTime())) throw new FieldRefusedError(field, 'dateTime');
  return date;
}

// "fila/id": a queue name, then the job's id — printable text (no NUL nor other control character; PostgreSQL refuses
// a NUL in text), at most 200 characters as the job page's address takes it.
const JOB_REF = /^[a-z][a-z-]{0,19}\/\P{Cc}{1,200}$/u;

/** The job references a form posts (`job` once or many times, each "fila/id"); a malformed one refuses them all. */
export function formJobRefs(value: unknown): JobRef[] {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.slice(0, 1000).map((v) => {
    if (typeof v !== 'string' || !JOB_REF.test(v)) throw new FieldRefusedError('job', 'jobRef');
    return { queue: v.slice(0, v.indexOf('/')), id: v.slice(v.indexOf('/') + 1) };
  });
}

/** A group of repeated failures a form selects (`grupo`): its empresa, integração (null: none) and code (null: none). */
export interface FailureGroupRef {
  empresaId: number;
  integracaoId: number | null;
  codigo: string | null;
}

// "empresa/integração/código" (views/failure-groups.ts groupKey): ids, or '-' for none; the code as the filter takes it.
const GROUP_REF = /^(\d{1,10})\/(\d{1,10}|-)\/(-|[A-Za-z0-9_.:-]{1,100})$/;

/** The groups a form posts (`grupo` once or many times); a malformed one refuses them all (400 naming `grupo`). */
export function formGroups(value: unknown): FailureGroupRef[] {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.slice(0, 200).map((v) => {
    const match = typeof v === 'string' ? GROUP_REF.exec(v) : null;
    const [, empresa, integracao, codigo] = match ?? [];
    if (!empresa || !integracao || !codigo || Number(empresa) > MAX_ROW_ID || Number(integracao) > MAX_ROW_ID)
      throw new FieldRefusedError('grupo', 'group');
    return {
      empresaId: Number(empresa),
      integracaoId: integracao === '-' ? null : Number(integracao),
      codigo: codigo === '-' ? null : codigo,
    };
  });
}
