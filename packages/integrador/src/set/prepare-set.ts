import type { Database, DialectName, Regra } from '@integrador/store';
import type { Kysely } from 'kysely';
import { buildRequest, type MappedField } from '../request-mapping';
import { applyRules } from '../rules';
import { planValues } from '../set-plan';
import { describeConsulta, runConsulta } from './consulta-rows';
import { resolveDependencias } from './dependencies';
import { PermanentError } from './permanent-error';
import type { ComponentDefinition, SetDefinition } from './set-definition.repository';
import { runInputs, type UpstreamValues } from './upstream-values';

/** One CRM record ready to send: the values its templates see and the request body built from them. */
export interface PreparedRecord {
  /** Stable within a job: the record's id column, or its position. */
  key: string;
  values: Record<string, unknown>;
  body: Record<string, unknown>;
  fields: MappedField[];
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
  definition: SetDefinition;
  parametros: Readonly<Record<string, unknown>>;
  /** In a dependency flow: what the steps before this one produced (upstream-values.ts). */
  upstream?: UpstreamValues | undefined;
}

function referencedComponents(definition: SetDefinition): ComponentDefinition[] {
  const text = definition.campos
    .map((c) => c.campo_crm)
    .join('\n')
    .toLowerCase();
  return [...definition.components.values()].filter((c) => text.includes(`#componente:${c.integracao.nome.toLowerCase()}#`));
}

function mapWithRules(
  campos: SetDefinition['campos'],
  regras: readonly Regra[],
  values: Record<string, unknown>,
  components?: Record<string, unknown>,
) {
  const mapped = buildRequest(campos, values, components ? { components } : {});
  const ruled = applyRules(mapped.body, regras);
  return { body: ruled.body, fields: mapped.fields };
}

/** A component's rows, each mapped through its own campos and regras, become a list inside the parent's request. */
async function buildComponent(ctx: PrepareContext, component: ComponentDefinition, values: Record<string, unknown>): Promise<unknown[]> {
  const rows = component.integracao.consulta ? await runConsulta(ctx.db, ctx.dialect, component.integracao.consulta, values) : [values];
  const items: unknown[] = [];
  for (const row of rows) {
    const own = await resolveDependencias(ctx.db, ctx.dialect, ctx.empresaId, component.dependencias, { ...values, ...row }, ctx.upstream);
    items.push(mapWithRules(component.campos, component.regras, planValues({ ...values, ...row }, {}, own)).body);
  }
  return items;
}

/** Reads the records (consulta), resolves dependencias, builds components, maps campos and applies regras. */
export async function prepareSet(ctx: PrepareContext): Promise<PreparedSet> {
  const { integracao } = ctx.definition;
  const parametros = runInputs(ctx.parametros, ctx.upstream) as Record<string, string>;
  const rows = integracao.consulta ? await runConsulta(ctx.db, ctx.dialect, integracao.consulta, parametros) : [{}];
  if (rows.length === 0) {
    throw new PermanentError(
      'NO_RECORDS',
      `consulta of integracao #${integracao.id} (${integracao.nome}) found no record for ${JSON.stringify(ctx.parametros)}`,
    );
  }
  const components = referencedComponents(ctx.definition);
  const records: PreparedRecord[] = [];
  for (const [index, row] of rows.entries()) {
    const base = planValues(row, parametros, {});
    const resolved = await resolveDependencias(ctx.db, ctx.dialect, ctx.empresaId, ctx.definition.dependencias, base, ctx.upstream);
    const values = planValues(row, parametros, resolved);
    const built: Record<string, unknown> = {};
    for (const component of components) built[component.integracao.nome] = await buildComponent(ctx, component, values);
    const { body, fields } = mapWithRules(ctx.definition.campos, ctx.definition.regras, values, built);
    records.push({ key: row.id === undefined || row.id === null ? String(index) : `id${String(row.id)}`, values, body, fields });
  }
  return { consulta: integracao.consulta ? describeConsulta(ctx.dialect, integracao.consulta, parametros) : null, records };
}
