import { type JobProducer, withRedisDeadline } from '@integrador/queue';
import { type CrmDatabase, pingDatabase } from '@integrador/store';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';

export interface HealthDeps {
  redis: Redis;
  producer: JobProducer;
  database: CrmDatabase;
  timeoutMs: number;
}

async function check(run: () => Promise<unknown>): Promise<'ok' | string> {
  try {
    await run();
    return 'ok';
  } catch (err) {
    return (err as Error).message.split('\n')[0] ?? 'unavailable';
  }
}

/** /healthz: the process answers (liveness). /readyz: Redis and the CRM database answer (readiness). */
export function healthRoutes(deps: HealthDeps) {
  return async (app: FastifyInstance) => {
    app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
    app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
      const [redis, database] = await Promise.all([
        check(async () => {
          await withRedisDeadline(deps.redis.ping(), deps.timeoutMs, 'PING');
          await deps.producer.guard.ensureUsable();
        }),
        check(() => withTimeout(pingDatabase(deps.database.db), deps.timeoutMs)),
      ]);
      const ready = redis === 'ok' && database === 'ok';
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks: { redis, database } });
    });
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
