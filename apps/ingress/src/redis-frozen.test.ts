import { idempotentJobId, waitUntilReady } from '@integrador/queue';
import { type PrivateRedisIngress, startPrivateRedisIngress } from '../../../test/support/private-redis-ingress';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A frozen Redis (SIGSTOP: connections open, nothing answers) during a stream of pings: every answer is 202 or 503 with
 * Retry-After (never 500), a 503 that says "nothing was enqueued" is true, and retrying the others with their
 * Idempotency-Key leaves exactly one job per request — the phantom jobs a frozen Redis runs when it wakes included.
 */
describe('ingress while Redis is frozen', () => {
  let ingress: PrivateRedisIngress;

  beforeAll(async () => {
    ingress = await startPrivateRedisIngress({ commandTimeoutMs: 300, enqueueTimeoutMs: 500, checkTimeoutMs: 500 });
  });

  afterAll(() => ingress.close());

  const ping = (idempotencyKey: string) => ingress.ping(idempotencyKey);

  it('answers 202 or 503 with Retry-After, tells unknown outcomes apart, and a keyed retry never makes a second job', async () => {
    const { server, redis, producer, empresaId } = ingress;
    const answers = new Map<string, { status: number; code?: string; retryAfter?: string }>();
    let frozen = false;
    const stream = (async () => {
      for (let i = 0; i < 60; i++) {
        const k = `req-${i}`;
        const res = await ping(k);
        answers.set(k, {
          status: res.statusCode,
          code: res.json().error?.code,
          retryAfter: res.headers['retry-after'] as string | undefined,
        });
        await sleep(frozen ? 0 : 40);
      }
    })();
    await sleep(400);
    server.signal('SIGSTOP');
    frozen = true;
    await sleep(3000);
    server.signal('SIGCONT');
    frozen = false;
    await stream;
    await waitUntilReady(redis);

    const statuses = [...answers.values()];
    const tally = (pick: (a: (typeof statuses)[number]) => boolean) => statuses.filter(pick).length;
    const accepted = tally((a) => a.status === 202);
    const refused = tally((a) => a.code === 'QUEUE_UNAVAILABLE');
    const unknown = tally((a) => a.code === 'ENQUEUE_OUTCOME_UNKNOWN');
    expect(statuses.filter((a) => a.status !== 202 && a.status !== 503)).toEqual([]);
    expect(statuses.filter((a) => a.status === 503 && a.retryAfter === undefined)).toEqual([]);
    expect(accepted + refused + unknown).toBe(60);
    expect(refused + unknown).toBeGreaterThan(0);

    // Give a woken Redis a moment to run what it had buffered, then check every "nothing was enqueued" was true.
    await sleep(300);
    const tenant = { empresaId, filialId: null };
    for (const [k, a] of answers) {
      if (a.code !== 'QUEUE_UNAVAILABLE') continue;
      expect(await producer.getJob('set', idempotentJobId(tenant, 'ping-set', k))).toBeUndefined();
    }
    // Every request that did not get a 202 is retried with its key: each ends with exactly one job.
    for (const [k, a] of answers) {
      if (a.status === 202) continue;
      const again = await ping(k);
      expect([again.statusCode, again.json().error?.code]).toEqual([202, undefined]);
    }
    const counts = await producer.queue('set').getJobCounts('waiting', 'prioritized', 'active', 'completed', 'failed');
    const jobs = Object.values(counts).reduce((sum, n) => sum + n, 0);
    process.stdout.write(
      `frozen Redis: 60 requests, ${accepted} accepted, ${refused} refused, ${unknown} unknown; ${jobs} jobs after keyed retries\n`,
    );
    expect(jobs).toBe(60);
  });
});
