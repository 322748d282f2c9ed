import type { Dependencia, DialectName } from '@integrador/store';
import { type CompiledCampos, compileCampos } from '../request-mapping';
import { type CompiledRules, compileRules } from '../rules';
import { ENGINE_VARIABLES } from '../runs/tenant-scope';
import { compileStatement, extractVariables, type TemplateStatement } from '../template';
import { consultaSql } from './consulta-rows';
import { PermanentError } from './permanent-error';
import type { ComponentDefinition, SetDefinition } from './set-definition.repository';

/**
 * A part compiled with its definition. When its rows do not compile, using it compiles them again and throws that
 * error: a push fails as it would have without compiling ahead, and a broken part no push uses (an unreferenced
 * component) fails nothing.
 */
export type Compiled<T> = () => T;

function compiledPart<T>(compile: () => T): Compiled<T> {
  try {
    const value = compile();
    return () => value;
  } catch {
    return compile;
  }
}

/** How a dependencia finds its value: a lookup query in the CRM (its SQL text), or the last result of another integration. */
export type DependencyLookup = { kind: 'consulta'; sql: string } | { kind: 'integracao' };

export interface CompiledDependencia {
  row: Dependencia;
  lookup: Compiled<DependencyLookup>;
}

/** What one integration's records go through: its consulta (SQL text), dependencias, campos and regras. */
export interface CompiledMapping {
  consulta: Compiled<string> | null;
  dependencias: readonly CompiledDependencia[];
  campos: Compiled<CompiledCampos>;
  regras: Compiled<CompiledRules>;
}

/** A component integration a campo_crm of the definition names (`#componente:NOME#`), compiled like the parent. */
export interface CompiledComponent extends CompiledMapping {
  definition: ComponentDefinition;
}

/** A #var# of sql_update that neither indice_valor_retorno nor the engine provides: each record must have it. */
export interface WriteBackVariable {
  name: string;
  /** The record's value it reads (`conta` of `conta.id`). */
  head: string;
}

/** Everything a push of one loaded definition runs with, judged and compiled once. */
export interface CompiledSet extends CompiledMapping {
  /** The components the campos name, in the definition's order. */
  components: readonly CompiledComponent[];
  /**
   * Whether the CRM's dates go as text (crmDateText): for SOAP and REST/JSON receptors; a database receptor is given
   * the Dates (its driver binds instants, as a timestamptz column needs).
   */
  datesAsText: boolean;
  writeBack: {
    /** sql_update compiled for the CRM's dialect; null when the integration writes nothing back. */
    statement: TemplateStatement | null;
    needs: readonly WriteBackVariable[];
  };
}

/** A loaded SET definition with its compiled form: the rows as loaded (ids and names for messages) and `compiled`. */
export interface CompiledSetDefinition extends SetDefinition {
  readonly compiled: CompiledSet;
}

/** How a dependencia row finds its value; throws PermanentError (or ConsultaError) for a row that cannot work. */
export function dependencyLookup(dep: Dependencia): DependencyLookup {
  const tipo = dep.tipo.trim().toLowerCase();
  if (['integracao', 'integração', 'integration'].includes(tipo)) return { kind: 'integracao' };
  if (!['consulta', 'sql', 'query', 'lookup'].includes(tipo))
    throw new PermanentError('DEPENDENCY_CONFIG', `dependencias #${dep.id}: unknown tipo "${dep.tipo}" (use consulta or integracao)`);
  if (!dep.consulta)
    throw new PermanentError('DEPENDENCY_CONFIG', `dependencias #${dep.id} (${dep.variavel}): tipo consulta without consulta`);
  return { kind: 'consulta', sql: consultaSql(dep.consulta) };
}

/** One dependencia judged once: how it finds its value, or the error its row gives (thrown when a push resolves it). */
export function compileDependencia(row: Dependencia): CompiledDependencia {
  return { row, lookup: compiledPart(() => dependencyLookup(row)) };
}

function compileMapping(part: Pick<SetDefinition, 'integracao' | 'campos' | 'dependencias' | 'regras'>): CompiledMapping {
  const { consulta } = part.integracao;
  return {
    consulta: consulta ? compiledPart(() => consultaSql(consulta)) : null,
    dependencias: part.dependencias.map(compileDependencia),
    campos: compiledPart(() => compileCampos(part.campos)),
    regras: compiledPart(() => compileRules(part.regras)),
  };
}

function referencedComponents(definition: SetDefinition): ComponentDefinition[] {
  if (definition.components.size === 0) return [];
  const text = definition.campos
    .map((c) => c.campo_crm)
    .join('\n')
    .toLowerCase();
  return [...definition.components.values()].filter((c) => text.includes(`#componente:${c.integracao.nome.toLowerCase()}#`));
}

function writeBackNeeds(integracao: SetDefinition['integracao']): WriteBackVariable[] {
  const text = integracao.sql_update ?? '';
  if (!text.trim()) return [];
  const returned = new Set([...(integracao.indice_valor_retorno ?? '').split(',').map((key) => key.trim()), ...ENGINE_VARIABLES]);
  return extractVariables(text)
    .map((name) => ({ name, head: name.split('.')[0] ?? name }))
    .filter((variable) => !returned.has(variable.head));
}

/**
 * Compiles a loaded definition once, where it is loaded (resolveSetTarget, kept a few seconds by cachedSetTargets):
 * consultas' SQL read from their JSON, dependencias judged, campos parsed, regras compiled, the components the campos
 * name picked, sql_update compiled for `dialect` and its variables judged. Pushes hand this down and compile nothing;
 * a changed configuration is picked up when the definition is loaded again.
 */
export function compileSetDefinition(
  definition: SetDefinition,
  dialect: DialectName,
  receptor: { kind: 'webservice' | 'api' | 'database' } = { kind: 'webservice' },
): CompiledSetDefinition {
  const { sql_update } = definition.integracao;
  const compiled: CompiledSet = {
    ...compileMapping(definition),
    components: referencedComponents(definition).map((component) => ({ definition: component, ...compileMapping(component) })),
    datesAsText: receptor.kind !== 'database',
    writeBack: {
      statement: sql_update?.trim() ? compileStatement(sql_update, dialect) : null,
      needs: writeBackNeeds(definition.integracao),
    },
  };
  return { ...definition, compiled };
}
