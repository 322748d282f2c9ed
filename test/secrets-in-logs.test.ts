import { loadConfig } from '@integrador/config';
import { createLogger } from '@integrador/logging';
import { captureLogs } from '@integrador/test-support/log-capture';
import { type PrivateRedis, startPrivateRedis } from '@integrador/test-support/redis-server';
import { Redis } from 'ioredis';

function capture() {
  const { text, destination } = captureLogs();
  return { text, logger: createLogger({ name: 'test', level: 'debug', destination }) };
}

/** Secrets never reach a log line or a start-up message, however the error carrying them is shaped. */
describe('secrets in logs and start-up errors', () => {
  let server: PrivateRedis;

  beforeAll(async () => {
    server = await startPrivateRedis(['--requirepass', 'the-right-one']);
  });
  afterAll(() => server.stop());

  it('a Redis error carrying the AUTH command logs no password', async () => {
    const { text: logged, logger } = capture();
    // What a worker's connection emits when its password is wrong (or Redis restarted with another one).
    const redis = new Redis(`redis://:Wr0ngP4ss-s3cret@127.0.0.1:${server.port}`, { maxRetriesPerRequest: null });
    const failure = await new Promise<unknown>((resolve) => redis.once('error', resolve));
    redis.disconnect();
    expect(failure).toBeInstanceOf(Error);
    // ioredis keeps the command on the error: { name: 'auth', args: ['<password>'] }.
    expect(JSON.stringify((failure as { command?: unknown }).command)).toContain('Wr0ngP4ss-s3cret');
    logger.warn({ err: failure }, 'redis connection error');
    logger.warn({ error: failure }, 'redis connection error');
    logger.warn({ reason: failure, command: (failure as { command?: unknown }).command }, 'redis connection error');
    const text = logged();
    expect(text).toContain('redis connection error');
    expect(text).not.toContain('Wr0ngP4ss-s3cret');
  });

  it.each([
    ['REDIS_URL', 'redis//crm:Pg-S3cret-1@cache:6379'],
    ['REDIS_URL', 'http://crm:Pg-S3cret-1@cache:6379'],
    ['CRM_DATABASE_URL', 'postgress://crm:Pg-S3cret-1@db:5432/crm'],
    ['CRM_DATABASE_URL', 'crm:Pg-S3cret-1@db:5432/crm'],
  ])('a malformed %s is named in the start-up error without its password', (variable, value) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(variable);
    try {
      loadConfig({ [variable]: value });
    } catch (err) {
      expect((err as Error).message).not.toContain('Pg-S3cret-1');
      expect((err as Error).message).toContain('***');
    }
  });
});
