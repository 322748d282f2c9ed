import type { JobRef } from './actions';
import { type Locale, messages } from './i18n';
import { filterDate } from './job-filter';

/** What a refused form field should have been. */
export type FormExpectation = 'id' | 'jobRef' | 'dateTime' | 'single';

/**
 * A field of a page's form (or a parameter of its address) that the request cannot use (a job reference with a NUL
 * byte, an id that is no number or past the database's integer, a repeated parameter): 400 naming the field, answered
 * as a page in the viewer's language (JSON on the API) — never handed to the database, where it was a 500.
 */
export class FormFieldError extends Error {
  override name = 'FormFieldError';
  readonly statusCode = 400;
  readonly code = 'VALIDATION_FAILED';
  constructor(
    readonly field: string,
    readonly expected: FormExpectation,
  ) {
    super(`invalid form field ${field}: expected ${expected}`);
  }
}

/** The refusal in the reader's words: the field and what it expects. */
export function formFieldText(error: FormFieldError, locale: Locale): string {
  const t = messages(locale);
  const expected = { id: t.expectedId, jobRef: t.expectedJobRef, dateTime: t.expectedDateTime, single: t.expectedSingle }[error.expected];
  return t.badField(error.field, expected);
}

/** The largest id the CRM database's integer columns hold: a larger one is refused here, not by the database (a 500). */
export const MAX_ROW_ID = 2_147_483_647;

/** A required id field of a form (`empresa`, `integracao`, `endpoint`, `entrega`). */
export function formId(body: Record<string, unknown>, field: string): number {
  const value = body[field];
  if (typeof value !== 'string' || !/^\d{1,10}$/.test(value) || Number(value) < 1 || Number(value) > MAX_ROW_ID)
    throw new FormFieldError(field, 'id');
  return Number(value);
}

/** An optional id field: undefined when absent or empty, refused when present and not an id. */
export function optionalFormId(body: Record<string, unknown>, field: string): number | undefined {
  const value = body[field];
  return value === undefined || value === '' ? undefined : formId(body, field);
}

/**
 * A required date-time field (`desde` of the webhook recovery, as the datetime-local input sends it): zone-less, a wall
 * clock in the viewer's zone, as the failures filter reads it.
 */
export function formDate(body: Record<string, unknown>, field: string, timeZone: string): Date {
  const value = body[field];
  const date = typeof value === 'string' && value.length <= 40 ? filterDate(value, timeZone) : undefined;
  if (!date || Number.isNaN(date.getTime())) throw new FormFieldError(field, 'dateTime');
  return date;
}

// "fila/id": a queue name, then the job's id — printable text (no NUL nor other control character; PostgreSQL refuses
// a NUL in text), at most 200 characters as the job page's address takes it.
const JOB_REF = /^[a-z][a-z-]{0,19}\/\P{Cc}{1,200}$/u;

/** The job references a form posts (`job` once or many times, each "fila/id"); a malformed one refuses them all. */
export function formJobRefs(value: unknown): JobRef[] {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.slice(0, 1000).map((v) => {
    if (typeof v !== 'string' || !JOB_REF.test(v)) throw new FormFieldError('job', 'jobRef');
    return { queue: v.slice(0, v.indexOf('/')), id: v.slice(v.indexOf('/') + 1) };
  });
}
