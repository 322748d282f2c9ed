import { type Kysely, PostgresAdapter, type QueryCreator, type Selectable, sql } from 'kysely';
import { compiledStatement } from './compiled-statement';
import { currentTimestamp } from './current-timestamp';
import { pgUnnest, sameLengthColumns } from './pg-unnest';
import type { Database, IntegracaoExecucoesTable } from './schema';
import { pgTenantScopeSubquery } from './tenant-guard';
import { isUniqueViolation } from './unique-violation';

export type Execucao = Selectable<IntegracaoExecucoesTable>;

/** The longest outbox key (integracao_execucoes.chave, varchar(200)); the record key it ends with (registro) fits too. */
export const OUTBOX_KEY_MAX_LENGTH = 200;

/** What one attempt exchanged with the receptor (secrets already redacted by the transport). */
export interface TentativaRecord {
  url: string | null;
  requisicao: string | null;
  resposta: string | null;
  statusHttp: number | null;
  duracaoMs: number | null;
  erro: string | null;
}

/**
 * Another job claims the same record (its outbox row `enviando` or `enviado`, or holding it: migration 024): this
 * job's claim of the record was refused before anything was sent, so the record is never sent twice.
 */
export class RecordBusyError extends Error {
  override name = 'RecordBusyError';
  readonly code = 'SET_RECORD_IN_FLIGHT';

  constructor(
    /** The record's key (registro). */
    readonly registro: string,
    /** The job whose row claims it; null when it let go meanwhile (a claim again may pass). */
    readonly holderJobId: string | null,
    /** The claim is a hold (the receptor accepted it, nothing written back), not a push in flight. */
    readonly held: boolean,
    options?: { cause?: unknown; holderId?: number | null },
  ) {
    super(`record ${registro} is being sent by job ${holderJobId ?? '?'}; not sent by this job, to avoid sending it twice`, options);
    this.holderId = options?.holderId ?? null;
  }

  /** The outbox row that claims it (null when it let go meanwhile). */
  readonly holderId: number | null;
}

/** The key of an outbox row: the job's record (chave), and the record itself (registro) for one known by its id. */
export interface ExecucaoKey {
  empresaId: number;
  integracaoId: number;
  chave: string;
  jobId: string;
  /** Set for a record known by its id: only one job's row of it may be in flight (migration 024). */
  registro?: string | null;
}

/** The outbox row that claims the record, if any (the one a refused claim met): a push in flight or a hold. */
function claimOf(db: Kysely<Database>, key: ExecucaoKey & { registro: string }) {
  return db
    .selectFrom('integracao_execucoes')
    .select(['id', 'job_id', 'retido'])
    .where('empresa_id', '=', key.empresaId)
    .where('integracao_id', '=', key.integracaoId)
    .where('registro', '=', key.registro)
    .where((eb) => eb.or([eb('status', 'in', ['enviando', 'enviado']), eb('retido', '=', 1)]))
    .executeTakeFirst();
}

/** The record's claim as it is now, as the RecordBusyError a claim meeting it gets (holder null: nothing claims it). */
export async function recordClaimOf(db: Kysely<Database>, key: ExecucaoKey & { registro: string }): Promise<RecordBusyError> {
  const holder = await claimOf(db, key);
  return new RecordBusyError(key.registro, holder?.job_id ?? null, holder?.retido === 1, { holderId: holder?.id ?? null });
}

/** A unique violation of a record's claim: another row claims the record (RecordBusyError), else the error itself. */
async function busyOr(db: Kysely<Database>, key: ExecucaoKey, err: unknown): Promise<unknown> {
  if (!key.registro || !isUniqueViolation(err)) return err;
  const holder = await claimOf(db, { ...key, registro: key.registro });
  return new RecordBusyError(key.registro, holder?.job_id ?? null, holder?.retido === 1, { cause: err, holderId: holder?.id ?? null });
}

/**
 * The outbox row of a record of a job, created as 'enviando' the first time the job reaches it, right before its
 * call; `created` tells that first time apart from a row found again (retry, stalled-job recovery), for which
 * enviando means an attempt was interrupted with its outcome unknown. RecordBusyError when another job's push of the
 * record is in flight. On PostgreSQL the claim is claimExecucoes' statement with one key, so a row another run of the
 * job inserts while it runs comes back `concurrent` (never read as an interrupted attempt), as in a group. MySQL/MariaDB
 * and SQLite cannot tell that row from an earlier attempt's (found after the insert failed): README, SET step 7.
 */
export async function claimExecucao(db: Kysely<Database>, key: ExecucaoKey): Promise<ClaimedExecucao> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    try {
      return (await claimExecucoes(db, [key]))[0] as ClaimedExecucao;
    } catch (err) {
      throw await busyOr(db, key, err);
    }
  }
  const insert = db.insertInto('integracao_execucoes').values({
    empresa_id: key.empresaId,
    integracao_id: key.integracaoId,
    chave: key.chave,
    job_id: key.jobId,
    registro: key.registro ?? null,
    status: 'enviando',
    tentativas: 0,
  });
  try {
    // One round trip on the common path (a first run): RETURNING where the dialect has it (SQLite).
    if (db.getExecutor().adapter.supportsReturning) return { ...(await insert.returningAll().executeTakeFirstOrThrow()), created: true };
    await insert.execute();
  } catch (err) {
    // The key exists: this job ran before (retry, stalled-job recovery): continue from its row.
    const existing = await findByChave(db, key.chave);
    if (existing) return { ...existing, created: false };
    throw await busyOr(db, key, err);
  }
  const created = await findByChave(db, key.chave);
  if (!created) throw new Error(`outbox row ${key.chave} vanished after insert`);
  return { ...created, created: true };
}

function findByChave(db: Kysely<Database>, chave: string): Promise<Execucao | undefined> {
  return db.selectFrom('integracao_execucoes').selectAll().where('chave', '=', chave).executeTakeFirst();
}

/**
 * PostgreSQL's claim of many keys: one array per column (pgUnnest), the same text for any number of keys, so it is
 * prepared once per connection and built by Kysely once per database handle (compiledStatement).
 */
// A record another job has in flight conflicts on the in-flight index (migration 024), not on chave: the statement
// fails, and its keys are claimed one by one (Coalescer), where only that record's claim is refused (RecordBusyError).
function pgClaimInsert(
  db: QueryCreator<Database>,
  empresaIds: number[],
  integracaoIds: number[],
  chaves: string[],
  jobIds: string[],
  registros: (string | null)[],
) {
  return db
    .insertInto('integracao_execucoes')
    .columns(['empresa_id', 'integracao_id', 'chave', 'job_id', 'registro', 'status', 'tentativas'])
    .expression(
      sql`SELECT k.empresa_id, k.integracao_id, k.chave, k.job_id, k.registro, 'enviando', 0 FROM ${pgUnnest([
        [empresaIds, 'integer'],
        [integracaoIds, 'integer'],
        [chaves, 'varchar'],
        [jobIds, 'varchar'],
        [registros, 'varchar'],
      ])} AS k (empresa_id, integracao_id, chave, job_id, registro)`,
    )
    .onConflict((oc) => oc.column('chave').doNothing())
    .returningAll();
}

/**
 * PostgreSQL's claim of many keys as one statement: the insert (pgClaimInsert, in a data-modifying CTE) and the
 * read of the rows that existed already. The outer SELECT reads the table as it was when the statement began, so it
 * finds only the rows an earlier attempt made (created false), never the ones this statement inserts (created true,
 * from RETURNING); a key inserted meanwhile by another transaction comes back from neither (claimExecucoes reads it
 * after: `concurrent`). One statement commits as a whole, so the group needs no transaction of its own: one round trip
 * instead of BEGIN, INSERT, (SELECT,) COMMIT.
 */
const pgClaimReadStatement = compiledStatement(
  5,
  (db, empresaIds: number[], integracaoIds: number[], chaves: string[], jobIds: string[], registros: (string | null)[]) =>
    db
      .with('ins', (qc) => pgClaimInsert(qc, empresaIds, integracaoIds, chaves, jobIds, registros))
      .selectFrom('ins')
      .selectAll('ins')
      .select(sql<boolean>`true`.as('created'))
      .unionAll(
        db
          .selectFrom('integracao_execucoes as e')
          .selectAll('e')
          .select(sql<boolean>`false`.as('created'))
          .where(sql<boolean>`e.chave = ANY(${chaves}::varchar[])`)
          .where(sql<boolean>`NOT EXISTS (SELECT 1 FROM ins WHERE ins.chave = e.chave)`),
      ),
);

/** The rows a claim inserted, where the dialect returns them (RETURNING: SQLite); null where it does not (MySQL/MariaDB). */
async function insertClaims(db: Kysely<Database>, keys: ExecucaoKey[]): Promise<Execucao[] | null> {
  const insert = db.insertInto('integracao_execucoes').values(
    keys.map((key) => ({
      empresa_id: key.empresaId,
      integracao_id: key.integracaoId,
      chave: key.chave,
      job_id: key.jobId,
      registro: key.registro ?? null,
      status: 'enviando' as const,
      tentativas: 0,
    })),
  );
  if (!db.getExecutor().adapter.supportsReturning) {
    await insert.execute();
    return null;
  }
  return insert
    .onConflict((oc) => oc.column('chave').doNothing())
    .returningAll()
    .execute();
}

/**
 * A claimed row; `concurrent` (PostgreSQL only): another run of the same job inserted it while the
 * claim ran, and is sending it now (outboxGroupsOf refuses it as in flight: RecordBusyError).
 */
export type ClaimedExecucao = Execucao & { created: boolean; concurrent?: true };

/**
 * claimExecucao for many keys in one statement where the dialect allows (`INSERT … ON CONFLICT DO NOTHING RETURNING`;
 * on PostgreSQL fed by one array per column, with the read of the rows that already existed in the same statement,
 * pgClaimReadStatement; on SQLite that read follows); MySQL/MariaDB, without RETURNING, inserts all of them and reads
 * them back, and a key that exists fails the whole insert (the caller then claims each key on its own).
 * Results are in the order of `keys`, which must be distinct.
 */
export async function claimExecucoes(db: Kysely<Database>, keys: ExecucaoKey[]): Promise<ClaimedExecucao[]> {
  if (new Set(keys.map((key) => key.chave)).size !== keys.length) throw new Error('claimExecucoes: each key once');
  const byChave = new Map<string, ClaimedExecucao>();
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    const columns = sameLengthColumns([
      keys.map((key) => key.empresaId),
      keys.map((key) => key.integracaoId),
      keys.map((key) => key.chave),
      keys.map((key) => key.jobId),
      keys.map((key) => key.registro ?? null),
    ] as const);
    const { rows } = await db.executeQuery(pgClaimReadStatement.bind(db, ...columns));
    for (const row of rows) byChave.set(row.chave, row);
    // A key neither inserted nor seen by the statement: another transaction inserted it after the statement began (its
    // insert waited on that one's, then did nothing). The chave holds the job's id, so that is another run of this same
    // job sending it right now (a stalled job's re-run racing the run it replaced): not an earlier attempt whose outcome
    // is unknown. Read as such (concurrent); the statement's own rows stay as they are (it committed).
    const missing = keys.filter((key) => !byChave.has(key.chave)).map((key) => key.chave);
    if (missing.length > 0)
      for (const row of await findByChaves(db, missing)) byChave.set(row.chave, { ...row, created: false, concurrent: true });
    return keys.map((key) => {
      const row = byChave.get(key.chave);
      if (!row) throw new Error(`outbox row ${key.chave} vanished after insert`);
      return row;
    });
  }
  const created = await insertClaims(db, keys);
  if (created) {
    for (const row of created) byChave.set(row.chave, { ...row, created: true });
    const found = keys.filter((key) => !byChave.has(key.chave)).map((key) => key.chave);
    if (found.length > 0) for (const row of await findByChaves(db, found)) byChave.set(row.chave, { ...row, created: false });
  } else {
    // Without RETURNING every key was inserted (a duplicate chave would have failed the statement).
    for (const row of await findByChaves(
      db,
      keys.map((key) => key.chave),
    ))
      byChave.set(row.chave, { ...row, created: true });
  }
  return keys.map((key) => {
    const row = byChave.get(key.chave);
    if (!row) throw new Error(`outbox row ${key.chave} vanished after insert`);
    return row;
  });
}

function findByChaves(db: Kysely<Database>, chaves: string[]): Promise<Execucao[]> {
  return db.selectFrom('integracao_execucoes').selectAll().where('chave', 'in', chaves).execute();
}

/** What an attempt changes in its execucao besides the count: the new status, the receptor's values and message. */
export interface TentativaOutcome {
  status: Execucao['status'];
  valores?: Record<string, unknown>;
  mensagem?: string | null;
}

/**
 * Writes one attempt and the execucao's new state with `db` as given (a transaction where it takes two statements).
 * On PostgreSQL one statement (a data-modifying CTE: the attempt number comes from the UPDATE's RETURNING), elsewhere
 * an UPDATE then an INSERT reading the new count.
 */
async function writeTentativa(
  db: Kysely<Database>,
  execucaoId: number,
  attempt: TentativaRecord,
  outcome?: TentativaOutcome,
): Promise<void> {
  const changes = {
    tentativas: sql<number>`tentativas + 1`,
    atualizado_em: currentTimestamp(db),
    ...(outcome ? { status: outcome.status } : {}),
    ...(outcome?.valores ? { valores: JSON.stringify(outcome.valores) } : {}),
    ...(outcome && outcome.mensagem !== undefined ? { mensagem: outcome.mensagem } : {}),
  };
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await db
      .with('e', (qc) => qc.updateTable('integracao_execucoes').set(changes).where('id', '=', execucaoId).returning(['id', 'tentativas']))
      .insertInto('integracao_tentativas')
      .columns(['execucao_id', 'tentativa', 'url', 'requisicao', 'resposta', 'status_http', 'duracao_ms', 'erro'])
      .expression((eb) =>
        eb
          .selectFrom('e')
          .select([
            'e.id',
            'e.tentativas',
            sql<string | null>`${attempt.url}::text`.as('url'),
            sql<string | null>`${attempt.requisicao}::text`.as('requisicao'),
            sql<string | null>`${attempt.resposta}::text`.as('resposta'),
            sql<number | null>`${attempt.statusHttp}::integer`.as('status_http'),
            sql<number | null>`${attempt.duracaoMs}::integer`.as('duracao_ms'),
            sql<string | null>`${attempt.erro}::text`.as('erro'),
          ]),
      )
      .execute();
    return;
  }
  await db.updateTable('integracao_execucoes').set(changes).where('id', '=', execucaoId).execute();
  await db
    .insertInto('integracao_tentativas')
    .values((eb) => ({
      execucao_id: execucaoId,
      tentativa: eb.selectFrom('integracao_execucoes').select('tentativas').where('id', '=', execucaoId),
      url: attempt.url,
      requisicao: attempt.requisicao,
      resposta: attempt.resposta,
      status_http: attempt.statusHttp,
      duracao_ms: attempt.duracaoMs,
      erro: attempt.erro,
    }))
    .execute();
}

/**
 * Records one attempt (raw exchange) and, atomically with it, the execucao's new state: the attempt count and, when
 * the receptor answered, its status with its values (e.g. enviado, the outbox step before any write-back).
 */
export async function recordTentativa(
  db: Kysely<Database>,
  execucaoId: number,
  attempt: TentativaRecord,
  outcome?: TentativaOutcome,
): Promise<void> {
  // One statement is atomic on its own: no transaction (two round trips fewer) where writeTentativa is one.
  if (db.getExecutor().adapter instanceof PostgresAdapter) return writeTentativa(db, execucaoId, attempt, outcome);
  await db.transaction().execute((trx) => writeTentativa(trx, execucaoId, attempt, outcome));
}

/** One attempt of recordTentativas: what recordTentativa takes. */
export interface TentativaWrite {
  execucaoId: number;
  attempt: TentativaRecord;
  outcome?: TentativaOutcome;
}

/**
 * recordTentativa for attempts of distinct execucoes at once: on PostgreSQL one statement (the same CTE, fed by one
 * array per column), elsewhere one transaction. All or nothing: on an error none of them is written.
 */
export async function recordTentativas(db: Kysely<Database>, writes: TentativaWrite[]): Promise<void> {
  if (new Set(writes.map((write) => write.execucaoId)).size !== writes.length)
    throw new Error('recordTentativas: one attempt per execucao');
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) {
    await db.transaction().execute(async (trx) => {
      for (const { execucaoId, attempt, outcome } of writes) await writeTentativa(trx, execucaoId, attempt, outcome);
    });
    return;
  }
  // One array per column (pgUnnest): the same text for any number of attempts, so it is prepared once per connection.
  const ids = writes.map((w) => w.execucaoId);
  const i = pgUnnest([
    [ids, 'integer'],
    [writes.map((w) => w.outcome?.status ?? null), 'varchar'],
    [writes.map((w) => (w.outcome?.valores ? JSON.stringify(w.outcome.valores) : null)), 'text'],
    [writes.map((w) => w.outcome !== undefined && w.outcome.mensagem !== undefined), 'boolean'],
    [writes.map((w) => w.outcome?.mensagem ?? null), 'text'],
    [writes.map((w) => w.attempt.url), 'text'],
    [writes.map((w) => w.attempt.requisicao), 'text'],
    [writes.map((w) => w.attempt.resposta), 'text'],
    [writes.map((w) => w.attempt.statusHttp), 'integer'],
    [writes.map((w) => w.attempt.duracaoMs), 'integer'],
    [writes.map((w) => w.attempt.erro), 'text'],
  ]);
  // Absent outcome fields keep the row's value (COALESCE; mensagem by its own flag, since null is a value to store).
  // `x.id = ANY (ids)` gives the planner the primary key's index: a plan made for any array (a prepared statement's
  // generic plan) would otherwise hash-join the unnest with a scan of the whole, ever-growing table.
  await sql`WITH i AS (SELECT * FROM ${i} AS i (id, status, valores, set_mensagem, mensagem, url, requisicao, resposta, status_http, duracao_ms, erro)),
e AS (
  UPDATE integracao_execucoes AS x
  SET tentativas = x.tentativas + 1, atualizado_em = CURRENT_TIMESTAMP, status = COALESCE(i.status, x.status),
      valores = COALESCE(i.valores, x.valores), mensagem = CASE WHEN i.set_mensagem THEN i.mensagem ELSE x.mensagem END
  FROM i WHERE x.id = i.id AND x.id = ANY (${ids}::integer[])
  RETURNING x.id, x.tentativas
)
INSERT INTO integracao_tentativas (execucao_id, tentativa, url, requisicao, resposta, status_http, duracao_ms, erro)
SELECT e.id, e.tentativas, i.url, i.requisicao, i.resposta, i.status_http, i.duracao_ms, i.erro FROM e JOIN i ON i.id = e.id`.execute(db);
}

/**
 * Marks a job's row of a record found again (pendente, or falhou and run again) enviando, right before its call;
 * RecordBusyError when another job's push of the record is in flight (the row stays as it was).
 */
export async function markSending(db: Kysely<Database>, id: number, key: ExecucaoKey): Promise<void> {
  try {
    // The record's key too: a row claimed before migration 024 has none, and would be sent unclaimed.
    await db
      .updateTable('integracao_execucoes')
      .set({
        status: 'enviando',
        ...(key.registro ? { registro: key.registro } : {}),
        atualizado_em: currentTimestamp(db),
      })
      .where('id', '=', id)
      .execute();
  } catch (err) {
    throw await busyOr(db, key, err);
  }
}

/** Moves an execucao to a new status, keeping the receptor's values and message. */
export async function setExecucaoStatus(
  db: Kysely<Database>,
  id: number,
  status: Execucao['status'],
  details: { valores?: Record<string, unknown>; mensagem?: string | null } = {},
): Promise<void> {
  await db
    .updateTable('integracao_execucoes')
    .set({
      status,
      ...(details.valores ? { valores: JSON.stringify(details.valores) } : {}),
      ...(details.mensagem !== undefined ? { mensagem: details.mensagem } : {}),
      atualizado_em: currentTimestamp(db),
    })
    .where('id', '=', id)
    .execute();
}

/**
 * Marks execucoes concluido as the first statement of a tenant-scoped write-back transaction: on PostgreSQL the same
 * statement opens the scope (withTenantScope's `scopedBy: 'first-statement'`), elsewhere the scope is already open.
 */
export async function concludeExecucoesInScope(trx: Kysely<Database>, ids: number[], empresaId: number): Promise<void> {
  // Nothing to conclude means nothing to write back: on PostgreSQL the scope would not open (no row matched).
  if (ids.length === 0) throw new Error('concludeExecucoesInScope: no outbox rows given; the write-back was not run');
  const postgres = trx.getExecutor().adapter instanceof PostgresAdapter;
  const result = await trx
    .updateTable('integracao_execucoes')
    .set({ status: 'concluido', atualizado_em: currentTimestamp(trx) })
    .$if(postgres, (qb) =>
      qb
        .from(sql`${pgTenantScopeSubquery(empresaId)}`.as('escopo'))
        .where(sql<boolean>`escopo.empresa IS NOT NULL`)
        // One array: the same text for any number of rows (an IN list of n is a new text per n, parsed and planned
        // each time, and never prepared past 24 parameters).
        .where(sql<boolean>`integracao_execucoes.id = ANY (${ids}::integer[])`),
    )
    .$if(!postgres, (qb) => qb.where('integracao_execucoes.id', 'in', ids))
    .executeTakeFirst();
  // On PostgreSQL the scope opens only if the statement matched rows: with fewer, the write-back would run unguarded.
  if (postgres && Number(result.numUpdatedRows) !== ids.length)
    throw new Error(`concluido matched ${result.numUpdatedRows} of ${ids.length} outbox rows; the write-back was not run`);
}

/** The attempts of an execucao, oldest first. */
export async function listTentativas(db: Kysely<Database>, execucaoId: number) {
  return db.selectFrom('integracao_tentativas').selectAll().where('execucao_id', '=', execucaoId).orderBy('id').execute();
}

/** A tenant's execucoes of one job (what a job sent and how it ended). */
export async function listExecucoesOfJob(db: Kysely<Database>, empresaId: number, jobId: string): Promise<Execucao[]> {
  return db
    .selectFrom('integracao_execucoes')
    .selectAll()
    .where('empresa_id', '=', empresaId)
    .where('job_id', '=', jobId)
    .orderBy('id')
    .execute();
}

/**
 * The sends of some of a tenant's jobs, by job id: the highest attempt number of their execucoes (a job retried by hand
 * runs again from attempt 1 in BullMQ, its records' attempts go on counting), for a list that counts them as its page does.
 */
export async function sendAttemptsOfJobs(db: Kysely<Database>, empresaId: number, jobIds: readonly string[]): Promise<Map<string, number>> {
  if (jobIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('integracao_execucoes as e')
    .innerJoin('integracao_tentativas as t', 't.execucao_id', 'e.id')
    .select(['e.job_id', (eb) => eb.fn.max('t.tentativa').as('envios')])
    .where('e.empresa_id', '=', empresaId)
    .where('e.job_id', 'in', [...jobIds])
    .groupBy('e.job_id')
    .execute();
  return new Map(rows.flatMap((row) => (row.job_id === null ? [] : [[row.job_id, Number(row.envios)] as const])));
}
