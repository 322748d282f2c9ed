import type { JobProducer } from '@integrador/queue';
import { createEmpresa, issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { type PrivateRedis, startPrivateRedis } from '@integrador/test-support/redis-server';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Redis } from 'ioredis';
import type { IngressDeps } from '../../apps/ingress/src/build-app';
import { startTestIngress } from './test-ingress';

export interface PrivateRedisIngressOptions {
  /** Extra redis-server arguments (`--maxmemory 4mb`, `--appendonly yes`…). */
  redisArgs?: string[];
  /** The producer connection's per-command timeout, the JobProducer's add timeout and the readiness check's (ms). */
  commandTimeoutMs?: number;
  enqueueTimeoutMs?: number;
  checkTimeoutMs?: number;
  /** Fields of buildApp's deps beyond the common ones (e.g. `cti`). */
  extraDeps?: Partial<IngressDeps>;
}

/** An ingress app (app.inject) over a private redis-server the test may stop, kill or freeze, with one empresa and its key. */
export interface PrivateRedisIngress {
  server: PrivateRedis;
  database: TestDatabase;
  redis: Redis;
  producer: JobProducer;
  app: FastifyInstance;
  prefix: string;
  empresaId: number;
  key: string;
  /** POST /v1/ping on queue `set` with the empresa's key (and an Idempotency-Key when given). */
  ping(idempotencyKey?: string, body?: Record<string, unknown>): Promise<LightMyRequestResponse>;
  /** Resumes a frozen server, closes the app, producer and connection, removes the server and the database. */
  close(): Promise<void>;
}

/**
 * The setup the Redis-down, Redis-frozen, Redis-full and CTI-Redis-down tests share: a private redis-server, a SQLite
 * CRM with one empresa and API key, a producer connection that gives up quickly, and buildApp over them.
 */
export async function startPrivateRedisIngress(options: PrivateRedisIngressOptions = {}): Promise<PrivateRedisIngress> {
  const server = await startPrivateRedis(options.redisArgs);
  const database = await createTestDatabase('sqlite');
  const empresaId = await createEmpresa(database.db, 'Empresa A');
  const key = await issueApiKey(database.db, empresaId, null, 'a');
  const ingress = await startTestIngress(database, {
    redisUrl: server.url,
    commandTimeoutMs: options.commandTimeoutMs ?? 500,
    enqueueTimeoutMs: options.enqueueTimeoutMs ?? 1000,
    deps: { checkTimeoutMs: options.checkTimeoutMs ?? 1000, ...options.extraDeps },
  });
  const { app, redis, producer, prefix } = ingress;
  return {
    server,
    database,
    redis,
    producer,
    app,
    prefix,
    empresaId,
    key,
    ping: (idempotencyKey, body = {}) =>
      app.inject({
        method: 'POST',
        url: '/v1/ping',
        headers: { authorization: `Bearer ${key}`, ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) },
        payload: { queue: 'set', ...body },
      }),
    async close() {
      server.signal('SIGCONT');
      await ingress.close();
      await server.stop();
      await database.drop();
    },
  };
}
