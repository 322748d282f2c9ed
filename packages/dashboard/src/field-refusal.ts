import { RAMAL_TAKES } from '@integrador/cti';
import { QUEUE_NAMES } from '@integrador/jobs';
import { type Locale, messages } from './i18n';
import { FILTER_ESTADOS, FILTER_TEXT_MAX_LENGTH } from './job-filter';

/**
 * What a refused field should have been: a form's (`id`, `jobRef`, `dateTime`, `group`), a list filter's (`date`, `integer`, `code`,
 * `queue`, `estado`, `searchText`) or any query parameter's (`single`: it came repeated).
 */
export type FieldExpectation =
  | 'id'
  | 'jobRef'
  | 'dateTime'
  | 'single'
  | 'date'
  | 'integer'
  | 'queue'
  | 'estado'
  | 'searchText'
  | 'code'
  | 'group'
  | 'ramal';

/** The codes a refused field answers: a control character is the /v1 API's CONTROL_CHARACTER, anything else VALIDATION_FAILED. */
export type FieldRefusalCode = 'VALIDATION_FAILED' | 'CONTROL_CHARACTER';

// A list filter's field is named on a page by its label in the filter form ("Desde"); a form's by its name.
const FILTER_EXPECTATIONS: ReadonlySet<FieldExpectation> = new Set(['date', 'integer', 'queue', 'estado', 'searchText', 'code', 'ramal']);

/**
 * A field of a request the dashboard cannot use: a form's (a job reference with a NUL byte, an id that is no number or
 * past the database's integer), a list filter's (an impossible date, a queue that does not exist, a search text with a
 * control character or too long: never dropped nor cut, a retry "by filter" without its filter retries everything) or a
 * repeated query parameter. 400 VALIDATION_FAILED (CONTROL_CHARACTER for a control character) naming the field, in the
 * viewer's language — never handed to the database, where it was a 500.
 */
export class FieldRefusedError extends Error {
  override name = 'FieldRefusedError';
  readonly statusCode = 400;
  constructor(
    readonly field: string,
    readonly expected: FieldExpectation,
    readonly code: FieldRefusalCode = 'VALIDATION_FAILED',
  ) {
    super(`invalid field ${field}: expected ${expected}`);
  }

  /** Whether a list filter refused it (a page answers it in the failures list's frame). */
  get isFilter(): boolean {
    return FILTER_EXPECTATIONS.has(this.expected);
  }
}

/**
 * A refused field worded for the reader: the field and what it expects. On a page (`onPage`) a filter's field is named
 * by its label in the filter form ("Desde"), not by its request path ("querystring.desde").
 */
export function fieldRefusalText(error: FieldRefusedError, locale: Locale, onPage = false): string {
  const t = messages(locale);
  const labels: Record<string, string> = {
    empresa: t.tenant,
    integracao: t.integration,
    fila: t.queue,
    estado: t.state,
    desde: t.since,
    ate: t.until,
    q: t.search,
    codigo: t.failureCode,
    ramal: t.ramal,
  };
  const field = onPage && error.isFilter ? (labels[error.field.replace(/^.*[._]/, '')] ?? error.field) : error.field;
  const expected = {
    id: t.expectedId,
    jobRef: t.expectedJobRef,
    dateTime: t.expectedDateTime,
    single: t.expectedSingle,
    date: t.expectedDate,
    integer: t.expectedInteger,
    queue: t.expectedOneOf(QUEUE_NAMES.join(', ')),
    estado: t.expectedOneOf(FILTER_ESTADOS.join(', ')),
    searchText: t.expectedSearchText(FILTER_TEXT_MAX_LENGTH),
    code: t.expectedFailureCode,
    group: t.expectedGroup,
    ramal: RAMAL_TAKES[locale],
  }[error.expected];
  return t.badField(field, expected);
}
