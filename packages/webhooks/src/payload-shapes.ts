import { ORIGEM_CRM } from '@integrador/store';
import { dateTimeText, idText } from './payload-format';

// Seed 004's field types, applied to whatever the CRM row's `dados` holds. Two writers fill `dados`: the CRM (often
// already in seed 004's form: `{id, nome}` objects, "0"/"1" flags) and the hub's seed 003 endpoint syncs, which store
// a record as seed 003 types it after validation (integers, booleans, bare ids: `"numero": 342`, `"canhoto": false`,
// `"estadoCivil": 1`, `"deficiencias": [{"id": 1, "tipos": [1, 3]}]`, `"origem": 2`, `"baseLegal": 1`, an evento's
// `codCurso` / `codOferta`). Each shaper below takes either form and answers the seed 004 type, or null when the value
// is absent or cannot be that type (seed 004: "Quando alguma informação … não estiver disponível, o retorno padrão
// será NULL").
//
// Names: the CRM schema has no lookup tables for estado civil, cor, grau de instrução, deficiências, origens, bases
// legais, processos, cursos… (only usuarios and contatos, used for responsavel / contato), so a bare id is sent as
// `{id, nome: null}`; a name stored beside the id (`{id, nome}`) is sent as stored.

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

/** A seed 004 text: a text as it is (null when empty), a number as its digits, a boolean as "1"/"0"; else null. */
export function textOf(value: unknown): string | null {
  if (typeof value === 'string') return value === '' ? null : value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : null;
  if (typeof value === 'bigint') return String(value);
  if (typeof value === 'boolean') return value ? '1' : '0';
  return null;
}

const TRUE_TEXT = new Set(['1', 'true', 's', 'sim', 'yes', 'y']);
const FALSE_TEXT = new Set(['0', 'false', 'n', 'nao', 'não', 'no']);

/** A seed 004 flag ("1"/"0"): booleans, 0/1 and their usual texts; null when absent or not a flag. */
export function flagOf(value: unknown): '1' | '0' | null {
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (value === 1 || value === 0) return value === 1 ? '1' : '0';
  if (typeof value !== 'string') return null;
  const key = value.trim().toLowerCase();
  if (TRUE_TEXT.has(key)) return '1';
  if (FALSE_TEXT.has(key)) return '0';
  return null;
}

/** An id as seed 004 writes it (text): a text or number; an object's own `id`. */
function idOf(value: unknown): string | null {
  if (isObject(value)) return idOf(value.id);
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint' ? idText(value) : null;
}

/** Seed 004's `{id, nome}`: a stored `{id, nome}` object, or a bare id (nome null: the CRM has no table to name it). */
export function refOf(value: unknown): { id: string | null; nome: string | null } | null {
  if (isObject(value)) {
    const ref = { id: idOf(value.id), nome: textOf(value.nome) };
    return ref.id === null && ref.nome === null ? null : ref;
  }
  const id = idOf(value);
  return id === null ? null : { id, nome: null };
}

/** A list of `{id, nome}`: an array of refs, or a single one as a list of one; null when empty. */
export function refListOf(value: unknown): { id: string | null; nome: string | null }[] | null {
  const items = (Array.isArray(value) ? value : [value]).map(refOf).filter((r) => r !== null);
  return items.length ? items : null;
}

/** A list of texts (secondary e-mails and phones, contatosSecundarios' ids); null when empty. */
export function textListOf(value: unknown): string[] | null {
  if (!Array.isArray(value)) return null;
  const items = value.map((v) => (isObject(v) ? idOf(v) : textOf(v))).filter((v) => v !== null);
  return items.length ? items : null;
}

/**
 * The ids seed 004 writes as JSON numbers (assinaturas, their baseLegal, basesLegais: `"id": 1` in its example): an
 * integer, or integer text, as a number; any other id text is kept as text rather than lost.
 */
function numericIdOf(value: unknown): number | string | null {
  if (isObject(value)) return numericIdOf(value.id);
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : null;
  const text = textOf(value);
  if (text === null) return null;
  return /^-?\d{1,15}$/.test(text.trim()) ? Number(text) : text;
}

/** Seed 004's `{id, nome}` of a base legal, its id a number. */
function baseLegalOf(value: unknown): { id: number | string | null; nome: string | null } | null {
  const id = numericIdOf(value);
  const nome = isObject(value) ? textOf(value.nome) : null;
  return id === null && nome === null ? null : { id, nome };
}

/** Seed 004's `basesLegais`: the stored list, else seed 003's single `baseLegal` as a list of one. */
export function basesLegaisOf(dados: Json | null): { id: number | string | null; nome: string | null }[] | null {
  const source = dados?.basesLegais ?? dados?.baseLegal;
  if (source === undefined || source === null) return null;
  const items = (Array.isArray(source) ? source : [source]).map(baseLegalOf).filter((b) => b !== null);
  return items.length ? items : null;
}

/** Seed 004's `assinaturas`: `{id, nome, justificativa, baseLegal}` each (seed 003 sends only the id). */
export function assinaturasOf(value: unknown) {
  if (!Array.isArray(value)) return null;
  const items = value
    .map((a) => {
      const id = numericIdOf(a);
      if (id === null) return null;
      const item = isObject(a) ? a : {};
      return { id, nome: textOf(item.nome), justificativa: textOf(item.justificativa), baseLegal: baseLegalOf(item.baseLegal) };
    })
    .filter((a) => a !== null);
  return items.length ? items : null;
}

/** Seed 004's `deficiencias`: `{id, nome, tipos: [{id, nome}]}` each; seed 003 sends `{id, tipos: [ids]}`. */
export function deficienciasOf(value: unknown) {
  if (!Array.isArray(value)) return null;
  const items = value
    .map((d) => {
      const ref = refOf(d);
      if (!ref) return null;
      return { id: ref.id, nome: ref.nome, tipos: isObject(d) ? refListOf(d.tipos ?? []) : null };
    })
    .filter((d) => d !== null);
  return items.length ? items : null;
}

/** Seed 004's contato `origens`: the stored list, else seed 003's single `origem` (the CRM marker named "CRM"). */
export function origensOf(dados: Json | null) {
  const source = dados?.origens ?? dados?.origem;
  if (source === undefined || source === null) return null;
  const items = (Array.isArray(source) ? source : [source])
    .map((o) => (o === ORIGEM_CRM ? { id: null, nome: 'CRM' } : refOf(o)))
    .filter((o) => o !== null);
  return items.length ? items : null;
}

/**
 * Seed 004's curso `{id, codCurso, codOferta}`: a stored curso object, a bare id (`{id, codCurso: null, codOferta:
 * null}`, the bare-id rule), else an evento's seed 003 codCurso/codOferta.
 */
export function cursoOf(dados: Json | null): { id: string | null; codCurso: string | null; codOferta: string | null } | null {
  const stored = dados?.curso;
  const bareId = isObject(stored) ? null : idOf(stored);
  if (bareId !== null) return { id: bareId, codCurso: null, codOferta: null };
  const source = isObject(stored) ? stored : dados;
  if (!source) return null;
  const curso = { id: isObject(stored) ? idOf(stored.id) : null, codCurso: textOf(source.codCurso), codOferta: textOf(source.codOferta) };
  return curso.id === null && curso.codCurso === null && curso.codOferta === null ? null : curso;
}

/** Seed 004's registro de processo `cursos`: `{id, codCurso, codOferta, principal}` each. */
export function cursosOf(value: unknown) {
  if (!Array.isArray(value)) return null;
  const items = value
    .filter(isObject)
    .map((c) => ({ id: idOf(c.id), codCurso: textOf(c.codCurso), codOferta: textOf(c.codOferta), principal: flagOf(c.principal) }));
  return items.length ? items : null;
}

/** Seed 004's registro de processo `contatos`: `{id, codigo, principal, tipo}` each (a tipo object sends its nome). */
export function contatosOf(value: unknown) {
  if (!Array.isArray(value)) return null;
  const items = value.filter(isObject).map((c) => ({
    id: idOf(c.id),
    codigo: textOf(c.codigo),
    principal: flagOf(c.principal),
    tipo: isObject(c.tipo) ? textOf(c.tipo.nome) : textOf(c.tipo),
  }));
  return items.length ? items : null;
}

/** Seed 004's evento `tipo`: `{id, codigo, nome}`. */
export function tipoEventoOf(value: unknown): { id: string | null; codigo: string | null; nome: string | null } | null {
  if (!isObject(value)) return null;
  return { id: idOf(value.id), codigo: textOf(value.codigo), nome: textOf(value.nome) };
}

/** Seed 004's `dataAgendamento`: `{data: "YYYY-MM-DD hh:mm", tipo}`. */
export function agendamentoOf(value: unknown): { data: string | null; tipo: string | null } | null {
  if (!isObject(value)) return null;
  const data = value.data;
  return { data: typeof data === 'string' || data instanceof Date ? dateTimeText(data) : null, tipo: textOf(value.tipo) };
}

/** A date-time of `dados` as `YYYY-MM-DD hh:mm` (payload-format's rule), or null. */
export function dateTimeOf(value: unknown): string | null {
  return typeof value === 'string' || value instanceof Date ? dateTimeText(value) : null;
}

/** `tagsRDStation`: seed 004 shows only null; a stored list of tags is sent as texts. */
export function tagsOf(value: unknown): string[] | null {
  return textListOf(value);
}

/** Where a second number starts in one field: '/', ',', ';', '|', ' e ', ' ou ' ("(11) 3456-7891 / 3456-7892"). */
const NEXT_NUMBER = /\s*(?:[/,;|]|\s(?:e|ou)\s)\s*/i;
/** An extension written after the number: "ramal 204", "r. 204", "ext. 204", "x204", "#204". */
const EXTENSION = /(?:\b(?:ramal|ram|r|ext|extens[aã]o)\b\.?|x|#)\s*\d+\s*$/i;

/**
 * The digits of a Brazilian number as seed 004 writes them (area code + number, `"2323342342"`): Brazil's country code
 * (`+55`, `0055`, `55` before a 10- or 11-digit number) and a trunk `0` before the area code (`011 3456-7891`) are
 * dropped; 0800 / 0300 numbers and numbers of other lengths are kept as written.
 */
function nationalDigits(digits: string): string {
  const national = digits.replace(/^(?:00)?55(?=\d{10,11}$)/, '');
  return /^0[1-9][1-9]\d{8,9}$/.test(national) ? national.slice(1) : national;
}

/**
 * A phone as seed 004 writes it: area code + number, digits only (`"2323342342"`; seed 002 and reference cti.md §1 say
 * the same); the CRM and seed 003 keep masks such as "(11) 3456-7891", "+55 (11) 98765-4321" or "55(31)26582323". A
 * field holding more than one number ("(11) 3456-7891 / 3456-7892") gives its first number only: the body's field is
 * one phone, and the digits of two run together are no number at all. An extension after the number ("ramal 204") is
 * not part of it and is left out. A value without a digit is kept as stored rather than lost.
 */
export function phoneOf(value: unknown): string | null {
  const phone = textOf(value);
  if (phone === null) return null;
  const first =
    phone
      .trim()
      .split(NEXT_NUMBER)
      .find((part) => /\d/.test(part)) ?? '';
  const digits = first.replace(EXTENSION, '').replace(/\D/g, '');
  return digits === '' ? phone : nationalDigits(digits);
}

/** Phones as seed 004 writes them (phoneOf each). */
export function phoneListOf(values: string[] | null): string[] | null {
  return values === null ? null : values.map((v) => phoneOf(v) ?? v);
}

/**
 * An oportunidade's status as seed 004 labels it (`"Perdida"`): the CRM's lower-case values (`aberta`, `ganha`,
 * `perdida`) capitalised; a status the CRM already writes with a capital, or in any other form, as stored.
 */
export function statusLabelOf(value: unknown): string | null {
  const status = textOf(value);
  if (status === null || status !== status.toLowerCase()) return status;
  return status.charAt(0).toUpperCase() + status.slice(1);
}
