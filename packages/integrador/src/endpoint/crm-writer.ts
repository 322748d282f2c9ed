import { createHash } from 'node:crypto';
import { type CrmDatabase, type Database, ORIGEM_CRM } from '@integrador/store';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { ValidRecord } from './payload-validation';

/** Rows per INSERT: well under every dialect's parameter limit (SQLite 32766, PostgreSQL and MySQL 65535). */
const CHUNK = 400;

type Trx = Transaction<Database>;
type Dialect = CrmDatabase['dialect'];

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const result: T[][] = [];
  for (let at = 0; at < items.length; at += size) result.push(items.slice(at, at + size));
  return result;
}

/** The last occurrence of each key wins: one statement may not touch the same row twice (PostgreSQL refuses). */
function lastByKey<T>(items: readonly T[], key: (item: T) => string): Map<string, T> {
  const map = new Map<string, T>();
  for (const item of items) {
    const k = key(item);
    map.delete(k);
    map.set(k, item);
  }
  return map;
}

/** A loosely typed view of the CRM schema, for the one upsert shared by contatos and eventos. */
type LooseTrx = Transaction<Record<string, Record<string, unknown>>>;

const CONTATO_UPDATED = ['nome', 'email', 'telefone', 'data_nascimento', 'cpf', 'dados', 'campos_personalizados'] as const;

/**
 * One multi-row upsert by (empresa_id, key): the `updated` columns take the new values and atualizado_em is now.
 * MySQL/MariaDB have no ON CONFLICT, so they use ON DUPLICATE KEY UPDATE on the same unique index.
 */
async function upsertPart(
  trx: Trx,
  dialect: Dialect,
  table: 'contatos' | 'eventos',
  key: 'codigo' | 'chave',
  updated: readonly string[],
  part: readonly object[],
): Promise<void> {
  const insert = (trx as unknown as LooseTrx).insertInto(table).values(part as Record<string, unknown>[]);
  if (dialect === 'mysql') {
    await insert
      .onDuplicateKeyUpdate({
        ...Object.fromEntries(updated.map((c) => [c, sql`VALUES(${sql.ref(c)})`])),
        atualizado_em: sql`CURRENT_TIMESTAMP(3)`,
      })
      .execute();
    return;
  }
  await insert
    .onConflict((oc) =>
      oc.columns(['empresa_id', key]).doUpdateSet({
        ...Object.fromEntries(updated.map((c) => [c, sql.ref(`excluded.${c}`)])),
        atualizado_em: sql`CURRENT_TIMESTAMP`,
      }),
    )
    .execute();
}

const ROLLBACK = Symbol('rollback');

/** Options of a write: `rollback` undoes it at once (a probe for the record the CRM refuses, see endpoint-sync.ts). */
export interface WriteOptions {
  rollback?: boolean;
}

/** Runs `work` in one transaction, rolled back at the end when `rollback` is set (its answer is kept). */
async function inTransaction<T>(db: Kysely<Database>, { rollback = false }: WriteOptions, work: (trx: Trx) => Promise<T>): Promise<T> {
  let answer: T | undefined;
  try {
    return await db.transaction().execute(async (trx) => {
      answer = await work(trx);
      if (rollback) throw ROLLBACK;
      return answer;
    });
  } catch (err) {
    if (err === ROLLBACK) return answer as T;
    throw err;
  }
}

const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value));
const text = (value: unknown) => (value === undefined ? null : String(value));

/**
 * Seed 003's "YYYY-MM-DD hh:mm:ss" carries no zone: it is Brasília time (UTC−03:00, no daylight saving since 2019),
 * written so the CRM reads it back as that wall clock. MySQL/MariaDB: the column is a zone-less DATETIME the CRM's
 * screens (and the webhook payloads) read as its local time, so it gets the text as given; a Date would go through the
 * pool's `timezone: 'Z'` and land as the UTC wall clock, 3 h ahead. PostgreSQL: the text with its offset, which a
 * timestamptz stores as that instant and a CRM's own `timestamp without time zone` as the wall clock (PostgreSQL drops
 * the offset there; a Date would be bound in the process's zone). SQLite: ISO text with `Z`, read back as an instant
 * (better-sqlite3 binds no Date objects).
 */
export function brasiliaDateTime(value: unknown, dialect: Dialect): string | null {
  if (typeof value !== 'string') return null;
  if (dialect === 'mysql') return value;
  if (dialect === 'postgres') return `${value}-03:00`;
  return new Date(`${value.replace(' ', 'T')}-03:00`).toISOString();
}

/** A stable text of a record (keys sorted), so the same payload always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The idempotency key of an evento: its codRegistro when given, else a hash of its content. */
export function eventoChave(data: Record<string, unknown>): string {
  if (typeof data.codRegistro === 'string') return `reg:${data.codRegistro}`;
  return `sha256:${createHash('sha256').update(canonical(data)).digest('hex')}`;
}

const CONTATO_COLUMNS = ['codigo', 'nome', 'emailPrincipal', 'telefonePrincipal', 'dataNascimento', 'cpf', 'camposPersonalizados'];

function contatoRow(empresaId: number, data: Record<string, unknown>) {
  const dados = Object.fromEntries(Object.entries(data).filter(([k]) => !CONTATO_COLUMNS.includes(k)));
  dados.origem ??= ORIGEM_CRM;
  return {
    empresa_id: empresaId,
    codigo: String(data.codigo),
    nome: String(data.nome),
    email: text(data.emailPrincipal),
    telefone: text(data.telefonePrincipal),
    data_nascimento: text(data.dataNascimento),
    cpf: text(data.cpf),
    dados: json(dados),
    campos_personalizados: json(data.camposPersonalizados),
  };
}

/** Ids of the empresa's contatos by codigo (only those that exist). */
export async function contatoIdsByCodigo(
  db: Kysely<Database> | Trx,
  empresaId: number,
  codigos: readonly string[],
): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  for (const part of chunks([...new Set(codigos)], 1000)) {
    if (!part.length) continue;
    const rows = await db
      .selectFrom('contatos')
      .select(['id', 'codigo'])
      .where('empresa_id', '=', empresaId)
      .where('codigo', 'in', part)
      .execute();
    for (const row of rows) if (row.codigo !== null) ids.set(row.codigo, Number(row.id));
  }
  return ids;
}

/**
 * Upserts contatos by (empresa_id, codigo), set-based in one transaction: the payload's attributes replace the stored
 * ones (the endpoint is the source of truth for what it sends). Returns how many were new and how many updated.
 */
export async function writeContatos(
  database: Pick<CrmDatabase, 'db' | 'dialect'>,
  empresaId: number,
  records: readonly ValidRecord[],
  options: WriteOptions = {},
) {
  const rows = [...lastByKey(records, (r) => String(r.data.codigo)).values()].map((r) => contatoRow(empresaId, r.data));
  if (!rows.length) return { novos: 0, atualizados: 0 };
  return inTransaction(database.db, options, async (trx) => {
    const existing = await contatoIdsByCodigo(
      trx,
      empresaId,
      rows.map((r) => r.codigo),
    );
    for (const part of chunks(rows)) {
      await upsertPart(trx, database.dialect, 'contatos', 'codigo', CONTATO_UPDATED, part);
    }
    return { novos: rows.length - existing.size, atualizados: existing.size };
  });
}

const EVENTO_COLUMNS = ['codContato', 'descricao', 'data', 'dataVencimento', 'tipoData', 'codRegistro'];

function eventoRow(empresaId: number, servicoId: number, contatoId: number, data: Record<string, unknown>, dialect: Dialect) {
  const dados = Object.fromEntries(Object.entries(data).filter(([k]) => !EVENTO_COLUMNS.includes(k)));
  return {
    empresa_id: empresaId,
    contato_id: contatoId,
    cod_contato: String(data.codContato),
    tipo: typeof data.tipoData === 'string' ? data.tipoData : 'evento',
    descricao: text(data.descricao),
    data: brasiliaDateTime(data.data, dialect),
    data_vencimento: brasiliaDateTime(data.dataVencimento, dialect),
    origem: `servico_endpoint:${servicoId}`,
    dados: json(dados),
    chave: eventoChave(data),
    cod_registro: text(data.codRegistro),
    servico_endpoint_id: servicoId,
  };
}

/**
 * Writes eventos linked to their contato (found by codContato), idempotent by chave (codRegistro, else a content hash):
 * fetching the same payload twice changes nothing. `contatoIds` maps codContato → contato id (records without one are
 * the caller's to report). Returns how many were new and how many were already there.
 */
export async function writeEventos(
  database: Pick<CrmDatabase, 'db' | 'dialect'>,
  empresaId: number,
  servicoId: number,
  records: readonly ValidRecord[],
  contatoIds: ReadonlyMap<string, number>,
  options: WriteOptions = {},
) {
  const linked = records.filter((r) => contatoIds.has(String(r.data.codContato)));
  const rows = [...lastByKey(linked, (r) => eventoChave(r.data)).values()].map((r) =>
    eventoRow(empresaId, servicoId, contatoIds.get(String(r.data.codContato)) as number, r.data, database.dialect),
  );
  if (!rows.length) return { novos: 0, repetidos: 0 };
  return inTransaction(database.db, options, async (trx) => {
    let known = 0;
    for (const part of chunks(rows, 1000)) {
      const found = await trx
        .selectFrom('eventos')
        .select('id')
        .where('empresa_id', '=', empresaId)
        .where(
          'chave',
          'in',
          part.map((r) => r.chave),
        )
        .execute();
      known += found.length;
    }
    const updated = [
      'contato_id',
      'cod_contato',
      'tipo',
      'descricao',
      'data',
      'data_vencimento',
      'origem',
      'dados',
      'cod_registro',
      'servico_endpoint_id',
    ] as const;
    for (const part of chunks(rows)) {
      await upsertPart(trx, database.dialect, 'eventos', 'chave', updated, part);
    }
    return { novos: rows.length - known, repetidos: known };
  });
}
