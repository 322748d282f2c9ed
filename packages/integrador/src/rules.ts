import { parseJsonText } from './json-text';
import { RuleConfigError, type RuleProblemText, RuleViolationError } from './rule-errors';
import { normalizeRuleType, RULE_SPECS, RULE_TYPE_ALIASES, type RuleSpec, type RuleType, type Transform } from './rule-types';
import { isPlainObject, setOwn } from './value-lookup';

/** The regras columns the rules read. */
export interface RegraRow {
  id: number;
  campo: string;
  tipo: string;
  parametros: string | null;
  ordem: number;
  campos_integracao_id: number | null;
}

/** One place a regra ran on. */
export interface AppliedRule {
  regraId: number;
  campo: string;
  /** The canonical tipo, whatever alias the row used. */
  tipo: RuleType;
  /** The concrete path, with array indexes (`enderecosEntrega[0].cepEnt`). */
  path: string;
  /** undefined when the field was missing. */
  before: unknown;
  after: unknown;
  campoId: number | null;
}

export interface RulesResult {
  body: Record<string, unknown>;
  applied: AppliedRule[];
}

type Segment = { kind: 'key'; key: string } | { kind: 'all' } | { kind: 'index'; index: number };

interface CompiledRule {
  regra: RegraRow;
  type: RuleType;
  spec: RuleSpec;
  segments: Segment[];
  transform: Transform;
}

type Container = Record<string, unknown> | unknown[];
type Key = string | number;

const PART = /^([^[\]]*)((?:\[\d*\])*)$/;

/** `a.b`, `a[].b`, `a.[].b`, `a[0].b`: keys, every item of a list, one item of a list. */
function parseCampo(regra: RegraRow): Segment[] {
  const segments: Segment[] = [];
  for (const raw of regra.campo.split('.')) {
    const part = PART.exec(raw.trim());
    const key = part?.[1]?.trim() ?? '';
    const brackets = part?.[2] ?? '';
    if (!part || (key === '' && brackets === ''))
      throw new RuleConfigError('INVALID_CAMPO', regra.id, {
        'pt-BR': `o campo "${regra.campo}" da regra #${regra.id} não é um caminho de campo; esperado chaves separadas por pontos, por exemplo dadosGeraisCliente.sitCli ou enderecos[].cep`,
        en: `regra #${regra.id} campo "${regra.campo}" is not a field path; expected keys separated by dots, e.g. dadosGeraisCliente.sitCli or enderecos[].cep`,
      });
    if (key !== '') segments.push({ kind: 'key', key });
    for (const [, index] of brackets.matchAll(/\[(\d*)\]/g))
      segments.push(index ? { kind: 'index', index: Number(index) } : { kind: 'all' });
  }
  return segments;
}

function parseParams(regra: RegraRow, type: RuleType): Record<string, unknown> {
  if (regra.parametros === null || regra.parametros.trim() === '') return {};
  const parsed = parseJsonText(regra.parametros);
  const bad = (problem: RuleProblemText) =>
    new RuleConfigError('INVALID_PARAMETERS', regra.id, {
      'pt-BR': `os parametros da regra #${regra.id} (${type}) ${problem['pt-BR']}; esperado um objeto JSON`,
      en: `regra #${regra.id} (${type}) parametros ${problem.en}; expected a JSON object`,
    });
  if (!parsed.ok)
    throw bad(
      parsed.problem === 'typographic-quotes'
        ? {
            'pt-BR': `têm aspas tipográficas ${parsed.quote} na posição ${parsed.position} (use aspas retas ")`,
            en: `has typographic quotes ${parsed.quote} at position ${parsed.position} (use straight quotes ")`,
          }
        : // The JSON parser's own detail is English: the pt-BR text goes without it.
          { 'pt-BR': 'não são um JSON válido', en: `is not valid JSON (${parsed.detail})` },
    );
  if (!isPlainObject(parsed.value)) {
    const shown = JSON.stringify(parsed.value).slice(0, 60);
    throw bad({ 'pt-BR': `são ${shown}`, en: `is ${shown}` });
  }
  return parsed.value;
}

/** The regra tipos the engine knows, each with its aliases (`valor/mapa, …`): what an unknown tipo's message lists. */
export function knownRuleTypes(): string {
  return Object.values(RULE_TYPE_ALIASES)
    .map((aliases) => aliases.join('/'))
    .join(', ');
}

function compileRule(regra: RegraRow): CompiledRule {
  const type = normalizeRuleType(regra.tipo);
  if (type === null) {
    const known = knownRuleTypes();
    throw new RuleConfigError('UNKNOWN_RULE', regra.id, {
      'pt-BR': `a regra #${regra.id} tem um tipo desconhecido "${regra.tipo}"; esperado um de: ${known}`,
      en: `regra #${regra.id} has an unknown tipo "${regra.tipo}"; expected one of: ${known}`,
    });
  }
  const spec = RULE_SPECS[type];
  const params = parseParams(regra, type);
  const transform = spec.compile(params, (problem) => {
    throw new RuleConfigError('INVALID_PARAMETERS', regra.id, {
      'pt-BR': `parametros da regra #${regra.id} (${type}): ${problem['pt-BR']}`,
      en: `regra #${regra.id} (${type}) parametros: ${problem.en}`,
    });
  });
  return { regra, type, spec, segments: parseCampo(regra), transform };
}

/** A copy of the lists and plain objects of a tree; Dates and other instances are shared (never mutated). */
function cloneTree(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cloneTree);
  if (!isPlainObject(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) setOwn(copy, key, cloneTree(child));
  return copy;
}

const has = (c: Container, k: Key) => (Array.isArray(c) ? (k as number) < c.length : Object.hasOwn(c, k));
const read = (c: Container, k: Key) => (Array.isArray(c) ? c[k as number] : has(c, k) ? c[k as string] : undefined);
function write(c: Container, k: Key, value: unknown): void {
  if (Array.isArray(c)) c[k as number] = value;
  else setOwn(c, k as string, value);
}

const keyPath = (path: string, key: string) => (path ? `${path}.${key}` : key);

/** The path a campo would have below `path`, for messages about a field that is not there. */
function restPath(path: string, segments: readonly Segment[]): string {
  return segments.reduce((at, s) => (s.kind === 'key' ? keyPath(at, s.key) : `${at}[${s.kind === 'all' ? '' : s.index}]`), path);
}

function eachItem(list: readonly unknown[], path: string, visit: (index: number, at: string) => void): void {
  for (let index = 0; index < list.length; index++) visit(index, `${path}[${index}]`);
}

class Runner {
  readonly applied: AppliedRule[] = [];

  fail(rule: CompiledRule, path: string, value: unknown) {
    return (expected: string): never => {
      throw new RuleViolationError(rule.regra.id, rule.regra.campo, path, rule.type, value, expected);
    };
  }

  /** The field a campo names cannot be reached (`value` is what stands in the way): obrigatorio and padrao object. */
  missing(rule: CompiledRule, path: string, value: unknown): void {
    if (rule.spec.absent === 'skip') return;
    if (value !== undefined && value !== null)
      this.fail(rule, path, value)('an object holding the field (the path crosses a value that is not an object)');
    if (rule.spec.absent === 'check') this.fail(rule, path, undefined)('a value');
  }

  /** Descends holder[key] along segments[i…]. */
  walk(rule: CompiledRule, holder: Container, key: Key, i: number, path: string): void {
    const segment = rule.segments[i];
    const node = read(holder, key);
    const unreachable = () => this.missing(rule, restPath(path, rule.segments.slice(i)), node);
    if (segment === undefined) this.apply(rule, holder, key, path);
    else if (segment.kind === 'all') {
      if (Array.isArray(node)) eachItem(node, path, (index, at) => this.walk(rule, node, index, i + 1, at));
      // A single item where a list is expected (an XML list of one) counts as that list.
      else if (node !== undefined && node !== null) this.walk(rule, holder, key, i + 1, path);
      else unreachable();
    } else if (segment.kind === 'index') {
      if (Array.isArray(node) && segment.index < node.length) this.walk(rule, node, segment.index, i + 1, `${path}[${segment.index}]`);
      else if (Array.isArray(node)) this.missing(rule, restPath(path, rule.segments.slice(i)), undefined);
      else unreachable();
    }
    // A list met where a key is expected: the campo applies to every item of it.
    else if (Array.isArray(node)) eachItem(node, path, (index, at) => this.walk(rule, node, index, i, at));
    else if (isPlainObject(node)) this.walk(rule, node, segment.key, i + 1, keyPath(path, segment.key));
    else if ((node === undefined || node === null) && rule.spec.absent === 'create') {
      write(holder, key, {});
      this.walk(rule, holder, key, i, path);
    } else unreachable();
  }

  /** Runs the rule on holder[key], item by item for a list when the rule works on items. */
  apply(rule: CompiledRule, holder: Container, key: Key, path: string): void {
    const present = has(holder, key);
    const before = read(holder, key);
    if (!present && rule.spec.absent === 'skip') return;
    if (Array.isArray(before) && rule.spec.scope === 'each') {
      eachItem(before, path, (index, at) => this.apply(rule, before, index, at));
      return;
    }
    const given = rule.transform(before, this.fail(rule, path, before));
    // A value a regra brings (padrao's valor, a mapa's replacement) belongs to its compiled parametros, which every
    // push of the configuration shares: the body gets its own copy, so a later regra cannot change the shared one.
    const after = given !== before && typeof given === 'object' && given !== null ? cloneTree(given) : given;
    if (present || after !== undefined) write(holder, key, after);
    const { id: regraId, campo, campos_integracao_id: campoId } = rule.regra;
    this.applied.push({ regraId, campo, tipo: rule.type, path, before, after, campoId });
  }
}

/** The error a run would throw for this regra's tipo, campo or parametros (config lint reports it ahead of time), or null. */
export function ruleProblem(regra: RegraRow): RuleConfigError | null {
  try {
    compileRule(regra);
    return null;
  } catch (err) {
    if (err instanceof RuleConfigError) return err;
    throw err;
  }
}

/** regras compiled once (compileRules): what every push of one configuration applies. */
export interface CompiledRules {
  readonly rules: readonly CompiledRule[];
}

/**
 * Compiles regras rows once, in (ordem, id) order: tipo, campo path and parametros judged and the transforms built,
 * so that every push of the configuration applies them as they are. An unknown tipo or bad parametros or campo is a
 * RuleConfigError (the first row in order that has one).
 */
export function compileRules(regras: readonly RegraRow[]): CompiledRules {
  return { rules: [...regras].sort((a, b) => a.ordem - b.ordem || a.id - b.id).map(compileRule) };
}

/**
 * Applies compiled regras (compileRules) to a request body in (ordem, id) order and returns a new body (the input is
 * not changed). `campo` is a dotted path from the body's root; a list on the way applies the rule to each item (`[]`
 * says so explicitly, `[n]` picks one). A value that breaks a rule is a RuleViolationError. Tipos and parametros: RULES.md.
 */
export function applyRules(body: Readonly<Record<string, unknown>>, regras: CompiledRules): RulesResult {
  const { rules } = regras;
  const root: Record<string, unknown> = { body: cloneTree(body) };
  const runner = new Runner();
  for (const rule of rules) runner.walk(rule, root, 'body', 0, '');
  return { body: root.body as Record<string, unknown>, applied: runner.applied };
}
