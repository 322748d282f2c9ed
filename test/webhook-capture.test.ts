import { setTimeout as sleep } from 'node:timers/promises';
import { parseAddressAllowlist } from '@integrador/connections';
import { createEmpresa } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { type AppProcess, spawnApp } from '@integrador/test-support/processes';
import { deletePrefix, TEST_REDIS_URL, testPrefix } from '@integrador/test-support/redis-server';
import { type Receiver, spawnReceiver } from '@integrador/test-support/webhook-receiver';
import { createEndpoint, DEFAULT_WEBHOOK_SETTINGS } from '@integrador/webhooks';
import { sql } from 'kysely';

// Trigger-based capture: rows written straight into the CRM database (no call to the hub) reach the webhook, also when
// the worker draining the outbox is killed in the middle of it.
describe('trigger capture end to end on postgres (CRM writes → outbox → worker-webhook process → receiver process)', () => {
  let database: TestDatabase;
  let receiver: Receiver;
  let prefix: string;
  let empresaId: number;

  const startWorker = () =>
    spawnApp('apps/worker-webhook/src/main.ts', {
      REDIS_URL: TEST_REDIS_URL,
      KEY_PREFIX: prefix,
      CRM_DATABASE_URL: database.url,
      LOG_LEVEL: 'info',
      WORKER_CONCURRENCY: '20',
      JOB_LOCK_MS: '2000',
      WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
      WEBHOOK_CAPTURE: 'triggers',
      WEBHOOK_OUTBOX_INTERVAL_MS: '100',
    });

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    receiver = await spawnReceiver();
    prefix = testPrefix();
    empresaId = await createEmpresa(database.db, 'Faculdade Exemplo');
    await createEndpoint(
      database.db,
      // The fleet's allow configuration (WEBHOOK_ALLOWED_NETWORKS above): the loopback receiver is accepted.
      { ...DEFAULT_WEBHOOK_SETTINGS, allowlist: parseAddressAllowlist(['127.0.0.1/32']) },
      { empresaId, filialId: null },
      {
        nome: 'ERP',
        url: `${receiver.url}/ok/capture`,
        gatilhos: ['contato.criado', 'oportunidade.status_alterado'],
      },
    );
  });

  afterAll(async () => {
    await deletePrefix(TEST_REDIS_URL, prefix);
    await receiver.close();
    await database.drop();
  });

  const outboxSize = async () =>
    Number(
      (
        await database.db
          .selectFrom('webhook_outbox')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const receivedIds = async () => (await receiver.requests('/ok/capture')).map((r) => (JSON.parse(r.body) as { id: string }[])[0]?.id);

  it('delivers rows written straight into the CRM, and every one of them after a worker is killed mid-drain', async () => {
    let worker: AppProcess = startWorker();
    await worker.waitForLog('capture outbox drain started');
    await database.db.insertInto('contatos').values({ id: 1, empresa_id: empresaId, codigo: 'C1', nome: 'Direto no banco' }).execute();
    await database.db.insertInto('oportunidades').values({ id: 5, empresa_id: empresaId, titulo: 'Matrícula', status: 'Aberta' }).execute();
    await database.db.updateTable('oportunidades').set({ status: 'Ganha' }).where('id', '=', 5).execute();
    const first = await receiver.waitFor('/ok/capture', 2);
    expect(first.map((r) => JSON.parse(r.body)[0].id).sort()).toEqual(['1', '5']);
    expect(JSON.parse(first.find((r) => r.body.includes('"Ganha"'))?.body ?? '[]')[0].status).toBe('Ganha');

    // 200 contatos in one statement (as a GET pull writes them); kill -9 while the outbox is being drained.
    await sql`INSERT INTO contatos (id, empresa_id, codigo, nome) SELECT g, ${empresaId}, 'K' || g, 'Contato ' || g FROM generate_series(100, 299) AS g`.execute(
      database.db,
    );
    const deadline = Date.now() + 30000;
    let size = await outboxSize();
    while ((size === 200 || size === 0) && Date.now() < deadline) {
      await sleep(5);
      size = await outboxSize();
    }
    worker.child.kill('SIGKILL');
    await worker.exited;
    const left = await outboxSize();
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(200);

    worker = startWorker();
    try {
      await worker.waitForLog('capture outbox drain started');
      const end = Date.now() + 60000;
      let ids = new Set(await receivedIds());
      while (ids.size < 202 && Date.now() < end) {
        await sleep(200);
        ids = new Set(await receivedIds());
      }
      expect(ids.size).toBe(202);
      expect(await outboxSize()).toBe(0);
      // Published once each: the row the killed drainer published but had not deleted was published again under its key.
      const mensagens = await database.db
        .selectFrom('webhook_mensagens')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(mensagens.n)).toBe(202);
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
    // The killed drainer's lock holds the outbox back up to 10 s, and this machine is shared: a generous limit.
  }, 180000);
});
