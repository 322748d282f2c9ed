import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { QUEUE_NAMES } from '@integrador/jobs';
import type { FastifyInstance } from 'fastify';
import { sendError } from './access';
import type { DashboardDeps } from './deps';

/**
 * bull-board (the raw queue browser) under /dashboard/filas, for admins only: it knows queues, not tenants, so an
 * operador or leitor would see every tenant's jobs. Read-only: actions go through the dashboard, which audits them.
 */
export async function mountBullBoard(app: FastifyInstance, deps: DashboardDeps): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath('/dashboard/filas');
  createBullBoard({
    queues: QUEUE_NAMES.map((name) => new BullMQAdapter(deps.producer.queue(name), { readOnlyMode: true })),
    serverAdapter,
  });
  await app.register(async (scope) => {
    scope.addHook('onRequest', async (request, reply) => {
      if (request.viewer?.papel !== 'admin') return sendError(reply, 403, 'FORBIDDEN', 'admin only');
    });
    await scope.register(serverAdapter.registerPlugin(), { prefix: '/dashboard/filas' });
  });
}
