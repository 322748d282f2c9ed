import type { ErrorClass } from './http-client';
import type { WebhookSettings } from './settings';

/** Retry-After in milliseconds (seconds or an HTTP date), or undefined. */
export function retryAfterMs(header: string | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The delay before retry number `retry` (1 = the first retry), or undefined when the schedule is exhausted: the
 * schedule's delay ±jitter; at least `minDelayAfterThrottleMs` after a 429, a 502, a 504 or a timeout (the answers Standard
 * Webhooks says to throttle on); a Retry-After honoured within
 * [delay, 2 × delay] (Svix's clamp, so a receiver can neither hammer itself nor park a delivery for days).
 */
export function nextRetryDelay(
  settings: Pick<WebhookSettings, 'retryScheduleMs' | 'jitter' | 'minDelayAfterThrottleMs'>,
  retry: number,
  errorClass: ErrorClass | null,
  retryAfter: number | undefined,
  random: () => number = Math.random,
): number | undefined {
  const base = settings.retryScheduleMs[retry - 1];
  if (base === undefined) return undefined;
  let delay = base * (1 + settings.jitter * (2 * random() - 1));
  if (errorClass === 'rate_limited' || errorClass === 'overloaded' || errorClass === 'timeout')
    delay = Math.max(delay, settings.minDelayAfterThrottleMs);
  if (retryAfter !== undefined) delay = Math.min(Math.max(retryAfter, delay), 2 * Math.max(delay, 1));
  return Math.round(delay);
}
