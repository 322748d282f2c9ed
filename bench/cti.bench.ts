/**
 * CTI benchmark (not a test): (1) WConnect listener requests/s accepted with a durable enqueue vs a bare Fastify +
 * BullMQ queue.add handler, in the same run; (2) listener GET → SSE "caller" pop latency (p50/p99) at a fixed call
 * rate over phone-indexed contas, with worker-cti in its own process. Goals (issue): ≥ 0.8× the baseline; p99 ≤ 50 ms.
 *
 *   npx tsx bench/cti.bench.ts [--requests 5000] [--concurrency 32] [--contas 10000] [--rate 200] [--seconds 10]
 *                              [--redis-url private] [--statistics analyze|none] [--history 20000] [--warmup 1] [--cpu-prof]
 *                              [--rounds 2] [--skip-latency]
 */
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { emptyConnections } from '@integrador/connections';
import { catchUpPhoneIndex, saveCtiSettings } from '@integrador/cti';
import { createLogger } from '@integrador/logging';
import { createRedis, JobProducer, waitUntilReady } from '@integrador/queue';
import { createDatabase, createEmpresa, issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { ROOT } from '@integrador/test-support/processes';
import { deletePrefix, startPrivateRedis, TEST_REDIS_URL, testPrefix } from '@integrador/test-support/redis-server';
import { Queue } from 'bullmq';
import Fastify from 'fastify';
import type { Redis } from 'ioredis';
import { sql } from 'kysely';
import { buildApp } from '../apps/ingress/src/build-app';
import { startBenchRun } from './support/bench-run';
import type { CallsResult } from './support/cti-load';
import { startLoadProcess } from './support/load-process';
import { crmServerCpu, crmStatements, statementsPerPush } from './support/pg-statements';
import { cpuMs, machineCpu } from './support/proc';
import { commandStats, commandsPer } from './support/redis-commands';
import { spawnNode } from './support/spawn';
import { round } from './support/stats';

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '32' },
    contas: { type: 'string', default: '10000' },
    rate: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '10' },
    'redis-url': { type: 'string', default: TEST_REDIS_URL },
    statistics: { type: 'string', default: 'analyze' },
    history: { type: 'string', default: '20000' },
    warmup: { type: 'string', default: '1' },
    'cpu-prof': { type: 'boolean', default: false },
    rounds: { type: 'string', default: '2' },
    'skip-latency': { type: 'boolean', default: false },
  },
});
const REQUESTS = Number(args.requests);
const CONCURRENCY = Number(args.concurrency);
const CONTAS = Number(args.contas);
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const RAMAIS = 20;
const HISTORY = Number(args.history);
const WARMUP = Number(args.warmup);
const ROUNDS = Number(args.rounds);
let redisUrl = args['redis-url'];
const logger = createLogger({ name: 'bench', level: 'silent' });

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
};
const phoneOf = (i: number) => `11${String(900000000 + i)}`;

const spread = (values: number[]) => ({ p50: round(percentile(values, 50)), p99: round(percentile(values, 99)) });

/**
 * Where a caller pop's time went, from the retained cti jobs' own timestamps: GET sent → job added (the listener's
 * durable enqueue), added → pop received (the listener's lookup, publish, pub/sub, SSE write), and added → taken by
 * worker-cti (the call log's queue wait; off the pop's path unless the listener could not pop).
 */
async function popBreakdown(queue: Queue, empresaId: number, marks: Map<string, { sent: number; popped: number }>) {
  const enqueue: number[] = [];
  const pop: number[] = [];
  const queued: number[] = [];
  for (const job of await queue.getJobs(['completed'], 0, -1)) {
    const mark = marks.get(String(job.id).slice(`cti-${empresaId}-`.length));
    if (!mark || job.processedOn === undefined) continue;
    enqueue.push(job.timestamp - mark.sent);
    pop.push(mark.popped - job.timestamp);
    queued.push(job.processedOn - job.timestamp);
  }
  return { jobs: enqueue.length, sentToAddedMs: spread(enqueue), addedToPopMs: spread(pop), addedToWorkerMs: spread(queued) };
}

/** CPU (user + system, ms) the Redis server has used so far, from its own INFO: this server only, whoever else runs. */
async function redisCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const value = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? 0);
  return (value('used_cpu_user') + value('used_cpu_sys')) * 1000;
}

/**
 * Starts counting the latency part's cost: CPU by process (worker-cti, this process — the ingress —, the load process —
 * generator and SSE clients —, the CRM's PostgreSQL server, the Redis server), the machine's busy share, CRM statements
 * (pg_stat_statements, when the server loads it) and Redis commands. The returned function gives them per call.
 */
async function startCostCount(db: TestDatabase['db'], redis: Redis, workerPid: number, loadPid: number) {
  const bench = process.cpuUsage();
  const worker = cpuMs(workerPid) ?? 0;
  const load = cpuMs(loadPid) ?? 0;
  const crm = await crmServerCpu(db);
  const redisCpu = await redisCpuMs(redis);
  const machine = machineCpu();
  const statements = await crmStatements(db);
  const commands = await commandStats(redis);
  const started = performance.now();
  return async (calls: number) => {
    const seconds = (performance.now() - started) / 1000;
    const benchUsage = process.cpuUsage(bench);
    const per = (ms: number) => round(ms / calls, 2);
    const after = statements ? await crmStatements(db) : null;
    return {
      seconds: round(seconds, 1),
      machineCpuBusy: round(machine(), 2),
      cpuMsPerCall: {
        workerCti: per((cpuMs(workerPid) ?? worker) - worker),
        ingressProcess: per((benchUsage.user + benchUsage.system) / 1000),
        loadGenerator: per((cpuMs(loadPid) ?? load) - load),
        crmPostgres: crm ? per(crm()) : null,
        redis: per((await redisCpuMs(redis)) - redisCpu),
      },
      crmStatementsPerCall: statements && after ? statementsPerPush(statements, after, calls) : null,
      redisCommandsPerCall: commandsPer(commands, await commandStats(redis), calls, 0.05),
    };
  };
}

async function main(): Promise<void> {
  const run = startBenchRun();
  const database = await createTestDatabase('postgres');
  run.cleanups.push({ name: 'database', run: () => database.drop() });
  if (redisUrl === 'private') {
    // A redis-server of its own: its commands and CPU are this run's only.
    const server = await startPrivateRedis();
    run.cleanups.push({ name: 'private redis', run: () => server.stop('SIGTERM') });
    redisUrl = server.url;
  }
  const prefix = testPrefix();
  const url = redisUrl;
  run.cleanups.push({ name: 'redis keys', run: () => deletePrefix(url, prefix) });
  const redis = createRedis(redisUrl, { role: 'producer' });
  await waitUntilReady(redis);
  run.cleanups.push({ name: 'redis', run: () => redis.disconnect() });
  const empresaId = await createEmpresa(database.db, 'Bench');
  const key = await issueApiKey(database.db, empresaId, null, 'bench');
  await saveCtiSettings(database.db, empresaId, { hostLabel: 'bench', allowAnyOrigin: true });

  // --- 1. Listener throughput vs bare Fastify + queue.add ---
  const producer = new JobProducer({ connection: redis, prefix, timeoutMs: 5000, logger });
  run.cleanups.push({ name: 'producer', run: () => producer.close() });
  // The ingress with its deployed pool (createDatabase's default), not the test helper's 4 connections: it looks the
  // caller up for every call start.
  // CRM_PREPARED_STATEMENTS=1 (the default): the ingress names the statements it admits (the caller lookup).
  const ingressDatabase = createDatabase(database.url, { prepareHotStatements: 'admitted' });
  run.cleanups.push({ name: 'ingress database', run: () => ingressDatabase.destroy() });
  const app = await buildApp({
    database: ingressDatabase,
    redis,
    producer,
    connections: emptyConnections(),
    logger,
    keyPrefix: prefix,
    checkTimeoutMs: 5000,
    cti: { domain: 'bench.test', trustedProxies: [], dedupeWindowMs: 3000, callTimeoutMs: 3600000, popTokenTtlMs: 600000 },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  run.cleanups.push({ name: 'ingress', run: () => app.close() });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

  const bareQueue = new Queue('bare', { connection: redis, prefix });
  const bare = Fastify();
  bare.get('/wconnect/:file', async (request, reply) => {
    const q = request.query as Record<string, string>;
    await bareQueue.add('event', { ramal: q.ramal, telefone: q.telefone, at: new Date().toISOString() }, { removeOnComplete: true });
    return reply.type('text/plain').send('OK');
  });
  await bare.listen({ host: '127.0.0.1', port: 0 });
  run.cleanups.push({
    name: 'bare',
    run: async () => {
      await bare.close();
      await bareQueue.close();
    },
  });
  const bareBase = `http://127.0.0.1:${(bare.server.address() as AddressInfo).port}`;
  // Distinct numbers in every round too: the dedupe key is the number's DDD + last 8 digits, which a prefix does not
  // change (before 2026-12-05 afternoon each round put its number before the same numbers, so a round that came within
  // CTI_DEDUPE_WINDOW_MS of the previous one was partly answered as repeats: no job added).
  const requestPath = (i: number, round: number) =>
    `/wconnect/WConnect_WSDL_FinalizaLigacao.php?ramal=${7000 + (i % 500)}&telefone=${phoneOf((round - 1) * REQUESTS + i)}`;

  const loader = startLoadProcess();
  run.cleanups.push({
    name: 'load process',
    run: async () => {
      await loader.ask({ kind: 'close' }).catch(() => undefined);
      loader.child.kill('SIGTERM');
    },
  });
  const paths = (r: number) => Array.from({ length: REQUESTS }, (_, i) => requestPath(i, r));
  run.log(`throughput: ${REQUESTS} requests, ${CONCURRENCY} in flight, each side ${ROUNDS} times (alternating)`);
  // Besides requests/s, what each side cost this process (the ingress and the bare route share it) and Redis per
  // request: steadier than requests/s on a shared machine. Redis commands count every client of that server (exact
  // only with --redis-url private).
  const side = async (target: string, host: string | undefined, r: number) => {
    const cpu = process.cpuUsage();
    const commands = await commandStats(redis);
    const rate = await loader.ask<number>({
      kind: 'throughput',
      base: target,
      ...(host ? { host } : {}),
      paths: paths(r),
      concurrency: CONCURRENCY,
    });
    const used = process.cpuUsage(cpu);
    return {
      rate: round(rate),
      cpuMsPerRequest: round((used.user + used.system) / 1000 / REQUESTS, 3),
      redisCommandsPerRequest: round(commandsPer(commands, await commandStats(redis), REQUESTS, 0).total, 2),
    };
  };
  const rounds: {
    listener: number;
    bare: number;
    listenerCpuMsPerRequest: number;
    bareCpuMsPerRequest: number;
    listenerRedisCommands: number;
    bareRedisCommands: number;
    load: number;
  }[] = [];
  for (let r = 1; r <= ROUNDS; r++) {
    const load = round(os.loadavg()[0] ?? 0, 2);
    const bareSide = await side(bareBase, undefined, r);
    const listenerSide = await side(base, 'bench.bench.test', r);
    rounds.push({
      listener: listenerSide.rate,
      bare: bareSide.rate,
      listenerCpuMsPerRequest: listenerSide.cpuMsPerRequest,
      bareCpuMsPerRequest: bareSide.cpuMsPerRequest,
      listenerRedisCommands: listenerSide.redisCommandsPerRequest,
      bareRedisCommands: bareSide.redisCommandsPerRequest,
      load,
    });
    run.log(
      `round ${r} (load ${load}): listener ${listenerSide.rate}/s ${listenerSide.cpuMsPerRequest} ms CPU/request, bare ${bareSide.rate}/s ${bareSide.cpuMsPerRequest} ms CPU/request`,
    );
  }
  const best = { listener: Math.max(...rounds.map((r) => r.listener)), bare: Math.max(...rounds.map((r) => r.bare)) };
  const median = (values: number[]) => round(percentile(values, 50), 3);
  const throughput = {
    rounds,
    bestListenerPerSecond: best.listener,
    bestBarePerSecond: best.bare,
    ratio: round(best.listener / best.bare, 2),
    goal: 0.8,
    // The median round's CPU per request of each side (the first round includes the JIT's warm-up).
    cpuMsPerRequest: {
      listener: median(rounds.map((r) => r.listenerCpuMsPerRequest)),
      bare: median(rounds.map((r) => r.bareCpuMsPerRequest)),
    },
  };
  if (args['skip-latency']) {
    process.stdout.write(`${JSON.stringify({ throughput }, null, 2)}\n`);
    await run.cleanUp();
    process.exit(0);
  }
  // Drop the throughput jobs so the latency part's worker starts on an empty queue.
  await producer.queue('cti').obliterate({ force: true });

  // --- 2. Listener → SSE caller pop latency at a fixed rate over indexed contas ---
  run.log(`latency: ${CONTAS} contas, ${RATE} calls/s for ${SECONDS} s over ${RAMAIS} ramais`);
  for (let i = 0; i < CONTAS; i += 1000) {
    const rows = Array.from({ length: Math.min(1000, CONTAS - i) }, (_, k) => ({
      empresa_id: empresaId,
      nome: `Conta ${i + k}`,
      celular: phoneOf(i + k),
    }));
    await database.db.insertInto('contas').values(rows).execute();
  }
  await catchUpPhoneIndex(database.db);
  // The agents: pop tokens are issued for an active usuario's ramal only.
  await database.db
    .insertInto('usuarios')
    .values(Array.from({ length: RAMAIS }, (_, r) => ({ empresa_id: empresaId, nome: `Agente ${3000 + r}`, ramal: String(3000 + r) })))
    .execute();
  // A call log with history, as a CRM in use has: analysed empty, ligacoes looked tiny to the planner for the whole
  // run, which then read a call start's rows through (empresa_id, inicio), every call of the empresa each time
  // (bench/README.md, CTI, 2026-12-05 morning). --history 0 gives the runs before that.
  const day = 24 * 3600 * 1000;
  for (let i = 0; i < HISTORY; i += 1000) {
    const rows = Array.from({ length: Math.min(1000, HISTORY - i) }, (_, k) => {
      const n = i + k;
      const inicio = new Date(Date.now() - 30 * day + Math.floor((n * 30 * day) / HISTORY));
      return {
        empresa_id: empresaId,
        ramal: String(3000 + (n % RAMAIS)),
        telefone: phoneOf(n % CONTAS),
        telefone_normalizado: `+55${phoneOf(n % CONTAS)}`,
        chave_telefone: `11${phoneOf(n % CONTAS).slice(-8)}`,
        direcao: 'entrada',
        status: 'finalizada',
        inicio,
        fim: new Date(inicio.getTime() + 60000),
        duracao_segundos: 60,
        evento_id: `historico-${n}`,
        evento_fim_id: `historico-fim-${n}`,
        sem_inicio: 0,
        criado_em: inicio,
      };
    });
    await database.db.insertInto('ligacoes').values(rows).execute();
  }
  // Statistics, as any CRM database in use has (autovacuum's first ANALYZE would come up to a minute later, in the
  // middle of the run): without them PostgreSQL joins the caller's index entry to contas through the
  // (empresa_id, id_erp) index, reading every conta of the empresa for each lookup, and reads ligacoes by empresa_id.
  if (args.statistics === 'analyze') await sql`ANALYZE`.execute(database.db);
  else if (args.statistics !== 'none') throw new Error(`--statistics: expected analyze or none, got ${args.statistics}`);
  // --cpu-prof: worker-cti's profile goes to bench/results/cpu-cti-<time>/ (summarise it with cpuprofile-summary.ts).
  const profileDir = path.join(ROOT, 'bench/results', `cpu-cti-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  const profile = args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  if (profile.length) run.log(`worker-cti CPU profile: ${profileDir}`);
  const worker = spawnNode(
    'apps/worker-cti/src/main.ts',
    {
      REDIS_URL: redisUrl,
      KEY_PREFIX: prefix,
      CRM_DATABASE_URL: database.url,
      LOG_LEVEL: 'info',
      WORKER_CONCURRENCY: '20',
    },
    profile,
  );
  run.cleanups.push({
    name: 'worker',
    run: async () => {
      worker.child.kill('SIGTERM');
      await worker.exited;
    },
  });
  await worker.waitForLog('worker started', 120000);

  const streams: { ramal: string; url: string }[] = [];
  for (let r = 0; r < RAMAIS; r++) {
    const ramal = String(3000 + r);
    const issued = await app.inject({
      method: 'POST',
      url: '/v1/cti/pop-tokens',
      headers: { authorization: `Bearer ${key}` },
      payload: { ramal },
    });
    streams.push({ ramal, url: `${base}${issued.json().streamUrl}` });
  }
  await loader.ask({ kind: 'subscribe', streams });
  const cti = producer.queue('cti');
  const drained = async (deadline: number) => {
    while (Date.now() < deadline && (await cti.getJobCountByTypes('waiting', 'active', 'prioritized')) > 0)
      await new Promise((r) => setTimeout(r, 50));
  };
  if (WARMUP > 0) {
    // Warm-up, not counted: each pool connection plans a prepared statement on its first runs (PostgreSQL plans the
    // first five itself before it keeps a generic plan), which in a 5 s run was ~15 % of the lookups and start reads.
    // Unknown callers (numbers past the contas), so no measured call is a repeat of one of these.
    const warm = Array.from({ length: RATE * WARMUP }, (_, i) => ({ ramal: String(3000 + (i % RAMAIS)), numero: phoneOf(CONTAS + i) }));
    await loader.ask({ kind: 'calls', base, host: 'bench.bench.test', rate: RATE, calls: warm, waitMs: 30000 });
    await drained(Date.now() + 30000);
  }
  const total = RATE * SECONDS;
  const calls = Array.from({ length: total }, (_, i) => ({ ramal: String(3000 + (i % RAMAIS)), numero: phoneOf((i * 7919) % CONTAS) }));
  const costs = await startCostCount(database.db, redis, worker.child.pid ?? 0, loader.child.pid ?? 0);
  const started = Date.now();
  const popped = await loader.ask<CallsResult>({ kind: 'calls', base, host: 'bench.bench.test', rate: RATE, calls, waitMs: 30000 });
  const { ringing, caller } = popped;
  const deadline = started + SECONDS * 1000 + 30000;
  // Until worker-cti has taken every call's job too (the call log), not only until the last card arrived.
  await drained(deadline);
  const cost = await costs(total);

  const breakdown = await popBreakdown(producer.queue('cti'), empresaId, new Map(Object.entries(popped.marks)));

  const summary = {
    throughput,
    latency: {
      calls: total,
      popsReceived: caller.length,
      wrongConta: popped.wrong,
      ringingMs: { p50: round(percentile(ringing, 50)), p99: round(percentile(ringing, 99)) },
      callerMs: { p50: round(percentile(caller, 50)), p99: round(percentile(caller, 99)), max: round(Math.max(...caller)) },
      goalP99Ms: 50,
      breakdown,
      cost,
    },
  };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  await run.cleanUp();
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`cti bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
