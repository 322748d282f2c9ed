import { createEmpresa, type Database } from '@integrador/store';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { DeliveryDeps } from '../deliver';
import { insertEntregaOnce, insertMensagemOnce } from '../deliveries.repository';
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
