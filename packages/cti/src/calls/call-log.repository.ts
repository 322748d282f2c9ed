import {
  canPipeline,
  compiledStatement,
  type Database,
  executePipelined,
  type LigacoesTable,
  pgUnnest,
  sameLengthColumns,
  timestampMs,
  timestampValue,
} from '@integrador/store';
import {
  type Compilable,
  type Expression,
  type ExpressionBuilder,
  type Insertable,
  type Kysely,
  type Selectable,
  type SqlBool,
  sql,
} from 'kysely';
import { isWithheldKey } from './call-number';

/** Call statuses (seed 002's call log); discando / falhou are click-to-call's own. */
export const OPEN_STATUSES = ['tocando', 'em andamento', 'discando'] as const;
/** A call closed by the ring timeout: it rang (no answer known) past CTI_RING_TIMEOUT_MS without an end. */
export const RING_EXPIRED = 'não atendida';
/** A click-to-call to an internal extension closed by CTI_EXTENSION_CALL_TIMEOUT_MS: the PBX sends no end for those. */
export const EXTENSION_EXPIRED = 'ramal sem fim';
/**
 * A call that rang on one ramal and ended on another (a transfer, reference cti.md §7): the first ramal's row, closed
 * when the end came from the other ramal, at the time that ramal's call began. The call is logged on the ramal it ended on.
 * Like any call the hub closed, it is never reopened: its own end coming after all is logged as a call of its own.
 */
export const TRANSFERRED = 'transferida';
/**
 * A leg of a ring group (every ramal of the group rang at once for one caller) closed because the call was taken on
 * another ramal of the group: begun within the ingress clock skew of the call that got its end, on another ramal. Not
 * RING_EXPIRED: the caller was answered, so the leg is no missed call. Seed 002 names no status for it; this word fits
 * ligacoes.status (varchar(20)).
 */
export const ANSWERED_ELSEWHERE = 'outro ramal atendeu';
/**
 * A call still ringing on a ramal when a newer start of the same number on the same ramal was logged (or the newer one
 * got its end): the PBX sent the start again (after the listener's CTI_DEDUPE_WINDOW_MS: a PBX re-sending on a slow
 * answer) or the caller rang again after a ring whose end never came. Either way the older row would stay "tocando"
 * and on the ramal's screen pop until the call timeout (trial CTI 3, finding 6); the newer row is the live call.
 */
export const REPEATED_START = 'início repetido';
/**
 * How long before the other ramal's call began a ringing call may have begun and still be the one handed over to it: a
 * transfer is made within a ring (or a short talk), so a call of the same number begun earlier than this is another
 * call (a missed one, or a live one from a shared trunk number), left to its own end or the timeouts. CTI_RING_TIMEOUT_MS
 * takes its place when shorter (a call ringing longer is closed as "não atendida" anyway).
 */
export const TRANSFER_WINDOW_MS = 3 * 60 * 1000;
export type CallStatus =
  | 'tocando'
  | 'em andamento'
  | 'finalizada'
  | 'sem fim recebido'
  | typeof RING_EXPIRED
  | typeof EXTENSION_EXPIRED
  | typeof TRANSFERRED
  | typeof ANSWERED_ELSEWHERE
  | typeof REPEATED_START
  | 'discando'
  | 'falhou';

export type CallRow = Selectable<LigacoesTable>;
type Db = Kysely<Database>;

/**
 * How far apart two ingress hosts' clocks may be (receivedAt is each ingress's own clock; the chart runs two): an end
 * stamped up to this much before its start still closes it, in whichever order their jobs run.
 */
const INGRESS_CLOCK_SKEW_MS = 2000;

/** The row an event (start or click-to-call) opened, or undefined. */
export async function findCallByEvent(db: Db, empresaId: number, eventId: string): Promise<CallRow | undefined> {
  return db.selectFrom('ligacoes').selectAll().where('empresa_id', '=', empresaId).where('evento_id', '=', eventId).executeTakeFirst();
}

/** One call of the empresa by its id, or undefined (another empresa's id included). */
export async function findCall(db: Db, empresaId: number, id: number): Promise<CallRow | undefined> {
  return db.selectFrom('ligacoes').selectAll().where('empresa_id', '=', empresaId).where('id', '=', id).executeTakeFirst();
}

/** The row an end event already closed, or undefined. */
export async function findCallByEndEvent(db: Db, empresaId: number, eventId: string): Promise<CallRow | undefined> {
  return db.selectFrom('ligacoes').selectAll().where('empresa_id', '=', empresaId).where('evento_fim_id', '=', eventId).executeTakeFirst();
}

/**
 * The newest open call of (empresa, ramal, number key) started at or before `endedAt` (plus INGRESS_CLOCK_SKEW_MS), the
 * end's time: a call that started after this end is not the one it ends (its start's job ran before an older call's end
 * and start). Only an open call: WConnect's end names no call (no call id), so a call the hub closed already (the ring
 * timeout's "não atendida", "sem fim recebido") or one ended is never taken — the end of a later call of the same
 * number whose start was lost would close it with the wrong duration and leave its own call unlogged. Such an end is
 * logged as its own call (sem_inicio), and so is one closed as TRANSFERRED. A PBX kind that sends a call id would match
 * on that id instead.
 *
 * The one exception, a leg closed as ANSWERED_ELSEWHERE begun within `legEndMs` before the end: a PBX that sends an
 * end for every leg of a ring group (the unanswered ones' when the group stops ringing) makes the first such end look
 * like the answer, closing the other legs, the answered one included; each of them then takes its own end, as it
 * would have open. `legEndMs` is how long it would have stayed open: the ring timeout when set (then it would have
 * been closed as "não atendida"), else the call timeout; past that, an end is a later call's.
 *
 * A withheld caller's end (WITHHELD_KEY: every private caller has that key, so it names no caller) takes the **oldest**
 * open withheld call of the ramal instead: of two private calls on one ramal (a second one waiting), the first to ring
 * is taken as the first to end, and the newest — usually the one still waiting — is left open. WConnect's end carries
 * no call id to tell them apart; a PBX kind that sends one would be matched on it.
 */
export async function findOpenCall(
  db: Db,
  empresaId: number,
  ramal: string,
  key: string,
  endedAt: Date,
  legEndMs: number,
): Promise<CallRow | undefined> {
  const legsFrom = timestampValue(db, new Date(endedAt.getTime() - legEndMs));
  const order = isWithheldKey(key) ? 'asc' : 'desc';
  return db
    .selectFrom('ligacoes')
    .selectAll()
    .where('empresa_id', '=', empresaId)
    .where('ramal', '=', ramal)
    .where('chave_telefone', '=', key)
    .where((eb) =>
      eb.or([eb('status', 'in', [...OPEN_STATUSES]), eb.and([eb('status', '=', ANSWERED_ELSEWHERE), eb('inicio', '>=', legsFrom)])]),
    )
    .where('inicio', '<=', timestampValue(db, new Date(endedAt.getTime() + INGRESS_CLOCK_SKEW_MS)))
    .orderBy('inicio', order)
    .orderBy('id', order)
    .executeTakeFirst();
}

/** The end-only rows (sem_inicio) of (empresa, ramal, key) ended within [from, to], oldest end first (not run alone). */
function unpairedEnds(
  db: Db,
  empresaId: number | Expression<number>,
  ramal: string | Expression<string>,
  key: string | Expression<string>,
  from: unknown,
  to: unknown,
) {
  return db
    .selectFrom('ligacoes')
    .selectAll()
    .where('empresa_id', '=', empresaId)
    .where('ramal', '=', ramal)
    .where('chave_telefone', '=', key)
    .where('sem_inicio', '=', 1)
    .where('evento_id', 'is', null)
    .where('fim', '>=', from as never)
    .where('fim', '<=', to as never)
    .orderBy('fim', 'asc')
    .limit(1);
}

const unpairedEnd = compiledStatement(5, (db, empresaId: number, ramal: string, key: string, from: unknown, to: unknown) =>
  unpairedEnds(db, empresaId, ramal, key, from, to),
);

/** The ends a start at `startedAt` may pair with: from INGRESS_CLOCK_SKEW_MS before it to `windowMs` after, as bound values. */
function endWindow(db: Db, startedAt: Date, windowMs: number): [unknown, unknown] {
  const from = new Date(startedAt.getTime() - INGRESS_CLOCK_SKEW_MS);
  return [timestampValue(db, from), timestampValue(db, new Date(startedAt.getTime() + windowMs))];
}

/** A row made by an end whose start had not been processed yet, ended by `startedAt`'s end window (the two jobs raced). */
async function findUnpairedEnd(db: Db, empresaId: number, ramal: string, key: string, startedAt: Date, windowMs: number) {
  const { rows } = await db.executeQuery(unpairedEnd.bind(db, empresaId, ramal, key, ...endWindow(db, startedAt, windowMs)));
  return rows[0] as CallRow | undefined;
}

/** findUnpairedEnd without the rows of `taken` (other starts of its group took them); the rare path, compiled per call. */
async function findUnpairedEndExcept(db: Db, { empresaId, ramal, key, inicio }: NewCall, windowMs: number, taken: number[]) {
  const [from, to] = endWindow(db, inicio, windowMs);
  return (await unpairedEnds(db, empresaId, ramal, key, from, to).where('id', 'not in', taken).executeTakeFirst()) as CallRow | undefined;
}

/**
 * The two reads a call start makes before its insert, as one statement (one round trip): the row this event opened
 * (a job run again), and an end-only row its end left when the end's job ran first. The two are never the same row
 * (one has this evento_id, the other none).
 */
const startState = compiledStatement(6, (db, empresaId: number, eventId: string, ramal: string, key: string, from: unknown, to: unknown) =>
  db
    .selectFrom(db.selectFrom('ligacoes').selectAll().where('empresa_id', '=', empresaId).where('evento_id', '=', eventId).limit(1).as('e'))
    .selectAll()
    .unionAll(db.selectFrom(unpairedEnds(db, empresaId, ramal, key, from, to).as('u')).selectAll()),
);

/** What a call start finds before logging: the row its event already opened, else an end that came first. */
export async function findStartState(
  db: Db,
  empresaId: number,
  eventId: string,
  ramal: string,
  key: string,
  startedAt: Date,
  windowMs: number,
): Promise<{ existing: CallRow | undefined; endedFirst: CallRow | undefined }> {
  const { rows } = await db.executeQuery(startState.bind(db, empresaId, eventId, ramal, key, ...endWindow(db, startedAt, windowMs)));
  const found = rows as CallRow[];
  // Both may be found: a run that inserted this event's row and failed before folding in an end that came meanwhile.
  return { existing: found.find((row) => row.evento_id === eventId), endedFirst: found.find((row) => row.evento_id === null) };
}

export interface NewCall {
  empresaId: number;
  ramal: string;
  usuarioId: number | null;
  telefone: string;
  normalizado: string | null;
  key: string;
  contaId: number | null;
  contatoId: number | null;
  /** interna: the caller is an extension of the PBX (a ramal-to-ramal call, reference cti.md §2: no caller lookup). */
  direcao: 'entrada' | 'saida' | 'interna';
  status: CallStatus;
  inicio: Date;
  fim?: Date;
  urlAudio?: string | null;
  eventId?: string | null;
  endEventId?: string | null;
  semInicio?: boolean;
}

/** The columns a call row is inserted with; the compiled insert and its values both follow this one list. */
const CALL_COLUMNS = [
  'empresa_id',
  'ramal',
  'usuario_id',
  'telefone',
  'telefone_normalizado',
  'chave_telefone',
  'conta_id',
  'contato_id',
  'direcao',
  'status',
  'inicio',
  'fim',
  'url_audio',
  'evento_id',
  'evento_fim_id',
  'sem_inicio',
] as const satisfies readonly (keyof LigacoesTable)[];
type CallColumn = (typeof CALL_COLUMNS)[number];

/** One call row's values by column (every column of CALL_COLUMNS, no other: the compiler checks both). */
function callValues(db: Db, call: NewCall): Record<CallColumn, unknown> {
  return {
    empresa_id: call.empresaId,
    ramal: call.ramal,
    usuario_id: call.usuarioId,
    telefone: call.telefone.slice(0, 30),
    // An invalid number keeps all its digits (up to 40): capped at the column's varchar(30), as telefone is.
    telefone_normalizado: call.normalizado?.slice(0, 30) ?? null,
    chave_telefone: call.key,
    conta_id: call.contaId,
    contato_id: call.contatoId,
    direcao: call.direcao,
    status: call.status,
    inicio: timestampValue(db, call.inicio),
    fim: call.fim ? timestampValue(db, call.fim) : null,
    url_audio: call.urlAudio ?? null,
    evento_id: call.eventId ?? null,
    evento_fim_id: call.endEventId ?? null,
    sem_inicio: call.semInicio ? 1 : 0,
  };
}

const insertCallStatement = compiledStatement(CALL_COLUMNS.length, (db, ...slots: unknown[]): Compilable<{ id?: number }> => {
  // Slots stand for the values (compiledStatement), one per column in CALL_COLUMNS' order.
  const row = Object.fromEntries(CALL_COLUMNS.map((column, i) => [column, slots[i]]));
  const insert = db.insertInto('ligacoes').values(row as Insertable<LigacoesTable>);
  // MySQL has no RETURNING; its driver reports the generated id instead.
  return db.getExecutor().adapter.supportsReturning ? insert.returning('id') : insert;
});

/** The insert of one call row, bound to its values in CALL_COLUMNS' order. */
function insertCallQuery(db: Db, call: NewCall) {
  const values = callValues(db, call);
  return insertCallStatement.bind(db, ...CALL_COLUMNS.map((column) => values[column]));
}

/** Inserts one call row; returns its id. */
export async function insertCall(db: Db, call: NewCall): Promise<number> {
  const result = await db.executeQuery(insertCallQuery(db, call));
  return Number(result.rows[0]?.id ?? result.insertId);
}

/**
 * Inserts a start's row (MySQL / SQLite: PostgreSQL takes insertStartIfNewThenFindLateEnd), then looks for an end-only
 * row its end left meanwhile (another worker took the end at the same instant, before this row existed). The insert
 * commits before the read, so of two workers that each write before they look, one sees the other's row.
 */
export async function insertStartThenFindLateEnd(
  db: Db,
  call: NewCall,
  windowMs: number,
): Promise<{ ligacaoId: number; lateEnd: CallRow | undefined }> {
  const ligacaoId = await insertCall(db, call);
  return { ligacaoId, lateEnd: await findUnpairedEnd(db, call.empresaId, call.ramal, call.key, call.inicio, windowMs) };
}

/** The start's insert that skips a row its event already opened (a job run again) instead of failing on it. */
const insertStartStatement = compiledStatement(CALL_COLUMNS.length, (db, ...slots: unknown[]): Compilable<CallRow> => {
  const row = Object.fromEntries(CALL_COLUMNS.map((column, i) => [column, slots[i]]));
  return db
    .insertInto('ligacoes')
    .values(row as Insertable<LigacoesTable>)
    .onConflict((conflict) => conflict.columns(['empresa_id', 'evento_id']).doNothing())
    .returningAll();
});

/** Whether a call start may log without reading first (insertStartIfNewThenFindLateEnd): PostgreSQL only. */
export const startsWithoutReading = canPipeline;

/**
 * A call start in one round trip, on PostgreSQL (startsWithoutReading): the start's row, returned whole, unless its
 * event opened one already (ON CONFLICT DO NOTHING: a job run again; inserted undefined then), pipelined with the read
 * of an end-only row of the call — one its end left first (the end's job ran before this one) or meanwhile (taken at
 * the same instant by another worker): the caller folds it in either way. Replaces findStartState + the insert + that read (three
 * statements, two round trips). Each statement has its own Sync, so the insert commits before the read's snapshot, as
 * one after the other. Outside a transaction on purpose, though executePipelined is meant for one: the insert must
 * commit before the read (or the other worker's read) for one of the two workers to see the other's row, and the
 * statement after it is a read, so a failed insert has nothing after it that could commit.
 */
export async function insertStartIfNewThenFindLateEnd(
  db: Db,
  call: NewCall & { eventId: string },
  windowMs: number,
): Promise<{ inserted: CallRow | undefined; lateEnd: CallRow | undefined }> {
  if (!startsWithoutReading(db)) throw new Error('insertStartIfNewThenFindLateEnd: PostgreSQL only (startsWithoutReading)');
  const values = callValues(db, call);
  const [inserted, found] = await executePipelined(db, db, [
    insertStartStatement.bind(db, ...CALL_COLUMNS.map((column) => values[column])),
    unpairedEnd.bind(db, call.empresaId, call.ramal, call.key, ...endWindow(db, call.inicio, windowMs)),
  ]);
  return { inserted: inserted?.rows[0] as CallRow | undefined, lateEnd: found?.rows[0] as CallRow | undefined };
}

/**
 * PostgreSQL element type of each CALL_COLUMNS column, for the grouped insert's arrays (pgUnnest). The columns are
 * ligacoes', created by store's migrations 001-initial.ts (empresa_id … status) and 008-cti.ts (LIGACOES_COLUMNS):
 * a column changed there changes here.
 */
const PG_CALL_TYPES: Record<CallColumn, string> = {
  empresa_id: 'integer',
  ramal: 'varchar',
  usuario_id: 'integer',
  telefone: 'varchar',
  telefone_normalizado: 'varchar',
  chave_telefone: 'varchar',
  conta_id: 'integer',
  contato_id: 'integer',
  direcao: 'varchar',
  status: 'varchar',
  inicio: 'timestamptz',
  fim: 'timestamptz',
  url_audio: 'varchar',
  evento_id: 'varchar',
  evento_fim_id: 'varchar',
  sem_inicio: 'integer',
};

/**
 * insertStartStatement for many starts: one array per column (pgUnnest), the same text for any number of rows, so it is
 * prepared once per connection. A start whose event opened a row already — before, or earlier in the same list — is
 * skipped, as alone.
 */
const pgInsertStartsStatement = compiledStatement(CALL_COLUMNS.length, (db, ...arrays: unknown[]): Compilable<CallRow> => {
  const rows = pgUnnest(CALL_COLUMNS.map((column, i) => [arrays[i] as unknown[], PG_CALL_TYPES[column]] as const));
  return db
    .insertInto('ligacoes')
    .columns([...CALL_COLUMNS])
    .expression(sql`SELECT * FROM ${rows} AS r (${sql.join(CALL_COLUMNS.map((column) => sql.ref(column)))})`)
    .onConflict((conflict) => conflict.columns(['empresa_id', 'evento_id']).doNothing())
    .returningAll();
});

/**
 * unpairedEnd for many starts at once: for the i-th (1-based) start's empresa, ramal, key and end window, its earliest
 * end-only row, tagged `start_index` i; starts without one have no row. Each start reads only its own empresa's rows.
 */
const pgUnpairedEndsStatement = compiledStatement(
  5,
  (
    db,
    empresaIds: number[],
    ramais: string[],
    keys: string[],
    froms: unknown[],
    tos: unknown[],
  ): Compilable<CallRow & { start_index: string }> => {
    const starts = pgUnnest([
      [empresaIds, 'integer'],
      [ramais, 'varchar'],
      [keys, 'varchar'],
      [froms, 'timestamptz'],
      [tos, 'timestamptz'],
    ]);
    // Each start's read is unpairedEnds itself, its values the start's columns (the unqualified columns inside are
    // ligacoes', the innermost scope).
    const column = <T>(name: string) => sql.ref<T>(`k.${name}`);
    const ends = unpairedEnds(
      db,
      column<number>('empresa_id'),
      column<string>('ramal'),
      column<string>('chave'),
      column('de'),
      column('ate'),
    );
    const query = sql<CallRow & { start_index: string }>`SELECT k.start_index, l.* FROM ${starts}
WITH ORDINALITY AS k (empresa_id, ramal, chave, de, ate, start_index) CROSS JOIN LATERAL ${ends} AS l`;
    return { compile: () => query.compile(db) };
  },
);

/** A start's row to log and the end window its end-only read looks in (see insertStartIfNewThenFindLateEnd). */
export interface StartToLog {
  call: NewCall & { eventId: string };
  windowMs: number;
}

/** What logging a start found: the row it inserted (undefined when its event had opened one already), and a late end. */
export interface LoggedStart {
  inserted: CallRow | undefined;
  lateEnd: CallRow | undefined;
}

/**
 * insertStartIfNewThenFindLateEnd for the starts of many jobs (of any empresas), PostgreSQL only: one multi-row insert
 * (ON CONFLICT DO NOTHING) pipelined with one read of every start's end-only row — one round trip and one commit for
 * all of them. Each row carries its own start's empresa_id, and each start's read and result are matched on its own
 * empresa: a row of another empresa with the same evento_id is never taken for its own. Results in the order of
 * `starts`; a start listed twice (its job run again meanwhile) is inserted once, and only its first entry gets the row
 * (the later ones, as if run after, find it already opened). The insert is one statement: when it fails, no row of the
 * list is written.
 */
export async function insertStartsIfNewThenFindLateEnds(db: Db, starts: readonly StartToLog[]): Promise<LoggedStart[]> {
  if (!startsWithoutReading(db)) throw new Error('insertStartsIfNewThenFindLateEnds: PostgreSQL only (startsWithoutReading)');
  const rows = starts.map(({ call }) => callValues(db, call));
  const columns = sameLengthColumns(CALL_COLUMNS.map((column) => rows.map((row) => row[column])));
  const windows = starts.map(({ call, windowMs }) => endWindow(db, call.inicio, windowMs));
  const [inserted, found] = await executePipelined(db, db, [
    pgInsertStartsStatement.bind(db, ...columns),
    pgUnpairedEndsStatement.bind(
      db,
      ...sameLengthColumns([
        starts.map(({ call }) => call.empresaId),
        starts.map(({ call }) => call.ramal),
        starts.map(({ call }) => call.key),
        windows.map(([from]) => from),
        windows.map(([, to]) => to),
      ] as const),
    ),
  ]);
  const key = (empresaId: number, eventId: string | null) => `${empresaId}:${eventId}`;
  const insertedByEvent = new Map((inserted?.rows as CallRow[] | undefined)?.map((row) => [key(row.empresa_id, row.evento_id), row]));
  const lateEnds = await retakeLostEnds(db, starts, (found?.rows ?? []) as (CallRow & { start_index: string })[]);
  return starts.map(({ call }, index) => {
    const row = insertedByEvent.get(key(call.empresaId, call.eventId));
    // The row goes to the first entry of its event only: a later one is a job run again.
    insertedByEvent.delete(key(call.empresaId, call.eventId));
    return { inserted: row, lateEnd: lateEnds.get(index) };
  });
}

/**
 * Where a start stands among those an end may pair with, highest first, as findOpenCall orders them: its start time
 * (newest first), counted backwards for a withheld caller (oldest first).
 */
function pairingRank(call: Pick<NewCall, 'inicio' | 'key'> | undefined): number {
  const at = call?.inicio.getTime() ?? 0;
  return isWithheldKey(call?.key) ? -at : at;
}

/**
 * The end-only row each start of a group takes, by start index. A row read by several starts (of one empresa, ramal
 * and number) goes to the newest of them (the first listed among equals), as an end closes the newest open call started
 * by its time (findOpenCall) — to the oldest for a withheld caller (WITHHELD_KEY), as findOpenCall pairs those; the
 * others take none, instead of racing to fold it.
 */
function newestStartsOf(starts: readonly StartToLog[], found: (CallRow & { start_index: string })[]): Map<number, CallRow> {
  const takerOf = new Map<number, number>();
  const lateEnds = new Map<number, CallRow>();
  const inicio = (index: number) => pairingRank(starts[index]?.call);
  for (const { start_index, ...row } of found) {
    const index = Number(start_index) - 1;
    const taker = takerOf.get(row.id);
    if (taker !== undefined && (inicio(taker) > inicio(index) || (inicio(taker) === inicio(index) && taker < index))) continue;
    if (taker !== undefined) lateEnds.delete(taker);
    takerOf.set(row.id, index);
    lateEnds.set(index, row);
  }
  return lateEnds;
}

/**
 * newestStartsOf, then a second look for each start whose row went to a newer start: its next end-only row in its
 * window, none of the group's taken ones (newest start first), so two starts and two end-only rows of one ramal and
 * number each get one, as findOpenCall pairs an end with the newest open start.
 * Rare (two starts of one ramal and number in a group, and their ends came first): one read per such start.
 */
async function retakeLostEnds(
  db: Db,
  starts: readonly StartToLog[],
  found: (CallRow & { start_index: string })[],
): Promise<Map<number, CallRow>> {
  const lateEnds = newestStartsOf(starts, found);
  // A start listed twice (its job run again) is one start: only its first entry looks again, else the repeat would
  // take a later start's end.
  const firstOfEvent = (index: number) => {
    const { empresaId, eventId } = (starts[index] as StartToLog).call;
    return starts.findIndex((s) => s.call.empresaId === empresaId && s.call.eventId === eventId) === index;
  };
  const lost = [...new Set(found.map((row) => Number(row.start_index) - 1))].filter((index) => !lateEnds.has(index) && firstOfEvent(index));
  if (lost.length === 0) return lateEnds;
  const taken = [...lateEnds.values()].map((row) => row.id);
  lost.sort((a, b) => pairingRank(starts[b]?.call) - pairingRank(starts[a]?.call) || a - b);
  for (const index of lost) {
    const { call, windowMs } = starts[index] as StartToLog;
    const row = await findUnpairedEndExcept(db, call, windowMs, taken);
    if (row === undefined) continue;
    taken.push(row.id);
    lateEnds.set(index, row);
  }
  return lateEnds;
}

/**
 * Closes an open call (or a leg closed as ANSWERED_ELSEWHERE, findOpenCall) at `fim`; false when another event (or the
 * sweep) closed it first.
 */
export async function closeCall(db: Db, call: CallRow, fim: Date, urlAudio: string | null, endEventId: string): Promise<boolean> {
  const started = timestampMs(call.inicio) ?? fim.getTime();
  // An end stamped before its start (two ingress clocks, or the end's job first) ends the call as it starts: never before.
  const ended = Math.max(fim.getTime(), started);
  const result = await db
    .updateTable('ligacoes')
    .set({
      status: 'finalizada',
      fim: timestampValue(db, new Date(ended)),
      duracao_segundos: Math.round((ended - started) / 1000),
      url_audio: urlAudio,
      evento_fim_id: endEventId,
    })
    .where('empresa_id', '=', call.empresa_id)
    .where('id', '=', call.id)
    .where('status', 'in', [...OPEN_STATUSES, ANSWERED_ELSEWHERE])
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** A call's number: its index key (DDD + last 8 digits) and its normalised form (E.164, or the digits). */
export interface CallNumber {
  key: string;
  normalizado: string;
}

/**
 * The number's incoming calls still ringing on ramais other than `ramal`, begun within [from, to]: the one query for
 * "the other legs of this call" (closeOtherLegs). Bound to the empresa and the number key; only "tocando" rows, so a
 * call already ended or closed is never taken. The key (DDD + last 8 digits) is the caller lookup's, shared by
 * 11 3456-7890 and 11 9 3456-7890: the normalised number must be the same too (another line is another call).
 */
function ringingElsewhere(db: Db, empresaId: number, ramal: string, number: CallNumber, from: Date, to: Date) {
  return db
    .selectFrom('ligacoes')
    .selectAll()
    .where('empresa_id', '=', empresaId)
    .where('chave_telefone', '=', number.key)
    .where('telefone_normalizado', '=', number.normalizado.slice(0, 30))
    .where('ramal', '!=', ramal)
    .where('direcao', '=', 'entrada')
    .where('status', '=', 'tocando')
    .where('inicio', '>=', timestampValue(db, from))
    .where('inicio', '<=', timestampValue(db, to))
    .execute();
}

/**
 * Once the number's call on `ramal`, begun at `pairedAt`, is paired with its end, closes that number's calls still
 * ringing on other ramais, as the call was taken on `ramal` (WConnect sends no answer event: the ramal the end came
 * from is the one that took it):
 * - begun within INGRESS_CLOCK_SKEW_MS of it, on either side: legs of the same ring (a ring group rings every ramal at
 *   once; the PBX often sends no end for the legs not answered) → ANSWERED_ELSEWHERE;
 * - begun earlier, within `windowMs` before it: handed over to it → TRANSFERRED.
 * Each row is closed at `pairedAt` (at its own start when later), only if it is still ringing (its own end or a sweep may
 * close it first). Returns the rows closed, to take them off their ramais' screen pops.
 */
export async function closeOtherLegs(
  db: Db,
  empresaId: number,
  ramal: string,
  number: CallNumber,
  pairedAt: Date,
  windowMs: number,
): Promise<CallRow[]> {
  const paired = pairedAt.getTime();
  const skewFrom = paired - INGRESS_CLOCK_SKEW_MS;
  const ringing = await ringingElsewhere(
    db,
    empresaId,
    ramal,
    number,
    new Date(paired - windowMs),
    new Date(paired + INGRESS_CLOCK_SKEW_MS),
  );
  const closed: CallRow[] = [];
  for (const call of ringing) {
    const started = timestampMs(call.inicio) ?? paired;
    const status = started >= skewFrom ? ANSWERED_ELSEWHERE : TRANSFERRED;
    const ended = Math.max(paired, started);
    const result = await db
      .updateTable('ligacoes')
      .set({ status, fim: timestampValue(db, new Date(ended)), duracao_segundos: Math.round((ended - started) / 1000) })
      .where('empresa_id', '=', empresaId)
      .where('id', '=', call.id)
      .where('status', '=', 'tocando')
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 1) closed.push({ ...call, status });
  }
  return closed;
}

/**
 * Closes the calls of the same number still ringing on the same ramal begun before `newer` (more than the ingress clock
 * skew before it, and at most `windowMs` before it; a newer start of it was logged, or ended) as REPEATED_START, at the
 * newer one's start; bound to the empresa, the ramal, the number key and the normalised number (a key collision is
 * another line). A PBX re-sending a start, or a caller ringing again, does so within a ring: an older row is another
 * call — a PBX that sends no answer event (WConnect) leaves an answered call "tocando", and a switchboard number's
 * second call waiting on the same ramal must not close the live first one. Returns the rows closed, to take them off
 * the screen pop. One read (the rows to close, usually none), then one guarded update per row found. Never for a
 * withheld caller (WITHHELD_KEY): another private caller ringing the same ramal is another call, not a repeat.
 */
export async function closeRepeatedStarts(
  db: Db,
  newer: Pick<CallRow, 'id' | 'empresa_id' | 'ramal' | 'chave_telefone' | 'telefone_normalizado' | 'inicio'>,
  windowMs: number,
): Promise<CallRow[]> {
  const startedAt = timestampMs(newer.inicio);
  if (startedAt === null || !newer.chave_telefone || isWithheldKey(newer.chave_telefone)) return [];
  let query = db
    .selectFrom('ligacoes')
    .selectAll()
    .where('empresa_id', '=', newer.empresa_id)
    .where('ramal', '=', newer.ramal)
    .where('chave_telefone', '=', newer.chave_telefone)
    .where('status', '=', 'tocando')
    .where('id', '!=', newer.id)
    .where('inicio', '>=', timestampValue(db, new Date(startedAt - windowMs)))
    // Two starts within the ingress clock skew have no known order (two hosts' clocks): neither is taken for the other's.
    .where('inicio', '<', timestampValue(db, new Date(startedAt - INGRESS_CLOCK_SKEW_MS)));
  query =
    newer.telefone_normalizado === null
      ? query.where('telefone_normalizado', 'is', null)
      : query.where('telefone_normalizado', '=', newer.telefone_normalizado);
  const closed: CallRow[] = [];
  for (const call of await query.execute()) {
    const started = timestampMs(call.inicio) ?? startedAt;
    const result = await db
      .updateTable('ligacoes')
      .set({
        status: REPEATED_START,
        fim: timestampValue(db, new Date(startedAt)),
        duracao_segundos: Math.max(0, Math.round((startedAt - started) / 1000)),
      })
      .where('empresa_id', '=', call.empresa_id)
      .where('id', '=', call.id)
      .where('status', '=', 'tocando')
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 1) closed.push({ ...call, status: REPEATED_START });
  }
  return closed;
}

/**
 * Folds an end-only row (sem_inicio: its end was logged while the start's row was not visible yet) into the start's
 * open row, in one transaction: the end-only row goes and the start's row is closed with its end. False when another
 * worker folded (or closed) them first; then nothing changes.
 */
export async function foldEndIntoCall(db: Db, call: CallRow, end: CallRow): Promise<boolean> {
  const fim = timestampMs(end.fim);
  if (fim === null || !end.evento_fim_id) return false;
  const endEventId = end.evento_fim_id;
  try {
    return await db.transaction().execute(async (trx) => {
      const removed = await trx
        .deleteFrom('ligacoes')
        .where('empresa_id', '=', end.empresa_id)
        .where('id', '=', end.id)
        .where('sem_inicio', '=', 1)
        .where('evento_id', 'is', null)
        .executeTakeFirst();
      if (Number(removed.numDeletedRows) !== 1) return false;
      if (!(await closeCall(trx, call, new Date(fim), end.url_audio, endEventId))) throw new FoldLost();
      return true;
    });
  } catch (err) {
    if (err instanceof FoldLost) return false;
    throw err;
  }
}

/** The start's row was closed meanwhile: the fold's transaction rolls back (the end-only row stays). */
class FoldLost extends Error {
  override name = 'FoldLost';
}

/** Gives an end-only row the start that arrived late (the two events' jobs ran out of order). */
export async function pairLateStart(db: Db, call: CallRow, start: Partial<NewCall> & { inicio: Date; eventId: string }): Promise<void> {
  const ended = timestampMs(call.fim) ?? start.inicio.getTime();
  await db
    .updateTable('ligacoes')
    .set({
      inicio: timestampValue(db, start.inicio),
      // An end stamped before the start that came late: the call ends as it starts, never before (duration 0).
      fim: timestampValue(db, new Date(Math.max(ended, start.inicio.getTime()))),
      duracao_segundos: Math.max(0, Math.round((ended - start.inicio.getTime()) / 1000)),
      sem_inicio: 0,
      evento_id: start.eventId,
      usuario_id: start.usuarioId ?? call.usuario_id,
      conta_id: start.contaId ?? call.conta_id,
      contato_id: start.contatoId ?? call.contato_id,
    })
    .where('empresa_id', '=', call.empresa_id)
    .where('id', '=', call.id)
    .execute();
}

/** Marks a click-to-call row as placed (the PBX accepted) or failed (with the PBX's answer). */
export async function setOutboundOutcome(db: Db, empresaId: number, eventId: string, status: 'em andamento' | 'falhou', erro?: string) {
  await db
    .updateTable('ligacoes')
    .set({ status, erro: erro?.slice(0, 2000) ?? null, ...(status === 'falhou' ? { fim: timestampValue(db, new Date()) } : {}) })
    .where('empresa_id', '=', empresaId)
    .where('evento_id', '=', eventId)
    .where('status', '=', 'discando')
    .execute();
}

/**
 * Links a click-to-call row to the conta / contato of its number, looked up after the PBX was asked to dial (the
 * lookup may first catch the phone index up). Only a row not linked yet: a retried job never relinks its row.
 */
export async function setCallCustomer(db: Db, empresaId: number, ligacaoId: number, contaId: number | null, contatoId: number | null) {
  await db
    .updateTable('ligacoes')
    .set({ conta_id: contaId, contato_id: contatoId })
    .where('empresa_id', '=', empresaId)
    .where('id', '=', ligacaoId)
    .where('conta_id', 'is', null)
    .where('contato_id', 'is', null)
    .execute();
}

/** Which rows a sweep closes: a condition on ligacoes alone, checked again as each row is written. */
type SweepGuard = (eb: ExpressionBuilder<Database, 'ligacoes'>) => Expression<SqlBool>;

/**
 * The sweeps' one shape: sets `status` on up to `batch` rows the guard picks (all tenants) and returns only the rows it
 * changed, as closed — a row its end (or another sweep) closed between the pick and the write is neither counted nor
 * taken off the screen pop again. PostgreSQL and SQLite pick and write in one UPDATE … RETURNING; MySQL/MariaDB, which
 * has no RETURNING, picks the ids, then in one transaction re-reads them under the guard with FOR UPDATE (row locks on
 * those ids only, no range) and writes exactly the rows it re-read.
 */
async function closeSwept(db: Db, guard: SweepGuard, status: CallStatus, batch: number): Promise<CallRow[]> {
  if (db.getExecutor().adapter.supportsReturning) {
    return db
      .updateTable('ligacoes')
      .set({ status })
      .where('id', 'in', (eb) => eb.selectFrom('ligacoes').select('id').where(guard).limit(batch))
      .where(guard)
      .returningAll()
      .execute();
  }
  const picked = await db.selectFrom('ligacoes').select('id').where(guard).limit(batch).execute();
  if (!picked.length) return [];
  return db.transaction().execute(async (trx) => {
    const open = await trx
      .selectFrom('ligacoes')
      .selectAll()
      .where(
        'id',
        'in',
        picked.map((c) => c.id),
      )
      .where(guard)
      .forUpdate()
      .execute();
    if (!open.length) return [];
    await trx
      .updateTable('ligacoes')
      .set({ status })
      .where(
        'id',
        'in',
        open.map((c) => c.id),
      )
      .execute();
    return open.map((c) => ({ ...c, status }));
  });
}

/** Closes every call still open since before `cutoff` as "sem fim recebido" (all tenants); returns the rows it closed. */
export async function closeStaleCalls(db: Db, cutoff: Date, batch = 500): Promise<CallRow[]> {
  const before = timestampValue(db, cutoff);
  return closeSwept(db, (eb) => eb.and([eb('status', 'in', [...OPEN_STATUSES]), eb('inicio', '<', before)]), 'sem fim recebido', batch);
}

/**
 * Closes every click-to-call to an internal extension (direcao saida, its number key an extension's: `r<digits>`, as
 * normalizePhone writes it) still "em andamento" since before `cutoff` as "ramal sem fim" (all tenants); returns the
 * rows it closed.
 */
export async function closeStaleExtensionCalls(db: Db, cutoff: Date, batch = 500): Promise<CallRow[]> {
  const before = timestampValue(db, cutoff);
  const guard: SweepGuard = (eb) =>
    eb.and([eb('status', '=', 'em andamento'), eb('direcao', '=', 'saida'), eb('chave_telefone', 'like', 'r%'), eb('inicio', '<', before)]);
  return closeSwept(db, guard, EXTENSION_EXPIRED, batch);
}

/**
 * Closes every call still ringing since before `cutoff` — `tocando` with no answer known — as "não atendida" (all
 * tenants); returns the rows it closed. A call known to be answered (atendido_em, em andamento) waits for closeStaleCalls.
 */
export async function closeUnansweredCalls(db: Db, cutoff: Date, batch = 500): Promise<CallRow[]> {
  const before = timestampValue(db, cutoff);
  const guard: SweepGuard = (eb) => eb.and([eb('status', '=', 'tocando'), eb('atendido_em', 'is', null), eb('inicio', '<', before)]);
  return closeSwept(db, guard, RING_EXPIRED, batch);
}

/**
 * The active usuario of this empresa whose ramal this is (seed 002: usuarios.ramal), or null. `ramal` is ramalOf's; the
 * stored one is the CRM's data, read as ramalOf reads a ramal: surrounding spaces dropped (`'201 '` is 201). MySQL's
 * PAD SPACE compare ignored trailing spaces, PostgreSQL and SQLite compared them: TRIM (spaces only, as ramalOf) on every
 * dialect. TRIM leaves the (empresa_id, ramal) index its empresa_id half: the empresa's usuarios, never another
 * tenant's. A ramal stored both ways in one empresa ('201' and '201 ') is the one stored as given, else the oldest.
 */
export async function usuarioOfRamal(db: Db, empresaId: number, ramal: string): Promise<number | null> {
  const row = await db
    .selectFrom('usuarios')
    .select('id')
    .where('empresa_id', '=', empresaId)
    .where('ativo', '=', 1)
    .where(sql<string>`trim(ramal)`, '=', ramal)
    .orderBy(sql`case when ramal = ${ramal} then 0 else 1 end`)
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
  return row ? Number(row.id) : null;
}
