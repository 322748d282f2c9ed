import path from 'node:path';
import type { ErrorObject } from 'ajv';
import Ajv from 'ajv';
import { type Env, EnvSchema } from './env';

/** The validated, typed configuration every app builds from. */
export interface Config {
  redisUrl: string;
  /** Database URL; an embedded SQLite URL when CRM_DATABASE_URL is unset. */
  databaseUrl: string;
  connectionsFile: string | undefined;
  host: string;
  port: number;
  logLevel: Env['LOG_LEVEL'];
  keyPrefix: string;
  shutdownTimeoutMs: number;
  workerConcurrency: number;
  redisCommandTimeoutMs: number;
  /** Worker lock duration and stalled-job check interval. */
  jobLockMs: number;
  /** Seed 003's limits of one JSON endpoint call (records, response time) and a cap on its body size. */
  endpoint: { maxRecords: number; timeoutMs: number; maxResponseBytes: number };
  /** How often worker-get reconciles the GET job schedulers with integracao.cron. */
  scheduleSyncIntervalMs: number;
  /** The IANA time zone integracao.cron is read in. */
  scheduleTimezone: string;
  /** How long a GET run's lease on its integration lasts without renewal (renewed every chunk and every third of it). */
  getLeaseMs: number;
  /** Dependency flows: how long dependents wait on a failed prerequisite, and how often workers check. */
  flowBlockedTimeoutMs: number;
  flowGuardIntervalMs: number;
  /** The operators' dashboard: served by the ingress or not, its own port when run alone, cookies HTTPS-only. */
  dashboard: { enabled: boolean; port: number; secureCookies: boolean };
  /**
   * The environment, for resolving ${VAR} secret references of the connections file. Secrets stay in the
   * environment (or a secret store feeding it) and only their names sit in files and tables.
   */
  secretSource: Readonly<Record<string, string | undefined>>;
}

/** Thrown when an environment variable is invalid; the message is one line naming it. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
  }
}

const ajv = new Ajv({ allErrors: false, useDefaults: true, coerceTypes: true, strict: false });
const validate = ajv.compile<Env>(EnvSchema);

function describe(error: ErrorObject, env: Record<string, unknown>): ConfigError {
  const variable = error.instancePath.replace(/^\//, '').split('/')[0] || String(error.params.missingProperty ?? '');
  const schema = (EnvSchema.properties as Record<string, { 'x-expected'?: string }>)[variable];
  const expected = schema?.['x-expected'] ?? error.message ?? 'a valid value';
  const received = env[variable];
  return new ConfigError(variable, `invalid environment variable ${variable}: expected ${expected}, got ${JSON.stringify(received)}`);
}

/** An IANA time zone the runtime knows, or a ConfigError (cron-parser's own message for a bad zone says nothing useful). */
function checkedTimeZone(zone: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone;
  } catch {
    const expected = EnvSchema.properties.SCHEDULE_TIMEZONE['x-expected'];
    throw new ConfigError(
      'SCHEDULE_TIMEZONE',
      `invalid environment variable SCHEDULE_TIMEZONE: expected ${expected}, got ${JSON.stringify(zone)}`,
    );
  }
}

/** Reads and validates the environment once. Empty strings count as unset. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const env: Record<string, unknown> = {};
  for (const key of Object.keys(EnvSchema.properties)) {
    const value = source[key];
    if (value !== undefined && value !== '') env[key] = value;
  }
  if (!validate(env)) throw describe(validate.errors?.[0] as ErrorObject, { ...env });
  const e = env as Env;
  const dataDir = path.resolve(cwd, e.DATA_DIR);
  return {
    redisUrl: e.REDIS_URL,
    databaseUrl: e.CRM_DATABASE_URL ?? `sqlite:${path.join(dataDir, 'integrador.sqlite')}`,
    connectionsFile: e.CONNECTIONS_FILE ? path.resolve(cwd, e.CONNECTIONS_FILE) : undefined,
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    keyPrefix: e.KEY_PREFIX,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    workerConcurrency: e.WORKER_CONCURRENCY,
    redisCommandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
    jobLockMs: e.JOB_LOCK_MS,
    endpoint: { maxRecords: e.ENDPOINT_MAX_RECORDS, timeoutMs: e.ENDPOINT_TIMEOUT_MS, maxResponseBytes: e.ENDPOINT_MAX_RESPONSE_BYTES },
    scheduleSyncIntervalMs: e.SCHEDULE_SYNC_INTERVAL_MS,
    scheduleTimezone: checkedTimeZone(e.SCHEDULE_TIMEZONE),
    getLeaseMs: e.GET_LEASE_MS,
    flowBlockedTimeoutMs: e.FLOW_BLOCKED_TIMEOUT_MS,
    flowGuardIntervalMs: e.FLOW_GUARD_INTERVAL_MS,
    dashboard: { enabled: e.DASHBOARD === 'on', port: e.DASHBOARD_PORT, secureCookies: e.DASHBOARD_SECURE_COOKIES === 'true' },
    secretSource: Object.freeze({ ...source }),
  };
}

/** Loads the configuration or stops the process with one clear line and exit code 1. */
export function loadConfigOrExit(source: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(source);
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
