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

/** Marks a transient error with the policy of the connection it came from (the transport wrapper does it). */
export function withRetryPolicy<E>(err: E, policy: RetryPolicy | undefined): E {
  if (policy && err instanceof Error) Object.defineProperty(err, POLICY, { value: policy, enumerable: false });
  return err;
}

/** The policy an error was marked with, if any. */
export function retryPolicyOf(err: unknown): RetryPolicy | undefined {
  return err instanceof Error ? ((err as unknown as Record<symbol, RetryPolicy | undefined>)[POLICY] ?? undefined) : undefined;
}

/**
 * BullMQ's custom backoff for RECEPTOR_BACKOFF jobs: the delay before the next attempt after `attemptsMade` failed
 * ones (1 after the first), or -1 — fail now — once the policy's attempts are used.
 */
export function receptorBackoff(attemptsMade: number, err: unknown): number {
  const policy = retryPolicyOf(err) ?? DEFAULT_RECEPTOR_RETRY;
  if (attemptsMade >= Math.min(policy.attempts, MAX_RECEPTOR_ATTEMPTS)) return -1;
  return policy.backoffMs * 2 ** (attemptsMade - 1);
}
