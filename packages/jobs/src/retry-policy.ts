/**
 * How a SET push retries a transient failure (timeout, connection error, 5xx, 429, a `soap:Server` fault): `attempts`
 * in all, the first retry after `backoffMs`, each next one twice as long, none longer than `maxDelayMs` when set. The
 * default, 12 attempts from 2 s capped at 5 min (2 + 4 + … + 256 s, then 3 × 300 s: about 23 min), rides out an ERP
 * restart or an outage of several minutes while a restart of seconds still costs seconds; a connections-file entry may
 * set its own (`retry: { attempts, backoffMs, maxDelayMs }`), e.g. for an ERP whose windows last an hour.
 */
export interface RetryPolicy {
  attempts: number;
  backoffMs: number;
  /** The longest wait between two attempts; unset: each wait doubles the previous one without limit. */
  maxDelayMs?: number;
}

/**
 * The SET push's policy when its connection sets none and the process has none configured (SET_RETRY_*, which the
 * worker and producer apps make the process default at start, setDefaultRetryPolicy): e.g. a failure before the
 * connection is resolved.
 */
export const DEFAULT_RECEPTOR_RETRY: RetryPolicy = { attempts: 12, backoffMs: 2000, maxDelayMs: 300_000 };

/** This process's default: SET_RETRY_* once the app set it at start, else DEFAULT_RECEPTOR_RETRY. */
let processDefault: RetryPolicy = DEFAULT_RECEPTOR_RETRY;

/**
 * Makes `policy` (the fleet's SET_RETRY_*) the default of every failure that carries no connection's policy: one
 * before the connection is resolved, or on a connection the connections file does not list (or no file at all).
 */
export function setDefaultRetryPolicy(policy: RetryPolicy): void {
  processDefault = Object.freeze({ ...policy });
}

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
  return Math.min((policy ?? processDefault).attempts, MAX_RECEPTOR_ATTEMPTS);
}

/**
 * BullMQ's custom backoff for RECEPTOR_BACKOFF jobs: the delay before the next attempt after `attemptsMade` failed
 * ones (1 after the first), or -1 — fail now — once the policy's attempts are used.
 */
export function receptorBackoff(attemptsMade: number, err: unknown): number {
  const policy = retryPolicyOf(err) ?? processDefault;
  if (attemptsMade >= receptorAttempts(policy)) return -1;
  const delay = policy.backoffMs * 2 ** (attemptsMade - 1);
  return policy.maxDelayMs === undefined ? delay : Math.min(delay, Math.max(policy.maxDelayMs, policy.backoffMs));
}

/** A job's BullMQ options, as far as its attempts go. */
export interface AttemptOptions {
  attempts?: number;
  backoff?: number | { type?: string };
}

/**
 * The attempts a job really gets, to show (API, dashboard): its kind's `attempts`, except for a SET push
 * (RECEPTOR_BACKOFF), enqueued with the ceiling MAX_RECEPTOR_ATTEMPTS while receptorBackoff stops it once the policy
 * of the failure is used: `policy` is that of its connection, or of its last failure (none: the process default,
 * SET_RETRY_ATTEMPTS, 12 unset). Every
 * failure after the connection is resolved carries its policy (underRetryPolicy); one before it (the admission's CRM
 * read) carries the policy its integration's connection gave when the process last resolved it (notedRetryPolicy),
 * or none (the default) when the process has not resolved it yet.
 */
export function maxAttemptsOf(options: AttemptOptions, policy?: RetryPolicy): number {
  const { backoff } = options;
  if (typeof backoff === 'object' && backoff.type === RECEPTOR_BACKOFF) return receptorAttempts(policy);
  return options.attempts ?? 1;
}

/** How many jobs' (and integrations') policies a process remembers; an older one falls back to the default. */
const NOTED_MAX = 10_000;
const NOTED = new Map<string, RetryPolicy | undefined>();
/** The policy each integration's connection gave when this process last resolved it, by queue, empresa and integracao. */
const BY_INTEGRATION = new Map<string, RetryPolicy | undefined>();

/** A job's integration, from its payload: `{ tenant: { empresaId }, integracaoId }`. */
export interface PolicyIntegration {
  tenant: { empresaId: number };
  integracaoId: number;
}

function integrationKey(queue: string, data: unknown): string | undefined {
  const { tenant, integracaoId } = (data ?? {}) as Partial<PolicyIntegration>;
  return typeof tenant?.empresaId === 'number' && typeof integracaoId === 'number'
    ? `${queue}/${tenant.empresaId}/${integracaoId}`
    : undefined;
}

function remember(map: Map<string, RetryPolicy | undefined>, key: string, policy: RetryPolicy | undefined): void {
  map.delete(key);
  map.set(key, policy);
  if (map.size > NOTED_MAX) map.delete(map.keys().next().value as string);
}

/**
 * Notes, in this process, the policy of the connection a job's attempts go out on (the SET processor does, once it
 * resolved the connection), so the job's records between failures show its real attempts; with the job's payload, also
 * as its integration's, which the next jobs of that integration go by until they resolve their own connection.
 */
export function noteRetryPolicy(queue: string, jobId: string, policy: RetryPolicy | undefined, data?: PolicyIntegration): void {
  remember(NOTED, `${queue}/${jobId}`, policy);
  const integration = integrationKey(queue, data);
  if (integration) remember(BY_INTEGRATION, integration, policy);
}

/**
 * The policy noted for a job: its own, else (given its payload) the one its integration's connection gave when this
 * process last resolved it — what a job goes by before it resolves its connection (its start, an admission's CRM read
 * that fails). Undefined when none was noted in this process, or the connection sets none: the default.
 */
export function notedRetryPolicy(queue: string, jobId: string, data?: unknown): RetryPolicy | undefined {
  const own = `${queue}/${jobId}`;
  if (NOTED.has(own)) return NOTED.get(own);
  const integration = integrationKey(queue, data);
  return integration ? BY_INTEGRATION.get(integration) : undefined;
}
