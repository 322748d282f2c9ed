import { type Static, Type } from '@sinclair/typebox';

/**
 * Every environment variable the fleet reads, with its default and what a valid value looks like.
 * `x-expected` is the human sentence printed when a value is rejected.
 */
export const EnvSchema = Type.Object({
  REDIS_URL: Type.String({
    default: 'redis://127.0.0.1:6379',
    pattern: '^rediss?://',
    'x-expected': 'a Redis URL such as redis://127.0.0.1:6379 (rediss:// for TLS)',
  }),
  REDIS_CLUSTER_NODES: Type.Optional(
    Type.String({
      pattern: '^\\s*[A-Za-z0-9.\\-\\[\\]:]+:\\d{1,5}\\s*(,\\s*[A-Za-z0-9.\\-\\[\\]:]+:\\d{1,5}\\s*)*$',
      'x-expected':
        'comma-separated host:port seed nodes of a Redis Cluster, such as 10.0.0.1:6379,10.0.0.2:6379 (unset = the single Redis of REDIS_URL, whose password, user and TLS then apply to every node)',
    }),
  ),
  CRM_DATABASE_URL: Type.Optional(
    Type.String({
      pattern: '^(postgres|postgresql|mysql|mariadb|sqlite):',
      'x-expected':
        'a database URL: postgres://user:pass@host:5432/db, mysql://user:pass@host:3306/db or sqlite:/path/to/file.sqlite (unset = embedded SQLite in DATA_DIR)',
    }),
  ),
  DATA_DIR: Type.String({
    default: 'data',
    minLength: 1,
    'x-expected': 'a directory path for the embedded SQLite database',
  }),
  CONNECTIONS_FILE: Type.Optional(Type.String({ minLength: 1, 'x-expected': 'the path of a YAML or JSON connections file' })),
  HOST: Type.String({ default: '127.0.0.1', minLength: 1, 'x-expected': 'an interface address such as 0.0.0.0' }),
  PORT: Type.Integer({ default: 3000, minimum: 1, maximum: 65535, 'x-expected': 'an integer from 1 to 65535' }),
  PUBLIC_URL: Type.Optional(
    Type.String({
      pattern: '^https?://[^\\s/?#@]+(/[^\\s?#]*)?$',
      'x-expected':
        'the http(s) address by which others reach the ingress, such as https://crm.example.com.br or https://example.com/integrador behind a proxy (no query string, no user or password; unset = http://HOST:PORT)',
    }),
  ),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info', 'x-expected': 'one of fatal, error, warn, info, debug, trace, silent' },
  ),
  KEY_PREFIX: Type.String({
    default: '{integrador}',
    pattern: '^[^:\\s]*\\{[^{}:\\s]+\\}[^:\\s]*$',
    'x-expected':
      'a Redis key prefix with a Cluster hash tag and no colon, such as {integrador} (every queue shares the tag so flows stay on one slot)',
  }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({
    default: 30000,
    minimum: 1000,
    maximum: 600000,
    'x-expected': 'milliseconds from 1000 to 600000',
  }),
  WORKER_CONCURRENCY: Type.Integer({
    default: 10,
    minimum: 1,
    maximum: 1000,
    'x-expected': 'an integer from 1 to 1000',
  }),
  WORKER_PROCESSES: Type.String({
    default: '1',
    pattern: '^(auto|[1-9][0-9]?)$',
    'x-expected':
      'an integer from 1 to 99 or auto (how many processes a worker app runs, each a full worker with WORKER_CONCURRENCY jobs and its own connections; auto = one per CPU core the process may use)',
  }),
  CRM_PREPARED_STATEMENTS: Type.Union([Type.Literal('0'), Type.Literal('1')], {
    default: '1',
    'x-expected':
      '0 or 1 (1: the worker apps prepare the CRM statements they run again and again, PostgreSQL only; 0 behind a pooler in transaction mode such as PgBouncer, which cannot keep prepared statements per session)',
  }),
  JOB_LOCK_MS: Type.Integer({
    default: 30000,
    minimum: 1000,
    maximum: 600000,
    'x-expected':
      "milliseconds from 1000 to 600000 (how long a job stays locked to a worker without renewal; a crashed worker's jobs run again after about this long)",
  }),
  GET_LEASE_MS: Type.Integer({
    default: 60000,
    minimum: 1000,
    maximum: 3600000,
    'x-expected':
      'milliseconds from 1000 to 3600000 (how long a GET run holds its integration without renewing; another job of a crashed run waits about this long)',
  }),
  FLOW_BLOCKED_TIMEOUT_MS: Type.Integer({
    // Seven days: the failed-job retention (packages/jobs RETENTION.removeOnFail.age), so a blocked flow ends when its failure would be trimmed.
    default: 7 * 24 * 3600 * 1000,
    minimum: 0,
    maximum: 90 * 24 * 3600 * 1000,
    'x-expected':
      'milliseconds from 0 to 7776000000 (how long dependents of a failed prerequisite wait for a retry before they fail with its reason)',
  }),
  FLOW_GUARD_INTERVAL_MS: Type.Integer({
    default: 60000,
    minimum: 100,
    maximum: 3600000,
    'x-expected': 'milliseconds from 100 to 3600000 (how often a worker looks for dependency flows blocked too long)',
  }),
  METRICS_TOKEN: Type.Optional(
    Type.String({
      minLength: 16,
      maxLength: 200,
      pattern: '^[\\x21-\\x7e]+$',
      'x-expected': 'a token of 16 to 200 visible ASCII characters that a Prometheus scrape sends as Authorization: Bearer <token>',
    }),
  ),
  METRICS_PORT: Type.Integer({
    default: 9464,
    minimum: 0,
    maximum: 65535,
    'x-expected':
      'an integer from 0 to 65535 (where a worker serves GET /metrics and GET /healthz; 0 = no metrics server; the fleet gives each worker the next port)',
  }),
  FLEET_START_ID: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9-]{1,64}$',
      'x-expected':
        'the id npm start gives the apps of one start (letters, digits and dashes, at most 64; the ingress reports it on GET /healthz); leave it unset',
    }),
  ),
  METRICS_TENANT_LABELS: Type.Integer({
    default: 20,
    minimum: 0,
    maximum: 1000,
    'x-expected':
      'an integer from 0 to 1000 (how many tenants, the busiest per queue and outcome, get their own empresa_id label in the job metrics, and the most refused per budget in the admission refusals; the rest count as "outros")',
  }),
  LOG_PRETTY: Type.Union([Type.Literal('0'), Type.Literal('1')], {
    default: '0',
    'x-expected': '0 or 1 (1: human-readable log lines through pino-pretty, for development; it must be installed)',
  }),
  REDIS_COMMAND_TIMEOUT_MS: Type.Integer({
    default: 2000,
    minimum: 100,
    maximum: 60000,
    'x-expected': 'milliseconds from 100 to 60000 (how long the ingress waits for Redis before answering 503)',
  }),
  // Per-tenant admission limits at the ingress (a fixed window of BURST requests every BURST / PER_SECOND seconds).
  RATE_LIMIT_CTI_PER_SECOND: Type.Integer({
    default: 50,
    minimum: 0,
    maximum: 100000,
    'x-expected':
      'an integer from 0 to 100000 (PBX listener events one tenant may send per second, across every ingress, before a 429; 0 = no limit)',
  }),
  RATE_LIMIT_CTI_BURST: Type.Integer({
    default: 200,
    minimum: 1,
    maximum: 1000000,
    'x-expected':
      'an integer from 1 to 1000000 (PBX listener events one tenant may send back to back before RATE_LIMIT_CTI_PER_SECOND applies)',
  }),
  RATE_LIMIT_API_PER_SECOND: Type.Integer({
    default: 100,
    minimum: 0,
    maximum: 100000,
    'x-expected':
      'an integer from 0 to 100000 (POST / PUT / PATCH / DELETE requests under /v1 one tenant may send per second, across every ingress, before a 429; 0 = no limit)',
  }),
  RATE_LIMIT_API_BURST: Type.Integer({
    default: 500,
    minimum: 1,
    maximum: 1000000,
    'x-expected': 'an integer from 1 to 1000000 (/v1 writes one tenant may send back to back before RATE_LIMIT_API_PER_SECOND applies)',
  }),
  HTTP_REQUEST_TIMEOUT_MS: Type.Integer({
    default: 30000,
    minimum: 1000,
    maximum: 600000,
    'x-expected':
      'milliseconds from 1000 to 600000 (how long a client may take to send one whole request, headers and body, to the ingress or the dashboard; a slower one is answered 408 and its connection closed)',
  }),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: Type.Integer({
    default: 72000,
    minimum: 1000,
    maximum: 600000,
    'x-expected':
      "milliseconds from 1000 to 600000 (how long an idle keep-alive connection stays open between requests; keep it above a load balancer's idle timeout)",
  }),
  HTTP_IDLE_TIMEOUT_MS: Type.Integer({
    default: 660000,
    minimum: 0,
    maximum: 3600000,
    'x-expected':
      "milliseconds from 0 to 3600000 (a connection on which nothing moves either way this long is closed; 0 = never; keep it above the longest wait of a route: a connection's timeoutMs, up to 600000)",
  }),
  ENDPOINT_MAX_RECORDS: Type.Integer({
    default: 1000,
    minimum: 1,
    maximum: 100000,
    'x-expected':
      'an integer from 1 to 100000 (seed 003: a JSON endpoint call with more records than this is cancelled and its service marked "falha")',
  }),
  ENDPOINT_TIMEOUT_MS: Type.Integer({
    default: 180000,
    minimum: 100,
    maximum: 3600000,
    'x-expected':
      'milliseconds from 100 to 3600000 (seed 003: a JSON endpoint slower than this is cancelled and its service marked "falha")',
  }),
  ENDPOINT_MAX_RESPONSE_BYTES: Type.Integer({
    default: 33554432,
    minimum: 1024,
    maximum: 1073741824,
    'x-expected': 'bytes from 1024 to 1073741824 (a JSON endpoint response larger than this is cancelled, so it cannot exhaust memory)',
  }),
  SCHEDULE_SYNC_INTERVAL_MS: Type.Integer({
    default: 60000,
    minimum: 1000,
    maximum: 3600000,
    'x-expected': 'milliseconds from 1000 to 3600000 (how often worker-get makes the GET schedulers in Redis match integracao.cron)',
  }),
  SCHEDULE_TIMEZONE: Type.String({
    default: 'America/Sao_Paulo',
    minLength: 1,
    'x-expected': 'an IANA time zone such as America/Sao_Paulo or UTC (the zone integracao.cron is read in)',
  }),
  // --- CTI (seed 002) ---
  CTI_DOMAIN: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$',
      'x-expected': 'a domain such as crm.example.com.br: the PBX listeners answer EMPRESA.<domain> (unset = only /t/<token>/wconnect/…)',
    }),
  ),
  CTI_TRUSTED_PROXIES: Type.Optional(
    Type.String({
      pattern: '^[0-9A-Fa-f.:/,\\s]*$',
      'x-expected': 'comma-separated IP addresses or CIDR ranges of the reverse proxies whose X-Forwarded-For the listeners believe',
    }),
  ),
  CTI_DEDUPE_WINDOW_MS: Type.Integer({
    default: 3000,
    minimum: 0,
    maximum: 60000,
    'x-expected': 'milliseconds from 0 to 60000 (the same PBX request repeated within this window makes one event)',
  }),
  CTI_CALL_TIMEOUT_MS: Type.Integer({
    default: 4 * 3600 * 1000,
    minimum: 1000,
    maximum: 7 * 24 * 3600 * 1000,
    'x-expected': 'milliseconds from 1000 to 604800000 (a call start without an end is closed as "sem fim recebido" after this long)',
  }),
  // Click-to-call to an internal extension: the trial's PBX sent no end for those, so they would stay open for CTI_CALL_TIMEOUT_MS.
  CTI_EXTENSION_CALL_TIMEOUT_MS: Type.Integer({
    default: 30 * 60 * 1000,
    minimum: 1000,
    maximum: 7 * 24 * 3600 * 1000,
    'x-expected':
      'milliseconds from 1000 to 604800000 (a click-to-call to an internal extension still "em andamento" this long is closed as "ramal sem fim": the PBX sends no end for extension calls; at or above CTI_CALL_TIMEOUT_MS it never applies)',
  }),
  // Unset by default: WConnect sends no answer event, so a call still "tocando" may be an answered one (see README, CTI).
  CTI_RING_TIMEOUT_MS: Type.Optional(
    Type.Integer({
      minimum: 1000,
      maximum: 7 * 24 * 3600 * 1000,
      'x-expected':
        'milliseconds from 1000 to 604800000 (unset = off; a call still "tocando" this long without an end is closed as "não atendida", answered or not, since WConnect sends no answer event; at or above CTI_CALL_TIMEOUT_MS it never applies)',
    }),
  ),
  CTI_POP_TOKEN_TTL_MS: Type.Integer({
    default: 300000,
    minimum: 1000,
    maximum: 24 * 3600 * 1000,
    'x-expected': 'milliseconds from 1000 to 86400000 (a screen-pop token expires this long after issue or after its last stream closed)',
  }),
  CTI_PBX_TIMEOUT_MS: Type.Integer({
    default: 5000,
    minimum: 100,
    maximum: 120000,
    'x-expected': 'milliseconds from 100 to 120000 (how long a click-to-call request may wait for the PBX before it is retried)',
  }),
  CTI_CLICK_TO_CALL_EXPIRY_MS: Type.Integer({
    default: 60000,
    minimum: 1000,
    maximum: 3600000,
    'x-expected':
      'milliseconds from 1000 to 3600000 (a click-to-call not dialled this long after the click fails as expired, the PBX not called)',
  }),
  CTI_SWEEP_INTERVAL_MS: Type.Integer({
    default: 10000,
    minimum: 100,
    maximum: 3600000,
    'x-expected':
      'milliseconds from 100 to 3600000 (how often worker-cti indexes changed phones and closes calls past CTI_RING_TIMEOUT_MS / CTI_EXTENSION_CALL_TIMEOUT_MS / CTI_CALL_TIMEOUT_MS)',
  }),
  // --- History retention (packages/queue retention) ---
  // 0, or at least the 7 days an Idempotency-Key stays bound: a replay re-adding its job finds the SET outbox rows
  // that keep it from sending the records again.
  RETENTION_JOBS_DAYS: Type.Union([Type.Literal(0), Type.Integer({ minimum: 7, maximum: 36500 })], {
    default: 90,
    'x-expected':
      'days, 0 or from 7 to 36500 (how long job records, SET pushes with their attempts and GET run rows are kept once finished; 0 = forever; at least the 7 days an Idempotency-Key stays bound, so a replay of it sends no record twice)',
  }),
  // The same floor: a crm-change replay under its Idempotency-Key whose first answer was not kept runs the route again,
  // and finds its change-event claim (crm_mudancas) and webhook message, so it publishes nothing twice.
  RETENTION_WEBHOOKS_DAYS: Type.Union([Type.Literal(0), Type.Integer({ minimum: 7, maximum: 36500 })], {
    default: 30,
    'x-expected':
      'days, 0 or from 7 to 36500 (how long finished webhook deliveries with their attempts and messages, and change-event idempotency keys, are kept; 0 = forever; at least the 7 days an Idempotency-Key stays bound, so a replay of it publishes no change twice)',
  }),
  RETENTION_AUDIT_DAYS: Type.Integer({
    default: 730,
    minimum: 0,
    maximum: 36500,
    'x-expected': "days from 0 to 36500 (how long the audit trail of operators' actions is kept; 0 = forever)",
  }),
  RETENTION_CALLS_DAYS: Type.Integer({
    default: 0,
    minimum: 0,
    maximum: 36500,
    'x-expected':
      'days from 0 to 36500 (how long finished calls of the CTI call log are kept; 0 = forever, the default: the CRM shows them)',
  }),
  RETENTION_INTERVAL_MS: Type.Integer({
    default: 3600000,
    minimum: 60000,
    maximum: 86400000,
    'x-expected': 'milliseconds from 60000 to 86400000 (how often one worker of the fleet purges history past its retention)',
  }),
  // --- Outbound webhooks (packages/webhooks) ---
  WEBHOOK_SECRET_KEY: Type.Optional(
    Type.String({
      pattern: '^([0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=)$',
      'x-expected':
        '32 random bytes as 64 hex digits or 44 base64 characters (openssl rand -base64 32); it seals webhook signing secrets at rest',
    }),
  ),
  WEBHOOK_ALLOWED_NETWORKS: Type.Optional(
    Type.String({
      pattern: '^\\s*[0-9A-Fa-f.:]+(/\\d{1,3})?\\s*(,\\s*[0-9A-Fa-f.:]+(/\\d{1,3})?\\s*)*$',
      'x-expected':
        'comma-separated IP addresses or CIDR ranges webhooks may reach although not public, such as 10.1.2.0/24,127.0.0.1 (never link-local or cloud metadata ones)',
    }),
  ),
  OUTBOUND_ALLOW_LOOPBACK: Type.Union([Type.Literal('true'), Type.Literal('false')], {
    default: 'false',
    'x-expected':
      "true or false (true: a connection, JSON endpoint service or PBX with allowPrivateNetwork may reach loopback too — 127.0.0.0/8, ::1, the hub's own Redis and PostgreSQL; for a local sidecar, tunnel or PgBouncer on 127.0.0.1, or a single-host demo)",
  }),
  MIGRATE_ON_START: Type.Union([Type.Literal('true'), Type.Literal('false')], {
    default: 'true',
    'x-expected':
      "true or false (false: the ingress does not migrate the CRM database when it starts, it checks it as the workers do; the operator runs integrador migrate, or the Helm chart's hook)",
  }),
  WEBHOOK_HTTPS_ONLY: Type.Union([Type.Literal('true'), Type.Literal('false')], {
    default: 'false',
    'x-expected': 'true or false (true: webhook URLs must be https://, an http:// one is refused when saved)',
  }),
  SET_RETRY_ATTEMPTS: Type.Integer({
    default: 12,
    minimum: 1,
    maximum: 25,
    'x-expected': 'an integer from 1 to 25 (attempts in all of a SET push whose connection sets no retry)',
  }),
  SET_RETRY_BACKOFF_MS: Type.Integer({
    default: 2000,
    minimum: 100,
    maximum: 3600000,
    'x-expected': 'milliseconds from 100 to 3600000 (the first wait before a SET push retries; each next one doubles)',
  }),
  SET_RETRY_MAX_DELAY_MS: Type.Integer({
    default: 300000,
    minimum: 100,
    maximum: 86400000,
    'x-expected': 'milliseconds from 100 to 86400000 (the longest wait between two attempts of a SET push)',
  }),
  WEBHOOK_RETRY_SCHEDULE_MS: Type.String({
    default: '5000,300000,1800000,7200000,18000000,36000000,36000000',
    pattern: '^\\d+(,\\d+){0,49}$',
    'x-expected': 'comma-separated delays in milliseconds before each retry (after the immediate first attempt), at most 50',
  }),
  WEBHOOK_TIMEOUT_MS: Type.Integer({
    default: 15000,
    minimum: 100,
    maximum: 300000,
    'x-expected': 'milliseconds from 100 to 300000 (total time one webhook attempt may take)',
  }),
  WEBHOOK_CONNECT_TIMEOUT_MS: Type.Integer({
    default: 5000,
    minimum: 100,
    maximum: 60000,
    'x-expected': 'milliseconds from 100 to 60000 (time to open a connection to a webhook URL)',
  }),
  WEBHOOK_THROTTLED_DELAY_MS: Type.Integer({
    default: 60000,
    minimum: 0,
    maximum: 3600000,
    'x-expected': 'milliseconds from 0 to 3600000 (least wait before retrying after a 429 or a timeout)',
  }),
  WEBHOOK_DISABLE_AFTER_MS: Type.Integer({
    default: 432000000,
    minimum: 1000,
    maximum: 90 * 24 * 3600 * 1000,
    'x-expected': 'milliseconds from 1000 to 7776000000 (an endpoint failing continuously this long is disabled)',
  }),
  WEBHOOK_ROTATION_GRACE_MS: Type.Integer({
    default: 86400000,
    minimum: 0,
    maximum: 30 * 24 * 3600 * 1000,
    'x-expected': 'milliseconds from 0 to 2592000000 (how long the previous signing secret still signs after a rotation)',
  }),
  WEBHOOK_BREAKER_FAILURES: Type.Integer({
    default: 5,
    minimum: 1,
    maximum: 1000,
    'x-expected': "an integer from 1 to 1000 (consecutive failures that open an endpoint's circuit breaker)",
  }),
  WEBHOOK_MAX_PAYLOAD_BYTES: Type.Integer({
    default: 262144,
    minimum: 1024,
    maximum: 104857600,
    'x-expected': 'bytes from 1024 to 104857600 (the largest webhook body the hub sends; a larger one fails without being sent)',
  }),
  WEBHOOK_BREAKER_COOLDOWN_MS: Type.Integer({
    default: 30000,
    minimum: 100,
    maximum: 3600000,
    'x-expected': "milliseconds from 100 to 3600000 (how long an open circuit breaker holds an endpoint's deliveries)",
  }),
  WEBHOOK_ENDPOINT_CONCURRENCY: Type.Integer({
    default: 10,
    minimum: 1,
    maximum: 1000,
    'x-expected': 'an integer from 1 to 1000 (deliveries to one endpoint in flight at once, across every worker)',
  }),
  WEBHOOK_CAPTURE: Type.Union([Type.Literal('route'), Type.Literal('triggers')], {
    default: 'route',
    'x-expected':
      'route (the CRM reports changes on POST /v1/events/crm-change) or triggers (worker-webhook installs capture triggers on the CRM tables and drains their outbox)',
  }),
  WEBHOOK_OUTBOX_INTERVAL_MS: Type.Integer({
    default: 1000,
    minimum: 50,
    maximum: 600000,
    'x-expected': 'milliseconds from 50 to 600000 (how often worker-webhook drains the capture outbox)',
  }),
  // The operators' dashboard (packages/dashboard, run alone by apps/dashboard).
  DASHBOARD: Type.Union([Type.Literal('on'), Type.Literal('off')], {
    default: 'on',
    'x-expected': "on or off (whether the ingress serves the operators' dashboard under /dashboard)",
  }),
  DASHBOARD_PORT: Type.Integer({
    default: 3001,
    minimum: 1,
    maximum: 65535,
    'x-expected': 'an integer from 1 to 65535 (where the dashboard listens when run on its own)',
  }),
  DASHBOARD_SECURE_COOKIES: Type.Union([Type.Literal('true'), Type.Literal('false')], {
    default: 'false',
    'x-expected': 'true or false (true: the session cookie is sent over HTTPS only — set it behind TLS)',
  }),
  DASHBOARD_VALIDATE_TIMEOUT_MS: Type.Integer({
    default: 10000,
    minimum: 100,
    maximum: 600000,
    'x-expected':
      "milliseconds from 100 to 600000 (how long the dashboard's Validar waits for one event type's URL; never longer than ENDPOINT_TIMEOUT_MS, which caps a larger value)",
  }),
});

export type Env = Static<typeof EnvSchema>;
