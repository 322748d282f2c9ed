import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Nullable } from '@integrador/jobs';
import { type JobProducer, limitKeys, readLimitStatus, withRedisDeadline } from '@integrador/queue';
import { Type } from '@sinclair/typebox';
import { ErrorResponse } from '../schemas';

const LimitStatusResponse = Type.Object({
  filialId: Nullable(Type.Integer()),
  connection: Nullable(Type.String({ description: 'null: the limit counts the tenant’s jobs; else its calls through this connection' })),
  limit: Type.Union([
    Type.Object({
      ratePerSecond: Type.Number({ description: '0 = no rate limit' }),
      burst: Type.Integer(),
      maxConcurrency: Type.Integer({ description: '0 = no cap' }),
    }),
    Type.Null(),
  ]),
  currentRate: Type.Number({ description: 'admitted per second, last 5 s' }),
  admittedTotal: Type.Integer(),
  delayedTotal: Type.Object({ rate: Type.Integer(), concurrency: Type.Integer(), retryAfter: Type.Integer() }),
  activeNow: Type.Integer({ description: 'concurrency slots held now' }),
});

/** GET /v1/limits: the tenant's limits with their current rate, delayed-by-limit counts and slots in use (read-only). */
export function limitsRoutes(producer: JobProducer, prefix: string, timeoutMs: number): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/limits',
      {
        schema: {
          tags: ['limits'],
          summary: 'Per-tenant rate limits and concurrency caps, with what they are doing now',
          response: {
            200: Type.Object({
              delayedNow: Type.Integer({ description: 'jobs of the tenant waiting now for a rate-limit slot' }),
              limits: Type.Array(LimitStatusResponse),
            }),
            401: ErrorResponse,
            503: ErrorResponse,
          },
        },
      },
      async (request) => {
        const { empresaId, filialId } = request.tenant;
        await producer.guard.ensureUsable();
        const redis = producer.connection;
        const [statuses, delayedNow] = await withRedisDeadline(
          Promise.all([readLimitStatus(redis, prefix, empresaId), redis.zcard(limitKeys.reservations(prefix, empresaId))]),
          timeoutMs,
          'read limits',
        );
        // A filial key sees the empresa-wide limits and its own filial's.
        const visible = statuses.filter((s) => filialId === null || s.scope.filialId === null || s.scope.filialId === filialId);
        return {
          delayedNow,
          limits: visible.map((s) => ({
            filialId: s.scope.filialId,
            connection: s.scope.connection,
            limit: s.limit && { ratePerSecond: s.limit.rate, burst: s.limit.burst, maxConcurrency: s.limit.concurrency },
            currentRate: Math.round(s.currentRate * 100) / 100,
            admittedTotal: s.admittedTotal,
            delayedTotal: { rate: s.delayedTotal.rate, concurrency: s.delayedTotal.concurrency, retryAfter: s.delayedTotal['retry-after'] },
            activeNow: s.activeNow,
          })),
        };
      },
    );
  };
}
