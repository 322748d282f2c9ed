import { formatDate, isValidTimeZone, readDate } from './date-text';
import { decimalToNumber, formatDecimal, readDecimal } from './decimal-text';
import type { RuleProblemText } from './rule-errors';

/** The canonical (pt-BR) name of each regras.tipo. */
export type RuleType =
  | 'mapa'
  | 'padrao'
  | 'obrigatorio'
  | 'data'
  | 'decimal'
  | 'somente_digitos'
  | 'cortar'
  | 'maiusculas'
  | 'minusculas'
  | 'aparar'
  | 'numero';

/** Throws the RuleViolationError of the value being transformed; `expected` completes "expected …, got …". */
export type Fail = (expected: string) => never;
/** One value in, one value out; `undefined` in means the field is missing. */
export type Transform = (value: unknown, fail: Fail) => unknown;
type Params = Readonly<Record<string, unknown>>;
/** Throws the RuleConfigError of the parametros being compiled: the problem in each language. */
export type BadParams = (problem: RuleProblemText) => never;

/** A parametros value as a problem quotes it ("nothing"/"nada" when absent). */
function got(value: unknown): RuleProblemText {
  const shown = JSON.stringify(value);
  return { 'pt-BR': shown ?? 'nada', en: shown ?? 'nothing' };
}

export interface RuleSpec {
  /** Every name regras.tipo may use, compared without case, accents, spaces or hyphens. */
  aliases: readonly string[];
  /** 'each': a list is transformed item by item; 'value': the rule sees the value as a whole. */
  scope: 'each' | 'value';
  /** A missing field: skipped, filled in (padrao) or refused (obrigatorio). */
  absent: 'skip' | 'create' | 'check';
  compile(params: Params, bad: BadParams): Transform;
}

/** The first of several accepted parameter names (pt-BR first, English aliases after) that is present. */
function param(params: Params, ...names: string[]): { found: boolean; value: unknown } {
  for (const name of names) if (Object.hasOwn(params, name)) return { found: true, value: params[name] };
  return { found: false, value: undefined };
}

function integerParam(params: Params, bad: BadParams, names: string[], fallback: number | null, max: number): number {
  const { found, value } = param(params, ...names);
  if (!found && fallback !== null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max)
    bad({
      'pt-BR': `"${names[0]}" deve ser um inteiro de 0 a ${max}, veio ${got(value)['pt-BR']}`,
      en: `"${names[0]}" must be an integer from 0 to ${max}, got ${got(value).en}`,
    });
  return value;
}

function stringParam(params: Params, bad: BadParams, names: string[], fallback: string): string {
  const { found, value } = param(params, ...names);
  if (!found) return fallback;
  if (typeof value !== 'string')
    bad({
      'pt-BR': `"${names[0]}" deve ser um texto, veio ${got(value)['pt-BR']}`,
      en: `"${names[0]}" must be a text, got ${got(value).en}`,
    });
  return value;
}

const isBlank = (value: unknown) => value === undefined || value === null || (typeof value === 'string' && value.trim() === '');

/** Applies a text transform to strings; every other type passes through unchanged. */
const onText =
  (transform: (text: string) => string): Transform =>
  (value) =>
    typeof value === 'string' ? transform(value) : value;

/** The key a value has in a mapa's "valores": its text; null and missing read as ''. */
function mapKey(value: unknown): string | null {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return null;
}

export const RULE_SPECS: Readonly<Record<RuleType, RuleSpec>> = {
  /**
   * mapa (de_para, map): `{"valores": {"A": "Ativo", "I": "Inativo"}, "padrao"?: any, "estrito"?: boolean}`.
   * The value's text is looked up exactly, then trimmed and ignoring case; unmapped → "padrao" when given, else an
   * error when "estrito", else unchanged. Null reads as the key "". English: values, default, strict.
   */
  mapa: {
    aliases: ['mapa', 'de_para', 'depara', 'mapa_valores', 'map', 'value_map'],
    scope: 'each',
    absent: 'skip',
    compile(params, bad) {
      const valores = param(params, 'valores', 'values').value;
      if (typeof valores !== 'object' || valores === null || Array.isArray(valores))
        bad({
          'pt-BR': `"valores" deve ser um objeto de valor → substituto, veio ${got(valores)['pt-BR']}`,
          en: `"valores" must be an object of value → replacement, got ${got(valores).en}`,
        });
      const table = valores as Readonly<Record<string, unknown>>;
      const fallback = param(params, 'padrao', 'padrão', 'default');
      const strict = param(params, 'estrito', 'strict').value ?? false;
      if (typeof strict !== 'boolean')
        bad({
          'pt-BR': `"estrito" deve ser true ou false, veio ${got(strict)['pt-BR']}`,
          en: `"estrito" must be true or false, got ${got(strict).en}`,
        });
      const loose = new Map<string, unknown>();
      for (const [key, value] of Object.entries(table)) {
        const folded = key.trim().toLowerCase();
        if (!loose.has(folded)) loose.set(folded, value);
      }
      return (value, fail) => {
        const key = mapKey(value);
        if (key !== null && Object.hasOwn(table, key)) return table[key];
        const folded = key?.trim().toLowerCase();
        if (folded !== undefined && loose.has(folded)) return loose.get(folded);
        if (fallback.found) return fallback.value;
        if (strict)
          fail(
            `one of ${Object.keys(table)
              .map((k) => JSON.stringify(k))
              .join(', ')}`,
          );
        return value;
      };
    },
  },
  /** padrao (default): `{"valor": any}`. A missing, null, empty or blank value becomes "valor" (the field is created). */
  padrao: {
    aliases: ['padrao', 'valor_padrao', 'default', 'default_value'],
    scope: 'value',
    absent: 'create',
    compile(params, bad) {
      const valor = param(params, 'valor', 'value');
      if (!valor.found)
        bad({ 'pt-BR': '"valor" é obrigatório, por exemplo {"valor": "N"}', en: '"valor" is required, e.g. {"valor": "N"}' });
      return (value) => (isBlank(value) ? valor.value : value);
    },
  },
  /** obrigatorio (required): `{}`. A missing, null, empty or blank value, or an empty list, is a RuleViolationError. */
  obrigatorio: {
    aliases: ['obrigatorio', 'requerido', 'required'],
    scope: 'value',
    absent: 'check',
    compile: () => (value, fail) => (isBlank(value) || (Array.isArray(value) && value.length === 0) ? fail('a value') : value),
  },
  /**
   * data (date): `{"formato": "dd/MM/yyyy", "fuso"?: "America/Sao_Paulo"}`; tokens yyyy MM dd HH mm ss.
   * Reads a Date, ISO text, SQL text (`2024-03-05 10:20:30`) or `dd/MM/yyyy`; text without an offset is kept as
   * written, a Date (or text with an offset) is read in "fuso", else in the process's time zone. Null/'' unchanged.
   */
  data: {
    aliases: ['data', 'formato_data', 'date', 'date_format'],
    scope: 'each',
    absent: 'skip',
    compile(params, bad) {
      const format = stringParam(params, bad, ['formato', 'format'], 'dd/MM/yyyy');
      const zone = param(params, 'fuso', 'fuso_horario', 'timezone', 'timeZone').value;
      if (zone !== undefined && (typeof zone !== 'string' || !isValidTimeZone(zone)))
        bad({
          'pt-BR': `"fuso" deve ser um fuso horário IANA como "America/Sao_Paulo", veio ${got(zone)['pt-BR']}`,
          en: `"fuso" must be an IANA time zone such as "America/Sao_Paulo", got ${got(zone).en}`,
        });
      return (value, fail) => {
        if (value === null || value === undefined || value === '') return value;
        const parts = readDate(value, zone as string | undefined);
        return parts ? formatDate(parts, format) : fail('a date (Date, yyyy-MM-dd[ HH:mm:ss], ISO 8601 or dd/MM/yyyy)');
      };
    },
  },
  /**
   * decimal (decimal_virgula): `{"casas": 2, "separador": ","}` (the defaults). A number or numeric text
   * (`1234.5`, `1234,5`, `1.234,5`) becomes text with that many decimals, half away from zero, no thousands
   * separator: `1234,50` — the ERP's string-typed numbers. Null/'' unchanged; anything else is a RuleViolationError.
   */
  decimal: {
    aliases: ['decimal', 'decimal_virgula', 'decimal_comma'],
    scope: 'each',
    absent: 'skip',
    compile(params, bad) {
      const places = integerParam(params, bad, ['casas', 'decimals'], 2, 20);
      const separator = stringParam(params, bad, ['separador', 'separator'], ',');
      return (value, fail) => {
        if (value === null || value === undefined || value === '') return value;
        const decimal = readDecimal(value);
        return decimal ? formatDecimal(decimal, places, separator) : fail('a number or numeric text');
      };
    },
  },
  /** somente_digitos (digits): `{}`. Texts and numbers keep only the digits 0-9 (CPF, CNPJ, CEP, phones). */
  somente_digitos: {
    aliases: ['somente_digitos', 'apenas_digitos', 'so_digitos', 'digitos', 'digits', 'only_digits'],
    scope: 'each',
    absent: 'skip',
    compile: () => (value) =>
      typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint' ? String(value).replace(/[^0-9]/g, '') : value,
  },
  /** cortar (truncate): `{"tamanho": 40}`. Texts longer than "tamanho" code points are cut (an emoji is never split). */
  cortar: {
    aliases: ['cortar', 'truncar', 'truncate', 'cut'],
    scope: 'each',
    absent: 'skip',
    compile(params, bad) {
      const size = integerParam(params, bad, ['tamanho', 'length'], null, Number.MAX_SAFE_INTEGER);
      return onText((text) => {
        const points = Array.from(text);
        return points.length > size ? points.slice(0, size).join('') : text;
      });
    },
  },
  /** maiusculas (upper): `{}`. Texts in upper case (ç → Ç). */
  maiusculas: {
    aliases: ['maiusculas', 'maiuscula', 'upper', 'uppercase'],
    scope: 'each',
    absent: 'skip',
    compile: () => onText((t) => t.toUpperCase()),
  },
  /** minusculas (lower): `{}`. Texts in lower case. */
  minusculas: {
    aliases: ['minusculas', 'minuscula', 'lower', 'lowercase'],
    scope: 'each',
    absent: 'skip',
    compile: () => onText((t) => t.toLowerCase()),
  },
  /** aparar (trim): `{}`. Texts without leading and trailing white space. */
  aparar: { aliases: ['aparar', 'trim'], scope: 'each', absent: 'skip', compile: () => onText((t) => t.trim()) },
  /**
   * numero (number): `{}`. Numeric text (`1234.5`, `1234,5`, `1.234,5`) becomes a number; a blank text becomes null;
   * numbers stay; anything else (text that is not a number, NaN, booleans) is a RuleViolationError.
   */
  numero: {
    aliases: ['numero', 'numerico', 'number', 'numeric'],
    scope: 'each',
    absent: 'skip',
    compile: () => (value, fail) => {
      if (value === null || value === undefined) return value;
      if (typeof value === 'string' && value.trim() === '') return null;
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      const decimal = typeof value === 'string' || typeof value === 'bigint' ? readDecimal(value) : null;
      const number = decimal ? decimalToNumber(decimal) : Number.NaN;
      if (typeof value === 'bigint' && !Number.isSafeInteger(number)) fail('a number within ±2^53');
      return Number.isFinite(number) ? number : fail('a number or numeric text');
    },
  },
};

/** Folds a tipo for comparison: lower case, no accents, spaces and hyphens as underscores. */
const fold = (tipo: string) =>
  tipo
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');

const BY_ALIAS = new Map<string, RuleType>(
  (Object.entries(RULE_SPECS) as [RuleType, RuleSpec][]).flatMap(([type, spec]) => spec.aliases.map((alias) => [alias, type] as const)),
);

/** Every accepted regras.tipo name, by canonical type. */
export const RULE_TYPE_ALIASES: Readonly<Record<RuleType, readonly string[]>> = Object.fromEntries(
  Object.entries(RULE_SPECS).map(([type, spec]) => [type, spec.aliases]),
) as Record<RuleType, readonly string[]>;

/** The canonical rule type of a regras.tipo ('Obrigatório', 'required', 'de-para' …), or null when unknown. */
export function normalizeRuleType(tipo: string): RuleType | null {
  return BY_ALIAS.get(fold(tipo)) ?? null;
}
