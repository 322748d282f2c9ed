import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { QUEUE_NAMES } from '@integrador/jobs';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { sendError } from './access';
import type { DashboardDeps } from './deps';

/**
 * bull-board's page (its index.ejs, no option to turn it off) links Google Fonts' style sheet: each admin's browser
 * would call fonts.googleapis.com (telling Google who opens the queues, and waiting on it offline). The tag is dropped
 * from the page, which then uses its style sheet's fallback (the system's sans-serif and monospace); BULL_BOARD_CSP
 * (security-headers.ts) keeps any other outside style or font from loading.
 */
const EXTERNAL_FONTS = /<link\b[^>]*\bhref="https:\/\/fonts\.(?:googleapis|gstatic)\.com\/[^"]*"[^>]*>\s*/g;

/**
 * bull-board (the raw queue browser) under /dashboard/filas, for admins only: it knows queues, not tenants, so an
 * operador or leitor would see every tenant's jobs. Read-only: actions go through the dashboard, which audits them.
 */
export async function mountBullBoard(app: FastifyInstance, deps: DashboardDeps): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath('/dashboard/filas');
  const adapters = (queues: readonly Queue[]) => queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: true }));
  let shown = QUEUE_NAMES.map((name) => deps.producer.queue(name));
  const board = createBullBoard({ queues: adapters(shown), serverAdapter });
  await app.register(async (scope) => {
    scope.addHook('onRequest', async (request, reply) => {
      if (request.viewer?.papel !== 'admin') return sendError(reply, 403, 'FORBIDDEN', 'admin only');
      // The producer replaces a queue whose start failed (Redis slow or frozen as the ingress started): that one
      // rejects every call for good, so the board shows the producer's queues of now, not those it was built with.
      const current = QUEUE_NAMES.map((name) => deps.producer.queue(name));
      if (current.some((queue, index) => queue !== shown[index])) {
        shown = current;
        board.replaceQueues(adapters(current));
      }
    });
    scope.addHook('onSend', async (_request, reply, payload) =>
      typeof payload === 'string' && String(reply.getHeader('content-type')).startsWith('text/html')
        ? payload.replace(EXTERNAL_FONTS, '')
        : payload,
    );
    await scope.register(serverAdapter.registerPlugin(), { prefix: '/dashboard/filas' });
  });
}
