import { isPlainObject, lookupValue } from './value-lookup';

/** The integracao columns that say how to read the receptor's answer (seed 001). */
export interface ReturnIndexes {
  indice_array_retorno: string | null;
  indice_valor_retorno: string | null;
  indice_erro_retorno: string | null;
}

/** The answer about one record sent (one element of the return array). */
export interface ReturnRecord {
  /** The indice_valor_retorno keys found, e.g. { codCli: 1234 }. */
  values: Record<string, unknown>;
  error: string | null;
}

export interface ReturnReading {
  ok: boolean;
  /** Success: mensagemRetorno / mensagem / message when present, else 'OK'. Failure: the error text and its details, ' | '-joined. */
  message: string | null;
  /** The first record's values (falling back to the top level when there is no record): what sql_update may use. */
  values: Record<string, unknown>;
  records: ReturnRecord[];
  /** The key whose value marked the failure (an indice_erro_retorno key, or tipoRetorno / retorno of the G5 rule). */
  errorKeyFound: string | null;
  /** Whether indice_array_retorno was found in the answer (always true when it is null or 'parameters'). */
  located: boolean;
  /**
   * Set when the failure is the answer's shape, not the receptor's refusal: nothing in it says it failed, but the
   * configured return array is not there (a configuration problem — the integration's or the structure it sent).
   */
  code?: 'RETURN_ARRAY_NOT_FOUND';
}

/** An index list the reader cannot use; permanent: the integracao row must be fixed. */
export class ReturnConfigError extends Error {
  override name = 'ReturnConfigError';
  readonly code = 'SPACE_IN_INDEX_LIST';
  readonly permanent = true;
  constructor(
    readonly column: 'indice_erro_retorno',
    readonly value: string,
  ) {
    super(`${column} "${value}" has spaces; the seed requires keys separated by commas only, e.g. ${value.replace(/\s+/g, '')}`);
  }
}

type Json = Record<string, unknown>;

/** The reserved indice_array_retorno for services without a standard return index: the answer itself. */
const PARAMETERS = 'parameters';
/** Where a success message is looked for, in order. */
const MESSAGE_KEYS = ['mensagemRetorno', 'mensagem', 'message'];
const OK_TEXT = /^ok$/i;

function errorKeyList(text: string | null): string[] {
  if (text === null) return [];
  if (/\s/.test(text)) throw new ReturnConfigError('indice_erro_retorno', text);
  return text.split(',').filter((key) => key !== '');
}

/** Checks the return-index columns before anything is sent (ReturnConfigError for a list with spaces). */
export function assertReturnIndexes(integracao: ReturnIndexes): void {
  errorKeyList(integracao.indice_erro_retorno);
}

const valueKeyList = (text: string | null) =>
  (text ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter((key) => key !== '');

/**
 * The indice_valor_retorno keys a successful answer did not carry (a SOAP receptor leaves an empty field out: a conta
 * without CNPJ gets no cgcCpf back), in the configured order.
 */
export function returnKeysMissing(
  integracao: Pick<ReturnIndexes, 'indice_valor_retorno'>,
  values: Readonly<Record<string, unknown>>,
): string[] {
  return valueKeyList(integracao.indice_valor_retorno).filter((key) => !Object.hasOwn(values, key));
}

/** PHP's empty(): null, false, 0, '', '0' (and blank text, empty lists and objects) carry no error. */
function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0) return true;
  if (typeof value === 'string') return value.trim() === '' || value.trim() === '0';
  if (Array.isArray(value)) return value.length === 0;
  if (isPlainObject(value)) return Object.keys(value).length === 0;
  return false;
}

function describe(key: string, value: unknown): string {
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${key}: ${value}`;
  return JSON.stringify(value);
}

const unique = (texts: readonly (string | null | undefined)[]) => [...new Set(texts.filter((t): t is string => !!t))];

/** The separator between the parts of a failure reason. */
const REASON_SEPARATOR = ' | ';

/**
 * Joins failure texts so that each thing is said once: texts already joined (a record's reason carries the answer's
 * own message) are split into their parts first, and a part seen before is dropped.
 */
export function joinReasons(texts: readonly (string | null | undefined)[]): string {
  const parts = texts.flatMap((text) => (text ? text.split(REASON_SEPARATOR).map((part) => part.trim()) : []));
  return unique(parts).join(REASON_SEPARATOR);
}

interface Located {
  found: boolean;
  value: unknown;
  /** The object holding the located key, when it is not the answer's root. */
  holder: Json | null;
}

/** Depth-first search for a key: an object's own keys before its children's. */
function findKey(node: unknown, key: string): Located | null {
  if (Array.isArray(node)) {
    for (const child of node) {
      const found = findKey(child, key);
      if (found) return found;
    }
    return null;
  }
  if (!isPlainObject(node)) return null;
  if (Object.hasOwn(node, key)) return { found: true, value: node[key], holder: node };
  for (const child of Object.values(node)) {
    const found = findKey(child, key);
    if (found) return found;
  }
  return null;
}

/** indice_array_retorno: null → the answer; 'parameters' → a top-level `parameters` key, else the answer; else a search. */
function locate(data: unknown, index: string | null): Located {
  const key = index?.trim() ?? '';
  if (key === '') return { found: true, value: data, holder: null };
  if (key.toLowerCase() === PARAMETERS) {
    const wrapped = isPlainObject(data) && Object.hasOwn(data, PARAMETERS);
    return { found: true, value: wrapped ? data[PARAMETERS] : data, holder: null };
  }
  const found = findKey(data, key);
  if (found) return found;
  // The transport may hand over the list itself rather than the object holding it.
  return Array.isArray(data) ? { found: true, value: data, holder: null } : { found: false, value: undefined, holder: null };
}

/** The root and the objects it wraps one key deep ({result: {...}} of a SOAP answer), outermost first. */
function topLevels(data: unknown): Json[] {
  const levels: Json[] = [];
  let current = data;
  while (isPlainObject(current)) {
    levels.push(current);
    const keys = Object.keys(current);
    current = keys.length === 1 && keys[0] !== undefined ? current[keys[0]] : undefined;
  }
  return levels;
}

/** Where a key is looked for, in order: the record, the object holding the return array, the answer's top level. */
type Scope = readonly Json[];

function find(scope: Scope, key: string): { found: boolean; value: unknown } {
  for (const object of scope) if (Object.hasOwn(object, key)) return { found: true, value: object[key] };
  return { found: false, value: undefined };
}

interface Judgement {
  error: string | null;
  key: string | null;
}

/**
 * Seed 001: only the first index decides; the others only add detail. Extension (documented in RULES.md): the
 * first index PRESENT in the scope decides, so a configuration listing keys this receptor never sends still
 * sees the ones it does (the seed's own erro,mensagemErro,erroExecucao against the ERP's erroExecucao).
 */
function judge(scope: Scope, errorKeys: readonly string[]): Judgement {
  const decider = errorKeys.find((key) => find(scope, key).found);
  if (decider === undefined) return { error: null, key: null };
  const value = find(scope, decider).value;
  if (isEmpty(value)) return { error: null, key: null };
  const details = errorKeys
    .filter((key) => key !== decider)
    .map((key) => ({ key, value: find(scope, key).value }))
    .filter((detail) => !isEmpty(detail.value))
    .map((detail) => describe(detail.key, detail.value));
  const main = value === true && details.length > 0 ? null : describe(decider, value);
  return { error: joinReasons([main, ...details]), key: decider };
}

function valuesOf(scope: Scope, valueKeys: readonly string[]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const key of valueKeys) {
    for (const object of scope) {
      const found = lookupValue(object, key);
      if (found.found) {
        values[key] = found.value;
        break;
      }
    }
  }
  return values;
}

/** The G5 tipoRetorno (1 processed, 2 request error) when the answer has one, as a number or numeric text. */
function tipoRetorno(scope: Scope): number | null {
  const { value } = find(scope, 'tipoRetorno');
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) ? number : null;
}

/** A G5 record's own verdict: `retorno` is "OK" on success, else the reason. */
function g5RecordError(element: Json): string | null {
  const retorno = element.retorno;
  return typeof retorno === 'string' && retorno.trim() !== '' && !OK_TEXT.test(retorno.trim()) ? retorno.trim() : null;
}

function successMessage(scope: Scope): string {
  for (const key of MESSAGE_KEYS) {
    const { value } = find(scope, key);
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
  }
  return 'OK';
}

/** Async/scheduled modes of the ERP answer plain text: "OK", or the error. JSON text is read as JSON. */
function readText(text: string, integracao: ReturnIndexes): ReturnReading {
  const trimmed = text.trim();
  if (/^[[{]/.test(trimmed)) {
    try {
      return readReturn(JSON.parse(trimmed) as unknown, integracao);
    } catch (error) {
      if (error instanceof ReturnConfigError) throw error;
    }
  }
  const ok = trimmed === '' || OK_TEXT.test(trimmed);
  return { ok, message: ok ? 'OK' : trimmed, values: {}, records: [], errorKeyFound: null, located: false };
}

/**
 * Reads a receptor's answer as seed 001 describes: indice_array_retorno locates the return (searched at the top
 * level, then depth-first; 'parameters' = the answer itself), each element of a return array is one record,
 * indice_erro_retorno decides failure (its first key present in the answer; see judge) and indice_valor_retorno
 * names the values to keep. Keys are read from the record first, then the object holding the array, then the top
 * level (and objects it wraps one key deep). G5 rule: tipoRetorno 2 fails the answer; a record whose `retorno` is
 * not "OK" fails that record.
 */
export function readReturn(data: unknown, integracao: ReturnIndexes): ReturnReading {
  const errorKeys = errorKeyList(integracao.indice_erro_retorno);
  const valueKeys = valueKeyList(integracao.indice_valor_retorno);
  if (typeof data === 'string') return readText(data, integracao);
  const located = locate(data, integracao.indice_array_retorno);
  const outer = [...(located.holder ? [located.holder] : []), ...topLevels(data)];
  const elements =
    located.value === undefined || located.value === null ? [] : Array.isArray(located.value) ? located.value : [located.value];
  const wrapKey = integracao.indice_array_retorno?.trim() || 'retorno';
  const scopes = elements.map((element): Json[] => [isPlainObject(element) ? element : { [wrapKey]: element }, ...outer]);
  const g5 = tipoRetorno(scopes[0] ?? outer) !== null;

  const records: ReturnRecord[] = [];
  const keyErrors: (string | null)[] = [];
  const g5Errors: (string | null)[] = [];
  let errorKeyFound: string | null = null;
  for (const scope of scopes) {
    const verdict = judge(scope, errorKeys);
    const own = g5 && scope[0] ? g5RecordError(scope[0]) : null;
    errorKeyFound ??= verdict.key ?? (own === null ? null : 'retorno');
    keyErrors.push(verdict.error);
    g5Errors.push(own);
    records.push({ values: valuesOf(scope, valueKeys), error: verdict.error ?? own });
  }
  if (scopes.length === 0) {
    const verdict = judge(outer, errorKeys);
    errorKeyFound = verdict.key;
    keyErrors.push(verdict.error);
  }
  const base = { values: records[0]?.values ?? valuesOf(outer, valueKeys), records, located: located.found };
  const first = scopes[0] ?? outer;
  if (tipoRetorno(first) === 2) {
    const texts = [...keyErrors, text(find(first, 'erroExecucao').value), text(find(first, 'mensagemRetorno').value), ...g5Errors];
    return { ...base, ok: false, message: joinReasons(texts) || 'tipoRetorno 2', errorKeyFound: errorKeyFound ?? 'tipoRetorno' };
  }
  const errors = joinReasons([...keyErrors, ...g5Errors]);
  if (errors !== '') return { ...base, ok: false, message: errors, errorKeyFound };
  if (!located.found && data !== null && data !== undefined) {
    // Nothing says it failed, but the answer is not shaped as configured: no value can be trusted for the write-back.
    const keys = unique(outer.flatMap((level) => Object.keys(level)));
    const message = `indice_array_retorno "${integracao.indice_array_retorno?.trim()}" not found in the answer (keys there: ${keys.join(', ') || 'none'})`;
    return { ...base, ok: false, message, errorKeyFound: null, code: 'RETURN_ARRAY_NOT_FOUND' };
  }
  return { ...base, ok: true, message: successMessage(first), errorKeyFound: null };
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}
