import { createLogger } from '@integrador/logging';
import { createEmpresa } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { useTestRedis } from '@integrador/test-support/test-redis';
import { retentionLockKey, startRetentionSweep } from './retention-sweep';

// Every worker app starts the sweep; the fleet's lock lets one purge at a time, once per interval.
describe('retention sweep', () => {
  const test = useTestRedis();
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('postgres');
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('purges once across two workers started together, and leaves the lock to hold the next run off', async () => {
    const empresa = await createEmpresa(database.db, 'Sweep');
    const old = new Date(Date.now() - 800 * 86_400_000);
    await database.db
      .insertInto('auditoria_acoes')
      .values([1, 2, 3].map(() => ({ autor: 'ana', operador_id: null, empresa_id: empresa, acao: 'retry', quantidade: 1, criado_em: old })))
      .execute();
    const purged: number[] = [];
    const start = () =>
      startRetentionSweep({
        database,
        redis: test.redis,
        prefix: test.prefix,
        retention: { jobsDays: 90, webhooksDays: 30, auditDays: 730, callsDays: 0 },
        intervalMs: 600_000,
        logger: createLogger({ name: 'test', level: 'silent' }),
        onPurged: (_table, rows) => void purged.push(rows),
      });
    const sweeps = [start(), start()];
    const left = async () => (await database.db.selectFrom('auditoria_acoes').select('id').execute()).length;
    for (let waited = 0; (await left()) > 0 && waited < 10_000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
    await Promise.all(sweeps.map((sweep) => sweep.stop()));
    expect(purged.reduce((sum, rows) => sum + rows, 0)).toBe(3);
    expect(await database.db.selectFrom('auditoria_acoes').select('id').execute()).toEqual([]);
    // The lock outlives the purge: a worker starting now waits for the interval.
    expect(await test.redis.pttl(retentionLockKey(test.prefix))).toBeGreaterThan(500_000);
  });

  it('purges every interval across the fleet, one worker at a time (the lock ends before the next tick)', async () => {
    const prefix = `${test.prefix}:every`;
    const start = () =>
      startRetentionSweep({
        database,
        redis: test.redis,
        prefix,
        retention: { jobsDays: 90, webhooksDays: 30, auditDays: 730, callsDays: 0 },
        intervalMs: 1000,
        logger: createLogger({ name: 'test', level: 'silent' }),
      });
    // Each purge takes the lock under a token of its own: the distinct tokens seen are the purges run.
    const tokens = new Set<string>();
    const sweeps = [start(), start()];
    const watchUntil = Date.now() + 5500;
    while (Date.now() < watchUntil) {
      const token = await test.redis.get(retentionLockKey(prefix));
      if (token) tokens.add(token);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await Promise.all(sweeps.map((sweep) => sweep.stop()));
    // Ticks at 0, 1, …, 5 s: one purge each (the lock held to every other tick made it 3), never both workers'.
    expect(tokens.size).toBeGreaterThanOrEqual(5);
    expect(tokens.size).toBeLessThanOrEqual(6);
  });
});
