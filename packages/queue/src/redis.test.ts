import net from 'node:net';
import { type PrivateRedis, startPrivateRedis, TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import { Redis } from 'ioredis';
import { QueueUnavailableError, RedisConfigurationError } from './errors';
import { assertRedisSafe, createRedis, waitUntilReady, withRedisDeadline } from './redis';

describe('Redis connection rules', () => {
  it('accepts the machine Redis (noeviction, >= 6.2)', async () => {
    const redis = createRedis(TEST_REDIS_URL, { role: 'worker' });
    try {
      await expect(assertRedisSafe(redis)).resolves.toMatchObject({ policy: 'noeviction' });
    } finally {
      redis.disconnect();
    }
  });

  describe('with a Redis that evicts keys', () => {
    let server: PrivateRedis;
    beforeAll(async () => {
      server = await startPrivateRedis(['--maxmemory', '64mb', '--maxmemory-policy', 'allkeys-lru']);
    });
    afterAll(() => server.stop());

    it('refuses it with a message that says how to fix it', async () => {
      const redis = new Redis(server.url);
      try {
        const error = await assertRedisSafe(redis).catch((err: unknown) => err);
        expect(error).toBeInstanceOf(RedisConfigurationError);
        expect((error as Error).message).toContain('maxmemory-policy "allkeys-lru"');
        expect((error as Error).message).toContain('noeviction');
      } finally {
        redis.disconnect();
      }
    });
  });

  it('a producer connection fails fast while Redis is down instead of queueing commands', async () => {
    const server = await startPrivateRedis();
    const redis = createRedis(server.url, { role: 'producer', commandTimeoutMs: 500 });
    redis.on('error', () => {});
    try {
      await waitUntilReady(redis);
      await server.stop();
      const started = Date.now();
      const error = await withRedisDeadline(redis.ping(), 1000, 'ping').catch((err: unknown) => err);
      expect(error).toBeInstanceOf(QueueUnavailableError);
      expect(Date.now() - started).toBeLessThan(1500);
    } finally {
      redis.disconnect();
      await server.stop();
    }
  });

  describe('after a failover behind one address', () => {
    let [primary, replica]: PrivateRedis[] = [];
    // The one address the fleet knows (a proxy or DNS name): new connections go to whichever node it names now.
    let target = 0;
    const sockets = new Set<net.Socket>();
    const relay = net.createServer((client) => {
      const upstream = net.connect(target, '127.0.0.1');
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('error', () => socket.destroy());
        socket.on('close', () => sockets.delete(socket));
      }
      client.pipe(upstream).pipe(client);
    });
    let url = '';
    beforeAll(async () => {
      [primary, replica] = [await startPrivateRedis(), await startPrivateRedis()];
      await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
      url = `redis://127.0.0.1:${(relay.address() as net.AddressInfo).port}`;
    });
    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => relay.close(resolve));
      await primary?.stop();
      await replica?.stop();
    });

    it.each(['producer', 'worker'] as const)('a %s connection left on the demoted node reconnects and writes again', async (role) => {
      // The old primary serves first; the other node is the one promoted by the failover.
      const [before, after] = role === 'producer' ? [primary, replica] : [replica, primary];
      if (!before || !after) throw new Error('servers not started');
      const admin = [new Redis(before.url), new Redis(after.url)] as const;
      const redis = createRedis(url, { role, commandTimeoutMs: 1000 });
      redis.on('error', () => {});
      try {
        await admin[1].replicaof('NO', 'ONE');
        await admin[0].replicaof('NO', 'ONE');
        target = before.port;
        await waitUntilReady(redis);
        await redis.set('k', 'before');
        const firstId = await redis.client('ID');
        // The failover: the address now names the promoted node, the old one follows it as a replica.
        target = after.port;
        await admin[0].replicaof('127.0.0.1', String(after.port));
        await expect(redis.set('k', 'refused')).rejects.toThrow(/READONLY/);
        let written = false;
        for (let i = 0; i < 100 && !written; i++) {
          written = await redis.set('k', 'after').then(
            () => true,
            () => new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 100)),
          );
        }
        expect(written).toBe(true);
        expect(await admin[1].get('k')).toBe('after');
        expect(await redis.client('ID')).not.toBe(firstId);
      } finally {
        redis.disconnect();
        admin[0].disconnect();
        admin[1].disconnect();
      }
    });
  });
});
