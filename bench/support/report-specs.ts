// What `npm run bench` (bench/run-all.ts) runs and how it reads each benchmark's output into report rows.

/** A goal on a row: its text, and whether the median figures meet it. */
export interface Goal {
  text: string;
  check(figures: { ratio: number | null; absolute: number | null }): boolean;
}

/** One line of the report: the product's figure, the baseline measured in the same run, their ratio. */
export interface Row {
  measure: string;
  unit?: string;
  baseline: number | null;
  absolute: number | null;
  ratio: number | null;
  goal?: Goal;
  met?: boolean | null;
  runs?: (number | null)[];
}

export interface BenchSpec {
  name: string;
  title: string;
  file: string;
  /** The command a reader runs to reproduce it alone. */
  command: string;
  workload: string;
  args: string[];
  shortArgs: string[];
  /** Runs of a full report when not BENCH_RUNS (a long memory run is made once). */
  runs?: number;
  parse(stdout: string): Row[];
}

// biome-ignore lint/suspicious/noExplicitAny: the benchmarks' JSON summaries are read loosely; every figure goes through num().
type Json = Record<string, any>;

const ratioAtLeast = (min: number, what: string): Goal => ({
  text: `≥ ${min}× ${what}`,
  check: ({ ratio }) => ratio !== null && ratio >= min,
});
const absoluteAtMost = (max: number, unit: string): Goal => ({
  text: `≤ ${max} ${unit}`,
  check: ({ absolute }) => absolute !== null && absolute <= max,
});
const absoluteBelow = (max: number, unit: string): Goal => ({
  text: `< ${max} ${unit}`,
  check: ({ absolute }) => absolute !== null && absolute < max,
});
const absoluteAtLeast = (min: number, unit: string): Goal => ({
  text: `≥ ${min} ${unit}`,
  check: ({ absolute }) => absolute !== null && absolute >= min,
});

/** The JSON summary a benchmark prints last on stdout (npm or tsx may print lines before it). */
function lastJson(stdout: string): Json {
  const start = stdout.search(/^\{/m);
  if (start < 0) throw new Error('no JSON summary on stdout');
  return JSON.parse(stdout.slice(start)) as Json;
}

const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);
const ratioOf = (a: number | null, b: number | null) => (a !== null && b ? Math.round((a / b) * 1000) / 1000 : null);

export const BENCHMARKS: BenchSpec[] = [
  {
    name: 'set-push',
    title: 'SET pushes (set-push.bench.ts)',
    file: 'bench/set-push.bench.ts',
    command: 'npx tsx bench/set-push.bench.ts',
    workload:
      'Seed 001 SET-WS-CONTAS pushes against the Senior G5 double at concurrency 50, CRM on PostgreSQL: one worker-set process against a hand-written pg + soap loop (read the conta, the same GravarClientes call, the same UPDATE) and a bare soap loop, each in its own process, in the same run; then a memory run through a fresh worker.',
    args: ['--pushes', '3000', '--memory-pushes', '0', '--contas', '5000', '--warmup', '500'],
    shortArgs: ['--pushes', '60', '--memory-pushes', '0', '--contas', '100', '--warmup', '10', '--concurrency', '10'],
    parse(stdout) {
      const s = lastJson(stdout);
      const t = s.throughput as Json | null;
      const rows: Row[] = [];
      if (t) {
        const product = num(t.product?.perSecond);
        rows.push(
          {
            measure: 'pushes/s vs the hand-written pg + soap loop',
            unit: '/s',
            baseline: num(t.handwritten?.perSecond),
            absolute: product,
            ratio: num(t.ratioToHandwritten),
            goal: ratioAtLeast(0.7, 'the hand-written loop'),
          },
          {
            measure: 'pushes/s vs the bare soap loop',
            unit: '/s',
            baseline: num(t.baseline?.perSecond),
            absolute: product,
            ratio: num(t.ratio),
          },
          { measure: 'worker CPU per push', unit: 'ms', baseline: null, absolute: num(t.product?.workerCpuMsPerPush), ratio: null },
          { measure: 'CRM transactions per push', baseline: null, absolute: num(t.product?.crmTransactionsPerPush), ratio: null },
          { measure: 'worker peak RSS, timed run', unit: 'MB', baseline: null, absolute: num(t.product?.workerRssMb?.peak), ratio: null },
        );
      }
      return rows;
    },
  },
  {
    name: 'set-push-batched',
    title: 'SET pushes with micro-batching (set-push.bench.ts --lote 50)',
    file: 'bench/set-push.bench.ts',
    command: 'npx tsx bench/set-push.bench.ts',
    workload:
      'The same pushes with `integracao.lote_maximo = 50` (migration 013): the worker sends up to 50 pending pushes of the integration and tenant in one GravarClientes call; the baselines still make one call per conta. Goal: pushes/s above the bare single-call soap loop.',
    args: ['--pushes', '3000', '--memory-pushes', '0', '--contas', '5000', '--warmup', '500', '--lote', '50'],
    shortArgs: ['--pushes', '60', '--memory-pushes', '0', '--contas', '100', '--warmup', '10', '--concurrency', '10', '--lote', '10'],
    parse(stdout) {
      const t = lastJson(stdout).throughput as Json;
      const product = num(t.product?.perSecond);
      return [
        {
          measure: 'pushes/s vs the bare (single-call) soap loop',
          unit: '/s',
          baseline: num(t.baseline?.perSecond),
          absolute: product,
          ratio: num(t.ratio),
          goal: { text: '> 1× the bare soap loop', check: ({ ratio }) => ratio !== null && ratio > 1 },
        },
        {
          measure: 'pushes/s vs the hand-written loop',
          unit: '/s',
          baseline: num(t.handwritten?.perSecond),
          absolute: product,
          ratio: num(t.ratioToHandwritten),
        },
        { measure: 'ERP calls for the timed pushes', baseline: num(t.product?.pushes), absolute: num(t.product?.erpCalls), ratio: null },
        { measure: 'worker CPU per push', unit: 'ms', baseline: null, absolute: num(t.product?.workerCpuMsPerPush), ratio: null },
      ];
    },
  },
  {
    name: 'set-push-batched-range',
    title: 'SET pushes with micro-batching, fifty records a job (set-push.bench.ts --lote 50 --per-job 50:4 --bracket)',
    file: 'bench/set-push.bench.ts',
    command: 'npx tsx bench/set-push.bench.ts',
    workload:
      'The micro-batched pushes as a bulk push of many contas enqueues them: one job per fifty consecutive contas (the seed-style SET over `c.id BETWEEN #contaId# AND #contaAte#`, each record with its own outbox row, attempt and write-back), four such jobs in flight, `lote_maximo = 50`. One job a push is `set-push-batched`. `--bracket`: the product run is judged against the bare loops measured right before and right after it. Goal: pushes/s above the bare single-call soap loop.',
    args: [
      '--pushes',
      '6000',
      '--memory-pushes',
      '0',
      '--contas',
      '6000',
      '--warmup',
      '300',
      '--lote',
      '50',
      '--per-job',
      '50:4',
      '--bracket',
    ],
    shortArgs: [
      '--pushes',
      '100',
      '--memory-pushes',
      '0',
      '--contas',
      '100',
      '--warmup',
      '50',
      '--concurrency',
      '10',
      '--lote',
      '50',
      '--per-job',
      '50:2',
      '--bracket',
    ],
    parse(stdout) {
      const t = lastJson(stdout).throughput as Json;
      const run = (t.byProcesses as Json[] | undefined)?.[0];
      const bracket = run?.bracket as Json | undefined;
      const loops = [num(bracket?.loopBefore), num(bracket?.loopAfter)];
      return [
        {
          measure: 'pushes/s vs the bare (single-call) soap loops around the run',
          unit: '/s',
          baseline: loops.every((loop) => loop !== null) ? ((loops[0] as number) + (loops[1] as number)) / 2 : null,
          absolute: num(run?.perSecond),
          ratio: num(bracket?.ratio),
          goal: { text: '> 1× the bare soap loop', check: ({ ratio }) => ratio !== null && ratio > 1 },
        },
        {
          measure: 'pushes/s vs the hand-written loop',
          unit: '/s',
          baseline: num(t.handwritten?.perSecond),
          absolute: num(run?.perSecond),
          ratio: num(run?.ratioToHandwritten),
        },
        { measure: 'worker CPU per push', unit: 'ms', baseline: null, absolute: num(run?.workerCpuMsPerPush), ratio: null },
      ];
    },
  },
  {
    name: 'set-push-memory',
    title: 'SET pushes, memory over 100k pushes (set-push.bench.ts)',
    file: 'bench/set-push.bench.ts',
    command: 'npx tsx bench/set-push.bench.ts',
    workload:
      "100,000 pushes through one fresh worker-set (concurrency 50, the backlog topped up as it drains), its RSS sampled every 5 s; made once per report. Goal: memory flat (the slope is noise next to the GC's ±20 MB sawtooth).",
    args: ['--pushes', '0', '--memory-pushes', '100000', '--contas', '5000'],
    shortArgs: ['--pushes', '0', '--memory-pushes', '100', '--contas', '50', '--concurrency', '10'],
    runs: 1,
    parse(stdout) {
      const m = lastJson(stdout).memory as Json;
      return [
        { measure: `pushes/s over ${m.pushes} pushes`, unit: '/s', baseline: null, absolute: num(m.perSecond), ratio: null },
        { measure: 'worker RSS slope', unit: 'MB/10k pushes', baseline: null, absolute: num(m.rssSlopeMbPer10kPushes), ratio: null },
        {
          measure: 'worker RSS after warm-up, min',
          unit: 'MB',
          baseline: null,
          absolute: num(m.workerRssMb?.afterWarmup?.min),
          ratio: null,
        },
        {
          measure: 'worker RSS after warm-up, max',
          unit: 'MB',
          baseline: null,
          absolute: num(m.workerRssMb?.afterWarmup?.max),
          ratio: null,
        },
        { measure: 'failed pushes', baseline: null, absolute: num(m.failed), ratio: null },
      ];
    },
  },
  {
    name: 'get-pull',
    title: 'GET pulls (get-pull.bench.ts)',
    file: 'bench/get-pull.bench.ts',
    command: 'npx tsx bench/get-pull.bench.ts',
    workload:
      'An ERP customers table (12 columns, accents, NULLs) pulled into the CRM (PostgreSQL) by worker-get, against a `COPY … TO STDOUT | COPY … FROM STDIN` pipe of the same rows in the same run; then an incremental run of the changed rows.',
    args: ['--rows', '1000000', '--skip-refresh'],
    shortArgs: ['--rows', '2000', '--changed', '50', '--sources', 'postgres', '--skip-refresh'],
    parse(stdout) {
      const s = lastJson(stdout);
      return (s.results as Json[]).flatMap((r): Row[] => [
        {
          measure: `${r.source} → PostgreSQL, ${r.rows} rows: initial load rows/s`,
          unit: '/s',
          baseline: num(r.baseline?.rowsPerSecond),
          absolute: num(r.initialLoad?.rowsPerSecond),
          ratio: num(r.ratioToCopy),
          goal: ratioAtLeast(0.5, 'the COPY pipe'),
        },
        {
          measure: `${r.source}: incremental run of ${r.incremental?.changedInSource} changes`,
          unit: 'ms',
          baseline: null,
          absolute: num(r.incremental?.elapsedMs),
          ratio: null,
          goal: absoluteBelow(1000, 'ms'),
        },
        {
          measure: `${r.source}: worker-get peak RSS (VmHWM)`,
          unit: 'MB',
          baseline: null,
          absolute: num(r.workerPeakRssMb?.vmHwm) ?? num(r.workerPeakRssMb?.sampled),
          ratio: null,
          goal: absoluteAtMost(250, 'MB'),
        },
      ]);
    },
  },
  {
    name: 'limits',
    title: 'Limits and fairness (limits.bench.ts)',
    file: 'bench/limits.bench.ts',
    command: 'npx tsx bench/limits.bench.ts',
    workload:
      'No-op jobs over 10 tenants through the product runner with the limits layer (default; rate-limited; rate-limited and concurrency-capped) against bare BullMQ (Queue.add + Worker), each variant on a private Redis in the same run; Redis commands per job from INFO commandstats.',
    args: ['--jobs', '10000', '--rounds', '3', '--backlog', '0'],
    shortArgs: ['--jobs', '300', '--rounds', '1', '--backlog', '0', '--concurrency', '20'],
    parse(stdout) {
      const s = lastJson(stdout).summary as Json;
      const bare = num(s.bare?.processPerSecond);
      return (['layer', 'layer-rate', 'layer-limited'] as const).flatMap((variant): Row[] => [
        {
          measure: `${variant}: jobs/s vs bare BullMQ`,
          unit: '/s',
          baseline: bare,
          absolute: num(s[variant]?.processPerSecond),
          ratio: num(s[variant]?.ratioToBare),
          goal: variant === 'layer-limited' ? ratioAtLeast(0.75, 'bare BullMQ') : undefined,
        },
        {
          measure: `${variant}: extra Redis commands per job`,
          baseline: num(s.bare?.commandsPerJob),
          absolute: num(s[variant]?.extraCommandsVsBare),
          ratio: null,
          goal: variant === 'layer-limited' ? absoluteAtMost(5, 'commands') : undefined,
        },
      ]);
    },
  },
  {
    name: 'startup',
    title: 'Start-up (startup.bench.ts)',
    file: 'bench/startup.bench.ts',
    command: 'npx tsx bench/startup.bench.ts',
    workload:
      '`integrador --help` spawn to exit, and `npm start` → `GET /healthz` 200 on a migrated (SQLite) database, compiled against from source (tsx), interleaved; each figure is the median of the runs the benchmark makes itself.',
    args: ['--runs', '5'],
    shortArgs: ['--runs', '1', '--compiled-only'],
    parse(stdout) {
      const s = lastJson(stdout);
      /** Wall and CPU medians of one measure: `product` against the from-source variant, the goal on the wall time. */
      const pair = (label: string, variants: Json[], product: string, goalMs: number): Row[] => {
        const of = (start: string) => variants.find((v) => String(v.variant).startsWith(start));
        const wall = { baseline: num(of('source')?.medianMs), absolute: num(of(product)?.medianMs) };
        return [
          {
            measure: `${label}, wall (baseline: from source)`,
            unit: 'ms',
            ...wall,
            ratio: ratioOf(wall.absolute, wall.baseline),
            goal: absoluteBelow(goalMs, 'ms'),
          },
          {
            measure: `${label}, CPU`,
            unit: 'ms',
            baseline: num(of('source')?.medianCpuMs),
            absolute: num(of(product)?.medianCpuMs),
            ratio: null,
          },
        ];
      };
      return [
        ...pair('`integrador --help`', s.help.variants, 'compiled', 1000),
        ...pair('`npm start` → /healthz 200', s.fleet.variants, 'npm start', 5000),
      ];
    },
  },
  {
    name: 'cti',
    title: 'CTI (cti.bench.ts)',
    file: 'bench/cti.bench.ts',
    command: 'npx tsx bench/cti.bench.ts',
    workload:
      'WConnect listener requests (durable enqueue) against bare Fastify + `queue.add` in the same run (best of its rounds), then listener GET → SSE pop latency at a call rate over indexed contas.',
    args: [],
    shortArgs: ['--requests', '200', '--concurrency', '8', '--contas', '200', '--rate', '50', '--seconds', '1'],
    parse(stdout) {
      const s = lastJson(stdout);
      return [
        {
          measure: 'listener requests/s vs bare Fastify + queue.add',
          unit: '/s',
          baseline: num(s.throughput?.bestBarePerSecond),
          absolute: num(s.throughput?.bestListenerPerSecond),
          ratio: num(s.throughput?.ratio),
          goal: ratioAtLeast(0.8, 'bare'),
        },
        {
          measure: 'GET → caller pop, p99',
          unit: 'ms',
          baseline: null,
          absolute: num(s.latency?.callerMs?.p99),
          ratio: null,
          goal: absoluteBelow(50, 'ms'),
        },
      ];
    },
  },
  {
    name: 'ingress',
    title: 'Ingress admission costs (ingress.bench.ts)',
    file: 'bench/ingress.bench.ts',
    command: 'npx tsx bench/ingress.bench.ts',
    workload:
      "Two ingress apps of this build in one process, alternated round by round (medians of the rounds, ratios per round): WConnect listener requests with the per-tenant admission limit off against on (RATE_LIMIT_CTI_* defaults), then `POST /v1/events/crm-change` (one SET run enqueued) with the /v1 limit on, without an Idempotency-Key, with a fresh one per request and replaying one (the stored answer), and without a key with the limit off. Requests are spread over tenants so none is refused. CPU is the ingress process's; Redis commands are counted with MONITOR on the run's keys. No goals: the ratios are the result.",
    args: [],
    shortArgs: ['--requests', '200', '--writes', '40', '--rounds', '1', '--count', '20'],
    parse(stdout) {
      const s = lastJson(stdout);
      const cti = s.cti as Json;
      const writes = s.crmChange as Json;
      const rows: Row[] = [];
      const pair = (label: string, unit: string, m: Json, variant: string, baseline: string, ratio: unknown, field: string) =>
        rows.push({ measure: label, unit, baseline: num(m?.[baseline]?.[field]), absolute: num(m?.[variant]?.[field]), ratio: num(ratio) });
      pair('listener requests/s, limit on vs off', '/s', cti?.medians, 'limit-on', 'limit-off', cti?.limitOnVsOff?.perSecond, 'perSecond');
      pair(
        'listener CPU per request, limit on vs off',
        'ms',
        cti?.medians,
        'limit-on',
        'limit-off',
        cti?.limitOnVsOff?.cpuMsPerRequest,
        'cpuMsPerRequest',
      );
      const commands = (label: string, m: Json, variant: string, baseline: string) =>
        rows.push({
          measure: label,
          baseline: num(m?.[baseline]),
          absolute: num(m?.[variant]),
          ratio: ratioOf(num(m?.[variant]), num(m?.[baseline])),
        });
      commands('listener Redis commands sent per request, limit on vs off', cti?.redisCommandsSent, 'limit-on', 'limit-off');
      const m = writes?.medians;
      pair(
        'crm-change writes/s, limit on vs off (no key)',
        '/s',
        m,
        'no-key',
        'no-key-limit-off',
        writes?.limitOnVsOff?.perSecond,
        'perSecond',
      );
      pair(
        'crm-change CPU per write, limit on vs off (no key)',
        'ms',
        m,
        'no-key',
        'no-key-limit-off',
        writes?.limitOnVsOff?.cpuMsPerRequest,
        'cpuMsPerRequest',
      );
      pair(
        'crm-change writes/s, fresh Idempotency-Key vs none',
        '/s',
        m,
        'fresh-key',
        'no-key',
        writes?.freshKeyVsNoKey?.perSecond,
        'perSecond',
      );
      pair(
        'crm-change CPU per write, fresh Idempotency-Key vs none',
        'ms',
        m,
        'fresh-key',
        'no-key',
        writes?.freshKeyVsNoKey?.cpuMsPerRequest,
        'cpuMsPerRequest',
      );
      pair(
        'crm-change writes/s, replayed Idempotency-Key vs none',
        '/s',
        m,
        'replayed-key',
        'no-key',
        writes?.replayedKeyVsNoKey?.perSecond,
        'perSecond',
      );
      pair(
        'crm-change CPU per write, replayed Idempotency-Key vs none',
        'ms',
        m,
        'replayed-key',
        'no-key',
        writes?.replayedKeyVsNoKey?.cpuMsPerRequest,
        'cpuMsPerRequest',
      );
      const sent = writes?.redisCommandsSent;
      commands('crm-change Redis commands sent per write, limit on vs off (no key)', sent, 'no-key', 'no-key-limit-off');
      commands('crm-change Redis commands sent per write, fresh key vs none', sent, 'fresh-key', 'no-key');
      commands('crm-change Redis commands sent per write, replayed key vs none', sent, 'replayed-key', 'no-key');
      return rows;
    },
  },
  {
    name: 'webhooks',
    title: 'Webhooks (webhooks.bench.ts)',
    file: 'bench/webhooks.bench.ts',
    command: 'npx tsx bench/webhooks.bench.ts',
    workload:
      'Signed webhook deliveries by a worker-webhook process to a receiver in its own process, against a bare undici request() loop making the same POSTs in the same run; then Redis memory per queued delivery.',
    args: [],
    shortArgs: ['--deliveries', '200', '--concurrency', '20', '--queued', '1000'],
    parse(stdout) {
      const bare = Number(/bare undici request\(\) loop: (\d+) POSTs\/s/.exec(stdout)?.[1] ?? Number.NaN);
      const product = /product path \(worker-webhook process\): (\d+) deliveries\/s = ([\d.]+)×/.exec(stdout);
      const memory = /take [\d.]+ MiB of Redis \((-?\d+) bytes each/.exec(stdout);
      if (!product) throw new Error('no product line');
      return [
        {
          measure: 'deliveries/s vs a bare undici loop',
          unit: '/s',
          baseline: num(bare),
          absolute: Number(product[1]),
          ratio: Number(product[2]),
          goal: ratioAtLeast(0.5, 'the bare loop'),
        },
        {
          measure: 'deliveries/s, absolute',
          unit: '/s',
          baseline: null,
          absolute: Number(product[1]),
          ratio: null,
          goal: absoluteAtLeast(3000, '/s'),
        },
        { measure: 'Redis bytes per queued delivery', unit: 'B', baseline: null, absolute: memory ? Number(memory[1]) : null, ratio: null },
      ];
    },
  },
  {
    name: 'dashboard',
    title: 'Dashboard reads (dashboard.bench.ts)',
    file: 'bench/dashboard.bench.ts',
    command: 'npx tsx bench/dashboard.bench.ts',
    workload:
      "The dashboard's failures list and free-text search over recorded jobs (PostgreSQL), against a lookup of one record by key in the same run; median of the benchmark's repetitions.",
    args: [],
    shortArgs: ['--records', '2000', '--runs', '3'],
    parse(stdout) {
      const s = lastJson(stdout);
      return (s.results as Json[]).map(
        (r): Row => ({
          measure: `${r.label} (${s.records} records), max`,
          unit: 'ms',
          baseline: num(s.baselineMs),
          absolute: num(r.max),
          ratio: null,
          goal: absoluteBelow(300, 'ms'),
        }),
      );
    },
  },
];
