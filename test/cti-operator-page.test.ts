import type { AddressInfo } from 'node:net';
import { saveCtiSettings } from '@integrador/cti';
import { createLogger } from '@integrador/logging';
import { createRedis, pingProcessor, type QueueHandlers, startQueueWorker, waitUntilReady } from '@integrador/queue';
import { createEmpresa, issueApiKey } from '@integrador/store';
import { launchBrowser } from '@integrador/test-support/browser';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { TEST_REDIS_URL, testPrefix } from '@integrador/test-support/redis-server';
import type { Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Browser } from 'playwright-core';
import { createCallEventProcessor } from '../apps/worker-cti/src/processors/call-event.processor';
import { createClickToCallProcessor } from '../apps/worker-cti/src/processors/click-to-call.processor';
import { pbxCall } from './fixtures/pbx-simulator';
import { startTestIngress, type TestIngress } from './support/test-ingress';

const logger = createLogger({ name: 'test', level: 'silent' });

describe('CTI operator page in headless Chromium', () => {
  let database: TestDatabase;
  let workerRedis: Redis;
  let worker: Worker;
  let app: FastifyInstance;
  let ingress: TestIngress;
  let browser: Browser;
  let base: string;
  let key: string;
  const prefix = testPrefix();

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    const empresaId = await createEmpresa(database.db, 'Acme');
    key = await issueApiKey(database.db, empresaId, null, 'test');
    // Pop tokens are issued for an active usuario's ramal only.
    await database.db
      .insertInto('usuarios')
      .values(['3501', '3502', '3503'].map((ramal) => ({ empresa_id: empresaId, nome: `Agente ${ramal}`, ramal })))
      .execute();
    await saveCtiSettings(database.db, empresaId, { hostLabel: 'acme', allowAnyOrigin: true });
    await database.db
      .insertInto('contas')
      .values({ empresa_id: empresaId, nome: 'Padaria Pão Quente', telefone: '(47) 3210-0123' })
      .execute();
    workerRedis = createRedis(TEST_REDIS_URL, { role: 'worker' });
    await waitUntilReady(workerRedis);
    const callDeps = { db: database.db, redis: workerRedis, prefix, callTimeoutMs: 60000 };
    const handlers: QueueHandlers<'cti'> = {
      'system.ping': pingProcessor,
      'cti.call-event': createCallEventProcessor(callDeps),
      'cti.click-to-call': createClickToCallProcessor({ db: database.db, env: {}, pbxTimeoutMs: 1000 }),
    };
    worker = startQueueWorker({ queue: 'cti', connection: workerRedis, prefix, concurrency: 2, logger, handlers });
    ingress = await startTestIngress(database, {
      prefix,
      deps: { cti: { domain: 'crm.test', trustedProxies: [], dedupeWindowMs: 2000, callTimeoutMs: 60000, popTokenTtlMs: 60000 } },
    });
    ({ app } = ingress);
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await ingress.close();
    await worker.close();
    workerRedis.disconnect();
    await database.drop();
  });

  it('shows "ringing", then the caller’s conta, then the end of the call', async () => {
    const issued = await app.inject({
      method: 'POST',
      url: '/v1/cti/pop-tokens',
      headers: { authorization: `Bearer ${key}` },
      payload: { ramal: '3501' },
    });
    const { token } = issued.json() as { token: string };
    // Headless Chromium asks for en-US: this reader asks for Portuguese (the page follows Accept-Language).
    const page = await browser.newPage({ extraHTTPHeaders: { 'accept-language': 'pt-BR' } });
    await page.goto(`${base}/cti/operador#token=${token}`);
    await page.locator('#status', { hasText: 'conectado' }).waitFor({ timeout: 15000 });

    const host = 'acme.crm.test';
    expect((await pbxCall(base, '/wconnect/WConnect_WSDL_ConsultaRamal.php?ramal=3501&telefone=04732100123', { host })).status).toBe(200);
    const match = page.locator('.call .match');
    await match.waitFor({ timeout: 15000 });
    expect(await match.textContent()).toContain('Padaria Pão Quente');
    expect(await page.locator('.call h2').textContent()).toContain('Tocando no ramal 3501 — de 04732100123');

    await pbxCall(base, '/wconnect/WConnect_WSDL_FinalizaLigacao.php?ramal=3501&telefone=04732100123', { host });
    await page.locator('.call.ended').waitFor({ timeout: 15000 });
    await page.close();
  });

  it('speaks English to an English reader (Accept-Language), the same page otherwise', async () => {
    const issued = await app.inject({
      method: 'POST',
      url: '/v1/cti/pop-tokens',
      headers: { authorization: `Bearer ${key}` },
      payload: { ramal: '3502' },
    });
    const { token } = issued.json() as { token: string };
    const page = await browser.newPage({ extraHTTPHeaders: { 'accept-language': 'en' } });
    await page.goto(`${base}/cti/operador#token=${token}`);
    await page.locator('#status', { hasText: /^connected$/ }).waitFor({ timeout: 15000 });
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.locator('button').textContent()).toBe('Connect');

    const host = 'acme.crm.test';
    await pbxCall(base, '/wconnect/WConnect_WSDL_ConsultaRamal.php?ramal=3502&telefone=04732100123', { host });
    const match = page.locator('.call .match');
    await match.waitFor({ timeout: 15000 });
    expect(await match.textContent()).toMatch(/^Account #\d+: Padaria Pão Quente/);
    expect(await page.locator('.call h2').textContent()).toBe('Ringing on extension 3502 — from 04732100123');
    await pbxCall(base, '/wconnect/WConnect_WSDL_FinalizaLigacao.php?ramal=3502&telefone=04732100123', { host });
    await page.locator('.call.ended .state', { hasText: 'Ended' }).waitFor({ timeout: 15000 });
    await page.close();
  });

  it('shows a withheld caller id (empty telefone) as "número privado", not a refusal (trial 3, finding 2)', async () => {
    const issued = await app.inject({
      method: 'POST',
      url: '/v1/cti/pop-tokens',
      headers: { authorization: `Bearer ${key}` },
      payload: { ramal: '3503' },
    });
    const { token } = issued.json() as { token: string };
    const page = await browser.newPage({ extraHTTPHeaders: { 'accept-language': 'pt-BR' } });
    await page.goto(`${base}/cti/operador#token=${token}`);
    await page.locator('#status', { hasText: 'conectado' }).waitFor({ timeout: 15000 });
    const host = 'acme.crm.test';
    expect((await pbxCall(base, '/wconnect/WConnect_WSDL_ConsultaRamal.php?ramal=3503&telefone=', { host })).status).toBe(200);
    await page.locator('.call .unknown', { hasText: 'Número privado' }).waitFor({ timeout: 15000 });
    expect(await page.locator('.call h2').textContent()).toBe('Tocando no ramal 3503 — de número privado');
    await page.close();
  });
});
