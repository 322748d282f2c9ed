import { CTI_PHONE_COLUMNS, compiledStatement, type Database, getOrCreate, hotStatementsOf, whereReadableBy } from '@integrador/store';
import { type Kysely, SqliteAdapter, sql } from 'kysely';
import { type NormalizedPhone, normalizePhone } from './normalize-phone';

type PhoneTable = keyof typeof CTI_PHONE_COLUMNS;
const TABLES = Object.keys(CTI_PHONE_COLUMNS) as PhoneTable[];

/** A record whose phone matches a caller's number. */
export interface CallerMatch {
  tabela: PhoneTable;
  id: number;
  nome: string;
  /** The conta of a contato (or the conta itself). */
  contaId: number | null;
  /** The column that matched, e.g. celular. */
  campo: string;
  /** The stored number, as written in the record. */
  telefone: string;
  /** True when DDD and last 8 digits matched; false when one side had no DDD (last 8 only). */
  exato: boolean;
}

type IndexRow = { empresa_id: number; tabela: PhoneTable; registro_id: number; campo: string; chave_ddd: string | null; chave8: string };

/** The index rows of one record: one per phone column holding a number the index can use. */
function indexRows(tabela: PhoneTable, row: Record<string, unknown>): IndexRow[] {
  const rows: IndexRow[] = [];
  for (const campo of CTI_PHONE_COLUMNS[tabela]) {
    // Stored numbers are never extensions: a 4-digit "ramal" in a conta is not a caller anyone can match.
    const phone = normalizePhone(row[campo] as string | null, { ramalLength: 0 });
    const base = { empresa_id: Number(row.empresa_id), tabela, registro_id: Number(row.id), campo };
    if (phone.kind === 'nacional') rows.push({ ...base, chave_ddd: phone.keyDdd, chave8: phone.key8 });
    else if (phone.kind === 'local') rows.push({ ...base, chave_ddd: null, chave8: phone.key8 });
  }
  return rows;
}

/**
 * A statement's tenant bound beside its primary key: `empresa_id + 0`, which no index serves, so MySQL keeps to the
 * primary key (record locks only) instead of ranging over an (empresa_id, …) index, whose next-key locks cover gaps.
 */
const ofEmpresa = sql<number>`empresa_id + 0`;

/** Re-indexes the records of one empresa and table: their index rows replaced by what their phones hold now. */
async function reindexRecords(db: Kysely<Database>, empresaId: number, tabela: PhoneTable, ids: number[]): Promise<void> {
  const records = await db
    .selectFrom(tabela)
    .select(['id', 'empresa_id', ...CTI_PHONE_COLUMNS[tabela]] as never[])
    .where('empresa_id', '=', empresaId)
    .where('id', 'in', ids)
    .execute();
  // Deleted by primary key, found by a plain read of cti_telefones_registro (empresa_id, tabela, registro_id): a
  // searched DELETE takes InnoDB next-key locks on the gaps it scans (without the empresa, every tenant's rows up to
  // the supremum), and two catch-ups inserting into gaps the other locked deadlock. Holding the notes keeps any other
  // catch-up off these records meanwhile.
  const stale = await db
    .selectFrom('cti_telefones')
    .select('id')
    .where('empresa_id', '=', empresaId)
    .where('tabela', '=', tabela)
    .where('registro_id', 'in', ids)
    .execute();
  if (stale.length)
    await db
      .deleteFrom('cti_telefones')
      .where(ofEmpresa, '=', empresaId)
      .where(
        'id',
        'in',
        stale.map((row) => row.id),
      )
      .execute();
  const rows = (records as Record<string, unknown>[]).flatMap((record) => indexRows(tabela, record));
  for (let i = 0; i < rows.length; i += 500)
    await db
      .insertInto('cti_telefones')
      .values(rows.slice(i, i + 500))
      .execute();
}

type Note = { id: number; empresa_id: number; tabela: string; registro_id: number };

/**
 * Indexes the noted records and deletes their notes, in one transaction. The notes are read again inside it, locked
 * (PostgreSQL, MySQL; SQLite has one writer, so its transaction already keeps others out), and only those still there
 * are indexed: a catch-up that read the same notes waits for this one's commit and then finds them gone, instead of
 * re-indexing the same records beside it. `empresaId`: the catch-up's empresa, when it has one; its notes, and the
 * deletes by primary key, are bound to it too.
 */
async function consumeNotes(db: Kysely<Database>, read: Note[], empresaId: number | undefined): Promise<number> {
  return db.transaction().execute(async (trx) => {
    let again = trx
      .selectFrom('cti_telefones_pendentes')
      .select(['id', 'empresa_id', 'tabela', 'registro_id'])
      .where(
        'id',
        'in',
        read.map((n) => n.id),
      )
      .orderBy('id');
    if (empresaId !== undefined) again = again.where(ofEmpresa, '=', empresaId);
    if (!(trx.getExecutor().adapter instanceof SqliteAdapter)) again = again.forUpdate();
    const notes = await again.execute();
    if (notes.length === 0) return 0;
    for (const empresa of new Set(notes.map((n) => Number(n.empresa_id))))
      for (const tabela of TABLES) {
        const ofTable = notes.filter((n) => Number(n.empresa_id) === empresa && n.tabela === tabela);
        const ids = [...new Set(ofTable.map((n) => Number(n.registro_id)))];
        if (ids.length) await reindexRecords(trx, empresa, tabela, ids);
      }
    let remove = trx.deleteFrom('cti_telefones_pendentes').where(
      'id',
      'in',
      notes.map((n) => n.id),
    );
    if (empresaId !== undefined) remove = remove.where(ofEmpresa, '=', empresaId);
    await remove.execute();
    return notes.length;
  });
}

async function catchUp(db: Kysely<Database>, empresaId: number | undefined, batch: number): Promise<number> {
  let consumed = 0;
  for (;;) {
    let query = db.selectFrom('cti_telefones_pendentes').select(['id', 'empresa_id', 'tabela', 'registro_id']).orderBy('id').limit(batch);
    if (empresaId !== undefined) query = query.where('empresa_id', '=', empresaId);
    const notes = await query.execute();
    if (notes.length === 0) return consumed;
    consumed += await consumeNotes(db, notes, empresaId);
    if (notes.length < batch) return consumed;
  }
}

/** Per database handle and empresa ('*': all): the catch-up running now and the one queued behind it. */
const lanes = new WeakMap<object, Map<number | '*', { tail: Promise<unknown>; queued?: Promise<number> }>>();

/**
 * Re-normalises the contas / contatos rows the triggers noted since the last pass (all tenants, or one) and returns
 * how many notes it consumed. Runs in worker-cti: before a lookup that finds notes of its empresa, and in the periodic
 * sweep, so the index follows every write, the hub's or anyone else's.
 *
 * One catch-up per empresa key at a time in a process (one of the empresa, one of all, '*', may run beside it and
 * other processes run their own): the call starts of a tenant taken at once would otherwise each read the same notes
 * and queue on their locks. This only saves work; correctness rests on the note locks, which let one catch-up index a
 * note. A caller arriving while one runs joins the one queued behind it (which reads the notes after the caller
 * arrived, so it misses none of the writes made before), or queues one.
 */
export function catchUpPhoneIndex(db: Kysely<Database>, empresaId?: number, batch = 1000): Promise<number> {
  const byEmpresa = getOrCreate(lanes, db, () => new Map());
  const key = empresaId ?? '*';
  const lane = byEmpresa.get(key) ?? { tail: Promise.resolve() };
  if (lane.queued) return lane.queued;
  const run: Promise<number> = lane.tail.then(() => {
    lane.queued = undefined;
    return catchUp(db, empresaId, batch);
  });
  const settled = run.then(
    () => undefined,
    () => undefined,
  );
  lane.queued = run;
  lane.tail = settled;
  byEmpresa.set(key, lane);
  void settled.then(() => {
    if (lane.tail === settled) byEmpresa.delete(key);
  });
  return run;
}

/** Notes every contas / contatos row of the empresa for re-indexing and indexes them now (`integrador cti reindex`). */
export async function rebuildPhoneIndex(db: Kysely<Database>, empresaId: number): Promise<number> {
  for (const tabela of TABLES) {
    await sql`INSERT INTO cti_telefones_pendentes (empresa_id, tabela, registro_id) SELECT empresa_id, ${tabela}, id FROM ${sql.table(tabela)} WHERE empresa_id = ${empresaId}`.execute(
      db,
    );
  }
  return catchUpPhoneIndex(db, empresaId);
}

/**
 * The index entries matching the number, joined to their conta or contato of the same empresa (not run alone). With
 * a DDD: the entries of DDD + last 8 and the entries without a DDD of the last 8; without one (keyDdd undefined): every
 * entry of the last 8. A filial caller (`filialId`, an API key of one filial) joins only the records its filial reads
 * (the engine's filial rule, whereReadableBy: its own filial's and the empresa-wide ones): another filial's entry
 * finds no record, as a deleted one, and is dropped (ranked).
 */
function matchingRecords(db: Kysely<Database>, empresaId: number, keyDdd: string | undefined, key8: string, filialId: number | null) {
  const phoneColumns = TABLES.flatMap((tabela) =>
    CTI_PHONE_COLUMNS[tabela].map((campo) => sql<string | null>`${sql.ref(`${tabela}.${campo}`)}`.as(`${tabela}_${campo}`)),
  );
  return db
    .selectFrom('cti_telefones as t')
    .leftJoin('contas', (join) => {
      const joined = join.onRef('contas.id', '=', 't.registro_id').on('t.tabela', '=', 'contas').on('contas.empresa_id', '=', empresaId);
      return filialId === null ? joined : joined.on(whereReadableBy({ filialId }, 'contas.empresa_filial_id'));
    })
    .leftJoin('contatos', (join) => {
      const joined = join
        .onRef('contatos.id', '=', 't.registro_id')
        .on('t.tabela', '=', 'contatos')
        .on('contatos.empresa_id', '=', empresaId);
      return filialId === null ? joined : joined.on(whereReadableBy({ filialId }, 'contatos.empresa_filial_id'));
    })
    .select(['t.tabela', 't.registro_id', 't.campo', 't.chave_ddd', 'contas.nome as conta_nome', 'contatos.nome as contato_nome'])
    .select(['contatos.conta_id as contato_conta_id', ...phoneColumns])
    .where('t.empresa_id', '=', empresaId)
    .where((eb) =>
      keyDdd !== undefined
        ? eb.or([eb('t.chave_ddd', '=', keyDdd), eb.and([eb('t.chave8', '=', key8), eb('t.chave_ddd', 'is', null)])])
        : eb('t.chave8', '=', key8),
    );
}

/**
 * One statement: whether writes of the empresa are noted and not yet indexed, and the matching records. One statement
 * reads both from one snapshot, so a write committed before the call is either still noted or already indexed (a
 * catch-up commits the index rows with the deletion of their notes), and the lookup is one round trip.
 */
function lookUpQuery(db: Kysely<Database>, empresaId: number, keyDdd: string | undefined, key8: string, filialId: number | null = null) {
  const notes = db.selectNoFrom((eb) =>
    eb.exists(eb.selectFrom('cti_telefones_pendentes').select('id').where('empresa_id', '=', empresaId)).as('pendente'),
  );
  return db
    .selectFrom(notes.as('p'))
    .leftJoin(matchingRecords(db, empresaId, keyDdd, key8, filialId).as('m'), (join) => join.onTrue())
    .select('p.pendente')
    .selectAll('m');
}

// Compiled once per database handle, one text per kind of number (every call start runs one of them). The calls are
// the whole empresa's (a listener URL names no filial); a filial key's lookup (the API's) is built per call.
const lookUpNational = compiledStatement(3, (db, empresaId: number, keyDdd: string, key8: string) =>
  lookUpQuery(db, empresaId, keyDdd, key8),
);
const lookUpLocal = compiledStatement(2, (db, empresaId: number, key8: string) => lookUpQuery(db, empresaId, undefined, key8));

/**
 * Runs the lookup. `admit`: the text may become a server-side prepared statement on a pool that names only admitted
 * texts (the ingress's: every call start runs it, so it is parsed and planned once per connection, not per call).
 * Admitted on every run (a move to the front of an LRU): the ingress admits other texts on the same pool (the
 * receptor's previews and INFO lookups, a union text per group size), and a text admitted once would be pushed out
 * of the admission budget (MAX_GROUPED) by them and run unnamed from then on.
 */
async function lookUp(
  db: Kysely<Database>,
  empresaId: number,
  phone: NormalizedPhone & { key8: string },
  { admit = false, filialId = null }: { admit?: boolean; filialId?: number | null } = {},
) {
  const keyDdd = phone.kind === 'nacional' ? phone.keyDdd : undefined;
  const query =
    filialId !== null
      ? lookUpQuery(db, empresaId, keyDdd, phone.key8, filialId).compile()
      : keyDdd !== undefined
        ? lookUpNational.bind(db, empresaId, keyDdd, phone.key8)
        : lookUpLocal.bind(db, empresaId, phone.key8);
  if (admit && filialId === null) hotStatementsOf(db)?.admit(query.sql);
  const { rows } = (await db.executeQuery(query)) as { rows: Record<string, unknown>[] };
  // PostgreSQL answers a boolean, MySQL and SQLite 0 / 1; without a match the one row has nulls beside the flag.
  return { pending: Number(rows[0]?.pendente ?? 0) === 1, found: rows.filter((row) => row.registro_id !== null) };
}

const searchable = (phone: NormalizedPhone): phone is NormalizedPhone & { key8: string } =>
  phone.kind === 'nacional' || phone.kind === 'local';

/** How a lookup is bound beyond its empresa, and how many matches it returns. */
export interface CallerLookupOptions {
  /** An API key's filial: only the records that filial reads (its own and the empresa-wide ones); null = the whole empresa. */
  filialId?: number | null;
  /** At most this many matches (default 20). */
  limit?: number;
}

/**
 * Every conta and contato of the empresa whose phone matches, ranked: DDD + last 8 before last 8 only, contas before
 * contatos, then by id. Indexed lookups only (never a scan of contas), never missing a write noted before the call.
 * Catches the empresa's index up first when writes are noted: worker-cti and the CLI only, never the ingress
 * (findCallersIfIndexed).
 */
export async function findCallers(
  db: Kysely<Database>,
  empresaId: number,
  phone: NormalizedPhone,
  { filialId = null, limit = 20 }: CallerLookupOptions = {},
): Promise<CallerMatch[]> {
  if (!searchable(phone)) return [];
  const first = await lookUp(db, empresaId, phone, { filialId });
  if (!first.pending) return ranked(first.found, phone, limit);
  // Writes noted before the call are indexed now, then looked up again.
  await catchUpPhoneIndex(db, empresaId);
  return ranked((await lookUp(db, empresaId, phone, { filialId })).found, phone, limit);
}

/**
 * The same lookup for the ingress (the listener's card, GET /v1/cti/lookup) and a click-to-call's dial, which never
 * catch the index up (a bulk import would run inside them): undefined while writes of the empresa are noted and not
 * yet indexed — worker-cti, which catches up, pops the card then; the API answers "try again" (lookUpIndexedCaller).
 */
export async function findCallersIfIndexed(
  db: Kysely<Database>,
  empresaId: number,
  phone: NormalizedPhone,
  { filialId = null, limit = 20 }: CallerLookupOptions = {},
): Promise<CallerMatch[] | undefined> {
  if (!searchable(phone)) return [];
  const { pending, found } = await lookUp(db, empresaId, phone, { admit: true, filialId });
  return pending ? undefined : ranked(found, phone, limit);
}

/** The matching index entries as caller matches: records deleted since dropped, one match per record, ranked. */
function ranked(found: unknown[], phone: NormalizedPhone, limit: number): CallerMatch[] {
  const rows = found as Record<string, unknown>[];
  const matches: CallerMatch[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    const tabela = row.tabela as PhoneTable;
    const nome = tabela === 'contas' ? row.conta_nome : row.contato_nome;
    const key = `${tabela}:${row.registro_id}`;
    // No record: the index entry outlived its row (deleted since; the next catch-up drops it).
    if (nome === null || nome === undefined || seen.has(key)) continue;
    seen.add(key);
    const id = Number(row.registro_id);
    const contaId = row.contato_conta_id;
    matches.push({
      tabela,
      id,
      nome: String(nome),
      contaId: tabela === 'contas' ? id : contaId === null || contaId === undefined ? null : Number(contaId),
      campo: String(row.campo),
      telefone: String(row[`${tabela}_${row.campo}`] ?? ''),
      exato: row.chave_ddd !== null && phone.kind === 'nacional',
    });
  }
  matches.sort((a, b) => Number(b.exato) - Number(a.exato) || (a.tabela === b.tabela ? a.id - b.id : a.tabela === 'contas' ? -1 : 1));
  return matches.slice(0, limit);
}
