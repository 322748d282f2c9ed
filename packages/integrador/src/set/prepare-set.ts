import { isSecretName, SECRET_MASK } from '@integrador/logging';
import type { Database, DialectName, Integracao } from '@integrador/store';
import type { Kysely } from 'kysely';
import { nearestVariable } from '../consulta-lint';
import { withCrmDatesAsText } from '../crm-dates';
import { buildRequest, type MappedField } from '../request-mapping';
import { assertReturnIndexes } from '../return-reader';
import { applyRules } from '../rules';
import { bindEngineValues, type CrmScope, runTenantOf, tenantTablesOf } from '../runs/tenant-scope';
import { planValues } from '../set-plan';
import { MissingVariableError } from '../template';
import type { CompiledComponent, CompiledMapping, CompiledSetDefinition } from './compile-set';
import { crmReadStatement, describeConsulta, readRows, runConsulta } from './consulta-rows';
import { resolveDependencias } from './dependencies';
import { fillLink } from './link-template';
import { PermanentError } from './permanent-error';
import { runInputs, type UpstreamValues } from './upstream-values';

/** One CRM record ready to send: the values its templates see and the request body built from them. */
export interface PreparedRecord {
  /** Stable within a job: the record's id column, or its position. */
  key: string;
  /** The key is the record's id column (the same record in every run), not its position in this run's consulta. */
  identified: boolean;
  values: Record<string, unknown>;
  body: Record<string, unknown>;
  fields: MappedField[];
  /** integracao.link with the record's #vars# filled (link-template.ts): what the transport is given. */
  link: string;
}

export interface PreparedSet {
  /** The consulta as run: SQL with placeholders and its bound values (null when the integration has none). */
  consulta: { sql: string; parameters: unknown[] } | null;
  records: PreparedRecord[];
}

export interface PrepareContext {
  db: Kysely<Database>;
  dialect: DialectName;
  empresaId: number;
  /** The caller's filial (a filial key); the integration's own filial wins. */
  filialId?: number | null;
  /** The integration as loaded and compiled (compileSetDefinition; resolveSetTarget does both). */
  definition: CompiledSetDefinition;
  parametros: Readonly<Record<string, unknown>>;
  /** In a dependency flow: what the steps before this one produced (upstream-values.ts). */
  upstream?: UpstreamValues | undefined;
}

function mapWithRules(
  mapping: CompiledMapping,
  datesAsText: boolean,
  values: Record<string, unknown>,
  components?: Record<string, unknown>,
) {
  const mapped = buildRequest(mapping.campos(), values, components ? { components } : {});
  const ruled = applyRules(mapped.body, mapping.regras());
  // After the regras (a regra `data` reads the Date itself): what is still a Date goes as the CRM's day / instant with
  // its offset, except to a database receptor (its driver binds the Date as the instant it is).
  return { body: datesAsText ? withCrmDatesAsText(ruled.body) : ruled.body, fields: mapped.fields };
}

/**
 * Runs `work`, a MissingVariableError from it naming the integration, the column holding the variable and the value's
 * name nearest to it (a misspelt column: "#fantazia#" for fantasia), as config lint names it (trial M3).
 */
function placeMissing<T>(integracao: Integracao, values: Readonly<Record<string, unknown>>, work: () => T): T {
  try {
    return work();
  } catch (err) {
    if (!(err instanceof MissingVariableError) || err.params.variavel !== undefined) throw err;
    // A value of that name that is null (a column of the record left empty) is no typo: the engine's words stay.
    const lower = err.variable.toLowerCase();
    if (Object.keys(values).some((name) => name.toLowerCase() === lower)) throw err;
    const onde = err.campoId === undefined ? 'link' : `campos_integracao #${err.campoId}`;
    const sugestao = nearestVariable(err.variable, Object.keys(values));
    throw err.inIntegration({ integracao: integracao.nome, onde, ...(sugestao ? { sugestao } : {}) });
  }
}

/** True for a value with nothing in it: null, blank text, or a list / object of such values only. */
function isBlank(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value === 'string') return value.trim() === '';
  if (Array.isArray(value)) return value.every(isBlank);
  if (typeof value === 'object') return Object.values(value).every(isBlank);
  return false;
}

/**
 * A component's rows, each mapped through its own campos and regras, become a list inside the parent's request. A row
 * whose mapped fields are all empty (a conta without an address: every #var# null) is no item: an item without any
 * field is not there. A component with no item left is an empty list: a REST/JSON receptor reads `[]` as "none any
 * more" (an upsert API reads a missing key as "keep"), while the SOAP client (node-soap) writes no element for an
 * empty list: no `<enderecosEntrega/>`, on which the G5 service fails (test/set-receptors.test.ts checks both).
 */
async function buildComponent(
  ctx: PrepareContext,
  scope: CrmScope,
  component: CompiledComponent,
  values: Record<string, unknown>,
): Promise<unknown[]> {
  const rows = component.consulta ? await runConsulta(ctx.db, ctx.dialect, component.consulta(), values, scope) : [values];
  const items: unknown[] = [];
  for (const row of rows) {
    const own = await resolveDependencias(ctx.db, ctx.dialect, scope, component.dependencias, planValues(row, values, {}), ctx.upstream);
    const componentValues = bindEngineValues(planValues(row, values, own), scope.tenant);
    const { body } = mapWithRules(component, ctx.definition.compiled.datesAsText, componentValues);
    if (!isBlank(body)) items.push(body);
  }
  return items;
}

/** The tenant binding of a SET/INFO run's CRM statements (tenant-scope.ts). */
export async function crmScopeOf(ctx: Pick<PrepareContext, 'db' | 'empresaId' | 'filialId' | 'definition'>): Promise<CrmScope> {
  const tenant = runTenantOf({ empresaId: ctx.empresaId, filialId: ctx.filialId ?? null }, ctx.definition.integracao);
  return { tenant, tables: await tenantTablesOf(ctx.db) };
}

/**
 * A run's parameters as `name=value, …` (NO_RECORDS' message, the CLI's preview): a secret-named one (isSecretName:
 * `senha`, `token`, `api_key`…) shows its mask, never its value, since this list is stored with the job's record and
 * shown wherever its failure is. Empty when none has a plain value.
 */
export function givenParametros(parametros: Readonly<Record<string, unknown>>): string {
  return Object.entries(parametros)
    .filter(([, value]) => value !== undefined && value !== null && typeof value !== 'object')
    .map(([name, value]) => `${name}=${isSecretName(name) ? SECRET_MASK : String(value)}`)
    .join(', ');
}

/** The parameters as JSON, a secret-named one's value masked (BullMQ's failedReason keeps this message as it is). */
function maskedJson(parametros: Readonly<Record<string, unknown>>): string {
  return JSON.stringify(parametros, (name, value) => (name !== '' && isSecretName(name) ? SECRET_MASK : value));
}

/**
 * NO_RECORDS' values, worded as `preview` words them (the catalogue's one wording): the integration, the parameters
 * given and the empresa the consulta was bound to. None given: the catalogue's wording without values.
 */
function noRecordsParams(integracao: { id: number; nome: string }, ctx: PrepareContext): Record<string, string | number> | undefined {
  const given = givenParametros(ctx.parametros);
  if (given === '') return undefined;
  return { integracao: `#${integracao.id} (${integracao.nome})`, parametros: given, empresa: ctx.empresaId };
}

/**
 * Reads the records (consulta), resolves dependencias, builds components, maps campos and applies regras. Every CRM
 * statement is bound to the run's tenant: a record of another empresa is not found, like a missing one.
 */
export async function prepareSet(ctx: PrepareContext): Promise<PreparedSet> {
  const { integracao, compiled } = ctx.definition;
  // What can be judged before any I/O is judged now: the receptor's answer could not be read with a bad list.
  assertReturnIndexes(integracao);
  const scope = await crmScopeOf(ctx);
  const parametros = bindEngineValues(runInputs(ctx.parametros, ctx.upstream), scope.tenant) as Record<string, string>;
  const consulta = compiled.consulta ? crmReadStatement(compiled.consulta(), ctx.dialect, scope) : null;
  const rows = consulta ? await readRows(ctx.db, consulta, parametros, scope) : [{}];
  if (rows.length === 0) {
    throw new PermanentError(
      'NO_RECORDS',
      `consulta of integracao #${integracao.id} (${integracao.nome}) found no record for ${maskedJson(ctx.parametros)}`,
      { params: noRecordsParams(integracao, ctx) },
    );
  }
  const records: PreparedRecord[] = [];
  for (const [index, row] of rows.entries()) {
    const base = planValues(row, parametros, {});
    const resolved = await resolveDependencias(ctx.db, ctx.dialect, scope, compiled.dependencias, base, ctx.upstream);
    // Without dependency values the plan is `base` as it is: not copied a second time.
    const values = bindEngineValues(Object.keys(resolved).length === 0 ? base : planValues(row, parametros, resolved), scope.tenant);
    const built: Record<string, unknown> = {};
    for (const component of compiled.components)
      built[component.definition.integracao.nome] = await buildComponent(ctx, scope, component, values);
    const { body, fields } = placeMissing(integracao, values, () => mapWithRules(compiled, compiled.datesAsText, values, built));
    const link = placeMissing(integracao, values, () => fillLink(integracao.link ?? '', values, integracao.id));
    const identified = row.id !== undefined && row.id !== null;
    records.push({ key: identified ? `id${String(row.id)}` : String(index), identified, values, body, fields, link });
  }
  return { consulta: consulta ? describeConsulta(consulta, parametros, scope) : null, records };
}
