/**
 * What one run admission costs the CRM database, counted in statements (not timed): admitRun for seed 001's
 * SET-WS-CONTAS, a GET, a SET whose flow runs a GET first, as the run API admits them (with the connections file) and
 * as a worker does (without it, parameters not checked); then a worker's stream of jobs of one integration through
 * cachedAdmission (ADMISSION_CACHE_TTL_MS). Each statement is listed by its first words and the table it names.
 *
 *   npx tsx bench/admission-queries.ts [--engine DIR]
 *
 * Needs PostgreSQL (TEST_POSTGRES_URL, a throw-away database). `--engine DIR` counts another copy of
 * packages/integrador/src too, e.g. a base commit's: `git archive <commit> packages/integrador/src | tar -x -C
 * node_modules/.cache/base-engine`, then `--engine node_modules/.cache/base-engine/packages/integrador/src`
 * (as set-engine.bench.ts). One JSON line per engine and case.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseConnections } from '@integrador/connections';
import type * as Engine from '@integrador/integrador';
import { capturedStatements } from '@integrador/test-support/statements';
import { seniorG5ConnectionsYaml } from '../test/fixtures/senior-g5';
import { CONTA, SET_WS_CONTAS } from '../test/fixtures/set-ws-contas';
import { createBenchCrm } from './support/crm';

const { values: args } = parseArgs({ options: { engine: { type: 'string' }, jobs: { type: 'string', default: '100' } } });
const jobs = Number(args.jobs);

/** `SELECT … FROM "campos_integracao" …` → `select campos_integracao`; a catalog read names its catalog. */
function statementLabel(text: string): string {
  const verb = text.trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  const table = /\bfrom\s+"?([\w.]+)"?/i.exec(text)?.[1] ?? '?';
  return `${verb} ${table}`;
}

async function main() {
  const engines: [string, typeof Engine][] = [['this checkout', (await import('@integrador/integrador')) as typeof Engine]];
  if (args.engine) engines.push([args.engine, (await import(path.resolve(args.engine, 'index.ts'))) as typeof Engine]);
  const crm = await createBenchCrm('postgres', 1);
  try {
    const { db } = crm.database;
    const empresaId = crm.empresaId;
    const tenant = { empresaId, filialId: null };
    const { id: conexao } = await db
      .insertInto('conexao_integracao')
      .values({ tipo_conexao: 'BD', nome_conexao: 'erp_bd', empresa_id: empresaId })
      .returning('id')
      .executeTakeFirstOrThrow();
    const get = { tipo_servico: 'GET', empresa_id: empresaId, ativo: 1, ordem: 0, conexao_integracao_id: conexao, tabela: 'contas' };
    const { id: getId } = await db
      .insertInto('integracao')
      .values({ ...get, nome: 'GET-BD-CLIENTES', sql_consulta: 'SELECT CODCLI AS id_erp, NOMCLI AS nome FROM E085CLI' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const { id: flowId } = await db
      .insertInto('integracao')
      .values({ ...SET_WS_CONTAS, id: 24, nome: 'SET-DEPOIS-DO-GET', empresa_id: empresaId, ativo: 1, ordem: 1, dependente: getId })
      .returning('id')
      .executeTakeFirstOrThrow();
    const connections = parseConnections(
      `${seniorG5ConnectionsYaml('http://127.0.0.1:9')}\n  erp_bd:\n    tipo: database\n    driver: postgres\n    url: postgres://erp@127.0.0.1:5432/erp\n`,
      'yaml',
      { SENIOR_PASSWORD: 'p' },
      'bench',
    );
    const parametros = { contaId: String(CONTA.id) };
    const cases: [string, Record<string, unknown>][] = [
      ['SET-WS-CONTAS, run API', { integracaoId: SET_WS_CONTAS.id, parametros, connections }],
      ['SET-WS-CONTAS, worker', { integracaoId: SET_WS_CONTAS.id, parametros, checkParameters: false }],
      ['GET, run API', { integracaoId: getId, parametros: {}, connections }],
      ['GET, worker', { integracaoId: getId, parametros: {}, checkParameters: false }],
      ['SET after a GET (flow of 2), run API', { integracaoId: flowId, parametros, connections }],
    ];
    for (const [name, engine] of engines) {
      for (const [label, request] of cases) {
        const statements = await capturedStatements(db, (logged) =>
          engine.admitRun(logged, { tenant, ...request } as Parameters<typeof engine.admitRun>[1]),
        );
        console.log(
          JSON.stringify({ engine: name, case: label, statements: statements.length, each: statements.map((s) => statementLabel(s.sql)) }),
        );
      }
      // A worker's stream: `jobs` jobs of SET-WS-CONTAS within the cache's TTL read the database once.
      const streamed = await capturedStatements(db, async (logged) => {
        const admit = engine.cachedAdmission(logged, { ttlMs: 60_000 });
        for (let i = 0; i < jobs; i++) await admit({ tenant, integracaoId: SET_WS_CONTAS.id, parametros, checkParameters: false });
      });
      console.log(
        JSON.stringify({ engine: name, case: `worker, ${jobs} jobs of SET-WS-CONTAS (cachedAdmission)`, statements: streamed.length }),
      );
    }
  } finally {
    await crm.database.drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
