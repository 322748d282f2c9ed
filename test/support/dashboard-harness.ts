import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConnectionsFile, parseAddressAllowlist } from '@integrador/connections';
import { normalizePhone } from '@integrador/cti';
import { reconcileSchedules, schedulerIdOf } from '@integrador/integrador';
import type { QueueName } from '@integrador/jobs';
import { createLogger } from '@integrador/logging';
import { createRedis, JobProducer, listSchedulers, waitUntilReady } from '@integrador/queue';
import {
  createEmpresa,
  createFilial,
  createOperador,
  type EstadoRegistroJob,
  issueApiKey,
  type JobEvent,
  type PapelOperador,
  recordJobEvent,
} from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { RUNNABLE_GET_SETTINGS } from '@integrador/test-support/get-rows';
import { type AppProcess, spawnApp } from '@integrador/test-support/processes';
import { deletePrefix, TEST_REDIS_URL, testPrefix } from '@integrador/test-support/redis-server';
import { createWebhookHttpClient, DEFAULT_WEBHOOK_SETTINGS, type WebhookHttpClient } from '@integrador/webhooks';
import { Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { buildApp } from '../../apps/ingress/src/build-app';
import { DEFAULT_CREDENTIALS, type SeniorG5Server, seniorG5ConnectionsYaml, startSeniorG5Server } from '../fixtures/senior-g5';
import { CONTA, seedSetWsContas } from '../fixtures/set-ws-contas';

/** A number's E.164 as worker-cti stores it in ligacoes.telefone_normalizado (the digits for an extension). */
function normalizedOf(telefone: string): string | null {
  const phone = normalizePhone(telefone);
  return phone.kind === 'nacional' || phone.kind === 'internacional' ? phone.e164 : phone.digits || null;
}

export const PASSWORD = 'senha-do-operador-1';
export const WRONG_ERP_PASSWORD = 'senha-errada-do-erp';
export const LOGIN_RATE_LIMIT = 30;

/**
 * The dashboard's end-to-end set-up: the Senior G5 SOAP double, a PostgreSQL CRM database with the SET-WS-CONTAS
 * tenant (A) and a second tenant (B), operators of each role, the ingress with the dashboard mounted and listening
 * on a free port, and a real worker-set process whose ERP password the test can break and fix.
 */
/** What DashboardHarness.start may change. */
/** A page's text as read: the entities the dashboard's html escaping writes turned back into their characters. */
export const unescapeHtml = (text: string) =>
  text.replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');

/** The flash of a page in the layout (an action's outcome or refusal), as read; undefined when there is none. */
export const flashOf = (body: string) => {
  const text = /<div class="flash[^"]*" role="status">([^<]*)<\/div>/.exec(body)?.[1];
  return text === undefined ? undefined : unescapeHtml(text);
};

export interface HarnessOptions {
  connectionsYaml?: (erpUrl: string, password: string) => string;
  webhookAllowedNetworks?: string[];
  loginFailureLimit?: { max: number; windowMs: number };
  /** The port the ingress listens on (a suite's assigned one; default: a free one). */
  port?: number;
}

/** A harness started before the suite's tests and closed after them: the whole setup of a suite that needs no more. */
export function suiteHarness(options: HarnessOptions = {}): DashboardHarness {
  const harness = new DashboardHarness();
  beforeAll(() => harness.start(options), 240000);
  afterAll(() => harness.close());
  return harness;
}

export class DashboardHarness {
  erp!: SeniorG5Server;
  database!: TestDatabase;
  redis!: Redis;
  producer!: JobProducer;
  app!: FastifyInstance;
  url!: string;
  prefix!: string;
  empresaA!: number;
  empresaB!: number;
  keyA!: string;
  keyB!: string;
  private worker: AppProcess | undefined;
  private connectionsFile!: string;
  private connectionsYaml: ((erpUrl: string, password: string) => string) | undefined;
  private webhookHttp: WebhookHttpClient | undefined;

  /**
   * `connectionsYaml`: the connections file the ingress and the worker read, instead of the Senior G5 one.
   * `webhookAllowedNetworks`: the ingress's WEBHOOK_ALLOWED_NETWORKS (a loopback receiver's endpoint is refused without).
   */
  async start(options: HarnessOptions = {}): Promise<void> {
    this.connectionsYaml = options.connectionsYaml;
    this.erp = await startSeniorG5Server({ latencyMs: 1000 });
    this.connectionsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'itest-dash-')), 'connections.yaml');
    this.writeConnections(WRONG_ERP_PASSWORD);
    this.database = await createTestDatabase('postgres');
    this.empresaA = (await seedSetWsContas(this.database.db)).empresaId;
    this.empresaB = await createEmpresa(this.database.db, 'Empresa B');
    this.keyA = await issueApiKey(this.database.db, this.empresaA, null, 'test');
    this.keyB = await issueApiKey(this.database.db, this.empresaB, null, 'test');
    const operators: Array<[string, PapelOperador, number[]]> = [
      ['admin', 'admin', []],
      ['opa', 'operador', [this.empresaA]],
      ['leitora', 'leitor', [this.empresaA]],
      ['opb', 'operador', [this.empresaB]],
    ];
    for (const [login, papel, empresas] of operators) {
      await createOperador(this.database.db, { login, nome: login, senha: PASSWORD, papel, empresas, fusoHorario: 'America/Sao_Paulo' });
    }
    this.prefix = testPrefix();
    // Generous deadlines: on a loaded machine a busy event loop must not read as "Redis is down".
    this.redis = createRedis(TEST_REDIS_URL, { role: 'producer', commandTimeoutMs: 10000 });
    await waitUntilReady(this.redis);
    const logger = createLogger({ name: 'test', level: 'silent' });
    this.producer = new JobProducer({ connection: this.redis, prefix: this.prefix, timeoutMs: 10000, logger });
    // The ingress only previews (never sends), so the password its copy holds does not matter here.
    const connections = await loadConnectionsFile(this.connectionsFile, { SENIOR_PASSWORD: DEFAULT_CREDENTIALS.password });
    const webhookSettings = options.webhookAllowedNetworks
      ? { ...DEFAULT_WEBHOOK_SETTINGS, allowlist: parseAddressAllowlist(options.webhookAllowedNetworks) }
      : undefined;
    this.webhookHttp = webhookSettings ? createWebhookHttpClient(webhookSettings) : undefined;
    this.app = await buildApp({
      ...(webhookSettings && this.webhookHttp ? { webhooks: { settings: webhookSettings, http: this.webhookHttp } } : {}),
      database: this.database,
      redis: this.redis,
      producer: this.producer,
      connections,
      logger,
      keyPrefix: this.prefix,
      checkTimeoutMs: 10000,
      // Room for the suites' own logins within a minute (the rate-limit test goes past it), and no login of theirs is locked by the per-login failure count (its own test sets it low).
      dashboard: {
        secureCookies: false,
        scheduleTimezone: 'America/Sao_Paulo',
        loginRateLimit: LOGIN_RATE_LIMIT,
        loginFailureLimit: options.loginFailureLimit ?? { max: 1000, windowMs: 15 * 60_000 },
      },
    });
    await this.app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
    const address = this.app.server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }

  /** The ERP password the worker sends comes from its connections file (a wrong one makes the ERP answer erroExecucao). */
  writeConnections(password: string): void {
    const yaml = this.connectionsYaml ? this.connectionsYaml(this.erp.url, password) : seniorG5ConnectionsYaml(this.erp.url, { password });
    fs.writeFileSync(this.connectionsFile, yaml);
  }

  /** Everything the worker wrote so far: its JSON log lines and its stderr. */
  workerOutput(): string {
    return this.worker ? [...this.worker.lines.map((line) => JSON.stringify(line)), ...this.worker.stderr].join('\n') : '';
  }

  /** (Re)starts worker-set, reading the connections file now. */
  async startWorker(): Promise<void> {
    await this.stopWorker();
    const worker = spawnApp('apps/worker-set/src/main.ts', {
      REDIS_URL: TEST_REDIS_URL,
      KEY_PREFIX: this.prefix,
      CRM_DATABASE_URL: this.database.url,
      CONNECTIONS_FILE: this.connectionsFile,
      SENIOR_PASSWORD: DEFAULT_CREDENTIALS.password,
      JOB_LOCK_MS: '2000',
      LOG_LEVEL: 'info',
    });
    // Generous: a loaded CI machine (2 cores, several suites) takes a while to start a worker.
    await worker.waitForLog('worker started', 120000);
    this.worker = worker;
  }

  async stopWorker(): Promise<void> {
    if (!this.worker) return;
    this.worker.child.kill('SIGTERM');
    await this.worker.exited;
    this.worker = undefined;
  }

  /** Runs a SET integration of tenant A (SET-WS-CONTAS by default) for a conta through the public API; returns the job id. */
  async runSet(contaId = CONTA.id, integracaoId = 19): Promise<string> {
    const response = await this.app.inject({
      method: 'POST',
      url: `/v1/integrations/${integracaoId}/run`,
      headers: { authorization: `Bearer ${this.keyA}` },
      payload: { parametros: { contaId } },
    });
    if (response.statusCode !== 202) throw new Error(`run refused: ${response.body}`);
    return response.json().jobId as string;
  }

  /**
   * Every text the hub keeps or shows about a SET job of tenant A: its rows, the job in Redis (failure, log, result),
   * `GET /v1/jobs`, and the dashboard's JSON, job page, list and failures page — where a secret must never be.
   */
  async everythingAboutSetJob(jobId: string, cookie: string): Promise<Record<string, string>> {
    const db = this.database.db;
    const job = await this.producer.getJob('set', jobId);
    const logs = await this.producer.queue('set').getJobLogs(jobId, 0, 100);
    const shown = async (url: string, headers: Record<string, string>) => {
      const answer = await this.app.inject({ url, headers });
      if (answer.statusCode !== 200) throw new Error(`${url} answered ${answer.statusCode}: ${answer.body}`);
      return answer.body;
    };
    const auth = { authorization: `Bearer ${this.keyA}` };
    return {
      tentativas: JSON.stringify(await db.selectFrom('integracao_tentativas').selectAll().execute()),
      execucoes: JSON.stringify(await db.selectFrom('integracao_execucoes').selectAll().execute()),
      registro: JSON.stringify(await db.selectFrom('registro_jobs').selectAll().execute()),
      failedReason: job?.failedReason ?? '',
      jobLog: logs.logs.join('\n'),
      returnvalue: JSON.stringify(job?.returnvalue ?? null),
      v1Job: await shown(`/v1/jobs/set/${jobId}`, auth),
      dashboardJson: await shown(`/dashboard/api/jobs/set/${jobId}`, { cookie }),
      dashboardPage: await shown(`/dashboard/jobs/set/${jobId}`, { cookie }),
      dashboardList: await shown('/dashboard/api/jobs', { cookie }),
      dashboardFailures: await shown('/dashboard/falhas', { cookie }),
    };
  }

  /** Waits until the dashboard's record of a job reaches a state. */
  async waitForRecord(jobId: string, estado: EstadoRegistroJob, timeoutMs = 30000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const row = await this.database.db
        .selectFrom('registro_jobs')
        .select('estado')
        .where('fila', '=', 'set')
        .where('job_id', '=', jobId)
        .executeTakeFirst();
      if (row?.estado === estado) return;
      if (Date.now() > deadline) throw new Error(`job ${jobId} is ${row?.estado ?? 'unrecorded'}, not ${estado}, after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * Posts the login form as a browser does: the form (GET) first, for its CSRF token and cookie, then the post with
   * both (`url`: the form's action, e.g. with ?lang=en; `remoteAddress`: the client's address).
   */
  async postLogin(
    fields: { login: string; senha: string },
    options: { url?: string; remoteAddress?: string } = {},
  ): Promise<Awaited<ReturnType<FastifyInstance['inject']>>> {
    const address = options.remoteAddress ? { remoteAddress: options.remoteAddress } : {};
    const form = await this.app.inject({ method: 'GET', url: '/dashboard/login', ...address });
    const setCookie = form.headers['set-cookie'];
    const cookie = String(Array.isArray(setCookie) ? setCookie[0] : setCookie).split(';')[0] as string;
    const _csrf = /name="_csrf" value="([^"]*)"/.exec(form.body)?.[1] ?? '';
    return this.app.inject({
      method: 'POST',
      url: options.url ?? '/dashboard/login',
      headers: { cookie },
      payload: { ...fields, _csrf },
      ...address,
    });
  }

  /** Logs in through the form; returns the session cookie and the page's CSRF token. */
  async login(login: string, password = PASSWORD): Promise<{ cookie: string; csrf: string }> {
    const response = await this.postLogin({ login, senha: password });
    const setCookie = response.headers['set-cookie'];
    const raw = (Array.isArray(setCookie) ? setCookie : [setCookie]).find((c) => c?.startsWith('integrador_sessao='));
    if (response.statusCode !== 302 || !raw) throw new Error(`login ${login} failed: ${response.statusCode}`);
    const cookie = raw.split(';')[0] as string;
    const page = await this.app.inject({ method: 'GET', url: '/dashboard', headers: { cookie } });
    const csrf = /name="csrf-token" content="([^"]*)"/.exec(page.body)?.[1] ?? '';
    return { cookie, csrf };
  }

  /** A browser page logged in through the form as `login` (as an operator does), left on the overview. */
  async browserLogin(browser: Browser, login: string, context: BrowserContextOptions = { locale: 'pt-BR' }): Promise<Page> {
    const page = await (await browser.newContext(context)).newPage();
    await page.goto(`${this.url}/dashboard`);
    await page.fill('input[name=login]', login);
    await page.fill('input[name=senha]', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(`${this.url}/dashboard`);
    return page;
  }

  /** A GET integration of tenant A with a cron, reconciled; `scheduled()` says whether its job scheduler exists. */
  async scheduledGet(nome: string, cron: string): Promise<{ id: number; scheduled: () => Promise<boolean> }> {
    const { id } = await this.database.db
      .insertInto('integracao')
      .values({
        nome,
        tipo_servico: 'GET',
        ativo: 1,
        empresa_id: this.empresaA,
        empresa_filial_id: null,
        cron,
        ...RUNNABLE_GET_SETTINGS,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const schedulerId = schedulerIdOf(this.empresaA, id);
    await reconcileSchedules(this.database.db, this.producer, { tz: 'America/Sao_Paulo' });
    return { id, scheduled: async () => (await listSchedulers(this.producer.queue('get'))).some((s) => s.id === schedulerId) };
  }

  /** A filial of tenant A and an API key bound to it: a viewer whom the filial rule limits. */
  async filialKey(nome: string): Promise<{ filialId: number; key: string }> {
    const filialId = await createFilial(this.database.db, this.empresaA, nome);
    return { filialId, key: await issueApiKey(this.database.db, this.empresaA, filialId, nome.toLowerCase()) };
  }

  /**
   * A SET job's record as worker-set writes it, without running one: tenant A's row 19 push of conta 42, failed for good
   * on its first attempt with the receptor's refusal, unless `event` says otherwise.
   */
  async recordSetJob(jobId: string, event: Partial<JobEvent> = {}): Promise<void> {
    await recordJobEvent(this.database.db, {
      empresaId: this.empresaA,
      filialId: null,
      fila: 'set',
      jobId,
      nomeJob: 'integration.run',
      integracaoId: 19,
      parametros: { contaId: String(CONTA.id) },
      estado: 'falhou',
      tentativas: 1,
      maxTentativas: 1,
      erro: { classe: 'PermanentError', codigo: 'RECEPTOR_ERROR', mensagem: 'recusado' },
      ...event,
    });
  }

  /**
   * SET jobs of tenant A failed in BullMQ (a worker failing each at once, then closed), without their records
   * (recordSetJob writes those): what the dashboard's retry and discard act on.
   */
  async failSetJobs(jobIds: readonly string[], integracaoId = 19): Promise<void> {
    const data = { tenant: { empresaId: this.empresaA, filialId: null }, integracaoId };
    await this.failJobs(
      'set',
      'integration.run',
      jobIds.map((jobId) => ({ jobId, data })),
    );
  }

  /** Jobs of a queue failed for good in BullMQ (one attempt; a worker failing each at once, then closed), without records. */
  async failJobs(queueName: QueueName, name: string, jobs: readonly { jobId: string; data: unknown }[]): Promise<void> {
    const queue = this.producer.queue(queueName);
    const connection = createRedis(TEST_REDIS_URL, { role: 'worker' });
    const worker = new Worker(
      queueName,
      async () => {
        throw new Error('recusado');
      },
      { connection, prefix: this.prefix },
    );
    try {
      for (const { jobId, data } of jobs) await queue.add(name as never, data as never, { jobId, attempts: 1 } as never);
      for (const { jobId } of jobs)
        for (let i = 0; i < 200 && (await queue.getJob(jobId))?.finishedOn === undefined; i++) await new Promise((r) => setTimeout(r, 50));
    } finally {
      await worker.close();
      connection.disconnect();
    }
  }

  /** A finished call of the tenant, as worker-cti records it. */
  async seedCall(empresaId: number, telefone: string, url: string | null) {
    await this.database.db
      .insertInto('ligacoes')
      .values({
        empresa_id: empresaId,
        ramal: '201',
        telefone,
        // As worker-cti stores it: the E.164 (the calls filter matches a number on it) and the lookup key.
        telefone_normalizado: normalizedOf(telefone),
        chave_telefone: normalizePhone(telefone).key,
        direcao: 'entrada',
        status: 'finalizada',
        inicio: new Date(),
        url_audio: url,
        sem_inicio: 0,
      })
      .execute();
  }

  /** A delivery of the endpoint with one attempt (HTTP 500 when failed), as worker-webhook records it. */
  async seedDelivery(empresaId: number, endpointId: number, status: string, n: number) {
    const mensagem = await this.database.db
      .insertInto('webhook_mensagens')
      .values({
        empresa_id: empresaId,
        chave: `k-${empresaId}-${n}`,
        gatilho: 'contato.criado',
        tabela: 'contatos',
        registro_id: String(n),
        webhook_id: `msg_${empresaId}_${n}`,
        payload: '[{}]',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const entrega = await this.database.db
      .insertInto('webhook_entregas')
      .values({ empresa_id: empresaId, endpoint_id: endpointId, mensagem_id: Number(mensagem.id), status, tentativas: 1 })
      .returning('id')
      .executeTakeFirstOrThrow();
    await this.database.db
      .insertInto('webhook_tentativas')
      .values({
        empresa_id: empresaId,
        entrega_id: Number(entrega.id),
        numero: 1,
        origem: 'automatica',
        cabecalhos: '{}',
        status_http: status === 'falhou' ? 500 : 200,
        resposta: null,
        duracao_ms: 12,
        classe_erro: status === 'falhou' ? 'SERVER_ERROR' : null,
        erro: status === 'falhou' ? 'HTTP 500 do endpoint A' : null,
      })
      .execute();
    return Number(entrega.id);
  }

  async close(): Promise<void> {
    await this.stopWorker();
    await this.app?.close();
    await this.webhookHttp?.close();
    await this.producer?.close();
    if (this.prefix) await deletePrefix(TEST_REDIS_URL, this.prefix);
    this.redis?.disconnect();
    await this.database?.drop();
    await this.erp?.close();
  }
}
