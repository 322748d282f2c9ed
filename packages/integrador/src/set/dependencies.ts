import type { Database, Dependencia, DialectName } from '@integrador/store';
import type { Kysely } from 'kysely';
import type { CrmScope } from '../runs/tenant-scope';
import { planValues } from '../set-plan';
import type { CompiledDependencia } from './compile-set';
import { runConsulta } from './consulta-rows';
import { PermanentError } from './permanent-error';
import { type UpstreamValues, upstreamValueOf } from './upstream-values';

async function lookup(
  db: Kysely<Database>,
  dialect: DialectName,
  sqlText: string,
  dep: Dependencia,
  values: Readonly<Record<string, unknown>>,
  scope: CrmScope,
) {
  const [row] = await runConsulta(db, dialect, sqlText, values, scope);
  if (!row) return undefined;
  return dep.indice_valor ? row[dep.indice_valor] : Object.values(row)[0];
}

async function fromIntegration(db: Kysely<Database>, empresaId: number, dep: Dependencia, upstream: UpstreamValues | undefined) {
  if (dep.integracao_origem_id === null) {
    throw new PermanentError(
      'DEPENDENCY_CONFIG',
      `dependencias #${dep.id} (${dep.variavel}): tipo integracao without integracao_origem_id`,
    );
  }
  // The origin ran earlier in this flow: its value of this run wins over any older result.
  const inFlow = upstreamValueOf(upstream, dep.integracao_origem_id, dep.indice_valor ?? dep.variavel);
  if (inFlow.found) return inFlow.value;
  const last = await db
    .selectFrom('integracao_execucoes')
    .select('valores')
    .where('empresa_id', '=', empresaId)
    .where('integracao_id', '=', dep.integracao_origem_id)
    .where('status', '=', 'concluido')
    .orderBy('id', 'desc')
    .executeTakeFirst();
  if (!last?.valores) return undefined;
  const valores = JSON.parse(last.valores) as Record<string, unknown>;
  return valores[dep.indice_valor ?? dep.variavel];
}

/**
 * Resolves the #variavel# of every dependencia (compiled with the definition, compile-set.ts) before the request is built (seed 001's loop
 * campos_integracao → dependencias → regras). A required one without a value fails permanently.
 * tipo integracao reads `indice_valor` from the origin's result in this dependency flow (`upstream`) when the origin
 * ran in it, else from the origin's last completed result (integracao_execucoes).
 */
export async function resolveDependencias(
  db: Kysely<Database>,
  dialect: DialectName,
  scope: CrmScope,
  dependencias: readonly CompiledDependencia[],
  values: Readonly<Record<string, unknown>>,
  upstream?: UpstreamValues,
): Promise<Record<string, unknown>> {
  const resolved: Record<string, unknown> = {};
  for (const { row: dep, lookup: compiled } of dependencias) {
    const how = compiled();
    const kind = how.kind;
    const value =
      how.kind === 'consulta'
        ? await lookup(db, dialect, how.sql, dep, planValues(values, {}, resolved), scope)
        : await fromIntegration(db, scope.tenant.empresaId, dep, upstream);
    if ((value === undefined || value === null || value === '') && Number(dep.obrigatoria) === 1) {
      throw new PermanentError(
        'DEPENDENCY_UNRESOLVED',
        `dependencias #${dep.id}: required #${dep.variavel}# has no value (${kind === 'consulta' ? 'the lookup found no row' : `integracao #${dep.integracao_origem_id} has no completed result yet`})`,
        { params: { variavel: `#${dep.variavel}#`, dependenciaId: dep.id } },
      );
    }
    resolved[dep.variavel] = value ?? null;
  }
  return resolved;
}
