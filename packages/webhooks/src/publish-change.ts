import { randomUUID } from 'node:crypto';
import type { JobProducer } from '@integrador/queue';
import type { Database } from '@integrador/store';
import type { Kysely } from 'kysely';
import { insertEntregaOnce, insertMensagemOnce } from './deliveries.repository';
import { endpointsForGatilho } from './endpoints.repository';
import { type Gatilho, gatilhoOf, isConcluida, type Operacao } from './gatilhos';
import { buildPayload, loadRow } from './payloads';

/** One CRM change, as the change-event route or the capture outbox reports it. */
export interface CrmChange {
  empresaId: number;
  tabela: string;
  registroId: string;
  operacao: Operacao;
  /** Idempotency: the same key publishes (and delivers) once. */
  chave: string;
}

/** What publishing a change did: the gatilho it fired (if any) and the deliveries it created or found. */
export interface PublishResult {
  gatilho: Gatilho | null;
  entregas: number[];
}

/** The deterministic job id of a (change, endpoint) delivery: enqueuing it twice adds one job. */
export function deliveryJobId(mensagemId: number, endpointId: number): string {
  return `whd-${mensagemId}-${endpointId}`;
}

async function gatilhoOfChange(db: Kysely<Database>, change: CrmChange): Promise<Gatilho | undefined> {
  if (change.tabela !== 'atividades' || change.operacao !== 'status_alterado') return gatilhoOf(change.tabela, change.operacao);
  const row = await loadRow(db, change.empresaId, 'atividade.concluida', change.registroId);
  return gatilhoOf(change.tabela, change.operacao, isConcluida(row?.status as string | null));
}

/**
 * Fans one change out to the tenant's active endpoints of its gatilho: the payload is built once (seed 004) and stored
 * under the change's key, one delivery row per endpoint, one job per delivery with a deterministic id. Repeating the
 * same change (same key) creates nothing new.
 */
export async function publishChange(db: Kysely<Database>, producer: JobProducer, change: CrmChange): Promise<PublishResult> {
  const gatilho = await gatilhoOfChange(db, change);
  if (!gatilho) return { gatilho: null, entregas: [] };
  const endpoints = await endpointsForGatilho(db, change.empresaId, gatilho);
  if (!endpoints.length) return { gatilho, entregas: [] };
  const existing = await db
    .selectFrom('webhook_mensagens')
    .select('id')
    .where('empresa_id', '=', change.empresaId)
    .where('chave', '=', change.chave)
    .executeTakeFirst();
  let mensagemId = existing ? Number(existing.id) : undefined;
  if (mensagemId === undefined) {
    const payload = await buildPayload(db, change.empresaId, gatilho, change.registroId);
    if (!payload) return { gatilho, entregas: [] };
    const inserted = await insertMensagemOnce(db, {
      empresaId: change.empresaId,
      chave: change.chave,
      gatilho,
      tabela: change.tabela,
      registroId: change.registroId,
      webhookId: `msg_${randomUUID().replaceAll('-', '')}`,
      payload: JSON.stringify(payload),
    });
    mensagemId = inserted.id;
  }
  const entregas: number[] = [];
  for (const endpoint of endpoints) {
    const entrega = await insertEntregaOnce(db, change.empresaId, mensagemId, endpoint.id);
    await producer.enqueue(
      'webhook',
      'webhook.deliver',
      { tenant: { empresaId: change.empresaId, filialId: null }, entregaId: entrega.id, endpointId: endpoint.id },
      { jobId: deliveryJobId(mensagemId, endpoint.id) },
    );
    entregas.push(entrega.id);
  }
  return { gatilho, entregas };
}
