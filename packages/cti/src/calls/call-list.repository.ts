import { type Database, timestampValue } from '@integrador/store';
import type { Expression, ExpressionBuilder, Kysely, SqlBool } from 'kysely';
import { restoreTelefonePlus } from '../listener/wconnect-listener';
import { DEFAULT_RAMAL_LENGTH, type NormalizedPhone, normalizePhone } from '../phone/normalize-phone';
import type { CallRow } from './call-log.repository';
import { storedKey, storedNumber } from './call-number';

type Db = Kysely<Database>;
type Ligacoes = ExpressionBuilder<Database, 'ligacoes'>;

/** Whose calls a listing reads: one empresa (an API key's), several (a dashboard session's) or every one (an admin's). */
export type CallTenants = number | readonly number[] | 'all';

/**
 * A calls filter's number as each empresa's calls were stored: read with the empresa's ramal length (a 5-digit
 * extension of a tenant set to 5 is an extension, as its calls were logged). Made by `readPhoneFilter`.
 */
export interface PhoneFilter {
  /** The number as typed. */
  text: string;
  /** The empresas (of those listed) whose ramal length is not DEFAULT_RAMAL_LENGTH, with theirs. */
  ramalLengths: ReadonlyMap<number, number>;
}

export interface CallFilter {
  from?: Date;
  to?: Date;
  ramal?: string;
  usuarioId?: number;
  contaId?: number;
  /** The calls of this number, however it was written (stored or typed): made by `readPhoneFilter`. */
  telefone?: PhoneFilter;
  /** Only rows with a smaller id (the previous page's nextCursor). */
  before?: number;
  limit: number;
}

/** The listed empresas' ids, or undefined for every one. */
const idsOf = (tenants: CallTenants): number[] | undefined =>
  tenants === 'all' ? undefined : typeof tenants === 'number' ? [tenants] : [...tenants];

/** A query's typed telefone with its unencoded '+' restored (`restoreTelefonePlus`), for every calls filter (API, dashboard). */
export const typedTelefone = (telefone: unknown): string | undefined => {
  const given = restoreTelefonePlus({ telefone }).telefone;
  return typeof given === 'string' ? given : undefined;
};

/** The number filter of a listing of `tenants`: the typed text and the ramal lengths it is read with. */
export async function readPhoneFilter(db: Db, tenants: CallTenants, telefone: string): Promise<PhoneFilter> {
  const ids = idsOf(tenants);
  let query = db.selectFrom('cti_configuracoes').select(['empresa_id', 'tamanho_ramal']).where('tamanho_ramal', '<>', DEFAULT_RAMAL_LENGTH);
  if (ids) query = query.where('empresa_id', 'in', ids.length ? ids : [-1]);
  const rows = await query.execute();
  return { text: telefone, ramalLengths: new Map(rows.map((r) => [Number(r.empresa_id), Number(r.tamanho_ramal)])) };
}

/** The filter's number as one empresa stored its calls (normalised with its ramal length). */
export function phoneFilterFor(filter: PhoneFilter, empresaId: number): NormalizedPhone {
  const ramalLength = filter.ramalLengths.get(empresaId);
  return normalizePhone(filter.text, ramalLength === undefined ? {} : { ramalLength });
}

/**
 * Whether a call stored with this telefone_normalizado / chave_telefone is of the number: the same E.164 for a number
 * with its DDD (or a foreign one); without a DDD only the last 8 digits are known: every key ending with them; an
 * extension (or what no rule reads) its key, as the call stored it. `storedMatch` is the same in SQL.
 */
function sameNumber(phone: NormalizedPhone, normalizado: string | null, chave: string | null): boolean {
  if (phone.kind === 'nacional' || phone.kind === 'internacional') return normalizado === phone.e164;
  if (phone.kind === 'local') return chave?.endsWith(phone.key8) ?? false;
  return chave === phone.key;
}

function storedMatch(eb: Ligacoes, phone: NormalizedPhone): Expression<SqlBool> {
  if (phone.kind === 'nacional' || phone.kind === 'internacional') return eb('telefone_normalizado', '=', phone.e164);
  if (phone.kind === 'local') return eb('chave_telefone', 'like', `%${phone.key8}`);
  return eb('chave_telefone', '=', phone.key);
}

/**
 * The digits every writing of the number holds, in order, whatever is between them (`(11) 3456-7890`, `011 3456 7890`,
 * `+55 11 3456-7890`, a pre-2016 mobile without its ninth digit): the last 8 of its E.164, or of its digits.
 */
function telltaleDigits(phone: NormalizedPhone): string {
  const digits = phone.kind === 'nacional' || phone.kind === 'internacional' ? phone.e164.replace(/\D/g, '') : phone.digits;
  return digits.slice(-8);
}

/**
 * The fewest telltale digits a raw `telefone` is searched by: fewer digits in order (an extension such as 201, a short
 * invalid number) are held by nearly every raw number, so such a LIKE would read the whole call log to drop it again.
 */
const RAW_TELLTALE_DIGITS = 8;

/**
 * Rows of the number: by their stored number, or — a row the hub never normalised (telefone_normalizado null: written
 * before migration 008, or by the CRM) — by the raw `telefone` holding its digits in order; such a candidate is then
 * read as the call events would have stored it (`rawNumberMatches`), so the LIKE only narrows. A number of fewer than
 * RAW_TELLTALE_DIGITS digits (a short extension) is found by its stored key only.
 */
function numberMatches(eb: Ligacoes, phone: NormalizedPhone): Expression<SqlBool> {
  const stored = storedMatch(eb, phone);
  const digits = telltaleDigits(phone);
  if (digits.length < RAW_TELLTALE_DIGITS) return stored;
  return eb.or([stored, eb.and([eb('telefone_normalizado', 'is', null), eb('telefone', 'like', `%${[...digits].join('%')}%`)])]);
}

/**
 * The number condition over every listed empresa: one reading of the typed number for the empresas of the default ramal
 * length, one per other reading (a ramal length that reads it otherwise), each bound to its empresas.
 */
function numberCondition(eb: Ligacoes, filter: PhoneFilter): Expression<SqlBool> {
  const base = normalizePhone(filter.text);
  const others = new Map<string, { phone: NormalizedPhone; empresas: number[] }>();
  for (const [empresaId, ramalLength] of filter.ramalLengths) {
    const phone = normalizePhone(filter.text, { ramalLength });
    const reading = JSON.stringify(phone);
    if (reading === JSON.stringify(base)) continue;
    const group = others.get(reading);
    if (group) group.empresas.push(empresaId);
    else others.set(reading, { phone, empresas: [empresaId] });
  }
  const apart = [...others.values()].flatMap((g) => g.empresas);
  const parts = [apart.length ? eb.and([eb('empresa_id', 'not in', apart), numberMatches(eb, base)]) : numberMatches(eb, base)];
  for (const group of others.values()) parts.push(eb.and([eb('empresa_id', 'in', group.empresas), numberMatches(eb, group.phone)]));
  return parts.length === 1 ? (parts[0] as Expression<SqlBool>) : eb.or(parts);
}

/** Whether a row the number condition found is of the number: a raw candidate read as the call events store a number. */
function rawNumberMatches(filter: PhoneFilter, row: CallRow): boolean {
  if (row.telefone_normalizado !== null) return true;
  const phone = phoneFilterFor(filter, row.empresa_id);
  if (sameNumber(phone, row.telefone_normalizado, row.chave_telefone)) return true;
  const ramalLength = filter.ramalLengths.get(row.empresa_id);
  const raw = normalizePhone(row.telefone, ramalLength === undefined ? {} : { ramalLength });
  return sameNumber(phone, storedNumber(raw), storedKey(raw, row.telefone));
}

/** Rows read per round while a number filter drops raw candidates that are another number. */
const RAW_CANDIDATES_BATCH = 200;

/** The most rounds one page of a number filter reads: then the page ends short, its nextCursor where the reading stopped. */
const RAW_CANDIDATES_ROUNDS = 5;

/**
 * One page of the calls of `tenants`, newest first (ids are global: `before` pages across empresas too). A number
 * filter reads rows a round at a time until the page is full, since a raw candidate may be another number; after
 * RAW_CANDIDATES_ROUNDS rounds the page is answered as it is (shorter, even empty) with a nextCursor that goes on
 * from the last row read, so one request never reads more than RAW_CANDIDATES_ROUNDS × RAW_CANDIDATES_BATCH rows.
 */
export async function listCalls(
  db: Db,
  tenants: CallTenants,
  filter: CallFilter,
): Promise<{ calls: CallRow[]; nextCursor: number | null }> {
  const ids = idsOf(tenants);
  if (ids?.length === 0) return { calls: [], nextCursor: null };
  let query = db.selectFrom('ligacoes').selectAll();
  if (ids) query = ids.length === 1 ? query.where('empresa_id', '=', ids[0] as number) : query.where('empresa_id', 'in', ids);
  if (filter.from) query = query.where('inicio', '>=', timestampValue(db, filter.from));
  if (filter.to) query = query.where('inicio', '<', timestampValue(db, filter.to));
  if (filter.ramal) query = query.where('ramal', '=', filter.ramal);
  if (filter.usuarioId) query = query.where('usuario_id', '=', filter.usuarioId);
  if (filter.contaId) query = query.where('conta_id', '=', filter.contaId);
  const phone = filter.telefone;
  if (phone) query = query.where((eb) => numberCondition(eb, phone));
  const batch = phone ? Math.max(filter.limit + 1, RAW_CANDIDATES_BATCH) : filter.limit + 1;
  const found: CallRow[] = [];
  let before = filter.before || undefined;
  for (let round = 1; ; round++) {
    const rows = await (before === undefined ? query : query.where('id', '<', before)).orderBy('id', 'desc').limit(batch).execute();
    found.push(...(phone ? rows.filter((row) => rawNumberMatches(phone, row)) : rows));
    const last = rows.at(-1);
    if (found.length > filter.limit || rows.length < batch || !last) break;
    before = Number(last.id);
    // The rounds' bound: the rows read so far were all looked at, the next page starts below them.
    if (round === RAW_CANDIDATES_ROUNDS) return { calls: found, nextCursor: before };
  }
  const calls = found.slice(0, filter.limit);
  return { calls, nextCursor: found.length > filter.limit ? (calls.at(-1)?.id ?? null) : null };
}
