import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { freePort } from '@integrador/test-support/ports';
import { type AppProcess, spawnApp, stopApps } from '@integrador/test-support/processes';
import { type PrivateRedis, startPrivateRedis, testPrefix } from '@integrador/test-support/redis-server';

const PASSWORD = 'Redis-S3cret-f9';

/** The log lines of an app that carry an error (`err`), keyed by the error's message. */
function errorLinesByMessage(app: AppProcess, from: number): Map<string, string[]> {
  const byMessage = new Map<string, string[]>();
  for (const line of app.lines.slice(from)) {
    const message = (line.err as { message?: string } | undefined)?.message;
    if (message === undefined) continue;
    byMessage.set(message, [...(byMessage.get(message) ?? []), String(line.msg)]);
  }
  return byMessage;
}

// F9: while Redis is down every connection's reconnect fails (every 2 s at most), and every BullMQ queue and worker on
// it repeats the error. Each goes through pino (JSON lines only, no raw "[ioredis] Unhandled error event"), the
// password of REDIS_URL nowhere (a refused AUTH carries it in err.command.args), and the same error once per quiet
// time, not once per connection and attempt.
describe('Redis errors in the apps’ logs', () => {
  let redis: PrivateRedis;
  let database: TestDatabase;
  const apps: AppProcess[] = [];

  beforeAll(async () => {
    redis = await startPrivateRedis(['--requirepass', PASSWORD]);
    database = await createTestDatabase('sqlite');
  });
  afterAll(async () => {
    await stopApps(apps);
    await redis.stop();
    await database.drop();
  });

  it('a Redis that goes down and comes back: one JSON line per distinct error, no password, no raw line', async () => {
    const env = {
      REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:${redis.port}`,
      KEY_PREFIX: testPrefix(),
      CRM_DATABASE_URL: database.url,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
    };
    // The ingress (queues, flow producer, dashboard and bull-board, the screen-pop subscriber, the admission limit) and
    // a worker app (its worker and blocking connection, limits, paused tenants, and worker-webhook's own producer).
    const ingress = spawnApp('apps/ingress/src/server.ts', { ...env, PORT: String(await freePort()) });
    const worker = spawnApp('apps/worker-webhook/src/main.ts', env);
    apps.push(ingress, worker);
    await ingress.waitForLog(/^Server listening/);
    await worker.waitForLog('worker started');
    const before = { ingress: ingress.lines.length, worker: worker.lines.length };

    await redis.stop();
    // Reconnects back off 200 ms, 400 ms… up to 2 s: about eight failed attempts per connection in 8 s.
    await new Promise((resolve) => setTimeout(resolve, 8000));
    await redis.start();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await stopApps(apps);

    for (const [app, from] of [
      [ingress, before.ingress],
      [worker, before.worker],
    ] as const) {
      expect(app.rawLines).toEqual([]);
      expect(app.stderr.join('')).not.toContain('[ioredis]');
      const text = JSON.stringify(app.lines);
      expect(text).not.toContain(PASSWORD);
      const byMessage = errorLinesByMessage(app, from);
      // The refused connection was logged, and each distinct error once within the quiet time (30 s).
      expect([...byMessage.keys()].some((message) => message.includes('ECONNREFUSED'))).toBe(true);
      for (const [message, msgs] of byMessage) expect({ message, lines: msgs.length }).toEqual({ message, lines: 1 });
    }
  }, 90000);

  it('a refused AUTH (wrong password): logged with its WRONGPASS reply, the password it sent nowhere', async () => {
    // ioredis attaches the refused command to the error: `command.args` is the password sent, which must not be logged.
    const wrong = 'Wr0ng-Redis-Pass-f9';
    const worker = spawnApp('apps/worker-webhook/src/main.ts', {
      REDIS_URL: `redis://:${wrong}@127.0.0.1:${redis.port}`,
      KEY_PREFIX: testPrefix(),
      CRM_DATABASE_URL: database.url,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
    });
    apps.push(worker);
    const refused = () =>
      worker.lines.find((line) => String((line.err as { message?: string } | undefined)?.message ?? '').includes('WRONGPASS'));
    for (let waited = 0; !refused() && waited < 30000; waited += 200) await new Promise((resolve) => setTimeout(resolve, 200));
    await stopApps([worker]);
    expect(refused()).toMatchObject({ err: { command: { name: 'auth', args: '[redacted]' } } });
    expect(worker.rawLines).toEqual([]);
    expect(JSON.stringify(worker.lines)).not.toContain(wrong);
    expect(worker.stderr.join('')).not.toContain(wrong);
  }, 60000);
});
