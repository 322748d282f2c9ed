import { CompiledQuery, type Kysely, PostgresAdapter } from 'kysely';
import { Coalescer, type CoalescerStats } from './coalescer';
import { currentTimestamp } from './current-timestamp';
import type { Execucao, ExecucaoKey } from './execucoes.repository';
import { getOrCreate } from './get-or-create';
import type { Database } from './schema';

/** An outbox row of a record the receptor accepted whose write-back did not run, and which holds back new pushes of it. */
export interface HeldExecucao {
  /** The hold's own row: a job held back by it names it, so only a retry of that job releases this hold. */
  id: number;
  registro: string;
  /** The keys the receptor's answer lacked (integracao_execucoes.retorno_ausente, comma-separated). */
  retornoAusente: string[];
  jobId: string | null;
}

/** Splits the stored list of keys (retorno_ausente). */
export function returnKeysOf(text: string | null): string[] {
  return (text ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter((key) => key !== '');
}

/** A push the receptor accepted whose write-back did not run, as its outbox row keeps it. */
export interface NotWrittenBack {
  /** The record's key (runSet's `id<id>`, or its position in the run). */
  registro: string;
  retornoAusente: readonly string[];
  /** The receptor's own answer. */
  mensagem: string | null;
  /** Hold back new pushes of the record: only a record known by its id is the same record in another run. */
  retido: boolean;
}

/**
 * Concludes a push the receptor accepted without writing anything back: the row keeps its record's key and the keys the
 * answer lacked and, for a record known by its id, holds back new pushes of it (retido) until it is sent again.
 */
export async function concludeNotWrittenBack(
  db: Kysely<Database>,
  empresaId: number,
  execucaoId: number,
  note: NotWrittenBack,
): Promise<void> {
  await db
    .updateTable('integracao_execucoes')
    .set({
      status: 'concluido',
      mensagem: note.mensagem,
      registro: note.registro,
      retorno_ausente: note.retornoAusente.join(',').slice(0, 500),
      retido: note.retido ? 1 : 0,
      atualizado_em: currentTimestamp(db),
    })
    .where('id', '=', execucaoId)
    .where('empresa_id', '=', empresaId)
    .execute();
}

/** Records per query of findHeldExecucoes: well under PostgreSQL's 65535 bound parameters and SQLite's 32766. */
const HELD_LOOKUP_CHUNK = 1000;

/** The held rows of these records of one integration of one empresa, newest first (one query, by its index). */
export async function findHeldExecucoes(
  db: Kysely<Database>,
  empresaId: number,
  integracaoId: number,
  registros: readonly string[],
): Promise<HeldExecucao[]> {
  const held: HeldExecucao[] = [];
  for (let start = 0; start < registros.length; start += HELD_LOOKUP_CHUNK) {
    const rows = await db
      .selectFrom('integracao_execucoes')
      .select(['id', 'registro', 'retorno_ausente', 'job_id'])
      .where('empresa_id', '=', empresaId)
      .where('integracao_id', '=', integracaoId)
      .where('registro', 'in', registros.slice(start, start + HELD_LOOKUP_CHUNK))
      .where('retido', '=', 1)
      .execute();
    for (const row of rows)
      held.push({ id: row.id, registro: row.registro ?? '', retornoAusente: returnKeysOf(row.retorno_ausente), jobId: row.job_id });
  }
  return held.sort((a, b) => b.id - a.id);
}

/** One run's lookup of its held rows: findHeldExecucoes' arguments. */
interface HeldLookup {
  empresaId: number;
  integracaoId: number;
  registros: readonly string[];
}

/**
 * PostgreSQL: the held rows of several runs' records in one statement, each (empresa, integracao, registro) exactly as
 * one run asked for it: the `= ANY` conditions keep a plan made for any arrays on the (empresa_id, integracao_id,
 * registro) index, the row comparison with the unnest drops the cross combinations of different runs' values.
 */
const PG_HELD_LOOKUP = `SELECT id, empresa_id, integracao_id, registro, retorno_ausente, job_id FROM integracao_execucoes
WHERE empresa_id = ANY($1::integer[]) AND integracao_id = ANY($2::integer[]) AND registro = ANY($3::varchar[]) AND retido = 1
AND (empresa_id, integracao_id, registro) IN (SELECT * FROM unnest($1::integer[], $2::integer[], $3::varchar[]))`;

/** Records of one run that go into a grouped lookup; a larger run looks its records up alone (findHeldExecucoes). */
const HELD_GROUP_MAX_RECORDS = 200;

async function findHeldGroup(db: Kysely<Database>, lookups: readonly HeldLookup[]): Promise<HeldExecucao[][]> {
  const empresas: number[] = [];
  const integracoes: number[] = [];
  const registros: string[] = [];
  for (const lookup of lookups)
    for (const registro of lookup.registros) {
      empresas.push(lookup.empresaId);
      integracoes.push(lookup.integracaoId);
      registros.push(registro);
    }
  const { rows } = await db.executeQuery<{
    id: number;
    empresa_id: number;
    integracao_id: number;
    registro: string | null;
    retorno_ausente: string | null;
    job_id: string | null;
  }>(CompiledQuery.raw(PG_HELD_LOOKUP, [empresas, integracoes, registros]));
  // Each run gets the rows of its own empresa, integration and records only, newest first (as findHeldExecucoes).
  return lookups.map((lookup) => {
    const wanted = new Set(lookup.registros);
    return rows
      .filter((row) => row.empresa_id === lookup.empresaId && row.integracao_id === lookup.integracaoId && wanted.has(row.registro ?? ''))
      .map((row) => ({ id: row.id, registro: row.registro ?? '', retornoAusente: returnKeysOf(row.retorno_ausente), jobId: row.job_id }))
      .sort((a, b) => b.id - a.id);
  });
}

const heldLookups = new WeakMap<Kysely<Database>, Coalescer<HeldLookup, HeldExecucao[]>>();

/**
 * findHeldExecucoes for the runs in flight in one process (`db` a pool, never a transaction): on PostgreSQL the
 * lookups made at the same moment go as one statement (see Coalescer: a run alone waits for nothing), so a job of one
 * record no longer costs the CRM a statement of its own for it. The lookup is a read, so a group answers each run
 * exactly as its own statement would have; a group that fails runs each lookup alone. Elsewhere, and for a run of many
 * records, one statement per run as before.
 */
export function findHeldExecucoesGrouped(
  db: Kysely<Database>,
  empresaId: number,
  integracaoId: number,
  registros: readonly string[],
): Promise<HeldExecucao[]> {
  if (registros.length === 0) return Promise.resolve([]);
  if (db.isTransaction || !(db.getExecutor().adapter instanceof PostgresAdapter) || registros.length > HELD_GROUP_MAX_RECORDS)
    return findHeldExecucoes(db, empresaId, integracaoId, registros);
  const coalescer = getOrCreate(
    heldLookups,
    db,
    () =>
      new Coalescer<HeldLookup, HeldExecucao[]>({
        name: 'held record lookups',
        runGroup: (lookups) => findHeldGroup(db, lookups),
        runOne: (lookup) => findHeldExecucoes(db, lookup.empresaId, lookup.integracaoId, lookup.registros),
      }),
  );
  return coalescer.add({ empresaId, integracaoId, registros });
}

/** The grouped lookups of `db` so far (tests): groups run together, and those that failed and ran one by one. */
export function heldLookupStats(db: Kysely<Database>): CoalescerStats | undefined {
  return heldLookups.get(db)?.stats;
}

/**
 * What a held-back record's outbox row keeps in `valores`: the hold (its row id) the job was held back by, and the
 * operator's retries of the job it was held back under (only a run under more releases it).
 */
interface HeldMarker {
  retidoPor: number;
  operatorRetries?: number;
}

/** A job's row held back: by which hold, under how many operator's retries of the job. */
export interface HeldBy {
  holdId: number;
  operatorRetries: number;
}

/** The hold a job's row of a record was held back by, while it is so (status falhou); null for any other row. */
export function heldByOf(execucao: Execucao): HeldBy | null {
  if (execucao.status !== 'falhou' || !execucao.valores) return null;
  try {
    const marker = JSON.parse(execucao.valores) as Partial<HeldMarker>;
    if (typeof marker.retidoPor !== 'number') return null;
    // A row held before the count was kept: any operator's retry since is past it.
    return { holdId: marker.retidoPor, operatorRetries: typeof marker.operatorRetries === 'number' ? marker.operatorRetries : 0 };
  } catch {
    return null;
  }
}

/**
 * A job's outbox row of a record held back by `held.holdId`, inserted failed and naming the hold in one statement (a crash
 * leaves no enviando row to be read as an unknown outcome); `created` false when the job had the row already.
 */
export async function claimHeldExecucao(db: Kysely<Database>, key: ExecucaoKey, held: HeldBy): Promise<Execucao & { created: boolean }> {
  const marker: HeldMarker = { retidoPor: held.holdId, operatorRetries: held.operatorRetries };
  try {
    await insertFailedRow(db, key, JSON.stringify(marker));
  } catch (err) {
    const existing = await findOwnRow(db, key);
    if (existing) return { ...existing, created: false };
    throw err;
  }
  const created = await findOwnRow(db, key);
  if (!created) throw new Error(`outbox row ${key.chave} vanished after insert`);
  return { ...created, created: true };
}

/** A job's outbox row of a record inserted failed with a marker (`valores`): nothing sent, so no enviando row. */
export async function insertFailedRow(
  db: Kysely<Database>,
  key: ExecucaoKey,
  valores: string,
  mensagem: string | null = null,
): Promise<void> {
  await db
    .insertInto('integracao_execucoes')
    .values({
      empresa_id: key.empresaId,
      integracao_id: key.integracaoId,
      chave: key.chave,
      job_id: key.jobId,
      registro: key.registro ?? null,
      status: 'falhou',
      valores,
      mensagem,
      tentativas: 0,
    })
    .execute();
}

/** A job's outbox row of a record, read again (e.g. after another job's release concluded it). */
export function findOwnRow(db: Kysely<Database>, key: ExecucaoKey): Promise<Execucao | undefined> {
  return db
    .selectFrom('integracao_execucoes')
    .selectAll()
    .where('chave', '=', key.chave)
    .where('empresa_id', '=', key.empresaId)
    .executeTakeFirst();
}

/** The job's row held back (again) by a newer hold of the record: another job sent it since. */
export async function markHeldBy(db: Kysely<Database>, empresaId: number, execucaoId: number, held: HeldBy): Promise<void> {
  const marker: HeldMarker = { retidoPor: held.holdId, operatorRetries: held.operatorRetries };
  await db
    .updateTable('integracao_execucoes')
    .set({ status: 'falhou', valores: JSON.stringify(marker), atualizado_em: currentTimestamp(db) })
    .where('id', '=', execucaoId)
    .where('empresa_id', '=', empresaId)
    .execute();
}

/**
 * An operator's retry of the job held back by `holdId`: that hold is released and the job's row, no longer held,
 * becomes pendente (sent next), together. The other jobs' rows held back by the same hold are concluded then too:
 * this push sends the record for them all, and one of them run again later (by its id in a consulta, once this push
 * wrote the record back and no hold is left) must not send it again. Nothing happens (false) when the hold was
 * released meanwhile.
 */
export async function releaseHoldFor(
  db: Kysely<Database>,
  empresaId: number,
  execucao: { id: number; holdId: number; integracaoId: number },
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const released = await trx
      .updateTable('integracao_execucoes')
      .set({ retido: 0, atualizado_em: currentTimestamp(trx) })
      .where('id', '=', execucao.holdId)
      .where('empresa_id', '=', empresaId)
      .where('retido', '=', 1)
      .executeTakeFirst();
    if (Number(released.numUpdatedRows) !== 1) return false;
    await trx
      .updateTable('integracao_execucoes')
      .set({ status: 'pendente', valores: null, atualizado_em: currentTimestamp(trx) })
      .where('id', '=', execucao.id)
      .where('empresa_id', '=', empresaId)
      .execute();
    // Their marker is the JSON markHeldBy / claimHeldExecucao wrote, retidoPor first (with or without the count).
    const marker = `{"retidoPor":${execucao.holdId}`;
    await trx
      .updateTable('integracao_execucoes')
      .set({ status: 'concluido', valores: null, atualizado_em: currentTimestamp(trx) })
      .where('empresa_id', '=', empresaId)
      .where('integracao_id', '=', execucao.integracaoId)
      .where('status', '=', 'falhou')
      .where('id', '!=', execucao.id)
      .where((eb) => eb.or([eb('valores', '=', `${marker}}`), eb('valores', 'like', `${marker},%`)]))
      .execute();
    return true;
  });
}

/** Lets new pushes of the record go out again (an operator sends it again, or the configuration no longer needs the keys). */
export async function releaseHeldRecord(db: Kysely<Database>, empresaId: number, integracaoId: number, registro: string): Promise<void> {
  await db
    .updateTable('integracao_execucoes')
    .set({ retido: 0, atualizado_em: currentTimestamp(db) })
    .where('empresa_id', '=', empresaId)
    .where('integracao_id', '=', integracaoId)
    .where('registro', '=', registro)
    .where('retido', '=', 1)
    .execute();
}
