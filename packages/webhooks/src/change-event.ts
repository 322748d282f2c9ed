import { randomUUID } from 'node:crypto';
import type { JobProducer } from '@integrador/queue';
import type { Database } from '@integrador/store';
import type { Kysely } from 'kysely';
import { isWebhookTable, type Operacao } from './gatilhos';
import { type PublishResult, publishChange } from './publish-change';

/** A change the CRM reports on the change-event route. */
export interface ChangeEvent {
  tabela: string;
  /** The changed row's id (needed for webhooks; SET integrations read their parametros). */
  id?: string | undefined;
  operacao?: Operacao | undefined;
  /** The same key twice changes nothing twice (the first answer is returned). */
  chaveIdempotencia?: string | undefined;
}

export interface ChangeEventDeps<S> {
  db: Kysely<Database>;
  producer: JobProducer;
  /** Runs the SET integrations of the table (the existing enqueue path) and answers their report. */
  runSetIntegrations: () => Promise<S>;
  /** When the capture triggers are installed they report every change themselves: the route then fans out SET only. */
  captureByTriggers: boolean;
}

/** The route's answer: the SET report, the webhooks fired, and whether this was a repeat of a key already seen. */
export type WebhookFanOut = (PublishResult & { via: 'route' | 'triggers' }) | null;
export type ChangeEventResult<S> = S & {
  webhooks: WebhookFanOut;
  chaveIdempotencia: string;
  deduplicated: boolean;
};

async function claim(db: Kysely<Database>, empresaId: number, chave: string, event: ChangeEvent) {
  const find = () =>
    db
      .selectFrom('crm_mudancas')
      .select(['id', 'resultado'])
      .where('empresa_id', '=', empresaId)
      .where('chave', '=', chave)
      .executeTakeFirst();
  const existing = await find();
  if (existing) return existing;
  try {
    await db
      .insertInto('crm_mudancas')
      .values({ empresa_id: empresaId, chave, tabela: event.tabela, registro_id: event.id ?? null, operacao: event.operacao ?? 'alterado' })
      .execute();
  } catch (err) {
    const raced = await find();
    if (raced) return raced;
    throw err;
  }
  return undefined;
}

const release = (db: Kysely<Database>, empresaId: number, chave: string) =>
  db.deleteFrom('crm_mudancas').where('empresa_id', '=', empresaId).where('chave', '=', chave).execute();

/**
 * The single change-event path: claims the idempotency key (a repeat answers the first result and does nothing), runs
 * the table's SET integrations and publishes the change to the webhooks of its gatilho. A failure releases the key, so
 * the CRM's retry of the same event does the work.
 */
export async function receiveChangeEvent<S extends object>(
  deps: ChangeEventDeps<S>,
  empresaId: number,
  event: ChangeEvent,
): Promise<ChangeEventResult<S>> {
  const chave = event.chaveIdempotencia ?? `auto-${randomUUID()}`;
  const seen = await claim(deps.db, empresaId, chave, event);
  if (seen) {
    const first = seen.resultado ? (JSON.parse(seen.resultado) as ChangeEventResult<S>) : undefined;
    return {
      ...(first ?? ({} as S)),
      webhooks: first?.webhooks ?? null,
      chaveIdempotencia: chave,
      deduplicated: true,
    } as ChangeEventResult<S>;
  }
  try {
    const set = await deps.runSetIntegrations();
    const tabela = event.tabela.toLowerCase();
    let webhooks: WebhookFanOut = null;
    if (event.id !== undefined && isWebhookTable(tabela)) {
      webhooks = deps.captureByTriggers
        ? { gatilho: null, entregas: [], via: 'triggers' }
        : {
            ...(await publishChange(deps.db, deps.producer, {
              empresaId,
              tabela,
              registroId: event.id,
              operacao: event.operacao ?? 'alterado',
              chave: `evt:${chave}`,
            })),
            via: 'route',
          };
    }
    const result = { ...set, webhooks, chaveIdempotencia: chave, deduplicated: false } as ChangeEventResult<S>;
    await deps.db
      .updateTable('crm_mudancas')
      .set({ resultado: JSON.stringify(result) })
      .where('empresa_id', '=', empresaId)
      .where('chave', '=', chave)
      .execute();
    return result;
  } catch (err) {
    await release(deps.db, empresaId, chave).catch(() => undefined);
    throw err;
  }
}
