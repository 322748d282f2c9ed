import fs from 'node:fs/promises';
import { assertPublicDatabase, type Connection, type DatabaseConnection, type WebServiceConnection } from '@integrador/connections';
import { RECEPTOR_LOGIN_REFUSAL } from '@integrador/queue';
import { odbcSecrets } from '../readers/odbc.reader';
import { classifySourceError, outboundRefusalOf, redact, type SourceErrorCode } from '../source-errors';
import { type SourceTarget, sourceTarget } from '../source-target';
import {
  acceptedTimeoutMessage,
  failureMessage,
  type MessageParams,
  type SuccessKey,
  successMessage,
  type TestedKind,
  type TestLocale,
  type WebServiceFailureCode,
} from './connection-test-messages';
import type { TestSession } from './sessions';
import { probeTcp, probeTls } from './tcp-probe';
import type { WebServiceLogin, WebServiceLoginCheck } from './webservice-login';

export type ConnectionTestStepName = 'reachability' | 'file' | 'tls' | 'login' | 'query' | 'version';

export interface ConnectionTestStep {
  readonly step: ConnectionTestStepName;
  readonly ok: boolean;
  readonly ms: number;
  readonly message: string;
}

/** What the team sees after "pinging" a connection (seed 000): each step, the server's version, what to fix. */
export interface ConnectionTestResult {
  readonly ok: boolean;
  readonly connection: string;
  readonly kind: Connection['kind'];
  readonly driver?: DatabaseConnection['driver'];
  /** The steps run, in order; the first failed one is the last. */
  readonly steps: ConnectionTestStep[];
  readonly serverVersion?: string;
  /** A web service's refused login is RECEPTOR_LOGIN_REFUSED, as a push refused for it. */
  readonly error?: { readonly code: ConnectionTestErrorCode; readonly message: string };
}

/**
 * A failed test's code: the source codes, a web service's login refusal under the pushes' own code, and a web service
 * whose WSDL the address would not serve (WSDL_UNAUTHORIZED for a 401/403, WSDL_UNAVAILABLE for another status).
 */
export type ConnectionTestErrorCode = SourceErrorCode | 'RECEPTOR_LOGIN_REFUSED' | WebServiceFailureCode;

export interface ConnectionTestOptions {
  /** Messages in pt-BR (default) or English. */
  locale?: TestLocale;
  /** How long each step may take (default 5000 ms). */
  stepTimeoutMs?: number;
}

const DEFAULT_STEP_TIMEOUT_MS = 5_000;

/** The trivial query that proves the login can read (Oracle needs DUAL, Firebird RDB$DATABASE). */
const TRIVIAL_QUERY: Readonly<Record<SourceTarget['driver'], string>> = {
  postgres: 'SELECT 1',
  mysql: 'SELECT 1',
  mssql: 'SELECT 1',
  sqlite: 'SELECT 1',
  oracle: 'SELECT 1 FROM DUAL',
  firebird: 'SELECT 1 FROM RDB$DATABASE',
  // The backend's own form comes from options.testQuery (DB2: SELECT 1 FROM SYSIBM.SYSDUMMY1).
  odbc: 'SELECT 1',
};

class StepFailure extends Error {
  constructor(
    readonly code: SourceErrorCode | WebServiceFailureCode,
    readonly detail: string,
    /** What else its message names (a web service's path). */
    readonly params: MessageParams = {},
  ) {
    super(code);
  }
}

/** Rejects with ETIMEDOUT when `work` takes longer than `ms`; a late result is handed to `late` (to close it). */
function withTimeout<T>(work: Promise<T>, ms: number, late?: (value: T) => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(Object.assign(new Error(`no answer within ${ms} ms`), { code: 'ETIMEDOUT' }));
    }, ms);
  });
  work.then((value) => timedOut && late?.(value)).catch(() => {});
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Runs the steps in order, stopping at the first failure; collects timings and messages. */
class StepRunner {
  readonly steps: ConnectionTestStep[] = [];
  failure?: { code: ConnectionTestErrorCode; message: string };

  constructor(
    private readonly locale: TestLocale,
    private readonly params: Record<string, string | number | undefined>,
    private readonly classify: (error: unknown) => SourceErrorCode,
    private readonly secrets: readonly (string | undefined)[],
    private readonly kind: TestedKind,
  ) {}

  async run<T>(
    step: ConnectionTestStepName,
    success: SuccessKey | ((value: T) => SuccessKey),
    work: () => Promise<T>,
    extra: (value: T) => MessageParams = () => ({}),
  ): Promise<T> {
    const started = performance.now();
    try {
      const value = await work();
      this.steps.push({
        step,
        ok: true,
        ms: Math.round(performance.now() - started),
        message: successMessage(typeof success === 'function' ? success(value) : success, this.locale, { ...this.params, ...extra(value) }),
      });
      return value;
    } catch (error) {
      const code = error instanceof StepFailure ? error.code : this.classify(error);
      const raw = error instanceof StepFailure ? error.detail : error instanceof Error ? error.message : String(error);
      const detail = redact(raw.split('\n')[0]?.trim().slice(0, 300) ?? '', this.secrets);
      // The guard's refusal names the range it refused (worded by the message), not the technical detail.
      const range = outboundRefusalOf(error)?.range;
      const stepParams = error instanceof StepFailure ? error.params : {};
      const params = { ...this.params, ...stepParams, detail, ...(range ? { range } : {}) };
      // After the port accepted the connection, a timeout is no firewall dropping packets (trial M6).
      const accepted = code === 'TIMEOUT' && step === 'login' && this.steps.some((s) => s.step === 'reachability' && s.ok);
      const message = accepted ? acceptedTimeoutMessage(this.locale, params) : failureMessage(code, this.locale, params, this.kind);
      this.steps.push({ step, ok: false, ms: Math.round(performance.now() - started), message });
      this.failure = { code: code === 'LOGIN_REFUSED' && this.kind === 'webservice' ? 'RECEPTOR_LOGIN_REFUSED' : code, message };
      throw new StepFailure(code, detail);
    }
  }
}

function databaseParams(connection: DatabaseConnection, target: SourceTarget, timeoutMs: number) {
  return {
    name: connection.name,
    host: target.host ?? 'localhost',
    port: target.port,
    database: target.database,
    user: target.user ?? '',
    timeoutMs,
  };
}

async function databaseSteps(
  runner: StepRunner,
  connection: DatabaseConnection,
  target: SourceTarget,
  timeoutMs: number,
): Promise<string | null> {
  if (target.driver === 'sqlite') {
    await runner.run('file', 'file', () =>
      fs
        .access(target.database, fs.constants.R_OK)
        .catch(() =>
          Promise.reject(Object.assign(new Error(`${target.database}: no such file or not readable`), { code: 'SQLITE_CANTOPEN' })),
        ),
    );
  } else if (target.driver !== 'odbc' || (target.host !== undefined && target.port !== undefined)) {
    // An ODBC entry is probed only when it names its server's host and port (the connection string is not parsed).
    await runner.run('reachability', 'reachability', () =>
      probeTcp(target.host ?? 'localhost', target.port ?? 0, timeoutMs, target.allowPrivateNetwork),
    );
  }
  // An ODBC entry may log in through a DSN or connection string that names no user nor database: no names to quote.
  const login: SuccessKey = target.driver === 'odbc' && !target.user && !target.database ? 'loginDsn' : 'login';
  const session: TestSession = await runner.run('login', login, () =>
    // The drivers load on first use: a process that never tests a connection never loads tedious, oracledb & co.
    // The guard first: the driver may reach more than the probed host (?host= in a URL, an Oracle connectString).
    withTimeout(
      assertPublicDatabase(connection)
        .then(() => import('./sessions'))
        .then(({ openTestSession }) => openTestSession(target, timeoutMs)),
      timeoutMs,
      (late) => void late.close().catch(() => {}),
    ),
  );
  try {
    const sql = typeof target.options.testQuery === 'string' ? target.options.testQuery : TRIVIAL_QUERY[target.driver];
    await runner.run(
      'query',
      'query',
      () => withTimeout(session.scalar(sql), timeoutMs),
      () => ({ sql }),
    );
    return await runner.run(
      'version',
      (version) => (version === null ? 'versionUnknown' : 'version'),
      () => withTimeout(session.version(), timeoutMs),
      (version) => ({ version: version ?? '' }),
    );
  } finally {
    await session.close().catch(() => {});
  }
}

/**
 * Tests a database connection step by step: reachability (DNS + TCP, telling "host unreachable" from "port closed"),
 * login, a trivial query and the server's version. Never throws for a failing connection: the result says what failed
 * and what to fix; messages never contain the password.
 */
export async function testSourceConnection(
  connection: DatabaseConnection,
  options: ConnectionTestOptions = {},
): Promise<ConnectionTestResult> {
  const locale = options.locale ?? 'pt-BR';
  const timeoutMs = options.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
  const target = sourceTarget(connection);
  const runner = new StepRunner(
    locale,
    databaseParams(connection, target, timeoutMs),
    (error) => classifySourceError(target.driver, error),
    [target.password, ...odbcSecrets(target.connectionString)],
    'database',
  );
  let serverVersion: string | undefined;
  try {
    serverVersion = (await databaseSteps(runner, connection, target, timeoutMs)) ?? undefined;
  } catch (error) {
    if (!(error instanceof StepFailure)) throw error;
  }
  return {
    ok: runner.failure === undefined,
    connection: connection.name,
    kind: 'database',
    driver: connection.driver,
    steps: runner.steps,
    ...(serverVersion === undefined ? {} : { serverVersion }),
    ...(runner.failure ? { error: runner.failure } : {}),
  };
}

/**
 * A web service's login within the step's time, a refusal failing the step with the ERP's words, a WSDL the address
 * would not serve with its status alone (`HTTP 401`: WSDL_UNAUTHORIZED for a 401/403, else WSDL_UNAVAILABLE); any other
 * failure fails it with its own code. The check's transport bounds each of its requests by `timeoutMs`; the step as a
 * whole is bounded here too, as a database login is.
 */
async function loginOf(
  check: WebServiceLoginCheck,
  connection: WebServiceConnection,
  timeoutMs: number,
): Promise<Extract<WebServiceLogin, { outcome: 'accepted' | 'noService' }>> {
  const login = await withTimeout(check(connection, timeoutMs, RECEPTOR_LOGIN_REFUSAL), timeoutMs);
  if (login.outcome === 'refused') throw new StepFailure('LOGIN_REFUSED', login.detail);
  if (login.outcome === 'wsdlRefused') {
    const code = login.status === 401 || login.status === 403 ? 'WSDL_UNAUTHORIZED' : 'WSDL_UNAVAILABLE';
    throw new StepFailure(code, `HTTP ${login.status}`, { path: login.path });
  }
  return login;
}

/**
 * Reachability of a web service / API base URL: DNS + TCP, then the TLS handshake for https; a web service's login
 * then through the check the engine hands in (Senior G5's customer service, webservice-login.ts).
 */
async function testHttpConnection(
  connection: Exclude<Connection, DatabaseConnection>,
  webServiceLogin: WebServiceLoginCheck,
  options: ConnectionTestOptions,
): Promise<ConnectionTestResult> {
  const locale = options.locale ?? 'pt-BR';
  const timeoutMs = options.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
  const url = new URL(connection.baseUrl);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  const classify = (error: unknown) => ((error as { tls?: boolean }).tls ? 'TLS_FAILED' : classifySourceError('postgres', error));
  const webService = connection.kind === 'webservice' ? connection : undefined;
  const params = { name: connection.name, host, port, timeoutMs, user: webService?.user };
  const secrets = webService ? [webService.password.reveal()] : [];
  const runner = new StepRunner(locale, params, classify, secrets, webService ? 'webservice' : 'http');
  try {
    await runner.run('reachability', 'reachability', () => probeTcp(host, port, timeoutMs, connection.allowPrivateNetwork ?? false));
    if (url.protocol === 'https:') await runner.run('tls', 'tls', () => probeTls(host, port, timeoutMs));
    if (webService) {
      await runner.run(
        'login',
        (login) => (login.outcome === 'accepted' ? 'loginWebService' : 'loginNotChecked'),
        () => loginOf(webServiceLogin, webService, timeoutMs),
        (login) => (login.outcome === 'noService' ? { path: login.path } : {}),
      );
    }
  } catch (error) {
    if (!(error instanceof StepFailure)) throw error;
  }
  return {
    ok: runner.failure === undefined,
    connection: connection.name,
    kind: connection.kind,
    steps: runner.steps,
    ...(runner.failure ? { error: runner.failure } : {}),
  };
}

/** What a connection test needs from outside this package: how a web service's login is checked (the receptors' transport). */
export interface ConnectionTestChecks {
  readonly webServiceLogin: WebServiceLoginCheck;
}

/**
 * Tests any connection of the file: a database step by step, a web service by reachability and its login (`checks`),
 * an API by the reachability of its base URL. The engine's testConnection hands the checks in; call that one.
 */
export function runConnectionTest(
  connection: Connection,
  checks: ConnectionTestChecks,
  options: ConnectionTestOptions = {},
): Promise<ConnectionTestResult> {
  return connection.kind === 'database'
    ? testSourceConnection(connection, options)
    : testHttpConnection(connection, checks.webServiceLogin, options);
}
