import type { CampoIntegracao, ConexaoIntegracao, Database, Dependencia, Integracao, Regra, Tenant } from '@integrador/store';
import { findIntegracao } from '@integrador/store';
import type { Kysely } from 'kysely';
import { runnability } from '../runs/runnability';
import { PermanentError } from './permanent-error';

/** An integration with everything needed to build its request: fields, dependencies, rules, connection, components. */
export interface SetDefinition {
  integracao: Integracao;
  campos: CampoIntegracao[];
  dependencias: Dependencia[];
  regras: Regra[];
  conexao: ConexaoIntegracao | undefined;
  /** Component integrations (link = 'componente') of the same empresa, by nome. */
  components: Map<string, ComponentDefinition>;
}

export interface ComponentDefinition {
  integracao: Integracao;
  campos: CampoIntegracao[];
  dependencias: Dependencia[];
  regras: Regra[];
}

async function partsOf(db: Kysely<Database>, integracaoId: number) {
  const [campos, dependencias, regras] = await Promise.all([
    db.selectFrom('campos_integracao').selectAll().where('integracao_id', '=', integracaoId).orderBy('ordem').orderBy('id').execute(),
    db.selectFrom('dependencias').selectAll().where('integracao_id', '=', integracaoId).orderBy('id').execute(),
    db.selectFrom('regras').selectAll().where('integracao_id', '=', integracaoId).orderBy('ordem').orderBy('id').execute(),
  ]);
  return { campos, dependencias, regras };
}

/** Loads one integration of the tenant (PermanentError when it does not exist for this tenant). */
export async function loadSetDefinition(db: Kysely<Database>, tenant: Tenant, integracaoId: number): Promise<SetDefinition> {
  const integracao = await findIntegracao(db, tenant, integracaoId);
  if (!integracao)
    throw new PermanentError('INTEGRATION_NOT_FOUND', `integracao #${integracaoId} does not exist for empresa ${tenant.empresaId}`);
  const conexao =
    integracao.conexao_integracao_id === null
      ? undefined
      : await db.selectFrom('conexao_integracao').selectAll().where('id', '=', integracao.conexao_integracao_id).executeTakeFirst();
  // Components are read as every other check reads these columns (trimmed, any case): runnability, the one reading.
  const componentRows = (await db.selectFrom('integracao').selectAll().where('empresa_id', '=', tenant.empresaId).execute()).filter(
    (row) => runnability(row).componente && runnability(row).active,
  );
  const components = new Map<string, ComponentDefinition>();
  for (const row of componentRows) components.set(row.nome, { integracao: row, ...(await partsOf(db, row.id)) });
  return { integracao, conexao, components, ...(await partsOf(db, integracao.id)) };
}
