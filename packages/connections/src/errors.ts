import type { Locale, MessageParams } from '@integrador/i18n';
import { type ConnectionsProblemCode, connectionsText } from './messages';

/**
 * One thing wrong with a connections file; `entry` is the connection name, `field` a dotted path inside it. `message`
 * is English; `code` and `params` word it in another locale (messages.ts; a parser's own detail stays as it is).
 */
export interface ConnectionsProblem {
  entry?: string;
  field?: string;
  line?: number;
  message: string;
  code?: ConnectionsProblemCode;
  params?: MessageParams;
}

/** Formats a problem as one self-contained line, in a locale (English by default: logs). */
export function formatProblem(file: string, problem: ConnectionsProblem, locale: Locale = 'en'): string {
  const line = problem.line === undefined ? '' : connectionsText(locale, 'LINE', { line: problem.line });
  return `${connectionsText(locale, 'FILE', { file })}${line}${problemDetail(problem, locale)}`;
}

/** A problem without the file: its connection, field and message, in a locale. */
export function problemDetail(problem: ConnectionsProblem, locale: Locale = 'en'): string {
  const entry = problem.entry === undefined ? '' : connectionsText(locale, 'ENTRY', { entry: problem.entry });
  const field = problem.field === undefined ? '' : connectionsText(locale, 'FIELD', { field: problem.field });
  const message = problem.code ? connectionsText(locale, problem.code, problem.params) : problem.message;
  return `${entry}${field}${message}`;
}

/** Thrown when the connections file cannot be read or is invalid; the message lists every problem, one per line. */
export class ConnectionsFileError extends Error {
  override name = 'ConnectionsFileError';

  constructor(
    readonly file: string,
    readonly problems: readonly ConnectionsProblem[],
    readonly code: 'CONNECTIONS_FILE_INVALID' | 'CONNECTIONS_FILE_UNREADABLE' = 'CONNECTIONS_FILE_INVALID',
    options?: ErrorOptions,
  ) {
    super(problems.map((problem) => formatProblem(file, problem)).join('\n'), options);
  }

  /** The message in a locale (the CLI's), one problem per line. */
  localized(locale: Locale): string {
    return this.problems.map((problem) => formatProblem(this.file, problem, locale)).join('\n');
  }
}

/**
 * Thrown when an integration names a connection the file does not define. The message (kept in the job's record, shown
 * to the tenant's key and operators) names only the connection asked for: the file's path and the other names in it
 * (other customers' connections) are in `logDetail`, which only the worker's log carries.
 */
export class ConnectionNotFoundError extends Error {
  override name = 'ConnectionNotFoundError';
  readonly code = 'CONNECTION_NOT_FOUND';
  readonly permanent = true;
  /** The value its reason is worded with in the reader's language (the job recorder keeps it). */
  readonly params: { connection: string };
  /** For the fleet's operator only (the worker's log): the file read and the names it defines. */
  readonly logDetail: string;

  constructor(
    readonly connection: string,
    file: string | undefined,
    defined: readonly string[],
  ) {
    super(
      file === undefined
        ? `connection "${connection}" is not defined: no connections file is configured`
        : `connection "${connection}" is not defined in the workers' connections file`,
    );
    this.params = { connection };
    const known = defined.length > 0 ? `defined: ${defined.join(', ')}` : 'it defines none';
    this.logDetail = file === undefined ? 'no connections file is configured' : `connections file ${file} (${known})`;
  }
}

/**
 * Thrown when a connection restricted to one empresa is asked for by another. The message names neither empresa's id:
 * the other one is another tenant's, and the record is shown to the asking tenant (`logDetail` has both, for the log).
 */
export class ConnectionForbiddenError extends Error {
  override name = 'ConnectionForbiddenError';
  readonly code = 'CONNECTION_FORBIDDEN';
  readonly permanent = true;
  readonly params: { connection: string };
  readonly logDetail: string;

  constructor(
    readonly connection: string,
    readonly allowedEmpresaId: number,
    readonly empresaId: number,
  ) {
    super(`connection "${connection}" is restricted to another empresa; this empresa may not use it`);
    this.params = { connection };
    this.logDetail = `restricted to empresa ${allowedEmpresaId}, asked for by empresa ${empresaId}`;
  }
}
