import { HUB_VERSION } from '@integrador/config';
import { type JobProducer, RedisFullError, withRedisDeadline } from '@integrador/queue';
import { type CrmDatabase, pingDatabase } from '@integrador/store';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';

export interface HealthDeps {
  redis: Redis;
  /** The fleet's key prefix: the readiness write lands on a key of it (its hash tag: this ingress's Cluster slot). */
  keyPrefix: string;
  producer: JobProducer;
  database: CrmDatabase;
  timeoutMs: number;
  /** The id of the npm start that launched this process (FLEET_START_ID): /healthz reports it, so that fleet knows its own ingress. */
  fleetStartId?: string | undefined;
}

async function check(run: () => Promise<unknown>): Promise<'ok' | string> {
  try {
    await run();
    return 'ok';
  } catch (err) {
    return (err as Error).message.split('\n')[0] ?? 'unavailable';
  }
}

// Plain JSON schemas (the runtime has no TypeBox): the answers' shapes, kept out of the OpenAPI document (hide).
const Health = {
  type: 'object',
  required: ['status', 'version'],
  properties: { status: { const: 'ok' }, version: { type: 'string' }, fleetStart: { type: 'string' } },
} as const;
/** Both answers of /readyz: each check says `ok` or why it failed. */
const Readiness = {
  type: 'object',
  required: ['status', 'checks'],
  properties: {
    status: { enum: ['ready', 'unavailable'] },
    checks: { type: 'object', required: ['redis', 'database'], properties: { redis: { type: 'string' }, database: { type: 'string' } } },
  },
} as const;

/**
 * /healthz: the process answers (liveness), with the hub's version (which release this pod runs) and the id of the npm start that launched it when one did (another fleet's
 * ingress on the same port answers another id). /readyz: Redis takes a write (or refuses it only for being full) and the
 * CRM database answers (readiness). The ingress serves them, and the dashboard run on its own.
 */
export function healthRoutes(deps: HealthDeps) {
  return async (app: FastifyInstance) => {
    // Probes stay out of the OpenAPI document (like /metrics): an orchestrator's contract, not the API's.
    app.get('/healthz', { schema: { hide: true, response: { 200: Health } } }, async () =>
      deps.fleetStartId === undefined
        ? { status: 'ok', version: HUB_VERSION }
        : { status: 'ok', version: HUB_VERSION, fleetStart: deps.fleetStartId },
    );
    app.get('/readyz', { schema: { hide: true, response: { 200: Readiness, 503: Readiness } } }, async (_request, reply) => {
      let full = false;
      const [redis, database] = await Promise.all([
        check(async () => {
          // A write, not PING: a node turned replica by a failover (or short of replicas, or failing its snapshots)
          // answers PING but refuses every enqueue; a 5 s key, overwritten by each probe, leaves nothing behind.
          try {
            await withRedisDeadline(deps.redis.set(`${deps.keyPrefix}:readyz`, '1', 'PX', 5000), deps.timeoutMs, 'readiness write');
          } catch (err) {
            // A full Redis (maxmemory) is every ingress's Redis: failing them all would make the load balancer drop the
            // reads and the dashboard too, and help no write. Ready, saying so; each write answers 503 with Retry-After.
            if (!(err instanceof RedisFullError)) throw err;
            full = true;
            throw err;
          }
          await deps.producer.guard.ensureUsable();
        }),
        check(() => withTimeout(pingDatabase(deps.database.db), deps.timeoutMs)),
      ]);
      const ready = (redis === 'ok' || full) && database === 'ok';
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
