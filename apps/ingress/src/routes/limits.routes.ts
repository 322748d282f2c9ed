import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Nullable } from '@integrador/jobs';
import { type JobProducer, readDelayedNow, readLimitStatus, withRedisDeadline } from '@integrador/queue';
import { Type } from '@sinclair/typebox';
import { ErrorResponse } from '../schemas';

const LimitStatusResponse = Type.Object({
  filialId: Nullable(Type.Integer()),
  connection: Nullable(Type.String({ description: 'null: the limit counts the tenant’s jobs; else its calls through this connection' })),
  limit: Type.Union([
    Type.Object({
      ratePerSecond: Type.Number({ description: '0 = no rate limit' }),
      burst: Nullable(Type.Integer({ description: 'starts allowed back to back before the rate applies; null when there is no rate' })),
      maxConcurrency: Type.Integer({ description: '0 = no cap' }),
    }),
    Type.Null(),
  ]),
  currentRate: Type.Number({ description: 'admitted per second, last 5 s' }),
  admittedTotal: Type.Integer(),
  delayedTotal: Type.Object({ rate: Type.Integer(), concurrency: Type.Integer(), retryAfter: Type.Integer() }),
  activeNow: Type.Integer({ description: 'concurrency slots held now' }),
});

/** GET /v1/limits: the tenant's limits with their current rate, jobs waiting for them now, delayed counts and slots in use (read-only). */
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
              delayedNow: Type.Integer({ description: 'jobs of the tenant waiting now for a limit: rate + concurrency' }),
              delayedNowByReason: Type.Object({
                rate: Type.Integer({ description: 'waiting for their reserved rate slot' }),
                concurrency: Type.Integer({ description: 'waiting for a concurrency slot (every slot taken)' }),
              }),
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
        const [statuses, delayed] = await withRedisDeadline(
          Promise.all([readLimitStatus(redis, prefix, empresaId), readDelayedNow(redis, prefix, empresaId)]),
          timeoutMs,
          'read limits',
        );
        // A filial key sees the empresa-wide limits and its own filial's.
        const visible = statuses.filter((s) => filialId === null || s.scope.filialId === null || s.scope.filialId === filialId);
        return {
          delayedNow: delayed.rate + delayed.concurrency,
          delayedNowByReason: delayed,
          limits: visible.map((s) => ({
            filialId: s.scope.filialId,
            connection: s.scope.connection,
            // A burst means something only under a rate: the mirror keeps 1 for a scope without one.
            limit: s.limit && {
              ratePerSecond: s.limit.rate,
              burst: s.limit.rate > 0 ? s.limit.burst : null,
              maxConcurrency: s.limit.concurrency,
            },
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
