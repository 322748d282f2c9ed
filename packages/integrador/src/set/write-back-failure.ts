import { isStatementError, isTenantGuardViolation, isUniqueViolation } from '@integrador/store';
import { ForeignRowError } from '../runs/run-errors';
import { PermanentError } from './permanent-error';

/** What a failed write-back is about: the integration, the pushed record and the values the receptor returned. */
export interface WriteBackContext {
  integracaoId: number;
  recordKey: string;
  returned: Readonly<Record<string, unknown>>;
}

function shown(returned: Readonly<Record<string, unknown>>): string {
  const pairs = Object.entries(returned)
    .filter(([, value]) => value === null || ['string', 'number', 'bigint', 'boolean'].includes(typeof value))
    .map(([name, value]) => `${name}=${String(value)}`);
  return pairs.join(', ') || 'none';
}

/**
 * The error a failed write-back (sql_update) leaves the push with. Permanent when a retry writes the same values into
 * the same rows: another empresa's row (ForeignRowError), a broken statement, or a unique key of the CRM the write
 * breaks — any value sql_update writes that another row already holds (e.g. two contas with one CNPJ get one codCli),
 * which no retry changes; the message names the key as the database reports it. Anything else (connection lost,
 * deadlock) is thrown as is: retried.
 */
export function writeBackFailure(err: unknown, context: WriteBackContext): unknown {
  if (isTenantGuardViolation(err)) {
    return new ForeignRowError(
      `sql_update of integracao #${context.integracaoId} reached a row of another empresa; nothing was written (record ${context.recordKey})`,
      { cause: err },
    );
  }
  if (isUniqueViolation(err)) {
    // PostgreSQL names the key and its values in `detail`; MySQL and SQLite in the message itself.
    const detail = (err as { detail?: unknown }).detail;
    const key = typeof detail === 'string' && detail !== '' ? detail : (err as Error).message;
    return new PermanentError(
      'WRITE_BACK_DUPLICATE',
      `record ${context.recordKey}: sql_update breaks a unique key of the CRM (${key}); the receptor returned ${shown(context.returned)}`,
      // The reader's words name the returned values and the record; the database's words about the key follow them.
      { cause: err, params: { returned: shown(context.returned), record: context.recordKey, rawDetail: key } },
    );
  }
  if (isStatementError(err)) return new PermanentError('WRITE_BACK_FAILED', `sql_update failed: ${(err as Error).message}`, { cause: err });
  return err;
}
