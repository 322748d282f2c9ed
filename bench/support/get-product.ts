import fs from 'node:fs';
import path from 'node:path';
import { parseConnections } from '@integrador/connections';
import { admitRun, buildSourceQuery, createSourceReaderFactory, DEFAULT_CHUNK_SIZE, getDefinitionOf } from '@integrador/integrador';
import type { GetRunResult } from '@integrador/jobs';
import { enqueueGetRun, type JobProducer } from '@integrador/queue';
import { createEmpresa } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { type AppProcess, buildApps, spawnCompiledApp } from '@integrador/test-support/processes';
import { CURSOR_COLUMN, type ErpSource, sqlConsulta } from './erp-customers';
import { cpuMs, rssMb } from './proc';

// The product side of the GET benchmark: a CRM (PostgreSQL) with one GET integration reading the ERP's clientes
// into contas, an unchanged worker-get process, and runs enqueued exactly as the API enqueues them.

/** The CRM of one source's product runs. */
export interface GetBenchCrm {
  database: TestDatabase;
  empresaId: number;
  integracaoId: number;
}

/** Creates the CRM database (PostgreSQL, MariaDB, or an embedded SQLite file), its empresa, the conexao_integracao row and the GET integration (incremental by data_alteracao). */
export async function createGetBenchCrm(
  source: ErpSource,
  chunkSize: number | null,
  dialect: 'postgres' | 'sqlite' | 'mysql',
): Promise<GetBenchCrm> {
  const database = await createTestDatabase(dialect);
  const empresaId = await createEmpresa(database.db, 'Empresa Bench GET');
  // No RETURNING (MariaDB has none): each row is read back by what identifies it.
  await database.db
    .insertInto('conexao_integracao')
    .values({ tipo_conexao: 'BD', nome_conexao: connectionName(source), empresa_id: empresaId })
    .execute();
  const conexao = await database.db
    .selectFrom('conexao_integracao')
    .select('id')
    .where('empresa_id', '=', empresaId)
    .where('nome_conexao', '=', connectionName(source))
    .executeTakeFirstOrThrow();
  const nome = `GET-CLIENTES-${source.kind.toUpperCase()}`;
  await database.db
    .insertInto('integracao')
    .values({
      nome,
      tipo_servico: 'GET',
      empresa_id: empresaId,
      empresa_filial_id: null,
      conexao_integracao_id: conexao.id,
      tabela: 'contas',
      sql_consulta: sqlConsulta(),
      chave: 'id_erp',
      campo_cursor: CURSOR_COLUMN,
      modo: 'incremental',
      tamanho_lote: chunkSize,
      ativo: 1,
    })
    .execute();
  const integracao = await database.db
    .selectFrom('integracao')
    .select('id')
    .where('empresa_id', '=', empresaId)
    .where('nome', '=', nome)
    .executeTakeFirstOrThrow();
  return { database, empresaId, integracaoId: integracao.id };
}

/** The connection's name in the connections file (conexao_integracao.nome_conexao). */
export function connectionName(source: ErpSource): string {
  return `erp_${source.kind}`;
}

/** A connections file with the source database (loopback, so allowPrivateNetwork). */
export function writeSourceConnections(dir: string, source: ErpSource): string {
  const url = new URL(source.url);
  const file = path.join(dir, `connections-${source.kind}.json`);
  const entry = {
    tipo: 'database',
    driver: source.kind,
    host: url.hostname,
    port: Number(url.port || (source.kind === 'postgres' ? 5432 : 3306)),
    database: url.pathname.slice(1),
    user: decodeURIComponent(url.username),
    allowPrivateNetwork: true,
  };
  fs.writeFileSync(file, JSON.stringify({ connections: { [connectionName(source)]: entry } }, null, 2));
  return file;
}

export interface GetWorkerEnv {
  redisUrl: string;
  prefix: string;
  databaseUrl: string;
  connectionsFile: string;
  nodeFlags?: readonly string[];
}

/**
 * Spawns worker-get as the fleet does under `npm start` (the compiled app, built first if a source is newer);
 * schedules reconcile once an hour only (the bench schedules nothing).
 */
export function startGetWorker(env: GetWorkerEnv): AppProcess {
  buildApps();
  return spawnCompiledApp(
    'worker-get',
    {
      REDIS_URL: env.redisUrl,
      KEY_PREFIX: env.prefix,
      CRM_DATABASE_URL: env.databaseUrl,
      CONNECTIONS_FILE: env.connectionsFile,
      WORKER_CONCURRENCY: '2',
      SCHEDULE_SYNC_INTERVAL_MS: '3600000',
      // info: 'worker started' and one line per run (the engine logs no line per row or chunk).
      LOG_LEVEL: 'info',
    },
    [],
    env.nodeFlags,
  );
}

/**
 * The product's source reader alone (what worker-get opens for the connection), streaming the initial load's query
 * in the engine's chunk size and discarding the rows: how much of a run is reading the ERP.
 */
export async function readOnlyRowsPerSecond(
  connectionsFile: string,
  source: ErpSource,
  crm: GetBenchCrm,
  chunkSize = DEFAULT_CHUNK_SIZE,
): Promise<number> {
  const registry = parseConnections(fs.readFileSync(connectionsFile, 'utf8'), 'json', {}, connectionsFile);
  const tenant = { empresaId: crm.empresaId, filialId: null, nome: '' };
  const admitted = await admitRun(crm.database.db, { tenant, integracaoId: crm.integracaoId, parametros: {}, checkParameters: false });
  const definition = getDefinitionOf(admitted);
  const readers = createSourceReaderFactory();
  try {
    return await readers.withReader(registry.require(connectionName(source), crm.empresaId), async (reader) => {
      const query = buildSourceQuery(definition.settings, reader.driver, {}, null);
      const started = performance.now();
      let rows = 0;
      for await (const chunk of reader.stream(query, { chunkSize })) rows += chunk.length;
      return (rows * 1000) / (performance.now() - started);
    });
  } finally {
    await readers.close();
  }
}

/** What one timed run measured. */
export interface RunReport {
  jobId: string;
  result: GetRunResult;
  /** Enqueue → the job's finishedOn (what a caller waits). */
  elapsedMs: number;
  /** The job's processedOn → finishedOn (the engine's own time). */
  processingMs: number;
  rowsPerSecond: number;
  workerRssMb: { start: number; peak: number; end: number; samples: number };
  workerCpuMs: number;
  /** Where the wait before processing went: the enqueue call, then the job in Redis until a worker took it. */
  timeline: {
    /** enqueueGetRun's own time (validation, fairness read, the add). */
    enqueueMs: number;
    /** The job's timestamp (added) → processedOn (its latest start). */
    queuedMs: number;
    /** Starts of the job: more than 1 means it was delayed (moveToDelayed) or stalled and started again. */
    attemptsStarted: number;
    stalledCounter: number;
  };
  /** The worker's log lines (info and above) during the run, apart from its one 'get pulled' line. */
  workerLog: { msg: string; [field: string]: unknown }[];
}

/** What a worker log line says, without its pino boilerplate. */
function logEntry(line: Record<string, unknown>): { msg: string; [field: string]: unknown } {
  const { level: _level, time, pid: _pid, hostname: _hostname, name: _name, msg, ...rest } = line;
  return { msg: String(msg), at: time, ...rest };
}

/**
 * Enqueues one run through enqueueGetRun (as POST /v1/integrations/:id/run does), samples the worker's RSS every
 * `sampleMs` until the job settles, and returns its result; a failed job throws with its reason.
 */
export async function timedRun(producer: JobProducer, crm: GetBenchCrm, worker: AppProcess, sampleMs = 100): Promise<RunReport> {
  const pid = worker.child.pid ?? 0;
  const rss: number[] = [];
  const cpuStart = cpuMs(pid) ?? 0;
  const logFrom = worker.lines.length;
  const started = Date.now();
  const { job } = await enqueueGetRun(producer, {
    tenant: { empresaId: crm.empresaId, filialId: null },
    integracaoId: crm.integracaoId,
    parametros: {},
    trigger: 'api',
  });
  const enqueueMs = Date.now() - started;
  const jobId = String(job.id);
  for (;;) {
    const sample = rssMb(pid);
    if (sample === null) throw new Error(`worker-get (pid ${pid}) exited during the run: ${worker.stderr.join('').slice(-2000)}`);
    rss.push(sample);
    const read = await producer.getJob('get', jobId);
    const state = await read?.getState();
    // The job may have finished between the two reads: read it again so its result is there.
    const current = state === 'completed' || state === 'failed' ? ((await producer.getJob('get', jobId)) ?? read) : read;
    if (current && state === 'completed') {
      const result = current.returnvalue as GetRunResult;
      const finishedOn = current.finishedOn ?? Date.now();
      const elapsedMs = finishedOn - started;
      return {
        jobId,
        result,
        elapsedMs,
        processingMs: finishedOn - (current.processedOn ?? started),
        rowsPerSecond: (result.rowsWritten * 1000) / elapsedMs,
        workerRssMb: { start: rss[0] ?? 0, peak: Math.max(...rss), end: rss[rss.length - 1] ?? 0, samples: rss.length },
        workerCpuMs: (cpuMs(pid) ?? cpuStart) - cpuStart,
        timeline: {
          enqueueMs,
          queuedMs: (current.processedOn ?? finishedOn) - current.timestamp,
          attemptsStarted: current.attemptsStarted,
          stalledCounter: current.stalledCounter,
        },
        workerLog: worker.lines
          .slice(logFrom)
          .filter((line) => Number(line.level) >= 30 && line.msg !== 'get pulled')
          .map(logEntry),
      };
    }
    if (current && state === 'failed') throw new Error(`GET run ${jobId} failed: ${current.failedReason}`);
    await new Promise((r) => setTimeout(r, sampleMs));
  }
}
