import { parseConnections } from '@integrador/connections';
import { createLogger } from '@integrador/logging';
import { createRedis, JobProducer, waitUntilReady } from '@integrador/queue';
import { createDatabase } from '@integrador/store';
import { TEST_REDIS_URL, testPrefix } from '@integrador/test-support/redis-server';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../apps/ingress/src/build-app';

/**
 * The ingress as production builds it, for reading its routes and OpenAPI document (in-memory CRM, no tenant);
 * `dashboard: true` mounts the operators' dashboard too, as the all-in-one default (DASHBOARD=on) does.
 */
export async function buildDocsApp(options: { dashboard?: boolean } = {}): Promise<{ app: FastifyInstance; close(): Promise<void> }> {
  const logger = createLogger({ name: 'docs-test', level: 'silent' });
  const database = createDatabase('sqlite::memory:');
  const redis = createRedis(TEST_REDIS_URL, { role: 'producer' });
  await waitUntilReady(redis);
  const prefix = testPrefix();
  const producer = new JobProducer({ connection: redis, prefix, timeoutMs: 2000, logger });
  const connections = parseConnections('{"connections":{}}', 'json', {}, 'test');
  const dashboard = options.dashboard ? { dashboard: { secureCookies: false } } : {};
  const app = await buildApp({ database, redis, producer, connections, logger, keyPrefix: prefix, checkTimeoutMs: 2000, ...dashboard });
  await app.ready();
  return {
    app,
    async close() {
      await app.close();
      await producer.close();
      redis.disconnect();
      await database.destroy();
    },
  };
}
