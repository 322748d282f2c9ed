import { randomUUID } from 'node:crypto';
import type { JobProducer } from '@integrador/queue';
import type { Database } from '@integrador/store';
import type { Kysely } from 'kysely';
import { insertEntregaOfEndpoint, insertMensagemOnce } from './deliveries.repository';
import { endpointsForGatilho, findWebhookEndpoint } from './endpoints.repository';
import { firingOperacoes, type Gatilho, gatilhoOf, isConcluida, type Operacao, type WebhookTable } from './gatilhos';
import { newWebhookId } from './message-id';
import { CANCELLED_DISABLED, cancelReasonOf, type NothingSentCode } from './messages';
import { creationDateOf, loadTableRow, payloadOfRow } from './payloads';
import { keepCriacao } from './record-dates.repository';
import { resendEntrega } from './resend-entrega';

/** One CRM change, as the change-event route or the capture outbox reports it. */
export interface CrmChange {
  empresaId: number;
  /** The filial of the key that reported it (the route): another filial's row is not found. Null or absent: the empresa. */
  filialId?: number | null | undefined;
  tabela: WebhookTable;
  registroId: string;
  operacao: Operacao;
  /** Idempotency: the same key publishes (and delivers) once. */
  chave: string;
  /**
   * The status the change set, as the capture triggers saw it ('' for none). It decides an atividade.concluida and is
   * the payload's status: the row may have changed again before the outbox was drained. Undefined or null when not
   * known (the change-event route, an outbox row written before migration 018): the row's status as it is now.
   */
  status?: string | null | undefined;
  /**
   * When the change happened: the outbox row's time, the change-event's arrival. An oportunidade's `criacao` and
   * `ultimaAlteracaoStatus` fall back to it (seed 004 fields the table has no column for).
   */
  em?: Date | undefined;
}

export interface NothingSent {
  code: NothingSentCode;
  params: Record<string, string>;
}

/**
 * What publishing a change did: the gatilho it fired (if any), the deliveries it created or found (one job each), the
 * ones recorded `cancelada` for disabled endpoints (`canceladas`, only when there are some: a recover sends them once
 * the endpoint is enabled again), and why nothing was sent.
 */
export interface PublishResult {
  gatilho: Gatilho | null;
  entregas: number[];
  canceladas?: number[] | undefined;
  motivo?: NothingSent | undefined;
}

/** The deterministic job id of a (change, endpoint) delivery: enqueuing it twice adds one job. */
export function deliveryJobId(mensagemId: number, endpointId: number): string {
  return `whd-${mensagemId}-${endpointId}`;
}

const nothing = (gatilho: Gatilho | null, code: NothingSentCode, params: Record<string, string>): PublishResult => ({
  gatilho,
  entregas: [],
  motivo: { code, params },
});

/** Why a change of an existing row fired no gatilho, naming the operacoes that would fire one. */
function noGatilho(change: CrmChange, status: unknown): PublishResult {
  const disparam = firingOperacoes(change.tabela)
    .map((f) => `${f.operacao} → ${f.gatilho}`)
    .join(', ');
  const params = { tabela: change.tabela, operacao: change.operacao, id: change.registroId, disparam };
  if (change.tabela === 'atividades' && (change.operacao === 'status_alterado' || change.operacao === 'concluido')) {
    return nothing(null, 'NOT_CONCLUDED', { ...params, status: status === null || status === undefined ? '' : String(status) });
  }
  return nothing(null, 'NO_GATILHO', params);
}

/**
 * Fans one change out to the tenant's endpoints of its gatilho: the payload is built once (seed 004) and stored under
 * the change's key, one delivery row per endpoint, one job per active endpoint's delivery with a deterministic id. A
 * disabled endpoint's delivery is recorded `cancelada` (ENDPOINT_DISABLED) with no job, so that re-enabling it and a
 * recover since a time before the change sends it (nothing made while it was disabled is lost); whether the endpoint
 * is active is decided in the delivery's insert (insertEntregaOfEndpoint), not by the read before it. Repeating the
 * same change (same key) creates nothing new, except that a delivery it finds cancelled by the disabling, its endpoint
 * active again, is sent again as a recover sends it (resendEntrega) and reported under `entregas`. When nothing is
 * sent the answer says why (`motivo`).
 */
export async function publishChange(db: Kysely<Database>, producer: JobProducer, change: CrmChange): Promise<PublishResult> {
  const read = await loadTableRow(db, change.empresaId, change.tabela, change.registroId, change.filialId ?? null);
  const captured = change.status ?? undefined;
  // The row as the change left its status (the rest as it is now: the payload is built at publish time).
  const row = read && captured !== undefined ? { ...read, status: captured } : read;
  const notFound = { tabela: change.tabela, id: change.registroId };
  const gatilho = gatilhoOf(change.tabela, change.operacao, isConcluida(row?.status as string | null));
  if (!gatilho) return row ? noGatilho(change, row.status) : nothing(null, 'NO_ROW', notFound);
  // An oportunidade's creation date, kept past the retention of its bodies (its table has no creation column): a later
  // status change's body carries it. Kept whether or not an endpoint takes the creation itself.
  const criacao = gatilho === 'oportunidade.criada' && row ? creationDateOf(row, change.em) : null;
  if (row && criacao) await keepCriacao(db, change.empresaId, 'oportunidades', String(row.id), criacao);
  const endpoints = await endpointsForGatilho(db, change.empresaId, gatilho);
  if (!endpoints.length) return row ? nothing(gatilho, 'NO_ENDPOINT', { gatilho }) : nothing(gatilho, 'NO_ROW', notFound);
  const existing = await db
    .selectFrom('webhook_mensagens')
    .select('id')
    .where('empresa_id', '=', change.empresaId)
    .where('chave', '=', change.chave)
    .executeTakeFirst();
  let mensagemId = existing ? Number(existing.id) : undefined;
  if (mensagemId === undefined) {
    if (!row) return nothing(gatilho, 'NO_ROW', notFound);
    const inserted = await insertMensagemOnce(db, {
      empresaId: change.empresaId,
      chave: change.chave,
      gatilho,
      tabela: change.tabela,
      registroId: change.registroId,
      webhookId: newWebhookId(),
      payload: JSON.stringify(await payloadOfRow(db, change.empresaId, gatilho, row, change.em)),
    });
    mensagemId = inserted.id;
  }
  const entregas: number[] = [];
  const canceladas: number[] = [];
  for (const endpoint of endpoints) {
    const entrega = await insertEntregaOfEndpoint(db, change.empresaId, mensagemId, endpoint.id);
    // Deleted since it was read: nothing to deliver to.
    if (!entrega) continue;
    if (cancelReasonOf(entrega.status, entrega.ultimoErro) === CANCELLED_DISABLED) {
      // Found cancelled by an earlier publish of this key while the endpoint was disabled, and it is active now (a
      // stale claim taken over, an outbox row drained again): sent again as a recover would, not left cancelled. Active
      // as read now, not in the list read before the insert: an endpoint disabled since keeps its delivery cancelled. The
      // read spares a held job for an endpoint disabled already; the restart's UPDATE decides (restartEntrega requires
      // the endpoint active in the same statement), so one disabled between this read and it keeps it cancelled too.
      const restart = !entrega.created && (await findWebhookEndpoint(db, change.empresaId, endpoint.id))?.ativo === true;
      const recoverId = randomUUID().replaceAll('-', '');
      const entregaAgain = { id: entrega.id, status: 'cancelada' as const, ultimoErro: entrega.ultimoErro };
      if (restart && (await resendEntrega(db, producer, change.empresaId, endpoint.id, entregaAgain, recoverId))) entregas.push(entrega.id);
      else canceladas.push(entrega.id);
      continue;
    }
    await producer.enqueue(
      'webhook',
      'webhook.deliver',
      { tenant: { empresaId: change.empresaId, filialId: null }, entregaId: entrega.id, endpointId: endpoint.id },
      { jobId: deliveryJobId(mensagemId, endpoint.id) },
    );
    entregas.push(entrega.id);
  }
  if (!canceladas.length) return { gatilho, entregas };
  return {
    gatilho,
    entregas,
    canceladas,
    ...(entregas.length ? {} : { motivo: { code: 'ENDPOINTS_DISABLED' as const, params: { gatilho } } }),
  };
}
