import { type PrivateRedisIngress, startPrivateRedisIngress } from '../support/private-redis-ingress';
import { LONG, report } from './fault-mode';

/** A Redis at maxmemory (noeviction): the ingress refuses with 503 and Retry-After, and every job it acknowledged exists. */
describe('ingress on a full Redis', () => {
  let ingress: PrivateRedisIngress;

  beforeAll(async () => {
    ingress = await startPrivateRedisIngress({
      redisArgs: ['--maxmemory', LONG ? '64mb' : '4mb', '--maxmemory-policy', 'noeviction'],
      commandTimeoutMs: 2000,
      enqueueTimeoutMs: 3000,
      checkTimeoutMs: 2000,
    });
  });

  afterAll(() => ingress.close());

  it('answers 503 once full and loses nothing it acknowledged', async () => {
    const { producer } = ingress;
    const accepted: string[] = [];
    const refusals: Record<string, number> = {};
    let other = 0;
    for (let i = 0; i < (LONG ? 200_000 : 20_000); i++) {
      const res = await ingress.ping(`full-${i}`, { note: 'n'.repeat(200) });
      if (res.statusCode === 202) accepted.push(res.json().jobId);
      else if (res.statusCode === 503 && res.headers['retry-after']) {
        const code = res.json().error.code as string;
        refusals[code] = (refusals[code] ?? 0) + 1;
        if ((refusals[code] ?? 0) >= 20) break;
      } else if (++other >= 20) break;
    }
    let missing = 0;
    for (const id of accepted) if (!(await producer.getJob('set', id).catch(() => undefined))) missing++;
    report('Redis at maxmemory', { enqueued: accepted.length, processed: accepted.length - missing, lost: missing, duplicated: 0 });
    expect(other).toBe(0);
    expect(refusals).toEqual({ QUEUE_UNAVAILABLE: 20 });
    expect(missing).toBe(0);
    // Full is every ingress's state at once: still ready (reads and the dashboard go on), the check saying why writes fail.
    const ready = await ingress.app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks.redis).toMatch(/full/);
  }, 300_000);
});
