import { readDate, zonedInstant } from '@integrador/integrador';
import { QUEUE_NAMES } from '@integrador/jobs';
import { ESTADOS_REGISTRO_JOB } from '@integrador/store';
import { type Locale, messages } from './i18n';

/** What a refused filter value should have been: worded by the dashboard's i18n (expectedDate…). */
export type FilterExpectation = 'date' | 'integer' | 'queue' | 'estado';

/**
 * A filter value the search cannot apply (an impossible date, a queue that does not exist…): answered 400
 * VALIDATION_FAILED naming the field, never dropped — a retry "by filter" without its filter retries everything.
 */
export class FilterRefusedError extends Error {
  override name = 'FilterRefusedError';
  readonly statusCode = 400;
  readonly code = 'VALIDATION_FAILED';
  constructor(
    readonly field: string,
    readonly expected: FilterExpectation,
  ) {
    super(`invalid filter ${field}: expected ${expected}`);
  }
}

/**
 * A refused filter worded for the reader: the field and what it expects (the API's 400 and the failures page). On a
 * page (`onPage`) the field is named by its label in the filter form ("Desde"), not by its request path.
 */
export function filterRefusalText(error: FilterRefusedError, locale: Locale, onPage = false): string {
  const t = messages(locale);
  const labels: Record<string, string> = {
    empresa: t.tenant,
    integracao: t.integration,
    fila: t.queue,
    estado: t.state,
    desde: t.since,
    ate: t.until,
    q: t.search,
  };
  const field = onPage ? (labels[error.field.replace(/^.*[._]/, '')] ?? error.field) : error.field;
  const expected =
    error.expected === 'date'
      ? t.expectedDate
      : error.expected === 'integer'
        ? t.expectedInteger
        : t.expectedOneOf((error.expected === 'queue' ? QUEUE_NAMES : FILTER_ESTADOS).join(', '));
  return t.badField(field, expected);
}

/** The failures list's states: every recorded state, or all of them. */
export const FILTER_ESTADOS = ['todos', ...ESTADOS_REGISTRO_JOB] as const;

// The schema checks the shape early (and documents it); readFilter below is the one owner of what a value means.
// Values as the failures page sends them: empty means "no filter".
const ISO_DATE = '^$|^\\d{4}-\\d{2}-\\d{2}([T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:?\\d{2})?)?$';

/** The filter's properties, shared by the search's querystring and the bulk retry's `filter`. */
export const FILTER_PROPERTIES = {
  estado: { type: 'string', enum: ['', ...FILTER_ESTADOS] },
  fila: { type: 'string', enum: ['', ...QUEUE_NAMES] },
  empresa: { type: 'string', pattern: '^\\d{0,10}$' },
  integracao: { type: 'string', pattern: '^\\d{0,10}$' },
  desde: { type: 'string', pattern: ISO_DATE },
  ate: { type: 'string', pattern: ISO_DATE },
  q: { type: 'string', maxLength: 1000 },
} as const;

const DATE_PARTS = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * A date as the filter reads it, or undefined when impossible (month 13, 25:00, 31 February): never rolled over. A
 * value without an offset (what the page's datetime-local inputs send) is a wall clock in `timeZone`, the viewer's
 * zone the pages show every time in (Viewer.timeZone); one with an offset (Z, -03:00) keeps it.
 */
export function filterDate(value: string, timeZone: string): Date | undefined {
  const m = DATE_PARTS.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour = 0, minute = 0, second = 0] = m.slice(1, 7).map((v) => Number(v ?? 0));
  const daysInMonth = new Date(Date.UTC(year ?? 0, month ?? 0, 0)).getUTCDate();
  if (!month || month > 12 || !day || day > daysInMonth || hour > 23 || minute > 59 || second > 59) return undefined;
  if (m[7] === undefined) {
    const parts = readDate(value, timeZone);
    return parts ? zonedInstant(parts, timeZone) : undefined;
  }
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** The viewer's zone as the filter forms show it beside their date inputs: `America/Sao_Paulo (GMT-3)`. */
export function zoneLabel(timeZone: string, at = new Date()): string {
  const offset = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'shortOffset' })
    .formatToParts(at)
    .find((p) => p.type === 'timeZoneName')?.value;
  return offset ? `${timeZone} (${offset})` : timeZone;
}
