import type { Static, TSchema } from '@sinclair/typebox';
import type { QueueName } from './queues';
import { MAX_RECEPTOR_ATTEMPTS, RECEPTOR_BACKOFF } from './retry-policy';
import {
  CtiCallEventPayload,
  CtiClickToCallPayload,
  EndpointSyncPayload,
  IntegrationRunPayload,
  PingPayload,
  WebhookDeliverPayload,
} from './schemas';

/** Attempts and backoff of a job kind; retention is fleet-wide (see DEFAULT_JOB_OPTIONS). */
export interface JobPolicy {
  attempts: number;
  /** `receptor`: the delays (and the attempts actually used) come from the failing connection's policy (retry-policy.ts). */
  backoff: { type: 'exponential' | 'fixed' | typeof RECEPTOR_BACKOFF; delay: number };
}

/** A job kind: its payload schema and retry policy. */
export interface JobDefinition<S extends TSchema = TSchema> {
  schema: S;
  policy: JobPolicy;
  description: string;
  /**
   * Why an operator's retry (API, CLI, dashboard: retryFailedJob) is refused for this kind, when it is: a new request
   * is the only useful action. Unset: a failed job may be retried.
   */
  noOperatorRetry?: string;
}

/** The noOperatorRetry of a click-to-call: the refusal the API, the CLI and the dashboard word. */
export const CLICK_TO_CALL_NO_RETRY = 'click-to-call';

/**
 * The refusal of an operator's retry of a webhook delivery job whose delivery was delivered since (a resend, a recover):
 * nothing to send again (webhooks deliveryRetryRefusal; the API, the CLI and the dashboard word it).
 */
export const WEBHOOK_DELIVERED_NO_RETRY = 'webhook-delivered';

/**
 * The refusal of an operator's retry of a given-up webhook delivery job whose endpoint is still disabled: the retry
 * would send nothing; the operator re-enables the endpoint and recovers (webhooks deliveryRetryRefusal).
 */
export const WEBHOOK_ENDPOINT_DISABLED_NO_RETRY = 'webhook-endpoint-disabled';

/**
 * The refusal of an operator's retry of a given-up webhook delivery job whose endpoint was deleted: nothing would be
 * sent, ever (webhooks deliveryRetryRefusal); its deliveries stay readable.
 */
export const WEBHOOK_ENDPOINT_DELETED_NO_RETRY = 'webhook-endpoint-deleted';

const transient: JobPolicy = { attempts: 5, backoff: { type: 'exponential', delay: 1000 } };

function define<S extends TSchema>(
  schema: S,
  description: string,
  policy: JobPolicy = transient,
  noOperatorRetry?: string,
): JobDefinition<S> {
  return noOperatorRetry ? { schema, policy, description, noOperatorRetry } : { schema, policy, description };
}

/**
 * Every job each queue accepts (integration.run on set/get, cti.event, webhook.deliver …); a worker must provide a
 * handler for each job kind of its queue or fail to compile.
 */
export const JOB_CATALOG = {
  set: {
    'system.ping': define(PingPayload, 'no-op round trip through the set queue'),
    // Receptor errors fail at once (UnrecoverableError); transient ones retry as their connection's policy says
    // (default 12 attempts from 2 s, doubling, each wait at most 5 min: ~23 min in all); MAX_RECEPTOR_ATTEMPTS is only the ceiling a connection may ask for.
    'integration.run': define(IntegrationRunPayload, 'SET push: send CRM records to a receptor and write its answer back', {
      attempts: MAX_RECEPTOR_ATTEMPTS,
      backoff: { type: RECEPTOR_BACKOFF, delay: 2000 },
    }),
  },
  get: {
    'system.ping': define(PingPayload, 'no-op round trip through the get queue'),
    // Seed 003's limits and refusals fail at once (UnrecoverableError); only an unreachable endpoint retries.
    // An unreachable endpoint retries after 5, 10, 20 … 320 s: an outage of ~10 min is survived.
    'endpoint.sync': define(EndpointSyncPayload, 'seed 003: pull a JSON endpoint service into contatos / eventos', {
      attempts: 8,
      backoff: { type: 'exponential', delay: 5000 },
    }),
    // A pull resumes from its committed cursor, so a retry repeats no work; configuration errors fail at once. A lost
    // source or CRM connection retries after 2, 4, 8 … 512 s: a restart is over in seconds, an outage of ~17 min survived.
    'integration.run': define(IntegrationRunPayload, 'GET pull: read an ERP source and upsert its rows into the CRM', {
      attempts: 10,
      backoff: { type: 'exponential', delay: 2000 },
    }),
  },
  cti: {
    'system.ping': define(PingPayload, 'no-op round trip through the cti queue'),
    // The event is already accepted (the PBX had its answer): retry a database or Redis outage for a while (0.5, 1, 2 …
    // 512 s: ~17 min). A click-to-call below is interactive and keeps its few quick retries.
    'cti.call-event': define(CtiCallEventPayload, 'seed 002: a PBX call start / end — call log, caller lookup, screen pop', {
      attempts: 12,
      backoff: { type: 'exponential', delay: 500 },
    }),
    // Only failures before the request reached the PBX (refused, DNS, connect timeout) and its 408 / 429 / 503 retry, a
    // few times — a call placed late is useless. Anything after it was sent fails at once (UnrecoverableError): the PBX
    // may have dialled, and a retry would place the same call twice. An operator's retry is refused: it comes after the
    // click's expiry (CTI_CLICK_TO_CALL_EXPIRY_MS) and could only fail again under another reason (trial CTI 3, finding 4).
    'cti.click-to-call': define(
      CtiClickToCallPayload,
      'seed 002: ask the tenant PBX to dial a number from a ramal',
      { attempts: 4, backoff: { type: 'exponential', delay: 1000 } },
      CLICK_TO_CALL_NO_RETRY,
    ),
  },
  webhook: {
    'system.ping': define(PingPayload, 'no-op round trip through the webhook queue'),
    // HTTP failures retry on the engine's own Svix-like schedule (moveToDelayed, packages/webhooks); these attempts
    // only cover the worker's own failures (CRM database or Redis briefly unavailable).
    'webhook.deliver': define(WebhookDeliverPayload, 'seed 004: POST one change to one webhook endpoint, signed', {
      attempts: 10,
      backoff: { type: 'exponential', delay: 2000 },
    }),
  },
} as const satisfies Record<QueueName, Record<string, JobDefinition>>;

export type JobCatalog = typeof JOB_CATALOG;
/** The job names one queue accepts. */
export type JobName<Q extends QueueName> = keyof JobCatalog[Q] & string;
/** The payload type of one job kind. */
export type JobPayload<Q extends QueueName, N extends JobName<Q>> = JobCatalog[Q][N] extends JobDefinition<infer S> ? Static<S> : never;

/** The definition of a job kind, or undefined for a name the queue does not accept. */
export function jobDefinition(queue: QueueName, name: string): JobDefinition | undefined {
  const jobs = JOB_CATALOG[queue] as Record<string, JobDefinition>;
  return Object.hasOwn(jobs, name) ? jobs[name] : undefined;
}

/** Job names accepted by a queue. */
export function jobNames(queue: QueueName): string[] {
  return Object.keys(JOB_CATALOG[queue]);
}

/**
 * Retention: completed jobs kept a day (at most 1000), failed ones a week (at most 10000), so Redis
 * stays bounded while operators can still inspect recent failures.
 */
export const RETENTION = {
  removeOnComplete: { age: 24 * 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 10000 },
} as const;

/** BullMQ's event stream is trimmed to this length per queue. */
export const EVENTS_MAX_LEN = 10000;
