import type { Config } from '@integrador/config';
import { createLogger } from '@integrador/logging';
import { createRedis, isConnectionError, JobProducer, QueueUnavailableError } from '@integrador/queue';
import type { Cli } from './cli-context';
import { CliError } from './cli-error';
import { connectionErrorText } from './describe-error';

type RedisConnection = ReturnType<typeof createRedis>;

/** How long the CLI waits for a first connection before saying Redis is unreachable. */
const CONNECT_TIMEOUT_MS = 5000;

/** host:port of a Redis URL, without the credentials it may carry. */
function redisAddress(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '6379'}`;
}

/** Resolves once the connection is ready; rejects with the first connection error, or after CONNECT_TIMEOUT_MS. */
function connected(redis: RedisConnection): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    // A CLI run has nobody to wait for a Redis that is down: the first failed attempt is the answer.
    const settle = (error?: Error) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('error', onError);
      if (error) reject(error);
      else resolve();
    };
    const onReady = () => settle();
    const onError = (error: Error) => settle(error);
    // ETIMEDOUT, as a socket's own timeout: the message is worded by that code, in the user's language.
    const timeout = () => Object.assign(new Error(`no answer within ${CONNECT_TIMEOUT_MS} ms`), { code: 'ETIMEDOUT' });
    const timer = setTimeout(() => settle(timeout()), CONNECT_TIMEOUT_MS);
    redis.once('ready', onReady);
    redis.once('error', onError);
  });
}

/**
 * Opens a producer connection to REDIS_URL, runs `work` and always closes it. Redis being down, at the start or
 * midway, becomes one CliError line.
 */
export async function withRedis<T>(cli: Cli, config: Config, work: (redis: RedisConnection) => Promise<T>): Promise<T> {
  // Silent: a refused Redis comes back as the error of the call, which the CLI prints as its one line; the connection's
  // listener (createRedis' logger) keeps ioredis from printing the same failure as a raw line too.
  const logger = createLogger({ name: 'integrador-cli', level: 'silent' });
  const redis = createRedis(config.redisUrl, {
    role: 'producer',
    commandTimeoutMs: config.redisCommandTimeoutMs,
    name: 'integrador-cli',
    clusterNodes: config.redisClusterNodes,
    logger,
  });
  try {
    await connected(redis);
    return await work(redis);
  } catch (err) {
    if (err instanceof CliError) throw err;
    if (err instanceof QueueUnavailableError || isConnectionError(err) || redis.status !== 'ready') {
      // Worded by the code it carries, else as the queue's unavailability (ioredis' bare "Command timed out" has none).
      const unavailable = err instanceof QueueUnavailableError ? err : new QueueUnavailableError((err as Error).message, { cause: err });
      throw new CliError(cli.text.redisUnreachable(redisAddress(config.redisUrl), connectionErrorText(unavailable, cli.locale)));
    }
    throw err;
  } finally {
    redis.disconnect();
  }
}

/** Opens a producer under KEY_PREFIX on withRedis's connection, runs `work` and always closes it. */
export async function withJobProducer<T>(cli: Cli, config: Config, work: (producer: JobProducer) => Promise<T>): Promise<T> {
  return withRedis(cli, config, async (redis) => {
    // Silent: a refused Redis comes back as the error of the call, which the CLI prints as its one line.
    const logger = createLogger({ name: 'integrador-cli', level: 'silent' });
    const producer = new JobProducer({ connection: redis, prefix: config.keyPrefix, timeoutMs: config.redisCommandTimeoutMs, logger });
    try {
      return await work(producer);
    } finally {
      await producer.close();
    }
  });
}
