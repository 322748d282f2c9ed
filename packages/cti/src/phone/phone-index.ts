import { CTI_PHONE_COLUMNS, type Database } from '@integrador/store';
import { type Kysely, sql } from 'kysely';
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

async function reindexRecords(db: Kysely<Database>, tabela: PhoneTable, ids: number[]): Promise<void> {
  const records = await db
    .selectFrom(tabela)
    .select(['id', 'empresa_id', ...CTI_PHONE_COLUMNS[tabela]] as never[])
    .where('id', 'in', ids)
    .execute();
  await db.deleteFrom('cti_telefones').where('tabela', '=', tabela).where('registro_id', 'in', ids).execute();
  const rows = (records as Record<string, unknown>[]).flatMap((record) => indexRows(tabela, record));
  for (let i = 0; i < rows.length; i += 500)
    await db
      .insertInto('cti_telefones')
      .values(rows.slice(i, i + 500))
      .execute();
}

/**
 * Re-normalises the contas / contatos rows the triggers noted since the last pass (all tenants, or one) and returns
 * how many notes it consumed. Runs before every lookup (usually one indexed query that finds nothing) and in worker-cti's
 * periodic sweep, so the index follows every write, the hub's or anyone else's.
 */
export async function catchUpPhoneIndex(db: Kysely<Database>, empresaId?: number, batch = 1000): Promise<number> {
  let consumed = 0;
  for (;;) {
    let query = db.selectFrom('cti_telefones_pendentes').select(['id', 'tabela', 'registro_id']).orderBy('id').limit(batch);
    if (empresaId !== undefined) query = query.where('empresa_id', '=', empresaId);
    const notes = await query.execute();
    if (notes.length === 0) return consumed;
    await db.transaction().execute(async (trx) => {
      for (const tabela of TABLES) {
        const ids = [...new Set(notes.filter((n) => n.tabela === tabela).map((n) => Number(n.registro_id)))];
        if (ids.length) await reindexRecords(trx, tabela, ids);
      }
      await trx
        .deleteFrom('cti_telefones_pendentes')
        .where(
          'id',
          'in',
          notes.map((n) => n.id),
        )
        .execute();
    });
    consumed += notes.length;
    if (notes.length < batch) return consumed;
  }
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

async function matchingEntries(db: Kysely<Database>, empresaId: number, phone: NormalizedPhone) {
  const base = db.selectFrom('cti_telefones').select(['tabela', 'registro_id', 'campo', 'chave_ddd']).where('empresa_id', '=', empresaId);
  if (phone.kind === 'nacional') {
    const [exact, noDdd] = await Promise.all([
      base.where('chave_ddd', '=', phone.keyDdd).execute(),
      base.where('chave8', '=', phone.key8).where('chave_ddd', 'is', null).execute(),
    ]);
    return [...exact, ...noDdd];
  }
  if (phone.kind === 'local') return base.where('chave8', '=', phone.key8).execute();
  return [];
}

/**
 * Every conta and contato of the empresa whose phone matches, ranked: DDD + last 8 before last 8 only, contas before
 * contatos, then by id. Indexed lookups only (never a scan of contas), after catching up on the noted writes.
 */
export async function findCallers(db: Kysely<Database>, empresaId: number, phone: NormalizedPhone, limit = 20): Promise<CallerMatch[]> {
  await catchUpPhoneIndex(db, empresaId);
  const entries = await matchingEntries(db, empresaId, phone);
  if (entries.length === 0) return [];
  const matches: CallerMatch[] = [];
  const seen = new Set<string>();
  for (const tabela of TABLES) {
    const ids = [...new Set(entries.filter((e) => e.tabela === tabela).map((e) => Number(e.registro_id)))];
    if (!ids.length) continue;
    const records = (await db
      .selectFrom(tabela)
      .select(['id', 'nome', ...(tabela === 'contatos' ? ['conta_id'] : []), ...CTI_PHONE_COLUMNS[tabela]] as never[])
      .where('empresa_id', '=', empresaId)
      .where('id', 'in', ids)
      .execute()) as Record<string, unknown>[];
    const byId = new Map(records.map((r) => [Number(r.id), r]));
    for (const entry of entries.filter((e) => e.tabela === tabela)) {
      const record = byId.get(Number(entry.registro_id));
      const key = `${tabela}:${entry.registro_id}`;
      if (!record || seen.has(key)) continue;
      seen.add(key);
      matches.push({
        tabela,
        id: Number(record.id),
        nome: String(record.nome),
        contaId: tabela === 'contas' ? Number(record.id) : record.conta_id === null ? null : Number(record.conta_id),
        campo: entry.campo,
        telefone: String(record[entry.campo] ?? ''),
        exato: entry.chave_ddd !== null && phone.kind === 'nacional',
      });
    }
  }
  matches.sort((a, b) => Number(b.exato) - Number(a.exato) || (a.tabela === b.tabela ? a.id - b.id : a.tabela === 'contas' ? -1 : 1));
  return matches.slice(0, limit);
}
