import type { Config } from '@integrador/config';
import { limitWaitText, recordedWait } from '@integrador/queue';
import { type Cli, printError, withDatabase } from '../cli-context';

/** How often, at most, --wait reads a delayed job's record to learn why it waits. */
export const LIMIT_WAIT_CHECK_MS = 1000;

/**
 * While `run --wait` follows a job: when the job is delayed by a limit (a receptor's 429 / Retry-After, the tenant's
 * rate limit or concurrency cap — recorded by the worker as LIMIT_WAIT), says why on stderr, once per reason, in the
 * CLI's language, from the job's record (registro_jobs): the reason, the connection's name and when it tries again —
 * never an address or a secret. A job delayed for a retry after a failed attempt has no such record and is not
 * worded here (its attempt line says why); a database the CLI cannot read gives no hint.
 */
export function limitWaitWatch(cli: Cli, config: Config, job: { queue: string; jobId: string; empresaId: number }) {
  const said = new Set<string>();
  let checkedAt = 0;
  return async (state: string): Promise<void> => {
    if (state !== 'delayed' || Date.now() - checkedAt < LIMIT_WAIT_CHECK_MS) return;
    checkedAt = Date.now();
    const recorded = await withDatabase((database) => recordedWait(database.db, job), config).catch(() => undefined);
    const text = limitWaitText(cli.locale, recorded?.code, recorded?.params);
    const reason = String(recorded?.params?.reason);
    if (text === undefined || said.has(reason)) return;
    said.add(reason);
    printError(text);
  };
}
