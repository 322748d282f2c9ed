import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { EnvSchema } from '@integrador/config';
import Ajv from 'ajv';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Service } from 'kubernetes-models/v1';
import { parse, parseAllDocuments } from 'yaml';

// infra/ against the tools that judge it. No helm binary or Docker daemon is assumed here, so what runs everywhere is:
// the chart's values against its JSON schema, the templates' references and structure, the Kubernetes fragments the
// values insert verbatim against the Kubernetes schemas (kubernetes-models), compose.yaml against the compose-spec
// schema, and the Dockerfile's shape. Where helm is on PATH, `helm lint --strict` and `helm template` run too, and
// every rendered object is validated with kubernetes-models (infra/README.md says what only helm/docker can check).

const ROOT = path.resolve(__dirname, '..');
const CHART = path.join(ROOT, 'infra/helm/integrador');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');
const WORKER_KINDS = ['set', 'get', 'cti', 'webhook'];

type Values = Record<string, unknown>;
const values = (): Values => parse(read('infra/helm/integrador/values.yaml')) as Values;
const templates = (): Map<string, string> =>
  new Map(fs.readdirSync(path.join(CHART, 'templates')).map((file) => [file, read(`infra/helm/integrador/templates/${file}`)]));

/** The value at a dotted path, or undefined when a segment is missing. */
function at(object: unknown, dotted: string): unknown {
  let current: unknown = object;
  for (const key of dotted.split('.')) {
    if (current === null || typeof current !== 'object' || !(key in current)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function schemaErrors(data: unknown): string[] {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(JSON.parse(read('infra/helm/integrador/values.schema.json')));
  return validate(data) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
}

/** Validates a kubernetes-models object, returning the error message or '' (validate() throws on a schema error). */
function k8sError(model: { validate(): void }): string {
  try {
    model.validate();
    return '';
  } catch (err) {
    return (err as Error).message;
  }
}

describe('Helm chart infra/helm/integrador', () => {
  test("appVersion is the hub's release (the root package.json's version) and every app's, so the default image tag follows a release", () => {
    const chart = parse(read('infra/helm/integrador/Chart.yaml')) as Record<string, string>;
    const versions = new Set(
      fs.readdirSync(path.join(ROOT, 'apps')).map((app) => (JSON.parse(read(`apps/${app}/package.json`)) as { version: string }).version),
    );
    const release = (JSON.parse(read('package.json')) as { version?: string }).version;
    expect([...versions]).toEqual([chart.appVersion]);
    expect(release).toBe(chart.appVersion);
    expect(chart.apiVersion).toBe('v2');
    expect(chart.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(values()).toMatchObject({ image: { tag: '' } }); // empty = appVersion
  });

  test('values.yaml passes values.schema.json, and the schema refuses what would break a release', () => {
    expect(schemaErrors(values())).toEqual([]);
    // ci/test-values.yaml (helm lint, chart-testing) merged over the defaults.
    const merge = (base: unknown, over: unknown): unknown =>
      over && typeof over === 'object' && !Array.isArray(over) && base && typeof base === 'object'
        ? Object.fromEntries(
            [...new Set([...Object.keys(base), ...Object.keys(over)])].map((k) => [
              k,
              k in over ? merge((base as Values)[k], (over as Values)[k]) : (base as Values)[k],
            ]),
          )
        : over;
    expect(schemaErrors(merge(values(), parse(read('infra/helm/integrador/ci/test-values.yaml'))))).toEqual([]);
    const broken = (change: (v: Values) => void): string[] => {
      const copy = values();
      change(copy);
      return schemaErrors(copy);
    };
    expect(broken((v) => Object.assign(v.image as Values, { tag: 'latest' }))).not.toEqual([]);
    // Scaled to zero, a worker kind would stop its periodic duties (schedules, sweeps, outbox).
    expect(broken((v) => Object.assign(at(v, 'workers.get.autoscaling') as Values, { minReplicas: 0 }))).not.toEqual([]);
    // Secrets go in existingSecret, never in values.
    expect(broken((v) => Object.assign(v.env as Values, { REDIS_URL: 'redis://:pw@redis:6379' }))).not.toEqual([]);
    expect(broken((v) => Object.assign(v, { replicaCount: 3 }))).not.toEqual([]);
    expect(broken((v) => Object.assign(v.workers as Values, { mail: at(v, 'workers.set') }))).not.toEqual([]);
  });

  test("every configuration variable is the chart's, a secret of existingSecret, or documented under env with its default", () => {
    const text = read('infra/helm/integrador/values.yaml');
    const envBlock = text.slice(text.indexOf('\nenv:'), text.indexOf('\nextraEnv:'));
    const secretBlock = text.slice(0, text.indexOf('\nexistingSecret:'));
    // Set by the chart (from ingress.port, metrics.workerPort, connectionsFile), or not for a cluster at all.
    const notUnderEnv: Record<string, string> = {
      HOST: 'the chart sets 0.0.0.0',
      PORT: 'ingress.port',
      METRICS_PORT: 'metrics.workerPort',
      CONNECTIONS_FILE: 'connectionsFile.configMap',
      FLEET_START_ID: "npm start's own",
      DATA_DIR: 'the embedded SQLite cannot be shared between pods',
      DASHBOARD_PORT: 'the chart serves the dashboard from the ingress',
      LOG_PRETTY: 'a development dependency',
    };
    const secrets = ['REDIS_URL', 'CRM_DATABASE_URL', 'METRICS_TOKEN', 'WEBHOOK_SECRET_KEY'];
    const properties = EnvSchema.properties as Record<string, { default?: unknown }>;
    const missing = Object.keys(properties).filter((name) => {
      if (name in notUnderEnv) return false;
      if (secrets.includes(name)) return !secretBlock.includes(name);
      return !new RegExp(`^  (# )?${name}:`, 'm').test(envBlock);
    });
    expect(missing).toEqual([]);
    // A documented default is the configuration's own (a default changed in env.ts must not leave the chart behind).
    const drift: string[] = [];
    for (const match of envBlock.matchAll(/^ {2}(?:# )?([A-Z][A-Z0-9_]*): ("[^"]*"|\S+)/gm)) {
      const [, name = '', shown = ''] = match;
      const fallback = properties[name]?.default;
      if (fallback !== undefined && shown.replace(/^"|"$/g, '') !== String(fallback)) drift.push(`${name}: ${shown}, default ${fallback}`);
    }
    expect(drift).toEqual([]);
    // Under env the schema refuses what the chart sets and any secret, a tenant's PBX or endpoint secret included.
    for (const name of [...Object.keys(notUnderEnv).slice(0, 5), ...secrets, 'CTI_SECRET_7_PBX', 'ENDPOINT_SECRET_7_ERP']) {
      expect({ name, errors: schemaErrors({ ...values(), env: { [name]: 'x' } }).length > 0 }).toEqual({ name, errors: true });
    }
  });

  test('worker-webhook runs 100 deliveries at a time; the other kinds keep env.WORKER_CONCURRENCY', () => {
    // env.WORKER_CONCURRENCY is set for every pod and wins over worker-webhook's own default: the kind sets its own.
    const defaults = values();
    const effective = (kind: string) => String(at(defaults, `workers.${kind}.concurrency`) || at(defaults, 'env.WORKER_CONCURRENCY'));
    expect(effective('webhook')).toBe('100');
    for (const kind of ['set', 'get', 'cti']) expect(effective(kind)).toBe('10');
    // workers.yaml turns a kind's concurrency into its WORKER_CONCURRENCY.
    expect(templates().get('workers.yaml')).toMatch(
      /if \$worker\.concurrency[\s\S]*"WORKER_CONCURRENCY" \(toString \$worker\.concurrency\)/,
    );
  });

  test('every .Values path the templates read exists in values.yaml', () => {
    const defaults = values();
    const missing: string[] = [];
    for (const [file, text] of templates()) {
      // .Values.x / $.Values.x, $values.x (a helper's alias of .Values) and $worker.x (one entry of workers).
      for (const match of text.matchAll(/(?:\$?\.Values|\$values)\.([A-Za-z0-9_.]+)/g)) {
        if (at(defaults, match[1] as string) === undefined) missing.push(`${file}: .Values.${match[1]}`);
      }
      for (const match of text.matchAll(/\$worker\.([A-Za-z0-9_.]+)/g)) {
        for (const kind of WORKER_KINDS) {
          if (at(defaults, `workers.${kind}.${match[1]}`) === undefined) missing.push(`${file}: workers.${kind}.${match[1]}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  test('the templates are well-formed: balanced actions and blocks, every include defined', () => {
    const all = [...templates().values()].join('\n');
    const defined = new Set([...all.matchAll(/\{\{-?\s*define\s+"([^"]+)"/g)].map((m) => m[1]));
    const problems: string[] = [];
    for (const [file, text] of templates()) {
      const actions = [...text.matchAll(/\{\{(.*?)\}\}/gs)].map((m) => (m[1] as string).replace(/^-?\s*|\s*-?$/g, ''));
      if ((text.match(/\{\{/g) ?? []).length !== actions.length) problems.push(`${file}: an unclosed {{`);
      const opened = actions.filter((a) => /^(if|range|with|define)\b/.test(a)).length;
      const closed = actions.filter((a) => a === 'end').length;
      if (opened !== closed) problems.push(`${file}: ${opened} blocks opened, ${closed} closed`);
      for (const match of text.matchAll(/include "([^"]+)"/g)) {
        if (!defined.has(match[1])) problems.push(`${file}: include "${match[1]}" is not defined`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('the Kubernetes fragments values.yaml inserts verbatim are valid Kubernetes objects', () => {
    const v = values();
    const containers = ['ingress', ...WORKER_KINDS.map((kind) => `workers.${kind}`), 'migrations'].map((key) => ({
      name: key.replace('workers.', 'worker-').replace('.', '-'),
      image: 'integrador:0.1.0',
      resources: at(v, `${key}.resources`) as object,
      securityContext: v.securityContext as object,
      env: v.extraEnv as [],
    }));
    const deployment = (podSpec: object) =>
      new Deployment({
        metadata: { name: 'fragments' },
        spec: {
          selector: { matchLabels: { app: 'x' } },
          template: {
            metadata: { labels: { app: 'x' } },
            spec: {
              securityContext: v.podSecurityContext as object,
              nodeSelector: v.nodeSelector as Record<string, string>,
              tolerations: v.tolerations as [],
              imagePullSecrets: v.imagePullSecrets as [],
              containers,
              ...podSpec,
            },
          },
        },
      });
    expect(k8sError(deployment({}))).toBe('');
    // The validation is live: a broken fragment is refused.
    expect(k8sError(deployment({ securityContext: { runAsUser: 'node' } }))).not.toBe('');
    const peers = (from: unknown) =>
      new NetworkPolicy({ metadata: { name: 'peers' }, spec: { podSelector: {}, ingress: [{ from: from as [] }] } });
    expect(k8sError(peers(at(v, 'networkPolicy.metricsFrom')))).toBe('');
    expect(k8sError(peers(at(v, 'networkPolicy.ingressFrom')))).toBe('');
  });

  test('KEDA scales on waiting + prioritized jobs, from the gauge the ingress exports', () => {
    const scaled = templates().get('scaledobjects.yaml') ?? '';
    expect(scaled).toContain('type: prometheus');
    expect(scaled).toContain('integrador_queue_jobs{queue=%q,state=~\\"waiting|prioritized\\"');
    // The series and its states exist: the ingress exports BullMQ's counts including prioritized.
    expect(read('apps/ingress/src/plugins/metrics.ts')).toContain("name: 'integrador_queue_jobs'");
    expect(read('packages/queue/src/job-producer.ts')).toMatch(/getJobCounts\([^)]*'waiting'[^)]*'prioritized'/);
  });

  test('the migration is a pre-install/pre-upgrade hook; every worker has probes on its metrics port', () => {
    const job = templates().get('migrate-job.yaml') ?? '';
    expect(job).toContain('helm.sh/hook: pre-install,pre-upgrade');
    // With the hook on, the ingress does not migrate at start (F16): the operator's step does, before the roll.
    expect(templates().get('ingress.yaml')).toMatch(
      /if and \.Values\.migrations\.enabled \(not \(hasKey \.Values\.env "MIGRATE_ON_START"\)\) \}\}\s+#[^\n]*\n\s+- name: MIGRATE_ON_START\s+value: "false"/,
    );
    expect(job).toContain('args: ["cli", "migrate"]');
    const workers = templates().get('workers.yaml') ?? '';
    expect(workers).toMatch(/livenessProbe:[^\n]*\n\s+httpGet: \{ path: \/healthz, port: metrics \}/);
    // Redis's health is readiness (F6): a Redis outage must not restart every worker pod.
    expect(workers).toMatch(/readinessProbe:[^\n]*\n\s+httpGet: \{ path: \/readyz, port: metrics \}/);
    expect(values()).toMatchObject({ metrics: { workerPort: 9464 } });
  });

  const helm = spawnSync('helm', ['version', '--short'], { encoding: 'utf8' });
  const haveHelm = helm.status === 0;
  if (!haveHelm) process.stdout.write('infra.test: helm not found, helm lint/template skipped (install helm 3.8+ to run them)\n');
  (haveHelm ? test : test.skip)('helm lint --strict and helm template: every rendered object is a valid Kubernetes object', () => {
    const set = ['-f', path.join(CHART, 'ci/test-values.yaml')];
    const lint = spawnSync('helm', ['lint', '--strict', CHART, ...set], { encoding: 'utf8' });
    expect(lint.stdout + lint.stderr).toMatch(/0 chart\(s\) failed/);
    const rendered = spawnSync('helm', ['template', 'r', CHART, ...set], { encoding: 'utf8' });
    expect(rendered.stderr).toBe('');
    const objects = parseAllDocuments(rendered.stdout)
      .map((doc) => doc.toJS() as { kind?: string; metadata?: { name?: string }; spec?: Record<string, unknown> })
      .filter((o) => o?.kind);
    const models: Record<string, new (o: never) => { validate(): void }> = {
      Deployment,
      Service,
      Job,
      PodDisruptionBudget,
      NetworkPolicy,
    };
    const errors = objects.flatMap((o) => {
      const Model = models[o.kind as string];
      const error = Model ? k8sError(new Model(o as never)) : '';
      return error ? [`${o.kind}/${o.metadata?.name}: ${error}`] : [];
    });
    expect(errors).toEqual([]);
    const kinds = objects.map((o) => o.kind).sort();
    expect(kinds.filter((k) => k === 'Deployment')).toHaveLength(5);
    expect(kinds.filter((k) => k === 'ScaledObject')).toHaveLength(4);
    expect(kinds.filter((k) => k === 'PodDisruptionBudget')).toHaveLength(5);
    for (const o of objects.filter((x) => x.kind === 'Deployment' && x.metadata?.name?.includes('worker'))) {
      expect(o.spec?.replicas).toBeUndefined(); // KEDA owns the count
    }
  });
});

describe('infra/prometheus alert rules', () => {
  const rules = () => parse(read('infra/prometheus/integrador-rules.yaml')) as { groups: { rules: { alert: string; expr: string }[] }[] };

  test('every series a rule reads is one the hub exports', () => {
    const sources = [
      read('apps/ingress/src/plugins/metrics.ts'),
      read('packages/runtime/src/metrics/worker-metrics.ts'),
      read('packages/runtime/src/metrics/process-metrics.ts'),
    ].join('\n');
    const names = new Set(rules().groups.flatMap((g) => g.rules.flatMap((r) => r.expr.match(/integrador_\w+/g) ?? [])));
    expect(names.size).toBeGreaterThan(0);
    for (const name of names) expect({ name, exported: sources.includes(`name: '${name}'`) }).toEqual({ name, exported: true });
  });

  const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  const havePromtool = promtool.status === 0;
  if (!havePromtool) process.stdout.write('infra.test: promtool not found, alert rules not checked (install prometheus to run it)\n');
  (havePromtool ? test : test.skip)('promtool check rules and promtool test rules pass', () => {
    const dir = path.join(ROOT, 'infra/prometheus');
    const checked = spawnSync('promtool', ['check', 'rules', 'integrador-rules.yaml'], { cwd: dir, encoding: 'utf8' });
    expect({ status: checked.status, out: checked.stdout + checked.stderr }).toMatchObject({ status: 0 });
    const tested = spawnSync('promtool', ['test', 'rules', 'integrador-rules.test.yaml'], { cwd: dir, encoding: 'utf8' });
    expect({ status: tested.status, out: tested.stdout + tested.stderr }).toMatchObject({ status: 0 });
  });
});

describe('infra/Dockerfile', () => {
  const dockerfile = read('infra/Dockerfile');

  test('runs the compiled bundles with source maps, as a non-root user, from a pinned Node image', () => {
    expect(dockerfile).toContain('RUN npm run build');
    expect(dockerfile).toMatch(/ENTRYPOINT \[.*dist\/main\.js.*exec node --enable-source-maps /);
    expect(dockerfile).not.toMatch(/tsx/);
    expect(dockerfile).toMatch(/^USER 1000:1000$/m);
    const image = /^ARG NODE_IMAGE=node:(\d+)\.\d+\.\d+-[a-z]+-slim$/m.exec(dockerfile);
    expect(image).not.toBeNull();
    const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
    const [low, high] = (/>=(\d+)\.\d+ <(\d+)/.exec(engines) ?? []).slice(1).map(Number);
    expect(Number(image?.[1])).toBeGreaterThanOrEqual(low as number);
    expect(Number(image?.[1])).toBeLessThan(high as number);
  });

  test('the apps the chart and compose start exist as build entries', () => {
    const started = new Set(['ingress', 'cli', ...WORKER_KINDS.map((k) => `worker-${k}`)]);
    const compose = parse(read('infra/compose.yaml'), { merge: true }) as {
      services: Record<string, { image: string; command?: string[] }>;
    };
    for (const service of Object.values(compose.services)) {
      if (service.image.startsWith('integrador:')) started.add(service.command?.[0] ?? 'ingress');
    }
    for (const app of started) {
      const entry = ['src/main.ts', 'src/server.ts'].some((file) => fs.existsSync(path.join(ROOT, 'apps', app, file)));
      expect({ app, entry }).toEqual({ app, entry: true });
    }
  });
});

describe('infra/compose.yaml', () => {
  const compose = parse(read('infra/compose.yaml'), { merge: true }) as { services: Record<string, Record<string, unknown>> };

  test('passes the compose-spec JSON schema', () => {
    // test/fixtures/compose-spec.json: schema/compose-spec.json of github.com/compose-spec/compose-spec (Apache-2.0) at
    // commit 170098ba07d9f53c383a41bfd4c5166b0a4529a6 (2026-06-23), the schema `docker compose config` applies (reformatted by biome).
    const { $schema: _draft, ...schema } = JSON.parse(read('test/fixtures/compose-spec.json')) as Record<string, unknown>;
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    const valid = validate(compose);
    expect(valid ? [] : validate.errors).toEqual([]);
    // The validation is live: a misspelt key is refused.
    expect(validate({ services: { redis: { image: 'redis:7.4.1', helthcheck: {} } } })).toBe(false);
  });

  test('pins every image tag; workers get their metrics port and a health check on it', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      expect({ name, image: service.image }).toEqual({ name, image: expect.stringMatching(/:[^:]*\d[^:]*$/) });
      expect(String(service.image)).not.toMatch(/latest/);
    }
    for (const kind of WORKER_KINDS) {
      const worker = compose.services[`worker-${kind}`] as { healthcheck: { test: string[] } };
      expect(worker).toMatchObject({ command: [`worker-${kind}`], environment: { METRICS_PORT: '9464' } });
      expect(worker.healthcheck.test.join(' ')).toContain('http://127.0.0.1:9464/readyz');
    }
  });

  test('worker-webhook runs 100 deliveries at a time; the other workers keep the shared WORKER_CONCURRENCY', () => {
    // The shared environment sets WORKER_CONCURRENCY, which wins over worker-webhook's own default of 100.
    const concurrency = (kind: string) => at(compose, `services.worker-${kind}.environment.WORKER_CONCURRENCY`);
    expect(concurrency('webhook')).toBe('100');
    for (const kind of ['set', 'get', 'cti']) expect(concurrency(kind)).toBe('10');
  });
});
