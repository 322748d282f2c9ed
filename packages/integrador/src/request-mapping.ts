import { crmDateText } from './crm-dates';
import { parseJsonText } from './json-text';
import { MissingVariableError } from './template';
import { lookupValue, setOwn } from './value-lookup';

/** The campos_integracao columns the mapping reads. */
export interface CampoRow {
  id: number;
  campo_crm: string;
  ordem: number;
}

export interface BuildRequestOptions {
  /** Bodies of component integrations (link 'componente'), by integracao nome, for `#componente:NOME#` leaves. */
  components?: Readonly<Record<string, unknown>>;
}

/** How a leaf of campo_crm gets its value. */
export type MappedFieldKind = 'variable' | 'text' | 'constant' | 'component';

/** Where one leaf of the request came from. */
export interface MappedField {
  /** `dadosGeraisCliente.nomCli`, `telefones[1].numero`. */
  path: string;
  campoId: number;
  /** The variable name (`nome`), the text template (`Cliente #nome#`), `componente:NOME`, or null for a constant. */
  source: string | null;
  kind: MappedFieldKind;
}

/** A `#var#` leaf whose value was null or undefined: the key is left out of the request. */
export interface OmittedField {
  path: string;
  campoId: number;
  source: string;
}

export interface MappedRequest {
  body: Record<string, unknown>;
  fields: MappedField[];
  omitted: OmittedField[];
}

export type MappingErrorCode =
  | 'INVALID_CAMPO_CRM'
  | 'MAPPING_CONFLICT'
  | 'MISSING_COMPONENT'
  | 'INVALID_COMPONENT_REFERENCE'
  | 'AMBIGUOUS_VARIABLE';

/** A campo_crm that cannot be turned into a request; permanent (the same rows fail the same way on every attempt). */
export class MappingError extends Error {
  override name = 'MappingError';
  readonly permanent = true;
  constructor(
    readonly code: MappingErrorCode,
    message: string,
    /** The campos_integracao rows involved. */
    readonly campoIds: readonly number[],
    /** The request path involved, when there is one. */
    readonly path: string | null = null,
  ) {
    super(message);
  }
}

const VARIABLE = /#([A-Za-z_][A-Za-z0-9_.]*)#/g;
const WHOLE_VARIABLE = /^#([A-Za-z_][A-Za-z0-9_.]*)#$/;
/** `#componente:NOME#`: the whole leaf is replaced by options.components[NOME]. */
const COMPONENT = /^#componente:([^#]+)#$/i;
const COMPONENT_ANYWHERE = /#componente:/i;

type NodeKind = 'leaf' | 'object' | 'array';

interface Context {
  values: Readonly<Record<string, unknown>>;
  components: Readonly<Record<string, unknown>>;
  /** Which campo first placed something at an object path, and whether it was a leaf, an object or an array. */
  owners: Map<string, { campoId: number; kind: NodeKind }>;
  fields: MappedField[];
  omitted: OmittedField[];
  /** Variables without a value, each with the campos_integracao row that first used it. */
  missing: Map<string, number>;
  /** Every string leaf's shape, judged when the campos were compiled. */
  shapes: ReadonlyMap<string, LeafShape>;
}

const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const childPath = (path: string, key: string | number) => (typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key);

/** How a value reads inside a text leaf (as template.ts writes it into a SQL literal, PHP-like: null → ''). */
function interpolated(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return crmDateText(value);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function variable(context: Context, name: string, campoId: number, path: string): { found: boolean; value?: unknown } {
  const result = lookupValue(context.values, name);
  if (result.found) return result;
  if (result.ambiguous.length > 0)
    throw new MappingError(
      'AMBIGUOUS_VARIABLE',
      `campos_integracao #${campoId} at "${path}": #${name}# matches ${result.ambiguous.join(', ')} ignoring case and none exactly; ` +
        'expected one value per name (alias the column in the consulta)',
      [campoId],
      path,
    );
  if (!context.missing.has(name)) context.missing.set(name, campoId);
  return { found: false };
}

type Leaf = { omit: true; source: string } | { omit: false; value: unknown; kind: MappedFieldKind; source: string | null };

/** What a string leaf of campo_crm is, judged from its text alone (the same for every push of a configuration). */
type LeafShape =
  | { kind: 'component'; name: string }
  | { kind: 'mixed-component' }
  | { kind: 'variable'; name: string }
  | { kind: 'text'; names: string[] }
  | { kind: 'constant' };

function leafShape(node: string): LeafShape {
  const component = COMPONENT.exec(node);
  if (component?.[1] !== undefined) return { kind: 'component', name: component[1].trim() };
  if (COMPONENT_ANYWHERE.test(node)) return { kind: 'mixed-component' };
  const whole = WHOLE_VARIABLE.exec(node);
  if (whole?.[1] !== undefined) return { kind: 'variable', name: whole[1] };
  const names = [...node.matchAll(VARIABLE)].map((match) => match[1] as string);
  return names.length === 0 ? { kind: 'constant' } : { kind: 'text', names };
}

/** The value of one leaf of campo_crm. */
function resolveLeaf(context: Context, node: unknown, campoId: number, path: string): Leaf {
  if (typeof node !== 'string') return { omit: false, value: node, kind: 'constant', source: null };
  const shape = context.shapes.get(node) ?? leafShape(node);
  if (shape.kind === 'component') {
    const { name } = shape;
    const found = lookupValue(context.components, name);
    if (!found.found)
      throw new MappingError(
        'MISSING_COMPONENT',
        `campos_integracao #${campoId} at "${path}" uses component "${name}", which was not built ` +
          `(components given: ${Object.keys(context.components).join(', ') || 'none'})`,
        [campoId],
        path,
      );
    const source = `componente:${name}`;
    return found.value === null || found.value === undefined
      ? { omit: true, source }
      : { omit: false, value: found.value, kind: 'component', source };
  }
  if (shape.kind === 'mixed-component')
    throw new MappingError(
      'INVALID_COMPONENT_REFERENCE',
      `campos_integracao #${campoId} at "${path}": "${node}" mixes a component with text; expected the whole value to be "#componente:NOME#"`,
      [campoId],
      path,
    );
  if (shape.kind === 'variable') {
    const found = variable(context, shape.name, campoId, path);
    if (found.found && (found.value === null || found.value === undefined)) return { omit: true, source: shape.name };
    return { omit: false, value: found.value, kind: 'variable', source: shape.name };
  }
  if (shape.kind === 'constant') return { omit: false, value: node, kind: 'constant', source: null };
  // Every name is looked up once, in order, as the replace below would (a missing or ambiguous one is reported the same way).
  const text = node.replace(VARIABLE, (_, name: string) => interpolated(variable(context, name, campoId, path).value));
  return { omit: false, value: text, kind: 'text', source: node };
}

function conflict(context: Context, campoId: number, path: string): never {
  const owner = context.owners.get(path);
  const other = owner?.campoId ?? campoId;
  throw new MappingError(
    'MAPPING_CONFLICT',
    `campos_integracao #${other} and #${campoId} both map "${path}"; expected each receptor field in one row only`,
    [other, campoId],
    path,
  );
}

/** Places one campo_crm node at target[key], merging objects, appending arrays and refusing a second leaf. */
function place(
  context: Context,
  target: Record<string, unknown> | unknown[],
  key: string | number,
  node: unknown,
  campoId: number,
  path: string,
) {
  const kind: NodeKind = Array.isArray(node) ? 'array' : isJsonObject(node) ? 'object' : 'leaf';
  const inArray = Array.isArray(target);
  if (!inArray) {
    // Under an object key a path is owned by the first campo; an array element is always a new path.
    const owner = context.owners.get(path);
    if (owner && (owner.kind !== kind || kind === 'leaf')) conflict(context, campoId, path);
    if (!owner) context.owners.set(path, { campoId, kind });
  }
  const set = (value: unknown) => {
    if (Array.isArray(target)) target.push(value);
    else setOwn(target, key as string, value);
  };
  if (kind === 'leaf') {
    const leaf = resolveLeaf(context, node, campoId, path);
    if (leaf.omit) context.omitted.push({ path, campoId, source: leaf.source });
    else {
      set(leaf.value);
      context.fields.push({ path, campoId, source: leaf.source, kind: leaf.kind });
    }
    return;
  }
  const existing = Array.isArray(target) || !Object.hasOwn(target, key) ? undefined : target[key as string];
  if (Array.isArray(node)) {
    const list = Array.isArray(existing) ? existing : [];
    if (existing === undefined) set(list);
    // Rows that map the same list add their items after the earlier rows' items (in ordem order).
    for (const element of node) place(context, list, list.length, element, campoId, childPath(path, list.length));
    return;
  }
  const object = isJsonObject(existing) ? existing : {};
  if (existing === undefined) set(object);
  for (const [childKey, child] of Object.entries(node as Record<string, unknown>))
    place(context, object, childKey, child, campoId, childPath(path, childKey));
}

function parseCampo(campo: CampoRow): Record<string, unknown> {
  const parsed = parseJsonText(campo.campo_crm);
  const expected = 'expected a JSON object keyed by the receptor\'s field names, e.g. {"nomCli": "#nome#"}';
  if (!parsed.ok) {
    const why =
      parsed.problem === 'typographic-quotes' ? `typographic quote ${parsed.quote} at position ${parsed.position}` : parsed.detail;
    throw new MappingError('INVALID_CAMPO_CRM', `campos_integracao #${campo.id} campo_crm is not valid JSON (${why}); ${expected}`, [
      campo.id,
    ]);
  }
  if (!isJsonObject(parsed.value))
    throw new MappingError(
      'INVALID_CAMPO_CRM',
      `campos_integracao #${campo.id} campo_crm is ${JSON.stringify(parsed.value).slice(0, 60)}; ${expected}`,
      [campo.id],
    );
  return parsed.value;
}

/** campos_integracao rows parsed, ordered and judged once (compileCampos): what every push of one configuration maps with. */
export interface CompiledCampos {
  readonly rows: readonly { readonly campoId: number; readonly nodes: readonly [string, unknown][] }[];
  readonly shapes: ReadonlyMap<string, LeafShape>;
}

/** Judges every string leaf of a parsed campo_crm tree once. */
function judgeLeaves(node: unknown, shapes: Map<string, LeafShape>): void {
  if (typeof node === 'string') {
    if (!shapes.has(node)) shapes.set(node, leafShape(node));
  } else if (Array.isArray(node)) for (const element of node) judgeLeaves(element, shapes);
  else if (isJsonObject(node)) for (const child of Object.values(node)) judgeLeaves(child, shapes);
}

/**
 * Parses campos_integracao rows once, in (ordem, id) order, and judges each leaf's kind (`#var#`, text, constant,
 * component): the compiled form every push of the configuration maps with (buildRequest). The parsed trees are only
 * read, never changed. A campo_crm that is not a JSON object is a MappingError.
 */
export function compileCampos(campos: readonly CampoRow[]): CompiledCampos {
  const ordered = [...campos].sort((a, b) => a.ordem - b.ordem || a.id - b.id);
  const shapes = new Map<string, LeafShape>();
  const rows = ordered.map((campo) => {
    const nodes = Object.entries(parseCampo(campo));
    for (const [, node] of nodes) judgeLeaves(node, shapes);
    return { campoId: campo.id, nodes };
  });
  return { rows, shapes };
}

/**
 * Builds the receptor's request from compiled campos_integracao rows (compileCampos), deep-merged in (ordem, id) order: objects merge by
 * key, lists from several rows are concatenated, and two rows giving the same leaf are a MappingError.
 * Leaves: `"#var#"` → the value with its type (null/undefined → key omitted and listed in `omitted`);
 * `"Cliente #nome#"` → text; `"#componente:NOME#"` → options.components[NOME]; anything else → constant.
 */
export function buildRequest(
  campos: CompiledCampos,
  values: Readonly<Record<string, unknown>>,
  options: BuildRequestOptions = {},
): MappedRequest {
  const context: Context = {
    values,
    components: options.components ?? {},
    owners: new Map(),
    fields: [],
    omitted: [],
    missing: new Map(),
    shapes: campos.shapes,
  };
  const body: Record<string, unknown> = {};
  for (const { campoId, nodes } of campos.rows) {
    for (const [key, node] of nodes) place(context, body, key, node, campoId, key);
  }
  const [first] = context.missing;
  if (first !== undefined) throw new MissingVariableError(first[0], [...context.missing.keys()], Object.keys(values), first[1]);
  return { body, fields: context.fields, omitted: context.omitted };
}
