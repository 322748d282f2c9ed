/**
 * The SET engine's own CPU per push, without I/O: prepareSet (tenant scope, consulta statement, plan values, campos,
 * regras, the consulta's preview), reading the receptor's answer, the write-back values and the sql_update statement,
 * for seed 001's SET-WS-CONTAS and its 28-column conta. The configuration, the conta and the tenant tables come from a
 * throw-away PostgreSQL CRM (TEST_POSTGRES_URL); the timed pushes run on a Kysely whose driver answers every consulta
 * with that conta (no socket, no server), so what is measured is the engine and Kysely, nothing else.
 *
 *   npx tsx bench/set-engine.bench.ts [--pushes 5000] [--rounds 8] [--warmup 5000] [--engine DIR]
 *
 * Each round times `--pushes` pushes; the median over the rounds is reported. `--engine DIR` also runs another copy
 * of packages/integrador/src in the same process, its rounds alternating with this checkout's (A B B A …), for an
 * A/B comparison under the same load, e.g. a base commit's:
 * `git archive <commit> packages/integrador/src | tar -x -C node_modules/.cache/base-engine` (inside the checkout, so
 * its imports resolve; not under bench/, which the typecheck reads), then `--engine
 * node_modules/.cache/base-engine/packages/integrador/src`. One JSON line per engine.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import type * as Engine from '@integrador/integrador';
import type { Database, Tenant } from '@integrador/store';
import { type CompiledQuery, type DatabaseConnection, type Driver, Kysely, PostgresAdapter, PostgresQueryCompiler, sql } from 'kysely';
import { createBenchCrm } from './support/crm';

const { values: args } = parseArgs({
  options: {
    pushes: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '5000' },
    engine: { type: 'string' },
  },
});
const pushes = Number(args.pushes);
const warmup = Number(args.warmup);
const rounds = Number(args.rounds);

/** A driver that never leaves the process: every statement naming contas reads `row`, anything else reads nothing. */
function answeringDriver(row: Record<string, unknown>): Driver {
  const connection: DatabaseConnection = {
    executeQuery: async (query) => ({ rows: (query.sql.includes('contas') && !query.sql.startsWith('UPDATE') ? [row] : []) as never[] }),
    streamQuery: () => {
      throw new Error('not streamed');
    },
  };
  return {
    init: async () => {},
    acquireConnection: async () => connection,
    beginTransaction: async () => {},
    commitTransaction: async () => {},
    rollbackTransaction: async () => {},
    releaseConnection: async () => {},
    destroy: async () => {},
  };
}

interface Loaded {
  crm: { empresaId: number; contaId: number };
  definition: Engine.SetDefinition;
  row: Record<string, unknown>;
  tables: Awaited<ReturnType<Kysely<Database>['introspection']['getTables']>>;
}

/** The configuration, the conta and the tenant tables of a throw-away PostgreSQL CRM (dropped before timing). */
async function load(engine: typeof Engine): Promise<Loaded> {
  const crm = await createBenchCrm('postgres', 1);
  try {
    const { db } = crm.database;
    const tenant: Tenant = { empresaId: crm.empresaId, filialId: null, nome: '' };
    const definition = await engine.loadSetDefinition(db, tenant, crm.integracaoId);
    const contaId = crm.contaIds[0] ?? 0;
    const consulta = engine.parseConsulta(definition.integracao.consulta ?? '').sql.replace('#contaId#', String(contaId));
    const row = (await sql.raw<Record<string, unknown>>(consulta).execute(db)).rows[0] ?? {};
    return { crm: { empresaId: crm.empresaId, contaId }, definition, row, tables: await db.introspection.getTables() };
  } finally {
    await crm.database.drop();
  }
}

/** One push of an engine, as the worker runs it minus the I/O: prepareSet, the answer, the write-back statement. */
function pusherOf(engine: typeof Engine, loaded: Loaded): (index: number) => Promise<CompiledQuery<unknown>> {
  const { tables, row, crm } = loaded;
  const db = new Kysely<Database>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => answeringDriver(row),
      createIntrospector: () => ({ getSchemas: async () => [], getTables: async () => tables, getMetadata: async () => ({ tables }) }),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });
  // The base commit has no compile step: its prepareSet takes the rows as loaded and compiles sql_update per push.
  const compiles = typeof (engine as Partial<typeof Engine>).compileSetDefinition === 'function';
  const definition = compiles ? engine.compileSetDefinition(loaded.definition, 'postgres') : loaded.definition;
  const sqlUpdate = loaded.definition.integracao.sql_update ?? '';
  const statement = compiles ? (definition as Engine.CompiledSetDefinition).compiled.writeBack.statement : null;
  const writeBackStatement = (values: Record<string, unknown>): CompiledQuery<unknown> =>
    statement ? engine.bindStatement(statement, values) : engine.toRawSql(sqlUpdate, values, { dialect: 'postgres' }).compile(db);
  const answer = { tipoRetorno: 1, mensagemRetorno: 'Processado com sucesso.', erroExecucao: '', retornosClientes: [] as unknown[] };
  const runTenant = { empresaId: crm.empresaId, filialId: null };
  return async (index) => {
    const prepared = await engine.prepareSet({
      db,
      dialect: 'postgres',
      empresaId: crm.empresaId,
      definition: definition as Engine.CompiledSetDefinition,
      parametros: { contaId: String(crm.contaId) },
    });
    const record = prepared.records[0];
    if (!record) throw new Error('no record');
    answer.retornosClientes = [{ codCli: 5000 + index, retorno: 'OK', cgcCpf: record.values.cnpj }];
    const reading = engine.readReturn(answer, loaded.definition.integracao);
    return writeBackStatement(engine.bindEngineValues(engine.writeBackValues(record.values, reading), runTenant));
  };
}

/** CPU and wall time of `pushes` pushes, in µs per push. */
async function timed(push: (index: number) => Promise<unknown>, pushes: number) {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < pushes; i++) await push(i);
  const wall = Number(process.hrtime.bigint() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { cpu: (used.user + used.system) / pushes, wall: wall / pushes };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return Number((sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2).toFixed(1));
};

async function main() {
  const engines: [string, typeof Engine][] = [['this checkout', (await import('@integrador/integrador')) as typeof Engine]];
  if (args.engine) engines.push([args.engine, (await import(path.resolve(args.engine, 'index.ts'))) as typeof Engine]);
  const [, own] = engines[0] as [string, typeof Engine];
  const loaded = await load(own);
  const pushers = engines.map(([name, engine]) => ({ name, push: pusherOf(engine, loaded), cpu: [] as number[], wall: [] as number[] }));
  for (const pusher of pushers) await timed(pusher.push, warmup);
  // Rounds alternate the engines (A B B A …) so that a change in the machine's load falls on both alike.
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? pushers : [...pushers].reverse();
    for (const pusher of order) {
      const { cpu, wall } = await timed(pusher.push, pushes);
      pusher.cpu.push(cpu);
      pusher.wall.push(wall);
    }
  }
  for (const pusher of pushers) {
    const last = await pusher.push(0);
    console.log(
      JSON.stringify({
        engine: pusher.name,
        rounds,
        pushesPerRound: pushes,
        cpuMicrosPerPush: { median: median(pusher.cpu), rounds: pusher.cpu.map((v) => Number(v.toFixed(1))) },
        wallMicrosPerPush: median(pusher.wall),
        writeBack: { sql: last.sql, parameters: last.parameters },
      }),
    );
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
