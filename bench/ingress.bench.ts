/**
 * The ingress's admission costs (benchmark, not a test), one run, variants alternated round by round:
 *  1. the WConnect listener (`FinalizaLigacao`, durable enqueue) with the per-tenant admission limit off
 *     (RATE_LIMIT_CTI_PER_SECOND=0) against on (the defaults): requests/s and CPU per request of the ingress process;
 *  2. a CRM change (`POST /v1/events/crm-change` on contas, enqueueing one SET run) with the /v1 limit on (defaults):
 *     without an Idempotency-Key, with a fresh key per request, and replaying one key (the stored-answer path); and
 *     without a key with the limit off (the limit's own share of a write);
 *  3. Redis commands per request of each variant (MONITOR on the run's keys, separately from the timed rounds).
 * Both ingress apps are this build (buildApp), in this process, alternately served; the load comes from a process of
 * its own (support/cti-load.ts). Requests are spread over tenants so that none comes near its budget: every request
 * pays the check, none is refused (each tenant sends at most half its burst, and only in one batch).
 *
 *   npx tsx bench/ingress.bench.ts [--requests 3000] [--writes 600] [--concurrency 16] [--rounds 3] [--count 200]
 *                                  [--redis-url private]
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { type AdmissionRate, loadConfig } from '@integrador/config';
import { emptyConnections } from '@integrador/connections';
import { saveCtiSettings } from '@integrador/cti';
import { createLogger } from '@integrador/logging';
import { createRedis, JobProducer, waitUntilReady } from '@integrador/queue';
import { createDatabase, createEmpresa, issueApiKey } from '@integrador/store';
import { createTestDatabase } from '@integrador/test-support/databases';
import { openRedisMonitor } from '@integrador/test-support/redis-monitor';
import { deletePrefix, startPrivateRedis, TEST_REDIS_URL, testPrefix } from '@integrador/test-support/redis-server';
import { createWebhookHttpClient, DEFAULT_WEBHOOK_SETTINGS } from '@integrador/webhooks';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { buildApp } from '../apps/ingress/src/build-app';
import { type BenchRun, startBenchRun } from './support/bench-run';
import type { LoadRequest, RequestsResult } from './support/cti-load';
import { startLoadProcess } from './support/load-process';
import { commandStats, commandsPer } from './support/redis-commands';
import { median, round } from './support/stats';

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '3000' },
    writes: { type: 'string', default: '600' },
    concurrency: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '3' },
    count: { type: 'string', default: '200' },
    'redis-url': { type: 'string', default: TEST_REDIS_URL },
  },
});
const positive = (name: string, value: string | undefined) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: expected a positive integer, got ${value}`);
  return n;
};
const REQUESTS = positive('requests', args.requests);
const WRITES = positive('writes', args.writes);
const CONCURRENCY = positive('concurrency', args.concurrency);
const ROUNDS = positive('rounds', args.rounds);
const COUNT = positive('count', args.count);
const logger = createLogger({ name: 'bench', level: 'silent' });

/** The admission limits as deployed (RATE_LIMIT_* at their defaults), and the same with both budgets off. */
const ON = loadConfig({}).admissionLimits;
const OFF = { cti: { perSecond: 0, burst: 1 }, api: { perSecond: 0, burst: 1 } };
/** Requests one tenant sends in a batch: half its burst, so neither a window's edge nor a neighbour batch refuses one. */
const perTenant = (rate: AdmissionRate) => Math.max(1, Math.floor(rate.burst / 2));

const phoneOf = (i: number) => `11${String(900000000 + i)}`;

const CTI_VARIANTS = ['limit-off', 'limit-on'] as const;
type CtiVariant = (typeof CTI_VARIANTS)[number];
/** crm-change variants: no key with the /v1 limit off, then with it on: no key, a fresh key each, one key replayed. */
const WRITE_VARIANTS = ['no-key-limit-off', 'no-key', 'fresh-key', 'replayed-key'] as const;
type WriteVariant = (typeof WRITE_VARIANTS)[number];

/** One timed batch: requests/s, CPU of this process (the ingress) and of the Redis server per request, and the load. */
interface BatchFigures {
  perSecond: number;
  cpuMsPerRequest: number;
  redisCpuMsPerRequest: number;
  load: number;
}

/** CPU (user + system, ms) the Redis server has used so far, from its own INFO: this server only, whoever else runs. */
async function redisCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const value = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? 0);
  return (value('used_cpu_user') + value('used_cpu_sys')) * 1000;
}

/**
 * Counts, with MONITOR, the commands on the run's keys while `work` runs (and `settleMs` after it: an answer's stored
 * copy and a marker's release follow the response): those clients send (an EVALSHA is one), and those scripts run.
 */
async function countCommands(redis: Redis, prefix: string, units: number, work: () => Promise<void>, settleMs = 300) {
  const monitor = await openRedisMonitor(redis, { onError: (err) => process.stderr.write(`MONITOR error: ${err.message}\n`) });
  const sent = new Map<string, number>();
  const inScripts = new Map<string, number>();
  monitor.connection.on('monitor', (_time: string, line: string[], source: string) => {
    if (!line.some((arg) => arg.startsWith(prefix))) return;
    const counts = source === 'lua' ? inScripts : sent;
    const name = (line[0] ?? '').toLowerCase();
    counts.set(name, (counts.get(name) ?? 0) + 1);
  });
  // Every command of that server too (INFO commandstats: exact with --redis-url private only, scripts' calls included).
  const before = await commandStats(redis);
  await work();
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  const all = commandsPer(before, await commandStats(redis), units, 0.05);
  monitor.connection.disconnect();
  const per = (counts: Map<string, number>) => {
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    const byCommand = Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]).map(([name, n]) => [name, round(n / units, 2)]));
    return { total: round(total / units, 2), byCommand };
  };
  return {
    sentPerRequest: per(sent),
    inScriptsPerRequest: per(inScripts),
    serverWidePerRequest: { total: round(all.total, 2), byCommand: all.byCommand },
    monitorLinesLost: monitor.lost(),
  };
}

async function main(run: BenchRun): Promise<void> {
  const loadAtStart = os.loadavg().map((v) => round(v, 2));
  let redisUrl = args['redis-url'];
  if (redisUrl === 'private') {
    const server = await startPrivateRedis();
    run.cleanups.push({ name: 'private redis', run: () => server.stop('SIGTERM') });
    redisUrl = server.url;
  }
  const database = await createTestDatabase('postgres');
  run.cleanups.push({ name: 'database', run: () => database.drop() });
  const prefix = testPrefix();
  const url = redisUrl;
  run.cleanups.push({ name: 'redis keys', run: () => deletePrefix(url, prefix) });
  const redis = createRedis(redisUrl, { role: 'producer' });
  await waitUntilReady(redis);
  run.cleanups.push({ name: 'redis', run: () => redis.disconnect() });
  const producer = new JobProducer({ connection: redis, prefix, timeoutMs: 5000, logger });
  run.cleanups.push({ name: 'producer', run: () => producer.close() });
  // The deployed pool (createDatabase's default) and prepared hot statements, as server.ts builds it.
  const ingressDatabase = createDatabase(database.url, { prepareHotStatements: 'admitted' });
  run.cleanups.push({ name: 'ingress database', run: () => ingressDatabase.destroy() });

  // A WEBHOOK_SECRET_KEY, as a deployment has: kept first answers are sealed under it (AES-256-GCM) and opened on replay.
  const webhookSettings = { ...DEFAULT_WEBHOOK_SETTINGS, secretKey: randomBytes(32) };
  const webhookHttp = createWebhookHttpClient(webhookSettings);
  run.cleanups.push({ name: 'webhook client', run: () => webhookHttp.close() });
  // Two apps of this build, one per limit setting, in this process; only one is sent requests at a time.
  const apps = {} as Record<'off' | 'on', { app: FastifyInstance; base: string }>;
  for (const [name, limits] of [
    ['off', OFF],
    ['on', ON],
  ] as const) {
    const app = await buildApp({
      database: ingressDatabase,
      redis,
      producer,
      connections: emptyConnections(),
      logger,
      keyPrefix: prefix,
      checkTimeoutMs: 5000,
      cti: { domain: 'bench.test', trustedProxies: [], dedupeWindowMs: 3000, callTimeoutMs: 3600000, popTokenTtlMs: 600000 },
      admissionLimits: limits,
      webhooks: { settings: webhookSettings, http: webhookHttp },
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    run.cleanups.push({ name: `ingress ${name}`, run: () => app.close() });
    apps[name] = { app, base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
  }
  const loader = startLoadProcess();
  run.cleanups.push({
    name: 'load process',
    run: async () => {
      await loader.ask({ kind: 'close' }).catch(() => undefined);
      loader.child.kill('SIGTERM');
    },
  });

  // --- Tenants: every batch gets its own, each sending at most half its burst ---
  let tenants = 0;
  let phones = 0;
  /** A batch of listener requests over fresh tenants (host label per tenant), every number distinct (no dedupe). */
  const ctiBatch = async (n: number): Promise<LoadRequest[]> => {
    const labels: string[] = [];
    for (let i = 0; i < Math.ceil(n / perTenant(ON.cti)); i++) {
      const label = `t${++tenants}`;
      await saveCtiSettings(database.db, await createEmpresa(database.db, `Bench ${label}`), { hostLabel: label, allowAnyOrigin: true });
      labels.push(label);
    }
    return Array.from({ length: n }, (_, i) => ({
      method: 'GET',
      path: `/wconnect/WConnect_WSDL_FinalizaLigacao.php?ramal=${7000 + (i % 500)}&telefone=${phoneOf(++phones)}`,
      headers: { host: `${labels[i % labels.length]}.bench.test` },
    }));
  };
  const CONTAS = 20;
  /** A tenant with one active SET integration on contas (parametros_obrigatorios contaId, as seed 001's) and its contas. */
  const writeTenant = async () => {
    const empresaId = await createEmpresa(database.db, `Bench w${++tenants}`);
    const key = await issueApiKey(database.db, empresaId, null, 'bench');
    await database.db
      .insertInto('integracao')
      .values({
        empresa_id: empresaId,
        nome: 'SET-CONTAS',
        tipo_servico: 'SET',
        tabela: 'contas',
        parametros_obrigatorios: 'contaId',
      } as never)
      .execute();
    const contas = await database.db
      .insertInto('contas')
      .values(Array.from({ length: CONTAS }, (_, i) => ({ empresa_id: empresaId, nome: `Conta ${i}` })))
      .returning('id')
      .execute();
    return { key, contas: contas.map((c) => c.id) };
  };
  /**
   * A batch of crm-change writes over fresh tenants. replayed-key: each tenant's first request is sent here, untimed
   * (its answer is then kept), and the batch replays it.
   */
  const writeBatch = async (variant: WriteVariant, n: number): Promise<LoadRequest[]> => {
    const requests: LoadRequest[] = [];
    const count = Math.ceil(n / perTenant(ON.api));
    const owners = await Promise.all(Array.from({ length: count }, writeTenant));
    const replayed = new Map<number, LoadRequest>();
    if (variant === 'replayed-key') {
      for (const [t, owner] of owners.entries()) {
        const first: LoadRequest = {
          method: 'POST',
          path: '/v1/events/crm-change',
          headers: { authorization: `Bearer ${owner.key}`, 'idempotency-key': `bench-${randomUUID()}` },
          body: { tabela: 'contas', id: owner.contas[0] },
        };
        const answer = await loader.ask<RequestsResult>({ kind: 'requests', base: apps.on.base, requests: [first], concurrency: 1 });
        if (!answer.statuses['202']) throw new Error(`replayed-key: the first request was answered ${JSON.stringify(answer.statuses)}`);
        replayed.set(t, first);
      }
    }
    for (let i = 0; i < n; i++) {
      const t = i % owners.length;
      const owner = owners[t] as { key: string; contas: number[] };
      const first = replayed.get(t);
      if (first) requests.push(first);
      else
        requests.push({
          method: 'POST',
          path: '/v1/events/crm-change',
          headers: {
            authorization: `Bearer ${owner.key}`,
            ...(variant === 'fresh-key' ? { 'idempotency-key': `bench-${randomUUID()}` } : {}),
          },
          body: { tabela: 'contas', id: owner.contas[Math.floor(i / owners.length) % CONTAS] },
        });
    }
    return requests;
  };
  const appOf = (variant: CtiVariant | WriteVariant) => (variant === 'limit-off' || variant === 'no-key-limit-off' ? apps.off : apps.on);
  const expected = (variant: CtiVariant | WriteVariant) => (CTI_VARIANTS.includes(variant as CtiVariant) ? '200' : '202');

  /** Sends a prepared batch at one variant's app; refuses to count it unless every answer was the expected status. */
  const timed = async (variant: CtiVariant | WriteVariant, requests: LoadRequest[]): Promise<BatchFigures> => {
    const load = round(os.loadavg()[0] ?? 0, 2);
    const redisCpu = await redisCpuMs(redis);
    const cpu = process.cpuUsage();
    const result = await loader.ask<RequestsResult>({ kind: 'requests', base: appOf(variant).base, requests, concurrency: CONCURRENCY });
    const used = process.cpuUsage(cpu);
    const redisUsed = (await redisCpuMs(redis)) - redisCpu;
    const ok = result.statuses[expected(variant)] ?? 0;
    if (ok !== requests.length)
      throw new Error(`${variant}: ${requests.length - ok} answers were not ${expected(variant)}: ${JSON.stringify(result.statuses)}`);
    return {
      perSecond: round(result.perSecond),
      cpuMsPerRequest: round((used.user + used.system) / 1000 / requests.length, 3),
      redisCpuMsPerRequest: round(redisUsed / requests.length, 3),
      load,
    };
  };

  /** Rounds of every variant, the order reversed every other round (ABBA), after one untimed warm-up batch each. */
  const measure = async <V extends CtiVariant | WriteVariant>(variants: readonly V[], batch: (variant: V) => Promise<LoadRequest[]>) => {
    for (const variant of variants) await timed(variant, await batch(variant));
    const rounds: { round: number; figures: Record<string, BatchFigures> }[] = [];
    for (let r = 1; r <= ROUNDS; r++) {
      const order = r % 2 === 1 ? variants : [...variants].reverse();
      const figures: Record<string, BatchFigures> = {};
      for (const variant of order) figures[variant] = await timed(variant, await batch(variant));
      rounds.push({ round: r, figures });
      run.log(`round ${r}: ${order.map((v) => `${v} ${figures[v]?.perSecond}/s ${figures[v]?.cpuMsPerRequest} ms CPU`).join(', ')}`);
    }
    const medians = Object.fromEntries(
      variants.map((variant) => {
        const of = (pick: (f: BatchFigures) => number) => round(median(rounds.map((r) => pick(r.figures[variant] as BatchFigures))), 3);
        return [
          variant,
          {
            perSecond: of((f) => f.perSecond),
            cpuMsPerRequest: of((f) => f.cpuMsPerRequest),
            redisCpuMsPerRequest: of((f) => f.redisCpuMsPerRequest),
          },
        ];
      }),
    ) as Record<V, { perSecond: number; cpuMsPerRequest: number; redisCpuMsPerRequest: number }>;
    return { rounds, medians };
  };
  /** Variant over baseline, round by round, then the median of those ratios (steadier than a ratio of medians). */
  const ratios = (rounds: { figures: Record<string, BatchFigures> }[], variant: string, baseline: string) => {
    const of = (pick: (f: BatchFigures) => number) =>
      round(median(rounds.map((r) => pick(r.figures[variant] as BatchFigures) / pick(r.figures[baseline] as BatchFigures))), 3);
    return { perSecond: of((f) => f.perSecond), cpuMsPerRequest: of((f) => f.cpuMsPerRequest) };
  };

  // --- 1. The listener, limit off vs on ---
  run.log(`listener: ${REQUESTS} requests per variant and round, ${CONCURRENCY} in flight, ${ROUNDS} rounds`);
  const cti = await measure(CTI_VARIANTS, () => ctiBatch(REQUESTS));
  // --- 2. crm-change: no key (limit off, on), fresh key, replayed key ---
  run.log(`crm-change: ${WRITES} writes per variant and round, ${CONCURRENCY} in flight, ${ROUNDS} rounds`);
  const writes = await measure(WRITE_VARIANTS, (variant) => writeBatch(variant, WRITES));

  // --- 3. Redis commands per request, each variant apart (MONITOR slows Redis: not during the timed rounds) ---
  run.log(`Redis commands: ${COUNT} requests per variant under MONITOR`);
  const commands: Record<string, Awaited<ReturnType<typeof countCommands>>> = {};
  for (const variant of [...CTI_VARIANTS, ...WRITE_VARIANTS]) {
    const requests = CTI_VARIANTS.includes(variant as CtiVariant)
      ? await ctiBatch(COUNT)
      : await writeBatch(variant as WriteVariant, COUNT);
    commands[variant] = await countCommands(redis, prefix, COUNT, async () => {
      await timed(variant, requests);
    });
  }
  const sent = (variant: string) => commands[variant]?.sentPerRequest.total ?? Number.NaN;

  const summary = {
    limits: { on: ON, off: OFF },
    redis: args['redis-url'] === 'private' ? 'private' : 'shared (serverWide counts include other clients)',
    loadAverage: { start: loadAtStart, end: os.loadavg().map((v) => round(v, 2)) },
    cti: {
      requests: REQUESTS,
      concurrency: CONCURRENCY,
      ...cti,
      limitOnVsOff: ratios(cti.rounds, 'limit-on', 'limit-off'),
      redisCommandsSent: { 'limit-off': sent('limit-off'), 'limit-on': sent('limit-on') },
    },
    crmChange: {
      writes: WRITES,
      concurrency: CONCURRENCY,
      ...writes,
      limitOnVsOff: ratios(writes.rounds, 'no-key', 'no-key-limit-off'),
      freshKeyVsNoKey: ratios(writes.rounds, 'fresh-key', 'no-key'),
      replayedKeyVsNoKey: ratios(writes.rounds, 'replayed-key', 'no-key'),
      redisCommandsSent: Object.fromEntries(WRITE_VARIANTS.map((v) => [v, sent(v)])),
    },
    redisCommandsPerRequest: commands,
  };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  await run.cleanUp();
  process.exit(0);
}

const benchRun = startBenchRun();
main(benchRun).catch(async (err: unknown) => {
  process.stderr.write(`ingress bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  // A refused batch (e.g. a 429) must not leave the run's database and Redis keys behind.
  await benchRun.cleanUp();
  process.exit(1);
});
