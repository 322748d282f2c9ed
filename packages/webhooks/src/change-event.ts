import { createHash, randomUUID } from 'node:crypto';
import type { JobProducer } from '@integrador/queue';
import type { Database } from '@integrador/store';
import { type Kysely, PostgresAdapter, SqliteAdapter, sql } from 'kysely';
import { WebhookError } from './errors';
import { isWebhookTable, type Operacao, WEBHOOK_TABLES } from './gatilhos';
import { type PublishResult, publishChange } from './publish-change';

/** A change the CRM reports on the change-event route. */
export interface ChangeEvent {
  tabela: string;
  /** The changed row's id (needed for webhooks; SET integrations read their parametros). */
  id?: string | undefined;
  operacao?: Operacao | undefined;
  /** The same key twice changes nothing twice (the first answer is returned). */
  chaveIdempotencia?: string | undefined;
  /**
   * The caller's filial (a filial key): a row of another filial is, as for another tenant, not there (NO_ROW); the
   * chave belongs to this scope (another filial's event under the same chave is its own).
   */
  filialId?: number | null | undefined;
  /** The fingerprint of the request body: the same chave with another body is refused (422 CHANGE_KEY_REUSED). */
  impressao?: string | undefined;
  /** Fingerprints an earlier version gave this same body: a claim holding one of them is this event's, not another's. */
  impressoesAnteriores?: readonly string[] | undefined;
}

export interface ChangeEventDeps<S> {
  db: Kysely<Database>;
  producer: JobProducer;
  /** Runs the SET integrations of the table (the existing enqueue path) and answers their report. */
  runSetIntegrations: () => Promise<S>;
  /** When the capture triggers are installed they report every change themselves: the route then fans out SET only. */
  captureByTriggers: boolean;
  /** The tables the tenant's SET integrations run on: with the webhook tables, the ones a change event may name. */
  setTables: readonly string[];
}

/** The route's answer: the SET report, the webhooks fired, and whether this was a repeat of a key already seen. */
export type WebhookFanOut = (PublishResult & { via: 'route' | 'triggers' }) | null;
export type ChangeEventResult<S> = S & {
  webhooks: WebhookFanOut;
  chaveIdempotencia: string;
  deduplicated: boolean;
};

/** webhook_mensagens.chave's size (varchar(200)). */
const MESSAGE_KEY_MAX = 200;

/**
 * The webhook message key of a change event's idempotency key: for a key of the whole empresa `evt:<key>`, or, when
 * that outgrows the column (a key of 197–200 characters), `evt#` and the key's sha256 in hex; for a filial key
 * (scope > 0) `evtf#` and the sha256 of scope and key — one per key, scope and tenant, the three forms never equal.
 */
function messageKeyOf(chave: string, scope: number): string {
  if (scope !== 0) return `evtf#${createHash('sha256').update(`${scope}|${chave}`).digest('hex')}`;
  const plain = `evt:${chave}`;
  return plain.length <= MESSAGE_KEY_MAX ? plain : `evt#${createHash('sha256').update(chave).digest('hex')}`;
}

/** The scope a chave belongs to (crm_mudancas.filial_escopo): the caller's filial, 0 for a key of the whole empresa. */
const scopeOf = (event: ChangeEvent) => event.filialId ?? 0;

/**
 * The claim of a chave in the caller's scope; failing that, a claim written before claims had scopes (migration 019
 * put them all under 0, impressao NULL), when a chave was the whole empresa's: a filial's retry of such an event is a
 * replay of it, as it was before the upgrade, not a new event sent again.
 */
const findClaim = (db: Kysely<Database>, empresaId: number, scope: number, chave: string) =>
  db
    .selectFrom('crm_mudancas')
    .select(['id', 'resultado', 'impressao'])
    .where('empresa_id', '=', empresaId)
    .where('chave', '=', chave)
    .where((eb) => eb.or([eb('filial_escopo', '=', scope), eb.and([eb('filial_escopo', '=', 0), eb('impressao', 'is', null)])]))
    .orderBy('filial_escopo', 'desc')
    .limit(1)
    .executeTakeFirst();

type Seen = { id: number; resultado: string | null; impressao: string | null };

/** A claim's outcome: this attempt's own new claim (its id), or the claim a concurrent attempt already holds. */
type Claim = { mine: number; seen?: undefined } | { mine?: undefined; seen: Seen };

/**
 * Claims a key not seen yet and answers the new claim's id from the insert itself (RETURNING where the database has it,
 * insertId on MySQL/MariaDB: no read-back); a concurrent claim of the same key (the insert's conflict) answers that one.
 */
async function claim(db: Kysely<Database>, empresaId: number, chave: string, event: ChangeEvent): Promise<Claim> {
  const insert = db.insertInto('crm_mudancas').values({
    empresa_id: empresaId,
    filial_escopo: scopeOf(event),
    chave,
    tabela: event.tabela,
    registro_id: event.id ?? null,
    operacao: event.operacao ?? 'alterado',
    impressao: event.impressao ?? null,
  });
  try {
    if (db.getExecutor().adapter.supportsReturning) return { mine: Number((await insert.returning('id').executeTakeFirstOrThrow()).id) };
    return { mine: Number((await insert.executeTakeFirstOrThrow()).insertId) };
  } catch (err) {
    const raced = await findClaim(db, empresaId, scopeOf(event), chave);
    if (raced) return { seen: raced };
    throw err;
  }
}

/**
 * How long a claim may wait for its answer before a repeat of its key takes it over. A first attempt writes its answer
 * within a second or two (it enqueues jobs and stores a message); a claim older than this belonged to a process that
 * died mid-way, and without the takeover every retry of that event would be a 409 forever (nothing would send it).
 */
export const CHANGE_CLAIM_STALE_MS = 120_000;

/**
 * Deletes the claim `id` when it is still unanswered and older than CHANGE_CLAIM_STALE_MS; true when this call did (the
 * caller then claims the key anew; of concurrent repeats one deletes, the others meet its new claim: 409). The age is
 * judged by the database's clock on its own column (SQLite stores CURRENT_TIMESTAMP as text: compared as julianday).
 */
async function takeOverStaleClaim(db: Kysely<Database>, id: number): Promise<boolean> {
  const seconds = CHANGE_CLAIM_STALE_MS / 1000;
  const dialect = db.getExecutor().adapter;
  const older =
    dialect instanceof SqliteAdapter
      ? sql<boolean>`julianday(criado_em) < julianday('now') - ${seconds / 86400}`
      : dialect instanceof PostgresAdapter
        ? sql<boolean>`criado_em < CURRENT_TIMESTAMP - make_interval(secs => ${seconds})`
        : sql<boolean>`criado_em < CURRENT_TIMESTAMP(3) - INTERVAL ${seconds} SECOND`;
  const deleted = await db.deleteFrom('crm_mudancas').where('id', '=', id).where('resultado', 'is', null).where(older).executeTakeFirst();
  return Number(deleted.numDeletedRows) > 0;
}

/**
 * Gives up this attempt's own claim (by its id, still unanswered): after a takeover, a slow first attempt that fails
 * must not delete the claim of the repeat now doing the work.
 */
const release = (db: Kysely<Database>, empresaId: number, claimId: number) =>
  db.deleteFrom('crm_mudancas').where('empresa_id', '=', empresaId).where('id', '=', claimId).where('resultado', 'is', null).execute();

/** Whether a claim came with another body than this event's (a claim written before migration 019 has none to compare). */
const isOtherBody = (seen: Seen, event: ChangeEvent) =>
  seen.impressao !== null &&
  event.impressao !== undefined &&
  seen.impressao !== event.impressao &&
  !(event.impressoesAnteriores ?? []).includes(seen.impressao);

/** A table neither a gatilho nor a SET integration uses is a typo (contato for contatos): 400 naming the accepted ones. */
function checkTable(tabela: string, setTables: readonly string[]): void {
  const known = [...new Set([...WEBHOOK_TABLES, ...setTables.map((t) => t.trim().toLowerCase()).filter(Boolean)])];
  if (!known.includes(tabela.toLowerCase())) throw new WebhookError('CHANGE_TABLE_INVALID', 400, { tabela, tabelas: known.join(', ') });
}

/**
 * The single change-event path: claims the idempotency key (a repeat answers the first result and does nothing), runs
 * the table's SET integrations and publishes the change to the webhooks of its gatilho. A failure releases the key, so
 * the CRM's retry of the same event does the work; a repeat while the first attempt still runs is a 409
 * (CHANGE_IN_PROGRESS: retry later), unless its claim is older than CHANGE_CLAIM_STALE_MS (its process died: the
 * repeat takes it over and does the work). A table nothing uses is refused (400) before anything is claimed;
 * a repeated key with its first body is answered before that check, so a retry gets its stored answer even if its
 * table has become unknown since (the integration on it deleted). The key belongs to the caller's scope (its filial,
 * or the whole empresa) and to its first body: another body under it is a 422 CHANGE_KEY_REUSED (after the table
 * check), and nothing is done.
 */
export async function receiveChangeEvent<S extends object>(
  deps: ChangeEventDeps<S>,
  empresaId: number,
  event: ChangeEvent,
): Promise<ChangeEventResult<S>> {
  const chave = event.chaveIdempotencia ?? `auto-${randomUUID()}`;
  const found = event.chaveIdempotencia === undefined ? undefined : await findClaim(deps.db, empresaId, scopeOf(event), chave);
  let claimed: Claim;
  if (found && isOtherBody(found, event)) {
    checkTable(event.tabela, deps.setTables);
    throw new WebhookError('CHANGE_KEY_REUSED', 422);
  }
  if (found) claimed = { seen: found };
  else {
    checkTable(event.tabela, deps.setTables);
    claimed = await claim(deps.db, empresaId, chave, event);
  }
  // An unanswered claim past CHANGE_CLAIM_STALE_MS: its attempt died with its process; this repeat does the work.
  if (claimed.seen && !claimed.seen.resultado && (await takeOverStaleClaim(deps.db, claimed.seen.id))) {
    claimed = await claim(deps.db, empresaId, chave, event);
  }
  const { seen, mine } = claimed;
  // A concurrent first attempt with another body won the claim.
  if (seen && isOtherBody(seen, event)) throw new WebhookError('CHANGE_KEY_REUSED', 422);
  if (seen) {
    // Claimed, its answer not written yet: the first attempt is still running (a failure releases the key).
    if (!seen.resultado) throw new WebhookError('CHANGE_IN_PROGRESS', 409);
    const first = JSON.parse(seen.resultado) as ChangeEventResult<S>;
    return {
      ...first,
      webhooks: first.webhooks ?? null,
      chaveIdempotencia: chave,
      deduplicated: true,
    } as ChangeEventResult<S>;
  }
  // This attempt's claim, by id: its answer and its release touch only it (a repeat may have taken the key over since).
  try {
    const set = await deps.runSetIntegrations();
    const tabela = event.tabela.toLowerCase();
    let webhooks: WebhookFanOut = null;
    if (event.id !== undefined && isWebhookTable(tabela)) {
      webhooks = deps.captureByTriggers
        ? { gatilho: null, entregas: [], via: 'triggers', motivo: { code: 'VIA_TRIGGERS', params: {} } }
        : {
            ...(await publishChange(deps.db, deps.producer, {
              empresaId,
              filialId: event.filialId ?? null,
              tabela,
              registroId: event.id,
              operacao: event.operacao ?? 'alterado',
              chave: messageKeyOf(chave, scopeOf(event)),
              em: new Date(),
            })),
            via: 'route',
          };
    }
    const result = { ...set, webhooks, chaveIdempotencia: chave, deduplicated: false } as ChangeEventResult<S>;
    await deps.db
      .updateTable('crm_mudancas')
      .set({ resultado: JSON.stringify(result) })
      .where('empresa_id', '=', empresaId)
      .where('id', '=', mine)
      .execute();
    return result;
  } catch (err) {
    await release(deps.db, empresaId, mine).catch(() => undefined);
    throw err;
  }
}
