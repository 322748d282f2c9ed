import { type ExpressionBuilder, type Kysely, MysqlAdapter, PostgresAdapter, type RawBuilder, sql } from 'kysely';
import { whereReadableBy } from './filial-scope';
import type { Database } from './schema';

type Db = Kysely<Database>;

/**
 * A customer a job's key parameters may name: a conta (`contaId`) or a contato (`contatoId`) of one empresa. A failure
 * records only that id (registro_jobs.busca holds `contaid=42`), never the customer's name nor CNPJ/CPF, which the
 * operator has: a search resolves those to the ids first (customersMatching), then finds the records naming them.
 */
export interface CustomerRef {
  empresaId: number;
  campo: 'contaId' | 'contatoId';
  id: number;
}

/** At most this many customers per table a search text names: a name shared by more is narrowed by typing more of it. */
export const MAX_CUSTOMERS = 100;

/** A text without accents, lower-case ("JOÃO" → "joao"), as customersMatching compares names. */
export function foldText(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/**
 * The digits of a CNPJ/CPF as an operator types it ("12.345.678/0001-90", "123.456.789-09", "12345678000190"): a
 * text of digits and the documents' separators only, with 8 (a CNPJ's root) to 14 digits; undefined for anything else.
 */
export function documentDigits(text: string): string | undefined {
  const trimmed = text.trim();
  if (!/^[\d.\-/\s]+$/.test(trimmed)) return undefined;
  const digits = trimmed.replace(/\D/g, '');
  return digits.length >= 8 && digits.length <= 14 ? digits : undefined;
}

// The accented letters of Portuguese (and its neighbours) and their plain ones, upper and lower case: PostgreSQL's
// lower() folds only ASCII under the C locale, and SQLite's always, so the accents go first, then the case.
const ACCENTED = 'ÁÀÂÃÄÅáàâãäåÉÈÊËéèêëÍÌÎÏíìîïÓÒÔÕÖóòôõöÚÙÛÜúùûüÇçÑñÝýÿ';
const PLAIN = 'AAAAAAaaaaaaEEEEeeeeIIIIiiiiOOOOOoooooUUUUuuuuCcNnYyy';

/** LIKE wildcards in a typed text are text: escaped with '!' (a backslash means different things per dialect). */
const escapeLike = (text: string) => text.replace(/[!%_]/g, (c) => `!${c}`);

/**
 * `column` holds `word` (already folded), ignoring accents and case: PostgreSQL through translate(), MySQL/MariaDB
 * through a Unicode accent- and case-insensitive collation (whatever the column's own), SQLite through replace().
 */
function nameHolds(db: Db, column: string, word: string): RawBuilder<boolean> {
  const pattern = `%${escapeLike(word)}%`;
  const ref = sql.ref(column);
  const adapter = db.getExecutor().adapter;
  if (adapter instanceof MysqlAdapter)
    return sql<boolean>`CONVERT(${ref} USING utf8mb4) COLLATE utf8mb4_unicode_ci LIKE ${pattern} ESCAPE '!'`;
  if (adapter instanceof PostgresAdapter) return sql<boolean>`lower(translate(${ref}, ${ACCENTED}, ${PLAIN})) LIKE ${pattern} ESCAPE '!'`;
  // SQLite has no translate(): one replace() per accented letter (literals: the statement text stays the same).
  let folded: RawBuilder<unknown> = sql`${ref}`;
  for (let i = 0; i < ACCENTED.length; i++) folded = sql`replace(${folded}, ${sql.lit(ACCENTED[i])}, ${sql.lit(PLAIN[i])})`;
  return sql<boolean>`lower(${folded}) LIKE ${pattern} ESCAPE '!'`;
}

/** `column`, a CNPJ/CPF stored with or without its separators, starts with `digits`. */
function documentStarts(column: string, digits: string): RawBuilder<boolean> {
  const bare = sql`replace(replace(replace(replace(${sql.ref(column)}, '.', ''), '/', ''), '-', ''), ' ', '')`;
  return sql<boolean>`${bare} LIKE ${`${digits}%`}`;
}

/** Where a customer search looks: the reader's tenants (and filial), and the failures filter's empresa. */
export interface CustomerScope {
  scope: 'all' | readonly number[];
  filialId?: number | null | undefined;
  empresaId?: number | undefined;
}

/** What of a search text may name a customer: a CNPJ/CPF's digits, and the name's words (2 letters or more, folded). */
function customerTerms(texto: string): { digits: string | undefined; words: string[] } {
  const digits = documentDigits(texto);
  const words = /\p{L}/u.test(texto)
    ? foldText(texto)
        .split(/\s+/)
        .filter((w) => w.length >= 2)
    : [];
  return { digits, words };
}

/**
 * Whether a search text that may name a customer (a name's words or a CNPJ/CPF) is left unresolved because it spans
 * every tenant with no empresa chosen (an admin's search): no index serves a part of a name, nor a CNPJ/CPF compared
 * without its punctuation, so that lookup would read every tenant's contas and contatos. Within an empresa (or an
 * operator's own tenants) the empresa_id index bounds it. The dashboard says so beside the results.
 */
export function customerSearchNeedsEmpresa(where: CustomerScope, texto: string): boolean {
  if (where.scope !== 'all' || where.empresaId !== undefined) return false;
  const { digits, words } = customerTerms(texto.trim());
  // A `chave=valor` word (contaId=42) is a key parameter, never part of a name: such a text names no customer.
  return digits !== undefined || words.some((word) => !word.includes('='));
}

/**
 * The contas and contatos a search text names, each within the reader's tenants and by the filial rule (a filial
 * reads its own customers and the empresa-wide ones): by CNPJ/CPF (documentDigits, separators or not) or by name —
 * every word of the text (2 letters or more) in the conta's nome or fantasia, or the contato's nome, accents and case
 * ignored. At most MAX_CUSTOMERS per table; none for a text that is neither, and none over every tenant with no
 * empresa (customerSearchNeedsEmpresa: that would read every tenant's customers).
 */
export async function customersMatching(db: Db, where: CustomerScope, texto: string): Promise<CustomerRef[]> {
  const { digits, words } = customerTerms(texto);
  if (!digits && words.length === 0) return [];
  if (where.scope !== 'all' && where.scope.length === 0) return [];
  // Every tenant with no empresa: never looked up (customerSearchNeedsEmpresa says when that hides a customer).
  if (where.scope === 'all' && where.empresaId === undefined) return [];
  const lookup = async (table: 'contas' | 'contatos', names: string[], documents: string[]) => {
    let query = db.selectFrom(table).select(['empresa_id', 'id']);
    if (where.scope !== 'all') query = query.where('empresa_id', 'in', [...where.scope]);
    if (where.empresaId !== undefined) query = query.where('empresa_id', '=', where.empresaId);
    if (where.filialId !== undefined && where.filialId !== null) query = query.where(whereReadableBy({ filialId: where.filialId }));
    // biome-ignore lint/suspicious/noExplicitAny: contas and contatos share the columns used here.
    const matches = (eb: ExpressionBuilder<any, any>) =>
      eb.or([
        ...(digits ? documents.map((column) => documentStarts(column, digits)) : []),
        ...(words.length ? names.map((column) => eb.and(words.map((word) => nameHolds(db, column, word)))) : []),
      ]);
    return query.where(matches).orderBy('id', 'desc').limit(MAX_CUSTOMERS).execute();
  };
  const [contas, contatos] = await Promise.all([
    lookup('contas', ['nome', 'fantasia'], ['cnpj', 'cpf']),
    lookup('contatos', ['nome'], ['cpf']),
  ]);
  return [
    ...contas.map((r) => ({ empresaId: Number(r.empresa_id), campo: 'contaId' as const, id: Number(r.id) })),
    ...contatos.map((r) => ({ empresaId: Number(r.empresa_id), campo: 'contatoId' as const, id: Number(r.id) })),
  ];
}
