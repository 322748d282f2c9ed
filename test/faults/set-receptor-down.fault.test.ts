import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConnectionsFile } from '@integrador/connections';
import { createLogger } from '@integrador/logging';
import type { JobProducer } from '@integrador/queue';
import { issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { type AppProcess, spawnApp } from '@integrador/test-support/processes';
import { freePort, TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import type { FastifyInstance } from 'fastify';
import { DEFAULT_CREDENTIALS, type SeniorG5Server, seniorG5ConnectionsYaml, startSeniorG5Server } from '../fixtures/senior-g5';
import { CONTA, seedSetWsContas } from '../fixtures/set-ws-contas';
import { startTestIngress, type TestIngress } from '../support/test-ingress';
import { LONG, report, sleep, until } from './fault-mode';

/**
 * The ERP's SOAP service down for a long stretch — first in a maintenance window (503 with a soap:Server fault), then
 * gone (connection refused) — and back: every SET push queued meanwhile succeeds within its connection's retry
 * schedule (`retry: { attempts, backoffMs }` in the connections file), and none reaches the ERP twice.
 */
describe('the SET receptor (Senior G5) down for a long stretch, then back', () => {
  const _logger = createLogger({ name: 'fault-test', level: 'silent' });
  const CONTAS = LONG ? 100 : 15;
  const downMs = LONG ? 60_000 : 8_000;
  // Doubling from backoffMs: the attempts' waits add up to well over downMs, so the last retries land after the return.
  const retry = LONG ? { attempts: 12, backoffMs: 1000 } : { attempts: 10, backoffMs: 250 };
  let erp: SeniorG5Server;
  let port: number;
  let database: TestDatabase;
  let producer: JobProducer;
  let app: FastifyInstance;
  let ingress: TestIngress;
  let worker: AppProcess;
  let prefix: string;
  let key: string;
  let empresaId: number;
  let connectionsFile: string;

  beforeAll(async () => {
    port = await freePort();
    erp = await startSeniorG5Server({ port });
    connectionsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fault-set-down-')), 'connections.yaml');
    fs.writeFileSync(
      connectionsFile,
      `${seniorG5ConnectionsYaml(erp.url, { timeoutMs: 2000 })}\n    retry: { attempts: ${retry.attempts}, backoffMs: ${retry.backoffMs} }\n`,
    );
    database = await createTestDatabase('postgres');
    ({ empresaId } = await seedSetWsContas(database.db));
    key = await issueApiKey(database.db, empresaId, null, 'test');
    const connections = await loadConnectionsFile(connectionsFile, { SENIOR_PASSWORD: DEFAULT_CREDENTIALS.password });
    ingress = await startTestIngress(database, { deps: { connections } });
    ({ app, producer, prefix } = ingress);
    worker = spawnApp('apps/worker-set/src/main.ts', {
      REDIS_URL: TEST_REDIS_URL,
      KEY_PREFIX: prefix,
      CRM_DATABASE_URL: database.url,
      CONNECTIONS_FILE: connectionsFile,
      SENIOR_PASSWORD: DEFAULT_CREDENTIALS.password,
      JOB_LOCK_MS: '5000',
      LOG_LEVEL: 'info',
    });
    await worker.waitForLog('worker started', 60_000);
  }, 120_000);

  afterAll(async () => {
    worker.child.kill('SIGTERM');
    await worker.exited;
    await ingress.close();
    await database.drop();
    await erp.close();
  });

  it('completes every push once after the ERP returns', async () => {
    const ids = Array.from({ length: CONTAS }, (_, i) => 2000 + i);
    for (const id of ids)
      await database.db
        .insertInto('contas')
        .values({ ...CONTA, id, empresa_id: empresaId, cnpj: String(20_000_000_000_000 + id), nome: `Conta ${id}` })
        .execute();
    erp.setMode('maintenance');
    const jobIds: string[] = [];
    for (const contaId of ids) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/integrations/19/run',
        headers: { authorization: `Bearer ${key}` },
        payload: { parametros: { contaId } },
      });
      expect(res.statusCode).toBe(202);
      jobIds.push((res.json() as { jobId: string }).jobId);
    }
    await sleep(downMs / 2);
    await erp.close();
    await sleep(downMs / 2);
    erp = await startSeniorG5Server({ port });

    const states = () => Promise.all(jobIds.map(async (id) => (await (await producer.getJob('set', id))?.getState()) ?? 'missing'));
    await until('every push settled', async () => (await states()).every((s) => s === 'completed' || s === 'failed'), 300_000, 250);
    const final = await states();
    const attempts = await Promise.all(jobIds.map(async (id) => (await producer.getJob('set', id))?.attemptsMade ?? 0));
    const perConta = new Map<string, number>();
    for (const customer of erp.customers.values()) {
      const ideExt = String(customer.ideExt);
      perConta.set(ideExt, (perConta.get(ideExt) ?? 0) + 1);
    }
    report(`Senior G5 in maintenance for ${downMs / 2000} s, then refusing connections for ${downMs / 2000} s, then back`, {
      enqueued: CONTAS,
      processed: final.filter((s) => s === 'completed').length,
      lost: ids.filter((id) => !perConta.has(`crm-${id}`)).length,
      duplicated: [...perConta.values()].reduce((sum, n) => sum + n - 1, 0),
    });
    process.stdout.write(
      `  attempts per push ${Math.min(...attempts)} to ${Math.max(...attempts)} of ${retry.attempts} (backoff from ${retry.backoffMs} ms, doubling)\n`,
    );
    expect(final.filter((s) => s !== 'completed')).toEqual([]);
    for (const id of ids) expect(perConta.get(`crm-${id}`)).toBe(1);
    // Each push reached the new ERP once, but for a call that timed out (the answer may have been lost on the way,
    // so its outcome is unknown): that one is sent again, safely, as the body carries ideExt (one customer per conta above).
    const timedOut = await database.db
      .selectFrom('integracao_tentativas')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('erro', 'like', 'no answer from % within % ms')
      .executeTakeFirstOrThrow();
    expect(erp.requests.count).toBeGreaterThanOrEqual(CONTAS);
    expect(erp.requests.count).toBeLessThanOrEqual(CONTAS + Number(timedOut.n));
    // The pushes did meet the outage: retried, not merely queued until it was over.
    expect(Math.min(...attempts)).toBeGreaterThan(1);
    const execucoes = await database.db.selectFrom('integracao_execucoes').select('status').execute();
    expect(execucoes.filter((e) => e.status === 'concluido')).toHaveLength(CONTAS);
  }, 400_000);
});
