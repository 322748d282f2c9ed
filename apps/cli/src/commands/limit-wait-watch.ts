import type { Config } from '@integrador/config';
import { limitWaitText, recordedWait } from '@integrador/queue';
import { type Cli, printError, withDatabase } from '../cli-context';

/** How often, at most, --wait reads a delayed job's record to learn why it waits. */
export const LIMIT_WAIT_CHECK_MS = 1000;

/** The states of the followed job in which it (delayed) or a step before it in its flow (waiting-children) may be held. */
const HELD = new Set(['delayed', 'waiting-children']);

/**
 * While `run --wait` follows a job: when it, or a step of its flow, is delayed by a limit (a receptor's 429 /
 * Retry-After, the tenant's rate limit or concurrency cap — recorded by the worker as LIMIT_WAIT), says why on stderr,
 * once per reason, in the CLI's language, from the job's record (registro_jobs): the reason, the connection's name and
 * when it tries again — never an address or a secret. A job delayed for a retry after a failed attempt has no such
 * record and is not worded here (its attempt line says why); a database the CLI cannot read gives no hint.
 */
export function limitWaitWatch(cli: Cli, config: Config, empresaId: number, jobs: readonly { queue: string; jobId: string }[]) {
  const said = new Set<string>();
  let checkedAt = 0;
  return async (state: string): Promise<void> => {
    if (!HELD.has(state) || Date.now() - checkedAt < LIMIT_WAIT_CHECK_MS) return;
    checkedAt = Date.now();
    const recorded = await withDatabase(
      (database) => Promise.all(jobs.map((job) => recordedWait(database.db, { ...job, empresaId }))),
      config,
    ).catch(() => []);
    for (const record of recorded) {
      const text = limitWaitText(cli.locale, record?.code, record?.params);
      const reason = String(record?.params?.reason);
      if (text === undefined || said.has(reason)) continue;
      said.add(reason);
      printError(text);
    }
  };
}
