import type { Logger } from '@integrador/logging';
import { type GroupFailure, reportGroupFailuresTo } from '@integrador/store';

/** A quoted literal in a driver's message (MariaDB's "Duplicate entry 'maria@example.com' for key …"): a row's value. */
const QUOTED_VALUE = /'(?:[^'\\]|\\.|'')*'/g;
/** MariaDB's duplicate value, which may itself hold quotes (O'Brien): everything up to " for key". */
const DUPLICATE_ENTRY = /Duplicate entry '[\s\S]*' for key/;
/** PostgreSQL's value after a colon ('invalid input syntax for type integer: "abc"'). */
const PG_TRAILING_VALUE = /: "[\s\S]*"$/;
/** PostgreSQL double-quotes identifiers and values alike; in a data error (SQLSTATE class 22) any of them may be a value. */
const DOUBLE_QUOTED = /"(?:[^"]|"")*"/g;

/** The message with the rows' values masked: MariaDB's single-quoted ones, PostgreSQL's double-quoted ones. */
function maskValues(message: string, code: unknown): string {
  const masked = message.replace(DUPLICATE_ENTRY, "Duplicate entry '?' for key").replace(QUOTED_VALUE, "'?'");
  return /^22/.test(String(code ?? '')) ? masked.replace(DOUBLE_QUOTED, '"?"') : masked.replace(PG_TRAILING_VALUE, ': "?"');
}

/**
 * What a log may say of a failed group's error: its class, its driver code and its message with quoted values masked.
 * Never the whole error: drivers attach the statement (mysql2's `sql`, with the values inlined) and pg the row's
 * values (`detail`, "Key (email)=(…)").
 */
function describeGroupError(error: unknown): { type: string; code?: string | number; message: string } {
  if (!(error instanceof Error)) return { type: typeof error, message: 'not an Error' };
  const code = (error as { code?: unknown }).code;
  return {
    type: error.name,
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    message: maskValues(error.message, code),
  };
}

/**
 * Logs one warning per group of grouped statements (the store's Coalescer) whose shared statement failed and whose
 * items therefore ran one by one: counted in the groups' stats, it would otherwise pass unseen. A worker app calls it
 * once at start.
 */
export function logGroupFailures(logger: Logger): void {
  reportGroupFailuresTo(({ group, size, error }: GroupFailure) =>
    logger.warn({ group, size, error: describeGroupError(error) }, 'grouped statement failed, its items ran one by one'),
  );
}
