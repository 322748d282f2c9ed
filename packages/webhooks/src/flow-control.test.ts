import { createRedis, waitUntilReady } from '@integrador/queue';
import { openRedisMonitor } from '@integrador/test-support/redis-monitor';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import { startTcpRelay } from '@integrador/test-support/tcp-relay';
import { useTestRedis } from '@integrador/test-support/test-redis';
import type { Redis } from 'ioredis';
import { EndpointFlowControl, FlowControlError } from './flow-control';

describe('endpoint flow control (real Redis)', () => {
  const testRedis = useTestRedis();
  let redis: Redis;
  let prefix: string;
  const options = { breakerFailures: 3, breakerCooldownMs: 60000, endpointConcurrency: 5, leaseMs: 30000 };

  beforeEach(() => {
    ({ redis, prefix } = testRedis);
  });

  /** The commands this test's client sends that touch its keys, as MONITOR sees them (a second connection). */
  async function watchCommands(): Promise<{ commands: string[][]; seenAll(): Promise<void>; stop(): void }> {
    // Lines MONITOR sends before its connection is monitoring are other clients' (this test sends nothing yet).
    const monitor = (await openRedisMonitor(redis)).connection;
    const commands: string[][] = [];
    const marker = `${prefix}:monitor-marker`;
    let markerSeen = false;
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (args.includes(marker)) markerSeen = true;
      // Commands run inside a script are shown too (source "lua"): only the client's own count.
      else if (source !== 'lua' && args.some((arg) => arg.startsWith(`${prefix}:webhook:`))) commands.push(args);
    });
    /** Sends a marker after the commands to count and waits until MONITOR shows it: it shows them first. */
    const seenAll = async () => {
      await redis.exists(marker);
      for (const deadline = Date.now() + 10000; !markerSeen; await new Promise((resolve) => setTimeout(resolve, 10)))
        if (Date.now() > deadline) throw new Error('MONITOR never showed the marker');
    };
    return { commands, seenAll, stop: () => monitor.disconnect() };
  }

  it('admits concurrent deliveries up to the cap in one script call, and releases free their slots', async () => {
    const flow = new EndpointFlowControl(redis, prefix, options);
    const watch = await watchCommands();
    const admissions = await Promise.all(Array.from({ length: 20 }, (_, i) => flow.admit(7, null, `d${i}`)));
    expect(admissions.filter((a) => !a.refused)).toHaveLength(5);
    expect(admissions.filter((a) => a.refused?.reason === 'concurrency')).toHaveLength(15);
    expect(await redis.zcard(`${prefix}:webhook:inflight:7`)).toBe(5);

    // Five others come in while the five admitted give their slots back, all together: the admissions are made first,
    // and still get the slots, because the script runs a call's releases first.
    const admitted = admissions.flatMap((a, i) => (a.refused ? [] : [`d${i}`]));
    const second = await Promise.all([
      ...Array.from({ length: 5 }, (_, i) => flow.admit(7, null, `e${i}`)),
      ...admitted.map((member) => flow.release(7, member).then(() => undefined)),
    ]);
    expect(second.slice(0, 5).every((a) => a && !a.refused)).toBe(true);
    expect((await redis.zrange(`${prefix}:webhook:inflight:7`, 0, -1)).sort()).toEqual(['e0', 'e1', 'e2', 'e3', 'e4']);
    // MONITOR's lines arrive on another connection, in the order Redis ran them: once a marker sent after the calls
    // shows up, every call before it has been seen (a fixed pause let a slow machine count too few).
    await watch.seenAll();
    watch.stop();
    // 20 admissions, then 5 releases and 5 admissions: one script call for each round (an EVALSHA answered NOSCRIPT
    // is followed by one EVAL), not one command per delivery.
    const names = watch.commands.map(([name]) => (name ?? '').toLowerCase());
    expect(names.filter((name) => name === 'zrem')).toEqual([]);
    const scriptCalls = names.filter((name) => name === 'evalsha' || name === 'eval');
    // Two rounds, plus one EVAL when an EVALSHA found the script not loaded yet.
    expect(scriptCalls.length).toBeGreaterThanOrEqual(2);
    expect(scriptCalls.length).toBeLessThanOrEqual(3);
  });

  it('keeps rate limits and the breaker per endpoint within one batch', async () => {
    const flow = new EndpointFlowControl(redis, prefix, options);
    const rated = await Promise.all(Array.from({ length: 4 }, (_, i) => flow.admit(1, 2, `r${i}`)));
    // One call, one window: exactly the two over the rate wait.
    expect(rated.filter((a) => a.refused?.reason === 'rate')).toHaveLength(2);
    for (let i = 0; i < 3; i++) await flow.failed(2, `f${i}`);
    const [broken, healthy] = await Promise.all([flow.admit(2, null, 'b'), flow.admit(3, null, 'h')]);
    expect(broken?.refused?.reason).toBe('breaker');
    expect(healthy?.refused).toBeUndefined();
  });

  it('a half-open endpoint lets one probe through; a success closes the breaker', async () => {
    const flow = new EndpointFlowControl(redis, prefix, { ...options, breakerCooldownMs: 50 });
    for (let i = 0; i < 3; i++) await flow.failed(4, `f${i}`);
    await new Promise((resolve) => setTimeout(resolve, 80));
    const tries = await Promise.all(Array.from({ length: 3 }, (_, i) => flow.admit(4, null, `p${i}`)));
    expect(tries.filter((a) => !a.refused)).toHaveLength(1);
    const probe = tries.find((a) => !a.refused);
    expect(probe && !probe.refused && probe.failures).toBe(3);
    await flow.succeeded(4);
    expect((await flow.admit(4, null, 'after')).refused).toBeUndefined();
  });

  it('an operation Redis refuses fails alone; the others of the call keep their outcome (no leaked slot)', async () => {
    const flow = new EndpointFlowControl(redis, prefix, { ...options, endpointConcurrency: 1 });
    // Endpoint 9's breaker key holds a string, not a hash: its admission fails inside the script.
    await redis.set(`${prefix}:webhook:breaker:9`, 'x');
    const [first, broken] = await Promise.allSettled([flow.admit(7, null, 'a'), flow.admit(9, null, 'b')]);
    // A failed call used to be run again operation by operation: 'a' was told "refused: concurrency" by its own
    // slot, taken by the failed call and held for the whole lease.
    expect(first).toEqual({ status: 'fulfilled', value: { refused: undefined, failures: 0 } });
    expect(broken.status === 'rejected' && broken.reason).toBeInstanceOf(FlowControlError);
    expect(await redis.zrange(`${prefix}:webhook:inflight:7`, 0, -1)).toEqual(['a']);
    expect(await redis.zcard(`${prefix}:webhook:inflight:9`)).toBe(0);
    await flow.release(7, 'a');
    expect(await redis.zcard(`${prefix}:webhook:inflight:7`)).toBe(0);
  });

  it('an admission sent again (a reply lost, the call retried) keeps its one slot', async () => {
    const flow = new EndpointFlowControl(redis, prefix, { ...options, endpointConcurrency: 1 });
    expect((await flow.admit(7, null, 'a')).refused).toBeUndefined();
    expect((await flow.admit(7, null, 'a')).refused).toBeUndefined();
    expect(await redis.zrange(`${prefix}:webhook:inflight:7`, 0, -1)).toEqual(['a']);
    expect((await flow.admit(7, null, 'b')).refused?.reason).toBe('concurrency');
    // The half-open probe too: the probe sent again is still the probe.
    for (let i = 0; i < 3; i++) await flow.failed(4, `f${i}`);
    await redis.hdel(`${prefix}:webhook:breaker:4`, 'openUntil');
    expect((await flow.admit(4, null, 'p')).refused).toBeUndefined();
    expect((await flow.admit(4, null, 'p')).refused).toBeUndefined();
    expect((await flow.admit(4, null, 'q')).refused?.reason).toBe('breaker');
  });

  it('an admission whose lease expired is a new admission: it counts against the cap', async () => {
    // 'm' is admitted with a short lease; the calls after it with the usual long one, so a slow machine cannot see
    // the new lease lapse too before the test reads it.
    const short = new EndpointFlowControl(redis, prefix, { ...options, endpointConcurrency: 1, leaseMs: 50 });
    const flow = new EndpointFlowControl(redis, prefix, { ...options, endpointConcurrency: 1 });
    expect((await short.admit(7, null, 'm')).refused).toBeUndefined();
    const lapsesAt = Number(await redis.zscore(`${prefix}:webhook:inflight:7`, 'm'));
    // Past the lease's end as the script reads the clock (a timer may fire a millisecond early).
    while (Date.now() <= lapsesAt) await new Promise((resolve) => setTimeout(resolve, lapsesAt + 1 - Date.now()));
    // 'm' lost its lease: sent again, it is admitted anew with a new lease (not waved through on the stale one), so
    // 'n' finds the one slot taken: never two in flight.
    expect((await flow.admit(7, null, 'm')).refused).toBeUndefined();
    expect((await flow.admit(7, null, 'n')).refused?.reason).toBe('concurrency');
    expect(await redis.zrange(`${prefix}:webhook:inflight:7`, 0, -1)).toEqual(['m']);
    expect(Number(await redis.zscore(`${prefix}:webhook:inflight:7`, 'm'))).toBeGreaterThan(Date.now());
  });

  it('a half-open admission refused for the cap does not hold the probe', async () => {
    const flow = new EndpointFlowControl(redis, prefix, { ...options, endpointConcurrency: 1 });
    expect((await flow.admit(4, null, 'busy')).refused).toBeUndefined();
    for (let i = 0; i < 3; i++) await flow.failed(4, `f${i}`);
    await redis.hdel(`${prefix}:webhook:breaker:4`, 'openUntil');
    expect((await flow.admit(4, null, 'p')).refused?.reason).toBe('concurrency');
    expect(await redis.exists(`${prefix}:webhook:probe:4`)).toBe(0);
    // Sent again, the refused one is still refused: it holds nothing that would let it through uncapped.
    expect((await flow.admit(4, null, 'p')).refused?.reason).toBe('concurrency');
    await flow.release(4, 'busy');
    expect((await flow.admit(4, null, 'q')).refused).toBeUndefined();
    expect(await redis.get(`${prefix}:webhook:probe:4`)).toBe('q');
  });

  it('counts concurrent failures in one script call, each endpoint its own', async () => {
    const flow = new EndpointFlowControl(redis, prefix, { ...options, breakerFailures: 10 });
    const watch = await watchCommands();
    // Five failures of endpoint 1 and three of endpoint 2 end at once (and one of 1's slots is given back meanwhile).
    const [ones, twos] = await Promise.all([
      Promise.all(Array.from({ length: 5 }, (_, i) => flow.failed(1, `a${i}`))),
      Promise.all(Array.from({ length: 3 }, (_, i) => flow.failed(2, `b${i}`))),
      flow.release(1, 'a0'),
    ]);
    await watch.seenAll();
    watch.stop();
    const calls = watch.commands.map(([name]) => name?.toLowerCase()).join(',');
    // Each caller is told its own place in its endpoint's run of failures.
    expect(ones).toEqual([1, 2, 3, 4, 5]);
    expect(twos).toEqual([1, 2, 3]);
    expect(await redis.hget(`${prefix}:webhook:breaker:1`, 'failures')).toBe('5');
    expect(await redis.hget(`${prefix}:webhook:breaker:2`, 'failures')).toBe('3');
    // One round trip for the nine operations, not one per failure: an EVAL (a connection's first), or an EVALSHA (and
    // the EVAL that follows if Redis answered NOSCRIPT).
    expect(['eval', 'evalsha', 'evalsha,eval']).toContain(calls);
  });

  it('concurrent failures open the breaker at the threshold, before the admissions of the same call', async () => {
    const flow = new EndpointFlowControl(redis, prefix, options);
    const breaker = `${prefix}:webhook:breaker:4`;
    const [failures, admission] = await Promise.all([
      Promise.all(Array.from({ length: 2 }, (_, i) => flow.failed(4, `f${i}`))),
      flow.admit(4, null, 'before'),
    ]);
    expect(failures).toEqual([1, 2]);
    expect(admission.refused).toBeUndefined();
    expect(await redis.hget(breaker, 'openUntil')).toBeNull();
    const [more, refused] = await Promise.all([
      Promise.all(Array.from({ length: 3 }, (_, i) => flow.failed(4, `g${i}`))),
      flow.admit(4, null, 'next'),
    ]);
    expect(more).toEqual([3, 4, 5]);
    expect(refused.refused?.reason).toBe('breaker');
    // Open for a cooldown from now (the failures past the threshold push it on).
    const openUntil = Number(await redis.hget(breaker, 'openUntil'));
    expect(openUntil).toBeGreaterThan(Date.now() + options.breakerCooldownMs - 5000);
    expect(openUntil).toBeLessThanOrEqual(Date.now() + options.breakerCooldownMs);
  });

  it('a failure sent again is counted once; one Redis refuses fails alone, with nothing recorded', async () => {
    const flow = new EndpointFlowControl(redis, prefix, options);
    expect(await flow.failed(4, 'f')).toBe(1);
    expect(await flow.failed(4, 'f')).toBe(1);
    await redis.set(`${prefix}:webhook:breaker:9`, 'x');
    const [counted, broken] = await Promise.allSettled([flow.failed(4, 'g'), flow.failed(9, 'h')]);
    expect(counted).toEqual({ status: 'fulfilled', value: 2 });
    expect(broken.status === 'rejected' && broken.reason).toBeInstanceOf(FlowControlError);
    // Refused before it was remembered: once the key is fixed, the failure sent again is counted.
    expect(await redis.exists(`${prefix}:webhook:failed:9`)).toBe(0);
    await redis.del(`${prefix}:webhook:breaker:9`);
    expect(await flow.failed(9, 'h')).toBe(1);
  });

  it("remembers an endpoint's newest failures only, up to a cap", async () => {
    const flow = new EndpointFlowControl(redis, prefix, options);
    const failures = await Promise.all(Array.from({ length: 1100 }, (_, i) => flow.failed(4, `f${i}`)));
    expect(failures.at(-1)).toBe(1100);
    const remembered = `${prefix}:webhook:failed:4`;
    expect(await redis.zcard(remembered)).toBe(1000);
    // The last one is remembered (sent again, it is not counted); the first is not.
    expect(await redis.zscore(remembered, 'f1099')).not.toBeNull();
    expect(await flow.failed(4, 'f1099')).toBe(1100);
    expect(await redis.zscore(remembered, 'f0')).toBeNull();
  });

  it('a success after a failure of the same process closes the breaker, whatever call each goes in', async () => {
    const flow = new EndpointFlowControl(redis, prefix, options);
    expect(await flow.failed(4, 'f0')).toBe(1);
    // The failure is made first, then the success: the breaker ends closed, not holding the failure.
    await Promise.all([flow.failed(4, 'f1'), flow.succeeded(4)]);
    expect(await redis.exists(`${prefix}:webhook:breaker:4`)).toBe(0);
    // And a failure after a success counts from one.
    await Promise.all([flow.succeeded(4), flow.failed(4, 'f2')]);
    expect(await redis.hget(`${prefix}:webhook:breaker:4`, 'failures')).toBe('1');
  });

  it.each(['worker', 'producer'] as const)(
    'failures whose answer is lost and are sent again (%s connection) are counted once',
    async (role) => {
      const relay = await startTcpRelay(TEST_REDIS_URL, { defaultPort: 6379 });
      const far = createRedis(relay.url, { role });
      try {
        await waitUntilReady(far);
        const flow = new EndpointFlowControl(far, prefix, options);
        // The script ran, its answer never came back, and the call went again (ioredis resends it on the new
        // connection, or the Coalescer runs its operations one by one).
        relay.loseNextAnswer();
        const failures = await Promise.all(['a', 'b'].map((member) => flow.failed(7, member)));
        // Both were counted by the call whose answer was lost; sent again, each answers the count as it stands.
        expect(failures).toEqual([2, 2]);
        expect(await redis.hget(`${prefix}:webhook:breaker:7`, 'failures')).toBe('2');
        // Two failures, not four: the third still does not open a breaker of three.
        expect(await flow.failed(7, 'c')).toBe(3);
        expect(Number(await redis.hget(`${prefix}:webhook:breaker:7`, 'openUntil'))).toBeGreaterThan(Date.now());
      } finally {
        far.disconnect();
        await relay.close();
      }
    },
  );

  it.each(['worker', 'producer'] as const)(
    'a call whose answer is lost and is sent again (%s connection) admits no more than the rate per window',
    async (role) => {
      const relay = await startTcpRelay(TEST_REDIS_URL, { defaultPort: 6379 });
      const far = createRedis(relay.url, { role });
      try {
        await waitUntilReady(far);
        const flow = new EndpointFlowControl(far, prefix, options);
        // Early in a one-second window, so the call and its second sending fall in the same one (a timer may fire a
        // millisecond early, at the end of the window before: wait until the clock reads the start of a window).
        do await new Promise((resolve) => setTimeout(resolve, 1001 - (Date.now() % 1000)));
        while (Date.now() % 1000 > 200);
        relay.loseNextAnswer();
        // Two a second: 'a' and 'b' are admitted, 'c' waits. The script ran, its answer never came back, and the call
        // went again (ioredis resends it on the new connection, or the Coalescer runs its operations one by one).
        const first = await Promise.all(['a', 'b', 'c'].map((member) => flow.admit(7, 2, member)));
        const second = await flow.admit(7, 2, 'd');
        // What a tenant sees: two deliveries of the window go out, the others wait for the next one.
        expect([...first, second].map((a) => a.refused?.reason)).toEqual([undefined, undefined, 'rate', 'rate']);
        expect(await redis.zrange(`${prefix}:webhook:inflight:7`, 0, -1)).toEqual(['a', 'b']);
        // A guard on the counter (the window holds the admitted deliveries only, each once; counting the refused ones
        // too, as before, admitted the same deliveries).
        const windows = await redis.keys(`${prefix}:webhook:rate:*:7`);
        expect(windows).toHaveLength(1);
        expect(Number(await redis.get(windows[0] as string))).toBe(2);
      } finally {
        far.disconnect();
        await relay.close();
      }
    },
  );
});
