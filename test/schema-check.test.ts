import { migrateTo } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { freePort } from '@integrador/test-support/ports';
import { spawnApp } from '@integrador/test-support/processes';
import { TEST_REDIS_URL, testPrefix } from '@integrador/test-support/redis-server';
import { sql } from 'kysely';

/**
 * The apps that do not migrate (workers, the dashboard) check the database's schema at start: a newer version's
 * database is refused in words (an old worker started after an upgrade), one not migrated yet is said loudly.
 */
/** The migrations a database migrated to 017 lacks: every later one, in order (a new migration joins this list). */
const AFTER_017 = [
  '018-outbox-status',
  '019-crm-mudancas-escopo',
  '020-chaves-binarias',
  '021-set-retencao',
  '022-mensagens-conexao',
  '023-retencao-historico',
  '024-set-registro-em-voo',
  '025-mensagens-registro',
  '026-webhook-registros',
  '027-execucoes-chave-binaria',
  '028-execucoes-hot',
  '029-execucoes-sem-coluna-gerada',
];

describe('schema check of the apps that do not migrate', () => {
  let database: TestDatabase;
  beforeEach(async () => {
    database = await createTestDatabase('sqlite');
  });
  afterEach(async () => {
    await database?.drop();
  });

  const startWorker = () =>
    spawnApp('apps/worker-cti/src/main.ts', {
      REDIS_URL: TEST_REDIS_URL,
      KEY_PREFIX: testPrefix(),
      CRM_DATABASE_URL: database.url,
      LOG_LEVEL: 'info',
    });

  it('a worker refuses a database a newer version migrated, naming the migration it does not know', async () => {
    await sql`INSERT INTO kysely_migration (name, timestamp) VALUES ('999-from-the-future', '2099-01-01T00:00:00.000Z')`.execute(
      database.db,
    );
    const worker = startWorker();
    expect(await worker.exited).toBe(1);
    expect(worker.stderr.join('')).toContain(
      'worker-cti failed to start: the database was migrated by a newer version of the hub (migration 999-from-the-future is unknown to this one)',
    );
  });

  it('the ingress with MIGRATE_ON_START=false checks instead of migrating: it starts, says which migrations are missing, applies none', async () => {
    await migrateTo(database, '017-webhook-recuperacao');
    const port = await freePort();
    const ingress = spawnApp('apps/ingress/src/server.ts', {
      REDIS_URL: TEST_REDIS_URL,
      KEY_PREFIX: testPrefix(),
      CRM_DATABASE_URL: database.url,
      HOST: '127.0.0.1',
      PORT: String(port),
      MIGRATE_ON_START: 'false',
      LOG_LEVEL: 'info',
    });
    try {
      const line = await ingress.waitForLog('crm database not migrated to this version');
      expect(line.pending).toEqual(AFTER_017);
      // Started despite the missing migrations: it answers its liveness probe.
      let status = 0;
      for (let i = 0; i < 300 && status !== 200; i++) {
        status = await fetch(`http://127.0.0.1:${port}/healthz`).then(
          (response) => response.status,
          () => 0,
        );
        if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(status).toBe(200);
    } finally {
      ingress.child.kill('SIGTERM');
      await ingress.exited;
    }
    const applied = await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(database.db);
    expect(applied.rows.map((row) => row.name).at(-1)).toBe('017-webhook-recuperacao');
    expect(ingress.lines.map((entry) => entry.msg)).not.toContain('migrations applied');
  });

  it('a worker on a database not migrated to its version starts, and says which migrations are missing', async () => {
    await migrateTo(database, '017-webhook-recuperacao');
    const worker = startWorker();
    try {
      const line = await worker.waitForLog('crm database not migrated to this version');
      expect(line.pending).toEqual(AFTER_017);
      await worker.waitForLog('worker started');
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
  });
});
