import type { Connection } from '@integrador/connections';
import { withRetryPolicy } from '@integrador/jobs';
import type { JobLimits } from '@integrador/queue';
import { TransientTransportError, type Transport } from '@integrador/transports';
import { markNotSent } from './resend-safety';

/** A 429 without Retry-After still means "slow down": this long. */
const TOO_MANY_REQUESTS_PAUSE_MS = 1000;

/** How long the target asked us to wait (Retry-After, or a bare 429), or undefined for any other failure. */
function waitAsked(err: unknown): number | undefined {
  if (!(err instanceof TransientTransportError)) return undefined;
  if (err.retryAfterMs !== undefined) return err.retryAfterMs;
  return err.exchange?.statusCode === 429 ? TOO_MANY_REQUESTS_PAUSE_MS : undefined;
}

/**
 * A transport that honours the tenant's limits on one connection: a token before every outbound call
 * (`ctx.limits.acquire`), and a 429 / Retry-After answer turned into a cooldown of that (tenant, connection)
 * only — the job is delayed by Retry-After without using an attempt. Other tenants and connections go on. Any other
 * failure carries the connection's retry policy (its `retry` entry) to the queue worker's backoff.
 */
export function limitedTransport(transport: Transport, limits: JobLimits, target: Pick<Connection, 'name' | 'retry'>): Transport {
  const connection = target.name;
  return {
    ...transport,
    preview: (request) => transport.preview(request),
    async send(request) {
      // A refused token (or the limiter's Redis unreachable) happens before anything is sent: the record stays new.
      await limits.acquire({ connection }).catch((err: unknown) => {
        throw markNotSent(err);
      });
      try {
        return await transport.send(request);
      } catch (err) {
        const retryAfterMs = waitAsked(err);
        if (retryAfterMs !== undefined) {
          const delay = await limits.retryAfter({ connection, ms: retryAfterMs });
          // The outbox records the exchange of the refused call, as for any failed attempt.
          if (delay) throw Object.assign(delay, { exchange: (err as TransientTransportError).exchange, cause: err });
        }
        throw withRetryPolicy(err, target.retry);
      }
    },
  };
}
