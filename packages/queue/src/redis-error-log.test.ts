import { createLogger } from '@integrador/logging';
import { captureLogs } from '@integrador/test-support/log-capture';
import { freePort } from '@integrador/test-support/ports';
import { Redis } from 'ioredis';
import { logRedisErrors, RedisErrorLog } from './redis-error-log';

function capture() {
  const { lines, destination } = captureLogs();
  return { lines, logger: createLogger({ name: 'test', level: 'info', destination }) };
}

describe('Redis error lines', () => {
  it('logs an error once per quiet time, then again with how many were not shown', () => {
    let now = 0;
    const log = new RedisErrorLog(30_000, () => now);
    const { lines, logger } = capture();
    const refused = new Error('connect ECONNREFUSED 127.0.0.1:6379');
    log.report(logger, refused, { connection: 'ingress' }, 'redis connection error');
    for (let i = 0; i < 5; i++) log.report(logger, refused, { queue: 'set' }, 'queue error');
    log.report(logger, new Error('Connection is closed.'), {}, 'queue error');
    now = 30_000;
    log.report(logger, refused, { connection: 'ingress' }, 'redis connection error');
    expect(lines.map((line) => [line.msg, (line.err as Error).message, line.repeated])).toEqual([
      ['redis connection error', 'connect ECONNREFUSED 127.0.0.1:6379', undefined],
      ['queue error', 'Connection is closed.', undefined],
      ['redis connection error', 'connect ECONNREFUSED 127.0.0.1:6379', 5],
    ]);
  });

  it('a connection’s duplicates keep a listener of their own, so ioredis never prints an unheard error', async () => {
    const { lines, logger } = capture();
    const port = await freePort();
    const redis = logRedisErrors(new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => null }), logger, 'probe');
    const copy = redis.duplicate({ connectionName: 'copy' });
    expect(copy.listenerCount('error')).toBe(1);
    const printed = jest.spyOn(console, 'error');
    try {
      await copy.connect().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(printed).not.toHaveBeenCalled();
      expect(lines).toEqual([expect.objectContaining({ msg: 'redis connection error', connection: 'probe' })]);
    } finally {
      printed.mockRestore();
      copy.disconnect();
      redis.disconnect();
    }
  });
});
