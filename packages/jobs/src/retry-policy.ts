/**
 * How a SET push retries a transient failure (timeout, connection error, 5xx, 429, a `soap:Server` fault): `attempts`
 * in all, the first retry after `backoffMs`, each next one twice as long. The default, 6 attempts from 2 s (2 + 4 + 8
 * + 16 + 32 s, about a minute), rides out a maintenance window of ~30 s; a connections-file entry may set its own
 * (`retry: { attempts, backoffMs }`), e.g. for an ERP whose windows last minutes.
 */
export interface RetryPolicy {
  attempts: number;
  backoffMs: number;
}

/** The SET push's policy when its connection sets none. */
export const DEFAULT_RECEPTOR_RETRY: RetryPolicy = { attempts: 6, backoffMs: 2000 };

/** The most attempts a connection may ask for: the ceiling every SET job is enqueued with (BullMQ's `attempts`). */
export const MAX_RECEPTOR_ATTEMPTS = 25;

/** The BullMQ backoff type whose delays receptorBackoff computes from the failing connection's policy. */
export const RECEPTOR_BACKOFF = 'receptor';

const POLICY = Symbol.for('integrador.retryPolicy');

/**
 * Marks a transient error with the policy of the connection it came from (the transport wrapper does it). The first
 * mark stays: marking again (the SET processor marks whatever leaves it) neither throws nor changes it.
 */
export function withRetryPolicy<E>(err: E, policy: RetryPolicy | undefined): E {
  if (policy && err instanceof Error && retryPolicyOf(err) === undefined)
    Object.defineProperty(err, POLICY, { value: policy, enumerable: false });
  return err;
}

/**
 * Runs a SET push under its connection's policy: every error leaving it carries that policy (a CRM-database failure
 * as much as a receptor's 503), so receptorBackoff stops the job after the attempts it shows, not after the default's.
 */
export async function underRetryPolicy<T>(policy: RetryPolicy | undefined, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw withRetryPolicy(err, policy);
  }
}

/** The policy an error was marked with, if any. */
export function retryPolicyOf(err: unknown): RetryPolicy | undefined {
  return err instanceof Error ? ((err as unknown as Record<symbol, RetryPolicy | undefined>)[POLICY] ?? undefined) : undefined;
}

/** The attempts a SET push gets under a connection's policy (undefined: the default), at most the ceiling. */
export function receptorAttempts(policy: RetryPolicy | undefined): number {
  return Math.min((policy ?? DEFAULT_RECEPTOR_RETRY).attempts, MAX_RECEPTOR_ATTEMPTS);
}

/**
 * BullMQ's custom backoff for RECEPTOR_BACKOFF jobs: the delay before the next attempt after `attemptsMade` failed
 * ones (1 after the first), or -1 — fail now — once the policy's attempts are used.
 */
export function receptorBackoff(attemptsMade: number, err: unknown): number {
  const policy = retryPolicyOf(err) ?? DEFAULT_RECEPTOR_RETRY;
  if (attemptsMade >= receptorAttempts(policy)) return -1;
  return policy.backoffMs * 2 ** (attemptsMade - 1);
}

/** A job's BullMQ options, as far as its attempts go. */
export interface AttemptOptions {
  attempts?: number;
  backoff?: number | { type?: string };
}

/**
 * The attempts a job really gets, to show (API, dashboard): its kind's `attempts`, except for a SET push
 * (RECEPTOR_BACKOFF), enqueued with the ceiling MAX_RECEPTOR_ATTEMPTS while receptorBackoff stops it once the policy
 * of the failure is used: `policy` is that of its connection, or of its last failure (none: the default 6). Every
 * failure after the connection is resolved carries its policy (underRetryPolicy); only one before it (the admission's
 * CRM read) gets the default.
 */
export function maxAttemptsOf(options: AttemptOptions, policy?: RetryPolicy): number {
  const { backoff } = options;
  if (typeof backoff === 'object' && backoff.type === RECEPTOR_BACKOFF) return receptorAttempts(policy);
  return options.attempts ?? 1;
}

/** How many jobs' policies a process remembers (the jobs it ran last; an older one falls back to the default). */
const NOTED_MAX = 10_000;
const NOTED = new Map<string, RetryPolicy | undefined>();

/**
 * Notes, in this process, the policy of the connection a job's attempts go out on (the SET processor does, once it
 * resolved the connection), so the job's records between failures show its real attempts.
 */
export function noteRetryPolicy(queue: string, jobId: string, policy: RetryPolicy | undefined): void {
  const key = `${queue}/${jobId}`;
  NOTED.delete(key);
  NOTED.set(key, policy);
  if (NOTED.size > NOTED_MAX) NOTED.delete(NOTED.keys().next().value as string);
}

/** The policy noted for a job: undefined when none was noted in this process, or its connection sets none. */
export function notedRetryPolicy(queue: string, jobId: string): RetryPolicy | undefined {
  return NOTED.get(`${queue}/${jobId}`);
}
