import type { CrmDatabase } from '@integrador/store';
import { insertGetIntegracao } from './get-rows';

export { insertGetIntegracao };

// Two empresas and a connections file that restricts one of its connections to one of them: the set-up of the lint
// and run-admission tests of the CLI and the ingress (the file's empresaId restriction).

type Db = CrmDatabase['db'];

/** An ERP database of the connections file (a PostgreSQL on loopback), which every empresa may use. */
const ERP_PG = {
  tipo: 'bd',
  driver: 'postgres',
  host: '127.0.0.1',
  port: 5432,
  database: 'erp',
  user: 'crm',
  allowPrivateNetwork: true,
} as const;

/** A connections file's document: `erp_pg` for every empresa, and `restricted` (the same database) for `owner` only. */
export function connectionsRestricting(restricted: string, owner: number) {
  return { connections: { erp_pg: ERP_PG, [restricted]: { ...ERP_PG, empresaId: owner } } };
}

/** A conexao_integracao row (BD) of the empresa naming the file's connection `nome`; answers its id. */
export async function insertBdConexao(db: Db, nome: string, empresaId: number): Promise<number> {
  const row = await db
    .insertInto('conexao_integracao')
    .values({ tipo_conexao: 'BD', nome_conexao: nome, empresa_id: empresaId })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** The ids of an empresa's rows that name connections it may not use. */
export interface ForeignConnectionRows {
  /** conexao_integracao naming `erp_pgg`, which the file does not have. */
  typo: number;
  /** conexao_integracao naming the connection the file restricts to another empresa. */
  foreign: number;
  /** The GET integracao on `foreign`. */
  getOnForeign: number;
}

/** Gives the empresa a misspelt connection row, a row naming `restricted` (another empresa's) and the GET `getNome` on it. */
export async function insertForeignConnectionRows(
  db: Db,
  empresaId: number,
  restricted: string,
  getNome: string,
): Promise<ForeignConnectionRows> {
  const typo = await insertBdConexao(db, 'erp_pgg', empresaId);
  const foreign = await insertBdConexao(db, restricted, empresaId);
  const getOnForeign = await insertGetIntegracao(db, getNome, empresaId, foreign);
  return { typo, foreign, getOnForeign };
}
