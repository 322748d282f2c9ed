import type { JobPayload } from '@integrador/jobs';
import { createLogger } from '@integrador/logging';
import { type JobHandler, type QueueHandlers, startQueueWorker } from '@integrador/queue';
import { createEmpresa, type Database } from '@integrador/store';
import type { TestQueues } from '@integrador/test-support/test-producer';
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { DeliveryDeps } from '../deliver';
import { insertEntregaOnce, insertMensagemOnce } from '../deliveries.repository';
import { runDeliveryJob } from '../delivery-job';
import { createDeliveryStore } from '../delivery-store';
import { createWebhookEndpoint } from '../endpoints.repository';
import { EndpointFlowControl } from '../flow-control';
import { createWebhookHttpClient, type WebhookHttpClient } from '../http-client';
import type { WebhookSettings } from '../settings';

/**
 * deliverOnce's dependencies on a test database and Redis: flow control giving each endpoint one slot, and a real HTTP
 * client under `settings` (the caller closes `http`).
 */
export function testDeliveryDeps(
  db: Kysely<Database>,
  redis: { redis: Redis; prefix: string },
  settings: WebhookSettings,
): DeliveryDeps & { http: WebhookHttpClient } {
  const flow = new EndpointFlowControl(redis.redis, redis.prefix, {
    breakerFailures: 3,
    breakerCooldownMs: 60000,
    endpointConcurrency: 1,
    leaseMs: 20000,
  });
  return { db, store: createDeliveryStore(db), http: createWebhookHttpClient(settings), flow, settings };
}

/**
 * A new empresa named `nome` with one endpoint (to `url`, signing secret reference `segredo`) and one pending delivery
 * per body, each of its own message (keys and webhook ids `nome` + index).
 */
export async function endpointWithDeliveries(
  db: Kysely<Database>,
  { nome, url, segredo, bodies }: { nome: string; url: string; segredo: string; bodies: string[] },
): Promise<{ empresaId: number; endpointId: number; entregaIds: number[] }> {
  const empresaId = await createEmpresa(db, nome);
  const endpoint = { nome, url, gatilhos: ['contato.criado' as const], ativo: true, cabecalhos: {}, limitePorSegundo: null };
  const endpointId = await createWebhookEndpoint(db, empresaId, endpoint, segredo);
  const entregaIds: number[] = [];
  for (const [i, payload] of bodies.entries()) {
    const mensagem = await insertMensagemOnce(db, {
      empresaId,
      chave: `${nome}${i}`,
      gatilho: 'contato.criado',
      tabela: 'contatos',
      registroId: String(i),
      webhookId: `msg_${nome}${i}`,
      payload,
    });
    entregaIds.push((await insertEntregaOnce(db, empresaId, mensagem.id, endpointId)).id);
  }
  return { empresaId, endpointId, entregaIds };
}

/**
 * Runs a real delivery worker on the test's queues, as worker-webhook wires it (runDeliveryJob with the job's operator
 * retries; `producer`: an operator's retry of a given-up delivery resends it), `concurrency` jobs at a time and as many
 * per endpoint, until `done`, then a moment more for any second job of a delivery.
 */
export async function deliverUntil(
  queues: TestQueues,
  db: Kysely<Database>,
  settings: WebhookSettings,
  done: () => Promise<boolean>,
  options: { concurrency: number; breakerFailures: number; producer?: boolean; settleMs?: number },
): Promise<void> {
  const logger = createLogger({ name: 'test', level: 'silent' });
  const http = createWebhookHttpClient(settings);
  const flow = new EndpointFlowControl(queues.redis, queues.prefix, {
    breakerFailures: options.breakerFailures,
    breakerCooldownMs: 30_000,
    endpointConcurrency: options.concurrency,
    leaseMs: 20_000,
  });
  const deps: DeliveryDeps = {
    db,
    store: createDeliveryStore(db),
    http,
    flow,
    settings,
    logger,
    ...(options.producer ? { producer: queues.producer } : {}),
  };
  let worker: Worker | undefined;
  try {
    worker = startQueueWorker({
      queue: 'webhook',
      connection: queues.workerRedis,
      prefix: queues.prefix,
      concurrency: options.concurrency,
      logger,
      handlers: {
        'webhook.deliver': ((payload, ctx) => runDeliveryJob(deps, payload, ctx.job, ctx.token, ctx.operatorRetries)) as JobHandler<
          JobPayload<'webhook', 'webhook.deliver'>
        >,
      } as unknown as QueueHandlers<'webhook'>,
    });
    for (let i = 0; i < 400 && !(await done()); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    await new Promise((resolve) => setTimeout(resolve, options.settleMs ?? 500));
  } finally {
    await worker?.close();
    await http.close();
  }
}
