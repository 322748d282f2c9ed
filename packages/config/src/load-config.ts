import path from 'node:path';
import { alwaysRefusedEntry, parseAddressAllowlist } from '@integrador/connections/address-ranges';
import type { Locale } from '@integrador/i18n';
import { maskUrlsInText } from '@integrador/logging';
import type { ErrorObject, ValidateFunction } from 'ajv';
import Ajv from 'ajv';
import { type ConfigRefusalReason, type ConfigVariable, invalidEnvText, type ShownValue } from './config-messages';
import { availableCores } from './cpu-cores';
import { type Env, EnvSchema } from './env';

/** The webhook engine's environment, validated; secretKey and allowedNetworks are parsed by the engine. */
export interface WebhookConfig {
  secretKey: string | undefined;
  allowedNetworks: string[];
  /** WEBHOOK_HTTPS_ONLY: an http:// endpoint URL is refused when saved, and at delivery (one saved before it was set). */
  httpsOnly: boolean;
  retryScheduleMs: number[];
  timeoutMs: number;
  connectTimeoutMs: number;
  throttledDelayMs: number;
  disableAfterMs: number;
  rotationGraceMs: number;
  breakerFailures: number;
  breakerCooldownMs: number;
  endpointConcurrency: number;
  /** WEBHOOK_MAX_PAYLOAD_BYTES: a delivery whose body is larger fails without being sent. */
  maxPayloadBytes: number;
  capture: 'route' | 'triggers';
  outboxIntervalMs: number;
}

/** Days each class of history is kept after it finished (0 = forever), and how often the purge runs (RETENTION_*). */
export interface RetentionConfig {
  /** registro_jobs, the SET outbox (integracao_execucoes) with its attempts, GET run rows. */
  jobsDays: number;
  /** Webhook deliveries with their attempts and messages; change-event idempotency keys (crm_mudancas). */
  webhooksDays: number;
  /** auditoria_acoes. */
  auditDays: number;
  /** The CTI call log (ligacoes): business data the CRM shows, kept forever by default. */
  callsDays: number;
  intervalMs: number;
}

/** One per-tenant admission budget: `burst` requests back to back, `perSecond` sustained; perSecond 0 = no limit. */
export interface AdmissionRate {
  perSecond: number;
  burst: number;
}

/** How long an HTTP client may take: to send one request, between two requests, without a byte either way (0 = off). */
export interface HttpTimeouts {
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  idleTimeoutMs: number;
}

/** The HTTP timeouts of an unset environment (buildApp's defaults when a test passes none). */
export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = {
  requestTimeoutMs: EnvSchema.properties.HTTP_REQUEST_TIMEOUT_MS.default,
  keepAliveTimeoutMs: EnvSchema.properties.HTTP_KEEP_ALIVE_TIMEOUT_MS.default,
  idleTimeoutMs: EnvSchema.properties.HTTP_IDLE_TIMEOUT_MS.default,
};

/** The validated, typed configuration every app builds from. */
export interface Config {
  redisUrl: string;
  /** Seed nodes (host:port) of a Redis Cluster; empty = the single Redis of redisUrl. */
  redisClusterNodes: string[];
  /** Database URL; an embedded SQLite URL when CRM_DATABASE_URL is unset. */
  databaseUrl: string;
  connectionsFile: string | undefined;
  /** OUTBOUND_ALLOW_LOOPBACK: allowPrivateNetwork opens loopback too (the hub's own machine); applied at start. */
  outboundAllowLoopback: boolean;
  /** MIGRATE_ON_START: the ingress migrates the CRM database when it starts (the one-command default); false: it checks it. */
  migrateOnStart: boolean;
  /** A SET push's retry policy on a connection whose entry sets no `retry` (SET_RETRY_*). */
  setRetry: { attempts: number; backoffMs: number; maxDelayMs: number };
  host: string;
  port: number;
  /** PUBLIC_URL without its trailing slash: the ingress's address as a PBX behind a proxy reaches it; unset = none. */
  publicUrl: string | undefined;
  logLevel: Env['LOG_LEVEL'];
  keyPrefix: string;
  shutdownTimeoutMs: number;
  workerConcurrency: number;
  /** Processes a worker app runs (WORKER_PROCESSES; auto resolved to the cores it may use): 1 = no cluster. */
  workerProcesses: number;
  redisCommandTimeoutMs: number;
  /** The HTTP servers' timeouts (ingress, dashboard): a whole request, an idle keep-alive connection, a silent socket (0 = off). */
  http: HttpTimeouts;
  /** When set, GET /metrics needs `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
  /** Where a worker serves /metrics and /healthz (0 = not at all). */
  metricsPort: number;
  /** The id of the fleet start that launched this app (FLEET_START_ID), reported on the ingress's /healthz; unset otherwise. */
  fleetStartId: string | undefined;
  /** How many tenants per queue and outcome (per budget for admission refusals) get their own metrics label (the rest are "outros"). */
  metricsTenantLabels: number;
  /** Human-readable logs through pino-pretty (development). */
  logPretty: boolean;
  /** Worker lock duration and stalled-job check interval. */
  jobLockMs: number;
  /** CRM_PREPARED_STATEMENTS: worker apps name their hot CRM statements (PostgreSQL server-side prepared statements). */
  crmPreparedStatements: boolean;
  /** Seed 003's limits of one JSON endpoint call (records, response time) and a cap on its body size. */
  endpoint: { maxRecords: number; timeoutMs: number; maxResponseBytes: number };
  /** Per-tenant admission limits of the ingress: PBX listener events (cti) and /v1 writes (api). */
  admissionLimits: { cti: AdmissionRate; api: AdmissionRate };
  /** How often worker-get reconciles the GET job schedulers with integracao.cron. */
  scheduleSyncIntervalMs: number;
  /** The IANA time zone integracao.cron is read in. */
  scheduleTimezone: string;
  /** How long a GET run's lease on its integration lasts without renewal (renewed every chunk and every third of it). */
  getLeaseMs: number;
  /** Dependency flows: how long dependents wait on a failed prerequisite, and how often workers check. */
  flowBlockedTimeoutMs: number;
  flowGuardIntervalMs: number;
  /** CTI (seed 002): listener host domain and proxies, dedupe window, call timeout, pop tokens, PBX calls, worker sweep. */
  cti: {
    domain: string | undefined;
    trustedProxies: string[];
    dedupeWindowMs: number;
    callTimeoutMs: number;
    /**
     * A call still "tocando" this long without an end is closed as "não atendida"; only below callTimeoutMs. Unset (the
     * default): WConnect sends no answer event, so such a call stays open and on the page until its end or callTimeoutMs.
     */
    ringTimeoutMs: number | undefined;
    /** A click-to-call to an internal extension still open this long is closed as "ramal sem fim" (the PBX sends it no end). */
    extensionCallTimeoutMs: number;
    popTokenTtlMs: number;
    pbxTimeoutMs: number;
    /** A click-to-call older than this (from the click) fails as expired instead of dialling: held by a pause or a limit. */
    clickToCallExpiryMs: number;
    sweepIntervalMs: number;
  };
  /** History retention in days per class (0 = keep forever), and how often the fleet's purge runs. */
  retention: RetentionConfig;
  /** Outbound webhooks (packages/webhooks turns this into its settings). */
  webhooks: WebhookConfig;
  /**
   * The operators' dashboard: served by the ingress or not, its own port when run alone, cookies HTTPS-only, and how long
   * its Validar waits for one event type's URL (an operator's page is not held open for ENDPOINT_TIMEOUT_MS; a larger
   * value is capped at it by validationLimits, as the variable's expected sentence and the README say).
   */
  dashboard: { enabled: boolean; port: number; secureCookies: boolean; validateTimeoutMs: number };
  /**
   * The environment, for resolving ${VAR} secret references of the connections file. Secrets stay in the
   * environment (or a secret store feeding it) and only their names sit in files and tables.
   */
  secretSource: Readonly<Record<string, string | undefined>>;
}

/**
 * Thrown when an environment variable is invalid; the message is one line naming it, in English (the apps' logs).
 * `code`, `variable` and `got` (the value as it may be shown) word it in another locale: `localized` (the CLI's).
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly code = 'INVALID_ENV';
  constructor(
    readonly variable: ConfigVariable,
    readonly got: ShownValue,
    readonly reason?: ConfigRefusalReason,
  ) {
    super(invalidEnvText('en', variable, got, reason));
  }

  /** The message in a locale. */
  localized(locale: Locale): string {
    return invalidEnvText(locale, this.variable, this.got, this.reason);
  }
}

let validateEnv: ValidateFunction<Env> | undefined;

/** Compiled on first use: a command that never reads the configuration (--help) does not pay for it. */
function envValidator(): ValidateFunction<Env> {
  validateEnv ??= new Ajv({ allErrors: false, useDefaults: true, coerceTypes: true, strict: false }).compile<Env>(EnvSchema);
  return validateEnv;
}

/**
 * A rejected value as the start-up error may show it: a URL's user and password (everything up to its last `@`) become
 * `***`, however malformed the URL; the rest has its query values and token-looking path segments masked by the one URL
 * rule (maskUrlsInText, @integrador/logging); a token is never echoed at all: only its length is shown.
 */
export function maskedValue(variable: string, value: unknown): ShownValue {
  if (/TOKEN|SECRET|PASSWORD/i.test(variable)) return { characters: String(value).length };
  if (typeof value !== 'string') return JSON.stringify(value);
  const userinfo = /^([a-z][a-z0-9+.-]*:\/\/)?.*@/i.exec(value);
  if (!userinfo) return JSON.stringify(maskUrlsInText(value));
  // What follows the userinfo (host, path, query) read as a URL's, whatever the scheme looked like.
  const scheme = userinfo[1] ?? '';
  const reader = scheme || 'x://';
  return JSON.stringify(`${scheme}***@${maskUrlsInText(reader + value.slice(userinfo[0].length)).slice(reader.length)}`);
}

function describe(error: ErrorObject, env: Record<string, unknown>): ConfigError {
  // Every value validated is one of the schema's properties (loadConfig reads no other).
  const variable = (error.instancePath.replace(/^\//, '').split('/')[0] || String(error.params.missingProperty ?? '')) as keyof Env;
  return new ConfigError(variable, maskedValue(variable, env[variable]));
}

/** An IANA time zone the runtime knows, or a ConfigError (cron-parser's own message for a bad zone says nothing useful). */
function checkedTimeZone(zone: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone;
  } catch {
    throw new ConfigError('SCHEDULE_TIMEZONE', JSON.stringify(zone));
  }
}

/**
 * WEBHOOK_ALLOWED_NETWORKS' entries, each an IP address or CIDR range that opens something: one the guard cannot read,
 * or one within a range no connection ever reaches (link-local, cloud metadata: alwaysRefusedEntry), is a ConfigError
 * naming it — the operator would otherwise believe webhooks may reach it.
 */
function checkedAllowedNetworks(value: string | undefined): string[] {
  const entries = (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of entries) {
    let parsed: ReturnType<typeof parseAddressAllowlist>[number] | undefined;
    try {
      [parsed] = parseAddressAllowlist([entry]);
    } catch {
      throw new ConfigError('WEBHOOK_ALLOWED_NETWORKS', JSON.stringify(entry));
    }
    const range = parsed && alwaysRefusedEntry(parsed);
    if (range) throw new ConfigError('WEBHOOK_ALLOWED_NETWORKS', JSON.stringify(entry), { code: 'ALWAYS_REFUSED_NETWORK', range });
  }
  return entries;
}

/** An app's own defaults for variables left unset (empty counts as unset), validated like the environment's values. */
export type AppDefaults = Partial<Record<'WORKER_CONCURRENCY', string>>;

/** Reads and validates the environment once. Empty strings count as unset. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env, cwd = process.cwd(), appDefaults: AppDefaults = {}): Config {
  const env: Record<string, unknown> = {};
  for (const key of Object.keys(EnvSchema.properties)) {
    const value = source[key];
    if (value !== undefined && value !== '') env[key] = value;
    else if (appDefaults[key as keyof AppDefaults] !== undefined) env[key] = appDefaults[key as keyof AppDefaults];
  }
  const validate = envValidator();
  if (!validate(env)) throw describe(validate.errors?.[0] as ErrorObject, { ...env });
  const e = env as Env;
  const dataDir = path.resolve(cwd, e.DATA_DIR);
  return {
    redisUrl: e.REDIS_URL,
    redisClusterNodes: (e.REDIS_CLUSTER_NODES ?? '')
      .split(',')
      .map((node) => node.trim())
      .filter(Boolean),
    databaseUrl: e.CRM_DATABASE_URL ?? `sqlite:${path.join(dataDir, 'integrador.sqlite')}`,
    connectionsFile: e.CONNECTIONS_FILE ? path.resolve(cwd, e.CONNECTIONS_FILE) : undefined,
    outboundAllowLoopback: e.OUTBOUND_ALLOW_LOOPBACK === 'true',
    migrateOnStart: e.MIGRATE_ON_START === 'true',
    setRetry: { attempts: e.SET_RETRY_ATTEMPTS, backoffMs: e.SET_RETRY_BACKOFF_MS, maxDelayMs: e.SET_RETRY_MAX_DELAY_MS },
    host: e.HOST,
    port: e.PORT,
    publicUrl: e.PUBLIC_URL?.replace(/\/+$/, ''),
    logLevel: e.LOG_LEVEL,
    keyPrefix: e.KEY_PREFIX,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    workerConcurrency: e.WORKER_CONCURRENCY,
    workerProcesses: e.WORKER_PROCESSES === 'auto' ? availableCores() : Number(e.WORKER_PROCESSES),
    redisCommandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
    http: {
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      idleTimeoutMs: e.HTTP_IDLE_TIMEOUT_MS,
    },
    metricsToken: e.METRICS_TOKEN,
    metricsPort: e.METRICS_PORT,
    metricsTenantLabels: e.METRICS_TENANT_LABELS,
    fleetStartId: e.FLEET_START_ID,
    logPretty: e.LOG_PRETTY === '1',
    jobLockMs: e.JOB_LOCK_MS,
    crmPreparedStatements: e.CRM_PREPARED_STATEMENTS === '1',
    endpoint: { maxRecords: e.ENDPOINT_MAX_RECORDS, timeoutMs: e.ENDPOINT_TIMEOUT_MS, maxResponseBytes: e.ENDPOINT_MAX_RESPONSE_BYTES },
    admissionLimits: {
      cti: { perSecond: e.RATE_LIMIT_CTI_PER_SECOND, burst: e.RATE_LIMIT_CTI_BURST },
      api: { perSecond: e.RATE_LIMIT_API_PER_SECOND, burst: e.RATE_LIMIT_API_BURST },
    },
    scheduleSyncIntervalMs: e.SCHEDULE_SYNC_INTERVAL_MS,
    scheduleTimezone: checkedTimeZone(e.SCHEDULE_TIMEZONE),
    getLeaseMs: e.GET_LEASE_MS,
    flowBlockedTimeoutMs: e.FLOW_BLOCKED_TIMEOUT_MS,
    flowGuardIntervalMs: e.FLOW_GUARD_INTERVAL_MS,
    cti: {
      domain: e.CTI_DOMAIN?.toLowerCase(),
      trustedProxies: (e.CTI_TRUSTED_PROXIES ?? '')
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
      dedupeWindowMs: e.CTI_DEDUPE_WINDOW_MS,
      callTimeoutMs: e.CTI_CALL_TIMEOUT_MS,
      ringTimeoutMs: e.CTI_RING_TIMEOUT_MS,
      extensionCallTimeoutMs: e.CTI_EXTENSION_CALL_TIMEOUT_MS,
      popTokenTtlMs: e.CTI_POP_TOKEN_TTL_MS,
      pbxTimeoutMs: e.CTI_PBX_TIMEOUT_MS,
      clickToCallExpiryMs: e.CTI_CLICK_TO_CALL_EXPIRY_MS,
      sweepIntervalMs: e.CTI_SWEEP_INTERVAL_MS,
    },
    retention: {
      jobsDays: e.RETENTION_JOBS_DAYS,
      webhooksDays: e.RETENTION_WEBHOOKS_DAYS,
      auditDays: e.RETENTION_AUDIT_DAYS,
      callsDays: e.RETENTION_CALLS_DAYS,
      intervalMs: e.RETENTION_INTERVAL_MS,
    },
    webhooks: {
      secretKey: e.WEBHOOK_SECRET_KEY,
      allowedNetworks: checkedAllowedNetworks(e.WEBHOOK_ALLOWED_NETWORKS),
      httpsOnly: e.WEBHOOK_HTTPS_ONLY === 'true',
      retryScheduleMs: e.WEBHOOK_RETRY_SCHEDULE_MS.split(',').map(Number),
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      connectTimeoutMs: e.WEBHOOK_CONNECT_TIMEOUT_MS,
      throttledDelayMs: e.WEBHOOK_THROTTLED_DELAY_MS,
      disableAfterMs: e.WEBHOOK_DISABLE_AFTER_MS,
      rotationGraceMs: e.WEBHOOK_ROTATION_GRACE_MS,
      breakerFailures: e.WEBHOOK_BREAKER_FAILURES,
      breakerCooldownMs: e.WEBHOOK_BREAKER_COOLDOWN_MS,
      endpointConcurrency: e.WEBHOOK_ENDPOINT_CONCURRENCY,
      maxPayloadBytes: e.WEBHOOK_MAX_PAYLOAD_BYTES,
      capture: e.WEBHOOK_CAPTURE,
      outboxIntervalMs: e.WEBHOOK_OUTBOX_INTERVAL_MS,
    },
    dashboard: {
      enabled: e.DASHBOARD === 'on',
      port: e.DASHBOARD_PORT,
      secureCookies: e.DASHBOARD_SECURE_COOKIES === 'true',
      validateTimeoutMs: e.DASHBOARD_VALIDATE_TIMEOUT_MS,
    },
    secretSource: Object.freeze({ ...source }),
  };
}

/** Loads the configuration or stops the process with one clear line and exit code 1. */
export function loadConfigOrExit(source: NodeJS.ProcessEnv = process.env, appDefaults: AppDefaults = {}): Config {
  try {
    return loadConfig(source, process.cwd(), appDefaults);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

/** The process environment for child processes the fleet spawns (only the fleet needs it). */
export function childEnvironment(overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...overrides };
}
