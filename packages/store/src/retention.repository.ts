import { type Expression, type ExpressionBuilder, type Kysely, PostgresAdapter, type SqlBool, sql, type Transaction } from 'kysely';
import type { DialectName } from './create-database';
import type { Database } from './schema';
import { timestampValue } from './sincronizacao.repository';
import { withTenantScope } from './tenant-guard';

type Db = Kysely<Database> | Transaction<Database>;
/** The handle as the kinds' queries use it: the table is chosen at run time, and each kind's rule names its own columns. */
// biome-ignore lint/suspicious/noExplicitAny: the table is chosen at run time.
type AnyDb = Kysely<any>;
/** A kind's query being built (its table chosen at run time). */
// biome-ignore lint/suspicious/noExplicitAny: see AnyDb.
type AnyQuery = any;

/**
 * The history the purge removes, one kind per parent table (in the order it runs: a webhook message goes only once its
 * deliveries are gone). Each kind's rule says which of its old rows the engine no longer needs; the rest stay.
 */
export const PURGE_KINDS = [
  'registro_jobs',
  'integracao_execucoes',
  'integracao_sincronizacao_execucoes',
  'webhook_entregas',
  'webhook_mensagens',
  'crm_mudancas',
  'auditoria_acoes',
  'ligacoes',
] as const;
export type PurgeKind = (typeof PURGE_KINDS)[number];

/** Every table the purge deletes from: the kinds and the attempts deleted with their parent row. */
export type PurgedTable = PurgeKind | 'integracao_tentativas' | 'webhook_tentativas';

/** Which retention class (RETENTION_*_DAYS) judges the age of each kind. */
export const PURGE_CLASS: Record<PurgeKind, 'jobs' | 'webhooks' | 'audit' | 'calls'> = {
  registro_jobs: 'jobs',
  integracao_execucoes: 'jobs',
  integracao_sincronizacao_execucoes: 'jobs',
  webhook_entregas: 'webhooks',
  webhook_mensagens: 'webhooks',
  crm_mudancas: 'webhooks',
  auditoria_acoes: 'audit',
  ligacoes: 'calls',
};

/** A row the purge may remove, with the BullMQ job it belongs to where that job, still in Redis, would need it. */
export interface PurgeCandidate {
  id: number;
  job: { fila: string; jobId: string } | null;
}

// biome-ignore lint/suspicious/noExplicitAny: one rule builder per table; each names only its own table's columns.
type AnyBuilder = ExpressionBuilder<any, any>;

/**
 * The rows of a kind the engine still needs are never candidates, whatever their age:
 * - registro_jobs: a job not finished (ativo, aguardando_retentativa, adiado, bloqueado);
 * - integracao_execucoes: a push pendente / enviando / enviado (in flight or with an unknown outcome), a hold
 *   (retido = 1) and a job's row held back by one (falhou with the retidoPor marker, SET_RECORD_HELD);
 * - integracao_sincronizacao_execucoes: a run executando, and each integration's last run (its schedule shows it);
 * - webhook_entregas: a delivery pendente, and one cancelled by its endpoint's disabling while that endpoint exists and
 *   is still disabled (work waiting for a re-enable and a recover, not history); webhook_mensagens: a message of a
 *   delivery that stays;
 * - crm_mudancas: a claim still unanswered (resultado null: the first attempt is at work);
 * - ligacoes: a call still open (tocando, em andamento, discando).
 * The caller drops, besides, the candidates whose job is still in Redis (a retry or an operator's retry reads them).
 * The GET cursor and keys (integracao_sincronizacao*) and the capture outbox (drained as it goes) are not history.
 */
type Rule = (eb: AnyBuilder, before: Date | string) => ReturnType<AnyBuilder['and']>;

/**
 * `column < before` (`before` as timestampValue gives it: text on SQLite only). SQLite holds a timestamp as CURRENT_TIMESTAMP text (`YYYY-MM-DD HH:MM:SS`) or ISO text, which
 * compare only as julianday; the text comparison, looser on the boundary day (' ' < 'T'), stays to read the index.
 */
function olderThan(eb: AnyBuilder, column: string, before: Date | string): Expression<SqlBool> {
  if (before instanceof Date) return eb(column, '<', before);
  return eb.and([eb(column, '<', before), sql<SqlBool>`julianday(${sql.ref(column)}) < julianday(${before})`]);
}

/**
 * The `ultimo_erro` of a delivery cancelled by its endpoint's disabling: @integrador/webhooks' CANCELLED_DISABLED and
 * the text written before the reasons were coded (LEGACY_CANCEL_TEXT), the rows its recover re-sends.
 */
export const CANCELLED_BY_DISABLING: readonly string[] = ['ENDPOINT_DISABLED', 'endpoint disabled or deleted'];

/**
 * A delivery (the table or its alias) that stays whatever its age: pendente, or one a recover of its endpoint re-sends
 * while that endpoint stays disabled: failed (the start of the outage that disabled it) or cancelled by the disabling.
 */
function deliveryNeeded(eb: AnyBuilder, entrega: string): Expression<SqlBool> {
  return eb.or([
    eb(`${entrega}.status`, '=', 'pendente'),
    eb.and([
      eb.or([
        eb(`${entrega}.status`, '=', 'falhou'),
        eb.and([eb(`${entrega}.status`, '=', 'cancelada'), eb(`${entrega}.ultimo_erro`, 'in', CANCELLED_BY_DISABLING)]),
      ]),
      eb.exists(
        eb
          .selectFrom('webhook_endpoints as endpoint')
          .select('endpoint.id')
          .whereRef('endpoint.id', '=', `${entrega}.endpoint_id`)
          .whereRef('endpoint.empresa_id', '=', `${entrega}.empresa_id`)
          .where('endpoint.ativo', '=', 0),
      ),
    ]),
  ]);
}

/**
 * Each kind's age column, and the rule (above) of its rows that may go; `pageBy`, where set, is the column its purge
 * index leads with after empresa_id instead of `age`: never later than `age` in any row (so every row past its
 * retention is in the index's range), and not rewritten by the kind's updates (migration 028: the SET outbox's
 * updates stay heap-only on PostgreSQL). The age is still judged by `age`.
 */
const NEEDED_RULES: Record<PurgeKind, { age: string; pageBy?: string; rule: Rule }> = {
  registro_jobs: { age: 'atualizado_em', rule: (eb) => eb.and([eb('estado', 'in', ['concluido', 'falhou', 'descartado'])]) },
  integracao_execucoes: {
    age: 'atualizado_em',
    pageBy: 'criado_em',
    rule: (eb) =>
      eb.and([
        eb('status', 'in', ['concluido', 'falhou']),
        eb('retido', '=', 0),
        eb.or([eb('valores', 'is', null), eb('valores', 'not like', '{"retidoPor":%')]),
      ]),
  },
  integracao_sincronizacao_execucoes: {
    age: 'iniciado_em',
    rule: (eb) =>
      eb.and([
        eb('status', 'in', ['concluido', 'falhou']),
        eb(
          'id',
          '<',
          eb
            .selectFrom('integracao_sincronizacao_execucoes as ultima')
            .select((inner) => inner.fn.max('ultima.id').as('id'))
            .whereRef('ultima.empresa_id', '=', 'integracao_sincronizacao_execucoes.empresa_id')
            .whereRef('ultima.integracao_id', '=', 'integracao_sincronizacao_execucoes.integracao_id'),
        ),
      ]),
  },
  webhook_entregas: { age: 'atualizado_em', rule: (eb) => eb.and([eb.not(deliveryNeeded(eb, 'webhook_entregas'))]) },
  webhook_mensagens: {
    age: 'criado_em',
    // Once every delivery of it goes too (so a dry run counts it with them): none needed, none recent.
    rule: (eb, before) =>
      eb.and([
        eb.not(
          eb.exists(
            eb
              .selectFrom('webhook_entregas as entrega')
              .select('entrega.id')
              .whereRef('entrega.mensagem_id', '=', 'webhook_mensagens.id')
              .where((inner) => inner.or([deliveryNeeded(inner, 'entrega'), inner.not(olderThan(inner, 'entrega.atualizado_em', before))])),
          ),
        ),
      ]),
  },
  crm_mudancas: { age: 'criado_em', rule: (eb) => eb.and([eb('resultado', 'is not', null)]) },
  auditoria_acoes: { age: 'criado_em', rule: (eb) => eb.and([]) },
  ligacoes: { age: 'inicio', rule: (eb) => eb.and([eb('status', 'not in', ['tocando', 'em andamento', 'discando'])]) },
};

/** Where a kind's rows record the job they belong to (the queue is fixed where the table serves one). */
const JOB_OF: Partial<Record<PurgeKind, { fila: string | null }>> = {
  registro_jobs: { fila: null },
  integracao_execucoes: { fila: 'set' },
  integracao_sincronizacao_execucoes: { fila: 'get' },
};

/** The attempts each parent row takes with it. */
const CHILDREN: Partial<Record<PurgeKind, { table: 'integracao_tentativas' | 'webhook_tentativas'; parent: string }>> = {
  integracao_execucoes: { table: 'integracao_tentativas', parent: 'execucao_id' },
  webhook_entregas: { table: 'webhook_tentativas', parent: 'entrega_id' },
};

/** Where the previous batch stopped: its last row's age (as the database gave it) and id. */
export interface PurgeCursor {
  age: unknown;
  id: number;
}

/** One batch's bounds: the tenant (null: auditoria rows of no empresa), rows older than `before`, past `after`. */
export interface PurgeBatch {
  kind: PurgeKind;
  empresaId: number | null;
  before: Date;
  after: PurgeCursor | null;
  limit: number;
}
/**
 * The kind's rows of the tenant older than `before` that its rule lets go. `paging`: for a kind with `pageBy`, the rows
 * of its index's range (pageBy older than `before`), the age itself left to the caller (findPurgeCandidates).
 */
function purgeable(db: Db, batch: Omit<PurgeBatch, 'after' | 'limit'>, paging = false): AnyQuery {
  const { age, pageBy, rule } = NEEDED_RULES[batch.kind];
  const table = (db as AnyDb).selectFrom(batch.kind);
  const scoped = batch.empresaId === null ? table.where('empresa_id', 'is', null) : table.where('empresa_id', '=', batch.empresaId);
  const before = timestampValue(db, batch.before);
  // The index's range first (pageBy < before holds for every row with age < before), then the age itself.
  const paged = pageBy ? scoped.where((eb: AnyBuilder) => olderThan(eb, pageBy, before)) : scoped;
  const aged = pageBy && paging ? paged : paged.where((eb: AnyBuilder) => olderThan(eb, age, before));
  return aged.where((eb: AnyBuilder) => rule(eb, before));
}

/**
 * The next rows of a kind past their retention that the engine no longer needs, in (age, id) order after `after` (one
 * query through the tenant's (empresa_id, age) index: it reads only the tenant's old rows, and rows kept for a job still
 * in Redis are not read again). For a kind with `pageBy`, that column stands for the age in the order and the cursor,
 * and the batch reads the rows of its range: those whose age is not past the retention yet are read (`read`, and the
 * cursor passes them) but are not candidates. Their age is a column of the result, not a condition: PostgreSQL then
 * keeps the ordered index scan that stops at `limit` rows (with both ranges as conditions it estimated fewer rows and
 * chose a bitmap scan of the whole range and a sort, every batch: bench/README.md, "The outbox row's updates HOT").
 * PostgreSQL's age comes back as text: a Date would drop its microseconds, and the cursor, bound back, would fall before
 * the row it came from.
 */
export async function findPurgeCandidates(
  db: Db,
  batch: PurgeBatch,
): Promise<{ candidates: PurgeCandidate[]; next: PurgeCursor | null; read: number }> {
  const job = JOB_OF[batch.kind];
  const { age: judged, pageBy } = NEEDED_RULES[batch.kind];
  // The cursor and the order follow the index's column.
  const age = pageBy ?? judged;
  const before = timestampValue(db, batch.before);
  const due = pageBy
    ? [
        (eb: AnyBuilder) =>
          eb
            .case()
            .when(olderThan(eb, judged, before))
            .then(1)
            .else(0)
            .end()
            .as('vencido'),
      ]
    : [];
  const columns = job ? (job.fila === null ? ['id', 'fila', 'job_id'] : ['id', 'job_id']) : ['id'];
  const ageValue =
    db.getExecutor().adapter instanceof PostgresAdapter ? sql`CAST(${sql.ref(age)} AS text)`.as('idade') : sql.ref(age).as('idade');
  const { after } = batch;
  const rows: { id: number; idade: unknown; fila?: string; job_id?: string | null; vencido?: number | string }[] = await purgeable(
    db,
    batch,
    true,
  )
    .select([...columns, ageValue, ...due])
    .$if(after !== null, (query: AnyQuery) =>
      query.where(age, '>=', after?.age).where((eb: AnyBuilder) => eb.or([eb(age, '>', after?.age), eb('id', '>', after?.id)])),
    )
    .orderBy(age)
    .orderBy('id')
    .limit(batch.limit)
    .execute();
  const candidates = rows
    .filter((row) => row.vencido === undefined || Number(row.vencido) === 1)
    .map((row) => {
      const fila = job?.fila ?? row.fila;
      return { id: Number(row.id), job: fila && row.job_id ? { fila, jobId: row.job_id } : null };
    });
  const last = rows[rows.length - 1];
  return { candidates, next: last ? { age: last.idade, id: Number(last.id) } : null, read: rows.length };
}

/** Rows removed from each table by one batch. */
export type PurgedCounts = Partial<Record<PurgedTable, number>>;

/**
 * Deletes these candidates of a kind, with their attempts, in one short transaction bound to their tenant (the tenant
 * guard refuses any other empresa's row). The kind's rule is applied again: a row that changed since it was read (a
 * delivery requeued, a push held) stays. `dryRun` counts what would go and deletes nothing.
 */
export async function purgeCandidates(
  db: Kysely<Database>,
  dialect: DialectName,
  batch: Omit<PurgeBatch, 'after' | 'limit'>,
  ids: readonly number[],
  dryRun = false,
): Promise<PurgedCounts> {
  if (ids.length === 0) return {};
  const work = async (trx: Transaction<Database>): Promise<PurgedCounts> => {
    // Locked until the commit (SQLite's one writer needs no lock): a row changing meanwhile waits for the purge.
    const locking = dialect === 'sqlite' ? purgeable(trx, batch) : purgeable(trx, batch).forUpdate();
    const still: number[] = (await locking.select('id').where('id', 'in', ids).execute()).map((row: { id: number }) => Number(row.id));
    if (still.length === 0) return {};
    const counts: PurgedCounts = {};
    const child = CHILDREN[batch.kind];
    if (child) {
      const children = (trx as AnyDb).deleteFrom(child.table).where(child.parent, 'in', still);
      counts[child.table] = dryRun
        ? Number(
            (
              await (trx as AnyDb)
                .selectFrom(child.table)
                .select(sql<number>`count(*)`.as('n'))
                .where(child.parent, 'in', still)
                .executeTakeFirst()
            )?.n ?? 0,
          )
        : Number((await children.executeTakeFirst()).numDeletedRows);
    }
    if (dryRun) counts[batch.kind] = still.length;
    else {
      const deleted = await (trx as AnyDb).deleteFrom(batch.kind).where('id', 'in', still).executeTakeFirst();
      counts[batch.kind] = Number(deleted.numDeletedRows);
    }
    return counts;
  };
  if (batch.empresaId === null) return db.transaction().execute(work);
  return withTenantScope(db, dialect, batch.empresaId, work);
}

/** The empresas whose history is purged, by id (one query). */
export async function listEmpresaIds(db: Db): Promise<number[]> {
  return (await db.selectFrom('empresas').select('id').orderBy('id').execute()).map((row) => Number(row.id));
}
