import type { WebhookConfig } from '@integrador/config';
import { type AddressAllowlist, parseAddressAllowlist } from '@integrador/connections';
import { parseSecretKey } from './secret-box';

/** How the engine delivers; read once from the environment (packages/config) and passed in. */
export interface WebhookSettings {
  /** Delays before each retry, after the first (immediate) attempt; Svix's schedule by default. */
  retryScheduleMs: readonly number[];
  /** ±this fraction of jitter on every retry delay (0.2 = ±20 %). */
  jitter: number;
  /** A 429 or a timeout waits at least this long before the next attempt. */
  minDelayAfterThrottleMs: number;
  /** Connect timeout and total timeout of one attempt. */
  connectTimeoutMs: number;
  timeoutMs: number;
  /** An endpoint failing continuously for this long is disabled with the reason. */
  disableAfterMs: number;
  /** After a rotation the old secret keeps signing (beside the new one) this long. */
  rotationGraceMs: number;
  /** Consecutive failures that open an endpoint's circuit breaker, and how long it stays open. */
  breakerFailures: number;
  breakerCooldownMs: number;
  /** Deliveries to one endpoint in flight at once across every worker (so one slow endpoint cannot take them all). */
  endpointConcurrency: number;
  /** The operator's allowlist of non-public ranges webhooks may reach (e.g. 127.0.0.1/32 in tests). */
  allowlist: AddressAllowlist;
  /** WEBHOOK_MAX_PAYLOAD_BYTES: a delivery whose body is larger fails without being sent (PAYLOAD_TOO_LARGE). */
  maxPayloadBytes: number;
  /** WEBHOOK_HTTPS_ONLY: endpoint URLs must be https:// (an http:// one is refused when saved, and at delivery). */
  httpsOnly: boolean;
  /** WEBHOOK_SECRET_KEY: seals signing secrets at rest; undefined = stored as they are. */
  secretKey: Buffer | undefined;
}

/** Svix's schedule: immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const SVIX_RETRY_SCHEDULE_MS = [5000, 300000, 1800000, 7200000, 18000000, 36000000, 36000000] as const;

export const DEFAULT_WEBHOOK_SETTINGS: WebhookSettings = {
  retryScheduleMs: SVIX_RETRY_SCHEDULE_MS,
  jitter: 0.2,
  minDelayAfterThrottleMs: 60000,
  connectTimeoutMs: 5000,
  timeoutMs: 15000,
  disableAfterMs: 5 * 24 * 3600 * 1000,
  rotationGraceMs: 24 * 3600 * 1000,
  breakerFailures: 5,
  breakerCooldownMs: 30000,
  endpointConcurrency: 10,
  allowlist: [],
  maxPayloadBytes: 256 * 1024,
  httpsOnly: false,
  secretKey: undefined,
};

/** Bytes of a receiver's answer kept in an attempt's record. */
export const RESPONSE_KEEP_BYTES = 16 * 1024;

/** The engine's settings from the validated environment (WEBHOOK_*); a bad allowlist entry or key throws naming it. */
export function webhookSettingsFrom(config: WebhookConfig): WebhookSettings {
  return {
    retryScheduleMs: config.retryScheduleMs,
    jitter: DEFAULT_WEBHOOK_SETTINGS.jitter,
    minDelayAfterThrottleMs: config.throttledDelayMs,
    connectTimeoutMs: config.connectTimeoutMs,
    timeoutMs: config.timeoutMs,
    disableAfterMs: config.disableAfterMs,
    rotationGraceMs: config.rotationGraceMs,
    breakerFailures: config.breakerFailures,
    breakerCooldownMs: config.breakerCooldownMs,
    endpointConcurrency: config.endpointConcurrency,
    allowlist: parseAddressAllowlist(config.allowedNetworks),
    maxPayloadBytes: config.maxPayloadBytes,
    httpsOnly: config.httpsOnly,
    secretKey: parseSecretKey(config.secretKey),
  };
}
