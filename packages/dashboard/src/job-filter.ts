import { readDate, zonedInstant } from '@integrador/integrador';
import { QUEUE_NAMES } from '@integrador/jobs';
import { ESTADOS_REGISTRO_JOB } from '@integrador/store';

/** The failures list's states: every recorded state, or all of them. */
export const FILTER_ESTADOS = ['todos', ...ESTADOS_REGISTRO_JOB] as const;

// The schema checks the shape early (and documents it); readFilter below is the one owner of what a value means.
// Values as the failures page sends them: empty means "no filter".
const ISO_DATE = '^$|^\\d{4}-\\d{2}-\\d{2}([T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:?\\d{2})?)?$';

/**
 * The longest search text (`q`): a longer one is refused, never cut (a bulk retry by a cut text would retry more than
 * the operator asked for).
 */
export const FILTER_TEXT_MAX_LENGTH = 200;

/** A failure code as the filter takes it (`codigo`): empty (no filter), '-' (none), or the code. */
export const FAILURE_CODE_PATTERN = '^$|^-$|^[A-Za-z0-9_.:-]{1,100}$';

/** The filter's properties, shared by the search's querystring and the bulk retry's `filter`. */
export const FILTER_PROPERTIES = {
  estado: { type: 'string', enum: ['', ...FILTER_ESTADOS] },
  fila: { type: 'string', enum: ['', ...QUEUE_NAMES] },
  empresa: { type: 'string', pattern: '^\\d{0,10}$' },
  filial: { type: 'string', pattern: '^\\d{0,10}$' },
  // '-': the records of no integration (a group of the hub's own jobs, as the grouped list opens it).
  integracao: { type: 'string', pattern: '^(\\d{0,10}|-)$' },
  // A failure code (a group of repeated failures); '-': the records without one.
  codigo: { type: 'string', pattern: FAILURE_CODE_PATTERN },
  desde: { type: 'string', pattern: ISO_DATE },
  ate: { type: 'string', pattern: ISO_DATE },
  // Its length and characters are filterOf's to refuse (in the viewer's words, CONTROL_CHARACTER as on /v1).
  q: { type: 'string', description: `up to ${FILTER_TEXT_MAX_LENGTH} characters, no control character` },
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
