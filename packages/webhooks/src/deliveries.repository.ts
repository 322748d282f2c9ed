import { compiledStatement, type Database, pgUnnest, sameLengthColumns, timestampValue } from '@integrador/store';
import { type ExpressionBuilder, type Kysely, PostgresAdapter, type QueryCreator, sql } from 'kysely';
import { applyEndpointFailure, type EndpointFailure, storedEndpointMark } from './endpoints.repository';
import { maskRecordedHeaders } from './header-mask';
import { CANCELLED_DISABLED, type CancelReason, LEGACY_CANCEL_TEXT } from './messages';

type Db = Kysely<Database>;

/**
 * Inserts a row guarded by a unique index unless it exists; answers its id and whether this call wrote it. A racing
 * writer that wins the unique index makes our insert fail: the row is then read again (portable across the three
 * dialects, which spell "insert or ignore" three ways).
 */
async function insertOnce(find: () => Promise<{ id: number } | undefined>, insert: () => Promise<unknown>) {
  const existing = await find();
  if (existing) return { id: Number(existing.id), created: false };
  try {
    await insert();
  } catch (err) {
    const raced = await find();
    if (raced) return { id: Number(raced.id), created: false };
    throw err;
  }
  const row = await find();
  if (!row) throw new Error('inserted row not found');
  return { id: Number(row.id), created: true };
}

export interface MensagemInput {
  empresaId: number;
  chave: string;
  gatilho: string;
  tabela: string;
  registroId: string;
  webhookId: string;
  payload: string;
}

/** Stores a change's payload once per (empresa, chave); a repeat answers the stored one. */
export function insertMensagemOnce(db: Db, input: MensagemInput) {
  const find = () =>
    db
      .selectFrom('webhook_mensagens')
      .select('id')
      .where('empresa_id', '=', input.empresaId)
      .where('chave', '=', input.chave)
      .executeTakeFirst();
  return insertOnce(find, () =>
    db
      .insertInto('webhook_mensagens')
      .values({
        empresa_id: input.empresaId,
        chave: input.chave,
        gatilho: input.gatilho,
        tabela: input.tabela,
        registro_id: input.registroId,
        webhook_id: input.webhookId,
        payload: input.payload,
      })
      .execute(),
  );
}

/** One delivery per (mensagem, endpoint), pendente: a second call answers the first one's id. */
export function insertEntregaOnce(db: Db, empresaId: number, mensagemId: number, endpointId: number) {
  const find = () =>
    db
      .selectFrom('webhook_entregas')
      .select('id')
      .where('mensagem_id', '=', mensagemId)
      .where('endpoint_id', '=', endpointId)
      .executeTakeFirst();
  return insertOnce(find, () =>
    db
      .insertInto('webhook_entregas')
      .values({
        empresa_id: empresaId,
        mensagem_id: mensagemId,
        endpoint_id: endpointId,
      })
      .execute(),
  );
}

/** A change's delivery to one endpoint, as made or found by insertEntregaOfEndpoint. */
export interface EndpointEntrega {
  id: number;
  /** True when this call wrote the row. */
  created: boolean;
  status: string;
  ultimoErro: string | null;
}

/**
 * One delivery per (mensagem, endpoint) whose state the endpoint decides in the insert itself: pendente while it is
 * active, else `cancelada` (ENDPOINT_DISABLED: recorded, no job, for a recover). One INSERT … SELECT on
 * webhook_endpoints.ativo, the endpoint row share-locked (PostgreSQL: FOR SHARE; MySQL's INSERT … SELECT takes the
 * shared lock itself under its default REPEATABLE READ; SQLite has one writer), so an endpoint re-enabled, and
 * recovered, while a change is published either finds the row cancelled already (the recover's scan, which runs after
 * the re-enable, sends it) or has it made pendente. A second call answers the first one's row; undefined when the
 * endpoint is gone.
 */
export async function insertEntregaOfEndpoint(
  db: Db,
  empresaId: number,
  mensagemId: number,
  endpointId: number,
): Promise<EndpointEntrega | undefined> {
  const find = () =>
    db
      .selectFrom('webhook_entregas')
      .select(['id', 'status', 'ultimo_erro'])
      .where('mensagem_id', '=', mensagemId)
      .where('endpoint_id', '=', endpointId)
      .executeTakeFirst();
  const found = (row: Awaited<ReturnType<typeof find>>, created: boolean) =>
    row && { id: Number(row.id), created, status: row.status, ultimoErro: row.ultimo_erro };
  const existing = await find();
  if (existing) return found(existing, false);
  let endpoint = db
    .selectFrom('webhook_endpoints')
    .select((eb) => [
      sql.lit(empresaId).as('empresa_id'),
      sql.lit(mensagemId).as('mensagem_id'),
      'id',
      eb.case().when('ativo', '=', 1).then('pendente').else('cancelada').end().as('status'),
      eb.case().when('ativo', '=', 1).then(sql<string | null>`NULL`).else(CANCELLED_DISABLED).end().as('ultimo_erro'),
    ])
    .where('empresa_id', '=', empresaId)
    .where('id', '=', endpointId);
  if (db.getExecutor().adapter instanceof PostgresAdapter) endpoint = endpoint.forShare();
  try {
    await db
      .insertInto('webhook_entregas')
      .columns(['empresa_id', 'mensagem_id', 'endpoint_id', 'status', 'ultimo_erro'])
      .expression(endpoint)
      .execute();
  } catch (err) {
    const raced = await find();
    if (raced) return found(raced, false);
    throw err;
  }
  return found(await find(), true);
}

/** A delivery's row with its change's, and its endpoint's columns a delivery depends on (withEndpointMark digests them). */
function entregaQuery(db: Db, empresaId: number) {
  return db
    .selectFrom('webhook_entregas as e')
    .innerJoin('webhook_mensagens as m', 'm.id', 'e.mensagem_id')
    .leftJoin('webhook_endpoints as w', (join) => join.onRef('w.id', '=', 'e.endpoint_id').onRef('w.empresa_id', '=', 'e.empresa_id'))
    .select([
      'e.id',
      'e.empresa_id',
      'e.endpoint_id',
      'e.mensagem_id',
      'e.status',
      'e.tentativas',
      'e.ciclo_inicio',
      'e.recuperacao',
      // Set once the delivery reached its receiver: a resend of a delivered one that fails leaves it delivered.
      'e.entregue_em',
      'm.payload',
      'm.webhook_id',
      'm.gatilho',
      'w.segredo',
      'w.ativo',
      'w.url',
      'w.atualizado_em',
    ])
    .where('e.empresa_id', '=', empresaId);
}

type EntregaRow = Awaited<ReturnType<ReturnType<typeof entregaQuery>['executeTakeFirstOrThrow']>>;

/**
 * The delivery with its endpoint's mark (`endpoint_marca`, endpointMark of the row as this read saw it; null when the
 * endpoint is gone) in place of the endpoint's columns: the secret stays out of the delivery's row.
 */
function withEndpointMark({ segredo, ativo, url, atualizado_em, ...entrega }: EntregaRow) {
  return { ...entrega, endpoint_marca: storedEndpointMark({ segredo, ativo, url, atualizado_em }) };
}

/** A delivery with what sending it needs (its change's payload and webhook-id), bound to the tenant. */
export async function loadEntrega(db: Db, empresaId: number, entregaId: number) {
  const row = await entregaQuery(db, empresaId).where('e.id', '=', entregaId).executeTakeFirst();
  return row && withEndpointMark(row);
}

/**
 * PostgreSQL: the ids as one array, so the read is one text whatever their number, built by Kysely once per handle
 * (compiledStatement) and prepared once per connection; an `IN` list was built, compiled and planned per group size.
 */
const pgLoadEntregas = compiledStatement(2, (db, empresaId: number, entregaIds: number[]) =>
  entregaQuery(db, empresaId).where('e.id', '=', sql<number>`ANY (${entregaIds}::integer[])`),
);

/** Several deliveries of one tenant at once (the worker's concurrent jobs), as loadEntrega reads each. */
export async function loadEntregas(db: Db, empresaId: number, entregaIds: readonly number[]) {
  const rows =
    db.getExecutor().adapter instanceof PostgresAdapter
      ? (await db.executeQuery(pgLoadEntregas.bind(db, empresaId, [...entregaIds]))).rows
      : await entregaQuery(db, empresaId).where('e.id', 'in', entregaIds).execute();
  return rows.map(withEndpointMark);
}

export type Entrega = NonNullable<Awaited<ReturnType<typeof loadEntrega>>>;

/** What one HTTP attempt left behind. */
export interface TentativaRecord {
  empresaId: number;
  entregaId: number;
  numero: number;
  origem: 'automatica' | 'manual';
  cabecalhos: Record<string, string>;
  statusHttp: number | null;
  resposta: string | null;
  duracaoMs: number;
  classeErro: string | null;
  erro: string | null;
}

function tentativaRow(t: TentativaRecord) {
  return {
    empresa_id: t.empresaId,
    entrega_id: t.entregaId,
    numero: t.numero,
    origem: t.origem,
    cabecalhos: JSON.stringify(t.cabecalhos),
    status_http: t.statusHttp,
    resposta: t.resposta,
    duracao_ms: t.duracaoMs,
    classe_erro: t.classeErro,
    erro: t.erro,
  };
}

const TENTATIVA_TYPES = {
  empresa_id: 'integer',
  entrega_id: 'integer',
  numero: 'integer',
  origem: 'text',
  cabecalhos: 'text',
  status_http: 'integer',
  resposta: 'text',
  duracao_ms: 'integer',
  classe_erro: 'text',
  erro: 'text',
} as const;
const TENTATIVA_COLUMNS = Object.keys(TENTATIVA_TYPES) as Array<keyof typeof TENTATIVA_TYPES>;

/**
 * PostgreSQL, the deliveries of one (tenant, attempt number, status): the attempts inserted in a CTE from one array
 * per column (pgUnnest) and the deliveries updated by `id = ANY (ids)`, as one statement whose text does not depend
 * on the number of deliveries; built by Kysely once per handle (compiledStatement) instead of a VALUES list of 10
 * values a row, compiled and planned for every group.
 */
const pgRecordDeliveries = compiledStatement(
  TENTATIVA_COLUMNS.length + 5,
  (db, empresaId: number, numero: number, statusHttp: number | null, now: unknown, ids: number[], ...columns: unknown[][]) => {
    const unnest = TENTATIVA_COLUMNS.map((column, i) => [columns[i] ?? [], TENTATIVA_TYPES[column]] as const);
    const inserting = db.with('tentativas', (cte) =>
      cte
        .insertInto('webhook_tentativas')
        .columns(TENTATIVA_COLUMNS)
        .expression(sql`SELECT * FROM ${pgUnnest(unnest)} AS t (${sql.join(TENTATIVA_COLUMNS.map((column) => sql.ref(column)))})`),
    );
    // The CTE adds a table the update never reads: typed as the plain query creator.
    return (inserting as unknown as QueryCreator<Database>)
      .updateTable('webhook_entregas')
      .set({
        status: 'entregue',
        tentativas: numero,
        ultimo_status_http: statusHttp,
        ultimo_erro: null,
        proxima_tentativa_em: null,
        entregue_em: now as Date,
        atualizado_em: now as Date,
      })
      .where('empresa_id', '=', empresaId)
      .where('id', '=', sql<number>`ANY (${ids}::integer[])`);
  },
);

/**
 * Records successful attempts and moves their deliveries to entregue, atomically: one multi-row insert, and one update
 * per (tenant, attempt number, status), which under load is one update for the whole batch. PostgreSQL runs a single
 * update as one statement (the insert in a CTE: one round trip instead of four); the others use a transaction.
 */
export async function recordDeliveries(db: Db, attempts: readonly TentativaRecord[]): Promise<void> {
  const groups = new Map<string, { t: TentativaRecord; ids: number[] }>();
  for (const t of attempts) {
    const key = `${t.empresaId}|${t.numero}|${t.statusHttp}`;
    const group = groups.get(key);
    if (group) group.ids.push(t.entregaId);
    else groups.set(key, { t, ids: [t.entregaId] });
  }
  const now = timestampValue(db, new Date());
  const update = (on: QueryCreator<Database>, { t, ids }: { t: TentativaRecord; ids: number[] }) =>
    on
      .updateTable('webhook_entregas')
      .set({
        status: 'entregue',
        tentativas: t.numero,
        ultimo_status_http: t.statusHttp,
        ultimo_erro: null,
        proxima_tentativa_em: null,
        entregue_em: now,
        atualizado_em: now,
      })
      .where('empresa_id', '=', t.empresaId)
      .where('id', 'in', ids);
  const [only, ...more] = groups.values();
  if (only && !more.length && db.getExecutor().adapter instanceof PostgresAdapter) {
    const rows = attempts.map(tentativaRow);
    const columns = sameLengthColumns(TENTATIVA_COLUMNS.map((column) => rows.map((row) => row[column])));
    await db.executeQuery(pgRecordDeliveries.bind(db, only.t.empresaId, only.t.numero, only.t.statusHttp, now, only.ids, ...columns));
    return;
  }
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('webhook_tentativas').values(attempts.map(tentativaRow)).execute();
    for (const group of groups.values()) await update(trx, group).execute();
  });
}

/** A delivery's states, in the order a delivery goes through them (the listings' `?status` takes these). */
export const ENTREGA_STATUSES = ['pendente', 'entregue', 'falhou', 'cancelada'] as const;
export type EntregaStatus = (typeof ENTREGA_STATUSES)[number];

/** What a failed attempt leaves: its record, its delivery's new state and what it does to its endpoint. */
export interface FailureRecord {
  attempt: TentativaRecord;
  /** The delivery's new status: pendente (a retry is scheduled), falhou, or entregue (a failed resend of a delivered one). */
  status: EntregaStatus;
  /** The delivery's last error, as shown to the tenant. */
  erro: string;
  proximaEm: Date | null;
  endpoint: EndpointFailure;
  /**
   * The delivery's state if its endpoint's conditional disable (failing too long) does not happen when written: the
   * retry (or the end) it would have had. Absent: the state above whatever becomes of the endpoint.
   */
  ifNotDisabled?: { status: EntregaStatus; proximaEm: Date | null };
}

/**
 * The endpoints' changes of a group of failures: one per endpoint, its clock from the earliest, a 410 before a
 * disable for failing too long (whatever their order), the latest threshold of the latter.
 */
export function endpointFailuresOf(failures: readonly FailureRecord[]): EndpointFailure[] {
  const byEndpoint = new Map<string, EndpointFailure>();
  for (const { endpoint } of failures) {
    if (!endpoint.since && !endpoint.motivo) continue;
    const key = `${endpoint.empresaId}:${endpoint.id}`;
    const seen = byEndpoint.get(key);
    if (!seen) {
      byEndpoint.set(key, { ...endpoint });
      continue;
    }
    if (endpoint.since && (!seen.since || endpoint.since < seen.since)) seen.since = endpoint.since;
    if (!endpoint.motivo || (seen.motivo && seen.clockBefore === null)) continue;
    if (!seen.motivo || endpoint.clockBefore === null) {
      seen.motivo = endpoint.motivo;
      seen.clockBefore = endpoint.clockBefore;
    } else if (seen.clockBefore && endpoint.clockBefore && endpoint.clockBefore > seen.clockBefore) {
      seen.clockBefore = endpoint.clockBefore;
    }
  }
  // In id order: concurrent groups of other workers lock the same endpoint rows in the same order (no deadlock).
  return [...byEndpoint.values()].sort((a, b) => a.id - b.id);
}

/**
 * Records failed attempts atomically with their deliveries' new state and their endpoints' failure clock or disabling;
 * answers, per failure, whether its endpoint was disabled by this write. PostgreSQL: one statement (one array per
 * column, the same text for any number of failures, so prepared once per connection); the others: one transaction.
 * All or nothing. Every row is bound to its tenant: an attempt is recorded only with its tenant's delivery. One failure
 * per delivery (two of one delivery would update its row twice in one statement, in no set order): a group holding two
 * is refused; the delivery store sends a delivery's second failure in a later round (oncePerDelivery).
 */
/** Runs `work` in the caller's transaction when `db` is one, else in a transaction of its own. */
function inTransaction<T>(db: Db, work: (trx: Db) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db) : db.transaction().execute(work);
}

export async function recordFailures(db: Db, failures: readonly FailureRecord[]): Promise<boolean[]> {
  if (new Set(failures.map((f) => f.attempt.entregaId)).size !== failures.length)
    throw new Error('recordFailures: one failure per delivery');
  const endpoints = endpointFailuresOf(failures);
  const key = (e: { empresaId: number; id: number }) => `${e.empresaId}:${e.id}`;
  const disabled = new Set<string>();
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) {
    await inTransaction(db, async (trx) => {
      const recorded = await updateFailedEntregas(trx, failures);
      if (recorded.length > 0)
        await trx
          .insertInto('webhook_tentativas')
          .values(recorded.map((f) => tentativaRow(f.attempt)))
          .execute();
      // The endpoint rows last (in id order), so their locks are held for the rest of the commit only.
      for (const endpoint of endpoints) if (await applyEndpointFailure(trx, endpoint)) disabled.add(key(endpoint));
      // Rare: a disable for failing too long that did not happen (the clock stopped or restarted since the endpoint
      // row was read): its deliveries take the state they would have had.
      const undone = recorded.filter((f) => f.ifNotDisabled && !disabled.has(key(f.endpoint)));
      if (undone.length > 0)
        await updateFailedEntregas(
          trx,
          undone.map((f) => ({ ...f, ...f.ifNotDisabled })),
        );
    });
    return failures.map((f) => disabled.has(key(f.endpoint)));
  }
  const rows = failures.map((f) => tentativaRow(f.attempt));
  const entregaIds = failures.map((f) => f.attempt.entregaId);
  const i = pgUnnest([
    [rows.map((r) => r.empresa_id), 'integer'],
    [entregaIds, 'integer'],
    [rows.map((r) => r.numero), 'integer'],
    [rows.map((r) => r.origem), 'text'],
    [rows.map((r) => r.cabecalhos), 'text'],
    [rows.map((r) => r.status_http), 'integer'],
    [rows.map((r) => r.resposta), 'text'],
    [rows.map((r) => r.duracao_ms), 'integer'],
    [rows.map((r) => r.classe_erro), 'text'],
    [rows.map((r) => r.erro), 'text'],
    [failures.map((f) => f.status), 'text'],
    [failures.map((f) => f.erro), 'text'],
    [failures.map((f) => f.proximaEm), 'timestamptz'],
    [failures.map((f) => f.endpoint.id), 'integer'],
    [failures.map((f) => f.ifNotDisabled?.status ?? null), 'text'],
    [failures.map((f) => f.ifNotDisabled?.proximaEm ?? null), 'timestamptz'],
  ]);
  const endpointIds = endpoints.map((e) => e.id);
  const p = pgUnnest([
    [endpoints.map((e) => e.empresaId), 'integer'],
    [endpointIds, 'integer'],
    [endpoints.map((e) => e.since), 'timestamptz'],
    [endpoints.map((e) => e.motivo), 'text'],
    [endpoints.map((e) => e.clockBefore), 'timestamptz'],
  ]);
  const now = new Date();
  // Whether this write disables the endpoint: a 410 always; failing too long only if the row, as it is now, is active
  // with a clock started early enough (applyEndpointFailure's conditions).
  const disables = sql`p.motivo IS NOT NULL AND (p.before IS NULL OR (w.ativo = 1 AND COALESCE(w.primeira_falha_em, p.since) <= p.before))`;
  // The endpoint rows are touched only to start a clock that is not running or to disable, so a long outage's failures
  // write no endpoint row. An attempt is inserted only with its tenant's delivery. `x.id = ANY (ids)`: the primary
  // key's index for a generic plan (recordTentativas in the store says why).
  const result = await sql<{ empresa_id: number; id: number }>`WITH i AS (
  SELECT * FROM ${i} AS i (empresa_id, entrega_id, numero, origem, cabecalhos, status_http, resposta, duracao_ms, classe_erro, erro, status, ultimo_erro, proxima, endpoint_id, alt_status, alt_proxima)
),
t AS (
  INSERT INTO webhook_tentativas (empresa_id, entrega_id, numero, origem, cabecalhos, status_http, resposta, duracao_ms, classe_erro, erro)
  SELECT i.empresa_id, i.entrega_id, i.numero, i.origem, i.cabecalhos, i.status_http, i.resposta, i.duracao_ms, i.classe_erro, i.erro
  FROM i JOIN webhook_entregas AS x ON x.id = i.entrega_id AND x.empresa_id = i.empresa_id
  WHERE x.id = ANY (${entregaIds}::integer[])
),
d AS (
  UPDATE webhook_endpoints AS w
  SET primeira_falha_em = COALESCE(w.primeira_falha_em, p.since),
      ativo = CASE WHEN ${disables} THEN 0 ELSE w.ativo END,
      desativado_motivo = CASE WHEN ${disables} THEN p.motivo ELSE w.desativado_motivo END,
      atualizado_em = CASE WHEN ${disables} THEN ${now} ELSE w.atualizado_em END
  FROM ${p} AS p (empresa_id, id, since, motivo, before)
  WHERE w.empresa_id = p.empresa_id AND w.id = p.id AND w.id = ANY (${endpointIds}::integer[])
    AND ((p.since IS NOT NULL AND w.primeira_falha_em IS NULL) OR (${disables}))
  RETURNING w.empresa_id, w.id, w.ativo = 0 AND w.desativado_motivo = p.motivo AS disabled
),
u AS (
  UPDATE webhook_entregas AS x
  SET status = CASE WHEN i.alt_status IS NOT NULL AND d.id IS NULL THEN i.alt_status ELSE i.status END,
      proxima_tentativa_em = CASE WHEN i.alt_status IS NOT NULL AND d.id IS NULL THEN i.alt_proxima ELSE i.proxima END,
      tentativas = i.numero, ultimo_status_http = i.status_http, ultimo_erro = i.ultimo_erro, atualizado_em = ${now}
  FROM i LEFT JOIN d ON d.empresa_id = i.empresa_id AND d.id = i.endpoint_id AND d.disabled
  WHERE x.empresa_id = i.empresa_id AND x.id = i.entrega_id AND x.id = ANY (${entregaIds}::integer[])
)
SELECT empresa_id, id FROM d WHERE disabled`.execute(db);
  for (const row of result.rows) disabled.add(key({ empresaId: Number(row.empresa_id), id: Number(row.id) }));
  return failures.map((f) => disabled.has(key(f.endpoint)));
}

/** Moves failed attempts' deliveries to their new state, in id order; answers those whose tenant's row was there. */
async function updateFailedEntregas(db: Db, failures: readonly FailureRecord[]): Promise<FailureRecord[]> {
  const now = timestampValue(db, new Date());
  const recorded: FailureRecord[] = [];
  for (const f of [...failures].sort((a, b) => a.attempt.entregaId - b.attempt.entregaId)) {
    const result = await db
      .updateTable('webhook_entregas')
      .set({
        status: f.status,
        tentativas: f.attempt.numero,
        ultimo_status_http: f.attempt.statusHttp,
        ultimo_erro: f.erro,
        proxima_tentativa_em: f.proximaEm ? timestampValue(db, f.proximaEm) : null,
        atualizado_em: now,
      })
      .where('empresa_id', '=', f.attempt.empresaId)
      .where('id', '=', f.attempt.entregaId)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) > 0) recorded.push(f);
  }
  return recorded;
}

/**
 * Settles a pending delivery of the empresa whose endpoint was disabled or deleted: cancelled, the reason's code kept in
 * ultimo_erro, worded when shown (deliveryErrorMessage, outcome-wording.ts), which tells a recover which ones to send
 * again. One that reached its receiver before (a delivered delivery a resend claimed pending, `entregue_em` set) goes
 * back to `entregue` instead: a delivered delivery is never cancelled, so no recover sends it again.
 */
export async function cancelEntrega(db: Db, empresaId: number, id: number, reason: CancelReason): Promise<void> {
  const now = timestampValue(db, new Date());
  const pending = db
    .updateTable('webhook_entregas')
    .where('empresa_id', '=', empresaId)
    .where('id', '=', id)
    .where('status', '=', 'pendente');
  await pending.set({ status: 'entregue', proxima_tentativa_em: null, atualizado_em: now }).where('entregue_em', 'is not', null).execute();
  await pending
    .set({ status: 'cancelada', ultimo_erro: reason, proxima_tentativa_em: null, atualizado_em: now })
    .where('entregue_em', 'is', null)
    .execute();
}

/** A delivery a recover may send again, as it was read: failed, or cancelled because its endpoint was disabled. */
export interface RecoverableEntrega {
  id: number;
  status: 'falhou' | 'cancelada';
  ultimoErro: string | null;
}

/** A delivery an operator's resend claims (restartEntrega): a recover's, or one already delivered. */
export interface ResendableEntrega {
  id: number;
  status: RecoverableEntrega['status'] | 'entregue';
  ultimoErro: string | null;
}

/**
 * The rows still in the state a recover (or a resend) restarts: failed, or cancelled by the disabling (not by a
 * deletion); a resend's also delivered.
 */
function stillRecoverable(status: ResendableEntrega['status']) {
  return (eb: ExpressionBuilder<Database, 'webhook_entregas'>) =>
    status === 'cancelada'
      ? eb.and([eb('status', '=', 'cancelada'), eb('ultimo_erro', 'in', [CANCELLED_DISABLED, LEGACY_CANCEL_TEXT])])
      : eb('status', '=', status);
}

/**
 * Starts a new retry cycle (a recover): the schedule begins again from its first delay. A cancelled delivery's
 * reason goes (it is pending again); a failed one keeps its last error until the next attempt. Only a row still
 * failed or disable-cancelled is restarted: one a resend delivered (or a concurrent recover restarted) meanwhile is
 * left alone, so it is not sent twice. Only while its endpoint is active, in the same statement (the endpoint row
 * share-locked on PostgreSQL, as insertEntregaOfEndpoint does): an endpoint disabled after the caller read it active
 * keeps the delivery as it was, instead of a pending row its job would then cancel. Answers whether the row was
 * restarted.
 */
export async function restartEntrega(db: Db, empresaId: number, entrega: ResendableEntrega, recoverId: string): Promise<boolean> {
  const result = await db
    .updateTable('webhook_entregas')
    .set((eb) => ({
      status: 'pendente',
      // The recover's job owns the pending row: a held job of another recover finds another id and does nothing.
      recuperacao: recoverId,
      ciclo_inicio: eb.ref('tentativas'),
      ...(entrega.status === 'cancelada' ? { ultimo_erro: null } : {}),
      atualizado_em: timestampValue(db, new Date()),
    }))
    .where('empresa_id', '=', empresaId)
    .where('id', '=', entrega.id)
    .where(stillRecoverable(entrega.status))
    .where((eb) => {
      let endpoint = eb
        .selectFrom('webhook_endpoints as w')
        .select('w.id')
        .where('w.empresa_id', '=', empresaId)
        .whereRef('w.id', '=', 'webhook_entregas.endpoint_id')
        .where('w.ativo', '=', 1);
      if (db.getExecutor().adapter instanceof PostgresAdapter) endpoint = endpoint.forShare();
      return eb.exists(endpoint);
    })
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * One of the hub's own timestamps (UTC by design) as ISO 8601 with its zone: a Date (PostgreSQL, MySQL), ISO text, or
 * SQLite's CURRENT_TIMESTAMP text `YYYY-MM-DD HH:MM:SS` (UTC), which would otherwise read as a zone-less local time.
 */
export function isoTimestamp(value: Date | string | null): string | null {
  if (value === null) return null;
  if (value instanceof Date) return value.toISOString();
  const date = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value.replace(' ', 'T')}Z`);
  return Number.isNaN(date.getTime()) ? value : date.toISOString();
}

/** A column of a delivery's (alias `e`) last attempt, as a subquery (null before its first attempt). */
function lastAttempt<C extends 'classe_erro' | 'duracao_ms'>(
  eb: ExpressionBuilder<Database & { e: Database['webhook_entregas'] }, 'e'>,
  column: C,
) {
  return eb
    .selectFrom('webhook_tentativas as t')
    .select(`t.${column}` as `t.${C}`)
    .whereRef('t.empresa_id', '=', 'e.empresa_id')
    .whereRef('t.entrega_id', '=', 'e.id')
    .orderBy('t.numero', 'desc')
    .orderBy('t.id', 'desc')
    .limit(1);
}

/** The deliveries of one endpoint of the empresa, newest first. */
export async function listEntregas(
  db: Db,
  empresaId: number,
  endpointId: number,
  options: { status?: string; limit?: number; before?: number } = {},
) {
  let query = db
    .selectFrom('webhook_entregas as e')
    .innerJoin('webhook_mensagens as m', 'm.id', 'e.mensagem_id')
    .select([
      'e.id',
      'e.status',
      'e.tentativas',
      'e.ultimo_status_http',
      'e.ultimo_erro',
      'e.proxima_tentativa_em',
      'e.entregue_em',
      'e.criado_em',
      'm.gatilho',
      'm.registro_id',
      'm.webhook_id',
      // The last attempt's outcome, which words ultimo_erro for the reader (outcome-wording.ts).
      (eb) => lastAttempt(eb, 'classe_erro').as('ultima_classe'),
      (eb) => lastAttempt(eb, 'duracao_ms').as('ultima_duracao_ms'),
    ])
    .where('e.empresa_id', '=', empresaId)
    .where('e.endpoint_id', '=', endpointId);
  if (options.status) query = query.where('e.status', '=', options.status);
  // The next page, newest first: the deliveries older than the last one shown (keyset on the id).
  if (options.before !== undefined) query = query.where('e.id', '<', options.before);
  const rows = await query
    .orderBy('e.id', 'desc')
    .limit(options.limit ?? 100)
    .execute();
  return rows.map((row) => ({
    ...row,
    proxima_tentativa_em: isoTimestamp(row.proxima_tentativa_em),
    entregue_em: isoTimestamp(row.entregue_em),
    criado_em: isoTimestamp(row.criado_em) as string,
  }));
}

/** Every attempt of one delivery of the empresa, in order. */
export async function listTentativas(db: Db, empresaId: number, entregaId: number) {
  const rows = await db
    .selectFrom('webhook_tentativas')
    .selectAll()
    .where('empresa_id', '=', empresaId)
    .where('entrega_id', '=', entregaId)
    .orderBy('id')
    .execute();
  return rows.map(({ cabecalhos, empresa_id: _e, criado_em, ...rest }) => ({
    ...rest,
    // Masked again on read: rows recorded before custom headers were masked whole kept a secret-named value's first 3
    // characters, and an ordinary-named custom header's whole value.
    cabecalhos: maskRecordedHeaders(JSON.parse(cabecalhos) as Record<string, string>),
    criado_em: isoTimestamp(criado_em) as string,
  }));
}

/** A bound for a comparison with a defaulted column: SQLite's CURRENT_TIMESTAMP writes `YYYY-MM-DD HH:MM:SS` text. */
function comparableTimestamp(db: Db, date: Date): Date | string {
  const value = timestampValue(db, date);
  return typeof value === 'string' ? value.replace('T', ' ').slice(0, 19) : value;
}

/**
 * The endpoint's deliveries created since `since` that a recover sends again: the failed ones, and the ones cancelled
 * because the endpoint was disabled (before the reasons were coded, every cancellation read "endpoint disabled or
 * deleted"; on an endpoint that exists it was a disabling).
 */
export async function recoverableEntregasSince(db: Db, empresaId: number, endpointId: number, since: Date) {
  const rows = await db
    .selectFrom('webhook_entregas')
    .select(['id', 'status', 'ultimo_erro'])
    .where('empresa_id', '=', empresaId)
    .where('endpoint_id', '=', endpointId)
    .where((eb) => eb.or([stillRecoverable('falhou')(eb), stillRecoverable('cancelada')(eb)]))
    .where('criado_em', '>=', comparableTimestamp(db, since))
    .orderBy('id')
    .execute();
  return rows.map(
    (r): RecoverableEntrega => ({ id: Number(r.id), status: r.status as RecoverableEntrega['status'], ultimoErro: r.ultimo_erro }),
  );
}

/**
 * Whether the empresa has deliveries of an endpoint id (one that exists, or one deleted since: its deliveries stay,
 * readable until the retention purge takes them). Bound to the tenant: another tenant's endpoint id finds none.
 */
export async function hasEntregasOfEndpoint(db: Db, empresaId: number, endpointId: number): Promise<boolean> {
  const row = await db
    .selectFrom('webhook_entregas')
    .select('id')
    .where('empresa_id', '=', empresaId)
    .where('endpoint_id', '=', endpointId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** The ids of the empresa's deleted endpoints that still have deliveries (the dashboard shows them apart), newest first. */
export async function deletedEndpointIds(db: Db, empresaId: number, limit = 20): Promise<number[]> {
  const rows = await db
    .selectFrom('webhook_entregas as e')
    .select('e.endpoint_id')
    .distinct()
    .where('e.empresa_id', '=', empresaId)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('webhook_endpoints as w')
            .select('w.id')
            .whereRef('w.id', '=', 'e.endpoint_id')
            .whereRef('w.empresa_id', '=', 'e.empresa_id'),
        ),
      ),
    )
    .orderBy('e.endpoint_id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => Number(r.endpoint_id));
}

/** What an operator's retry of a delivery's job depends on: the delivery's status and its endpoint's (null: deleted). */
export interface EntregaRetryState {
  empresaId: number;
  id: number;
  status: string;
  endpointAtivo: boolean | null;
}

/** The retry states of some deliveries, each bound to its own empresa, in one query (the dashboard's bulk retry). */
export async function entregaRetryStates(
  db: Db,
  pairs: ReadonlyArray<{ empresaId: number; entregaId: number }>,
): Promise<EntregaRetryState[]> {
  if (!pairs.length) return [];
  const rows = await db
    .selectFrom('webhook_entregas as e')
    .leftJoin('webhook_endpoints as w', (join) => join.onRef('w.id', '=', 'e.endpoint_id').onRef('w.empresa_id', '=', 'e.empresa_id'))
    .select(['e.empresa_id', 'e.id', 'e.status', 'w.id as endpoint', 'w.ativo'])
    .where((eb) => eb.or(pairs.map((p) => eb.and([eb('e.empresa_id', '=', p.empresaId), eb('e.id', '=', p.entregaId)]))))
    .execute();
  return rows.map((r) => ({
    empresaId: Number(r.empresa_id),
    id: Number(r.id),
    status: r.status,
    endpointAtivo: r.endpoint === null ? null : Number(r.ativo) === 1,
  }));
}

/** Whether the delivery has a `manual` attempt numbered `numero` or later (an operator's resend was honoured). */
export async function hasManualAttemptFrom(db: Db, empresaId: number, entregaId: number, numero: number): Promise<boolean> {
  const row = await db
    .selectFrom('webhook_tentativas')
    .select('id')
    .where('empresa_id', '=', empresaId)
    .where('entrega_id', '=', entregaId)
    .where('numero', '>=', numero)
    .where('origem', '=', 'manual')
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
