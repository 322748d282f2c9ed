import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { availableCores } from './cpu-cores';
import { ConfigError, loadConfig } from './load-config';
import { outboundLoopbackAllowed } from './outbound-loopback';

describe('loadConfig', () => {
  it('applies the embedded defaults', () => {
    const config = loadConfig({}, '/srv/app');
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.databaseUrl).toBe('sqlite:/srv/app/data/integrador.sqlite');
    expect(config.port).toBe(3000);
    expect(config.keyPrefix).toBe('{integrador}');
    expect(config.connectionsFile).toBeUndefined();
    expect(config.scheduleTimezone).toBe('America/Sao_Paulo');
    expect(config.scheduleSyncIntervalMs).toBe(60000);
    expect(config.workerConcurrency).toBe(10);
  });

  it('has no CTI ring timeout unless set (WConnect sends no answer event): an open call waits for its end or the call timeout', () => {
    expect(loadConfig({}).cti).toMatchObject({ ringTimeoutMs: undefined, callTimeoutMs: 4 * 3600 * 1000 });
    expect(loadConfig({ CTI_RING_TIMEOUT_MS: '300000' }).cti.ringTimeoutMs).toBe(300000);
    expect(() => loadConfig({ CTI_RING_TIMEOUT_MS: '10' })).toThrow(/CTI_RING_TIMEOUT_MS: expected milliseconds from 1000/);
  });

  it('limits each tenant at the ingress by default (PBX events 50/s burst 200, /v1 writes 100/s burst 500); 0 turns a budget off', () => {
    expect(loadConfig({}).admissionLimits).toEqual({ cti: { perSecond: 50, burst: 200 }, api: { perSecond: 100, burst: 500 } });
    const off = loadConfig({ RATE_LIMIT_CTI_PER_SECOND: '0', RATE_LIMIT_API_BURST: '20' }).admissionLimits;
    expect(off).toEqual({ cti: { perSecond: 0, burst: 200 }, api: { perSecond: 100, burst: 20 } });
    expect(() => loadConfig({ RATE_LIMIT_API_BURST: '0' })).toThrow(/RATE_LIMIT_API_BURST: expected an integer from 1/);
  });

  it("bounds the dashboard's Validar at 10 s per event type unless DASHBOARD_VALIDATE_TIMEOUT_MS says otherwise", () => {
    expect(loadConfig({}).dashboard.validateTimeoutMs).toBe(10000);
    expect(loadConfig({ DASHBOARD_VALIDATE_TIMEOUT_MS: '2500' }).dashboard.validateTimeoutMs).toBe(2500);
    expect(() => loadConfig({ DASHBOARD_VALIDATE_TIMEOUT_MS: '5' })).toThrow(
      /DASHBOARD_VALIDATE_TIMEOUT_MS: expected milliseconds from 100/,
    );
  });

  it('says that ENDPOINT_TIMEOUT_MS caps DASHBOARD_VALIDATE_TIMEOUT_MS (validationLimits waits no longer), in both languages', () => {
    // Config does not compare two variables: a larger value loads, and every place that states the range states the cap.
    expect(loadConfig({ DASHBOARD_VALIDATE_TIMEOUT_MS: '600000' }).dashboard.validateTimeoutMs).toBe(600000);
    let refusal: ConfigError | undefined;
    try {
      loadConfig({ DASHBOARD_VALIDATE_TIMEOUT_MS: '700000' });
    } catch (err) {
      refusal = err as ConfigError;
    }
    expect(refusal?.localized('en')).toContain('never longer than ENDPOINT_TIMEOUT_MS, which caps a larger value');
    expect(refusal?.localized('pt-BR')).toContain('nunca mais que ENDPOINT_TIMEOUT_MS, que limita um valor maior');
    const readme = fs.readFileSync(path.join(__dirname, '../../../README.md'), 'utf8');
    expect(readme).toMatch(/\| `DASHBOARD_VALIDATE_TIMEOUT_MS` \|[^\n]*at most `ENDPOINT_TIMEOUT_MS`: a larger value waits only that long/);
  });

  it('reads Redis Cluster seed nodes as a list (none by default)', () => {
    expect(loadConfig({}).redisClusterNodes).toEqual([]);
    expect(loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:6379, redis-1.redis:6379,[::1]:7000' }).redisClusterNodes).toEqual([
      '10.0.0.1:6379',
      'redis-1.redis:6379',
      '[::1]:7000',
    ]);
  });

  it("takes an app's own default for an unset variable; a value set, even the schema's default, wins", () => {
    expect(loadConfig({}, process.cwd(), { WORKER_CONCURRENCY: '100' }).workerConcurrency).toBe(100);
    expect(loadConfig({ WORKER_CONCURRENCY: '' }, process.cwd(), { WORKER_CONCURRENCY: '100' }).workerConcurrency).toBe(100);
    expect(loadConfig({ WORKER_CONCURRENCY: '10' }, process.cwd(), { WORKER_CONCURRENCY: '100' }).workerConcurrency).toBe(10);
  });

  it('runs one process per worker app unless WORKER_PROCESSES says otherwise; auto = the cores it may use', () => {
    expect(loadConfig({}).workerProcesses).toBe(1);
    expect(loadConfig({ WORKER_PROCESSES: '3' }).workerProcesses).toBe(3);
    expect(loadConfig({ WORKER_PROCESSES: 'auto' }).workerProcesses).toBe(availableCores());
  });

  it("gives a SET push without its connection's retry 12 attempts from 2 s, waits capped at 5 min, unless SET_RETRY_* say otherwise", () => {
    expect(loadConfig({}).setRetry).toEqual({ attempts: 12, backoffMs: 2000, maxDelayMs: 300000 });
    const own = loadConfig({ SET_RETRY_ATTEMPTS: '20', SET_RETRY_BACKOFF_MS: '5000', SET_RETRY_MAX_DELAY_MS: '600000' });
    expect(own.setRetry).toEqual({ attempts: 20, backoffMs: 5000, maxDelayMs: 600000 });
    expect(() => loadConfig({ SET_RETRY_ATTEMPTS: '26' })).toThrow(/SET_RETRY_ATTEMPTS: expected an integer from 1 to 25/);
  });

  it('coerces numbers and resolves paths', () => {
    const config = loadConfig({ PORT: '8080', CONNECTIONS_FILE: 'conf/c.yaml', LOG_LEVEL: 'debug', WORKER_CONCURRENCY: '7' }, '/srv');
    expect(config.port).toBe(8080);
    expect(config.workerConcurrency).toBe(7);
    expect(config.connectionsFile).toBe('/srv/conf/c.yaml');
    expect(config.logLevel).toBe('debug');
  });

  it.each([
    ['PORT', 'abc', /PORT: expected an integer from 1 to 65535, got "abc"/],
    ['PORT', '70000', /PORT/],
    ['REDIS_URL', 'localhost:6379', /REDIS_URL: expected a Redis URL/],
    ['REDIS_CLUSTER_NODES', 'redis://10.0.0.1:6379', /REDIS_CLUSTER_NODES: expected comma-separated host:port seed nodes/],
    ['CRM_DATABASE_URL', 'oracle://x', /CRM_DATABASE_URL: expected a database URL/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL: expected one of fatal/],
    ['KEY_PREFIX', 'integrador', /KEY_PREFIX: expected a Redis key prefix with a Cluster hash tag/],
    ['KEY_PREFIX', 'a:{b}', /KEY_PREFIX/],
    ['SCHEDULE_TIMEZONE', 'Mars/Olympus', /SCHEDULE_TIMEZONE: expected an IANA time zone/],
    ['SCHEDULE_SYNC_INTERVAL_MS', '10', /SCHEDULE_SYNC_INTERVAL_MS: expected milliseconds from 1000/],
    ['WORKER_PROCESSES', '0', /WORKER_PROCESSES: expected an integer from 1 to 99 or auto/],
    ['WORKER_PROCESSES', 'all', /WORKER_PROCESSES: expected an integer from 1 to 99 or auto/],
    ['WORKER_PROCESSES', '100', /WORKER_PROCESSES/],
  ])('rejects %s=%s with a message naming the variable', (name, value, message) => {
    let error: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(name);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it('words a refusal in pt-BR too, from its variable and the value as shown (the message stays English)', () => {
    const refusal = (env: NodeJS.ProcessEnv) => {
      try {
        loadConfig(env);
      } catch (err) {
        return err as ConfigError;
      }
      throw new Error('expected a ConfigError');
    };
    const prefix = refusal({ KEY_PREFIX: 'a:{b}' });
    expect(prefix).toMatchObject({ code: 'INVALID_ENV', variable: 'KEY_PREFIX', got: '"a:{b}"' });
    expect(prefix.message).toBe(prefix.localized('en'));
    expect(prefix.localized('pt-BR')).toBe(
      'variável de ambiente KEY_PREFIX inválida: esperado um prefixo de chaves do Redis com uma hash tag de Cluster e sem dois-pontos, como {integrador} (todas as filas compartilham a tag para que os fluxos fiquem em um só slot), recebido "a:{b}"',
    );
    // Masked in every language; the time zone's own check speaks it too.
    expect(refusal({ METRICS_TOKEN: 'short' }).localized('pt-BR')).toMatch(
      /^variável de ambiente METRICS_TOKEN inválida: .*, recebido um valor de 5 caracteres$/,
    );
    expect(refusal({ SCHEDULE_TIMEZONE: 'Mars/Olympus' }).localized('pt-BR')).toBe(
      'variável de ambiente SCHEDULE_TIMEZONE inválida: esperado um fuso horário IANA como America/Sao_Paulo ou UTC (o fuso em que integracao.cron é lido), recebido "Mars/Olympus"',
    );
  });

  it.each([
    ['RETENTION_JOBS_DAYS', 'jobsDays'],
    ['RETENTION_WEBHOOKS_DAYS', 'webhooksDays'],
  ] as const)(
    'keeps %s 0 (forever) or at least the 7 days an Idempotency-Key stays bound; 1 to 6 are refused, in both languages',
    (variable, setting) => {
      expect(loadConfig({ [variable]: '0' }).retention[setting]).toBe(0);
      expect(loadConfig({ [variable]: '7' }).retention[setting]).toBe(7);
      for (const days of ['1', '6']) {
        let refusal: ConfigError | undefined;
        try {
          loadConfig({ [variable]: days });
        } catch (err) {
          refusal = err as ConfigError;
        }
        expect(refusal).toMatchObject({ code: 'INVALID_ENV', variable, got: days });
        expect(refusal?.message).toMatch(/expected days, 0 or from 7 to 36500 .*Idempotency-Key/);
        expect(refusal?.localized('pt-BR')).toMatch(/esperado dias, 0 ou de 7 a 36500 .*Idempotency-Key/);
      }
    },
  );

  it("reads OUTBOUND_ALLOW_LOOPBACK (off unless 'true'), alone for the CLI too; another value is refused in both languages", () => {
    expect(loadConfig({}).outboundAllowLoopback).toBe(false);
    expect(loadConfig({ OUTBOUND_ALLOW_LOOPBACK: 'true' }).outboundAllowLoopback).toBe(true);
    expect([outboundLoopbackAllowed({}), outboundLoopbackAllowed({ OUTBOUND_ALLOW_LOOPBACK: 'true' })]).toEqual([false, true]);
    for (const refuse of [
      () => loadConfig({ OUTBOUND_ALLOW_LOOPBACK: 'yes' }),
      () => outboundLoopbackAllowed({ OUTBOUND_ALLOW_LOOPBACK: 'yes' }),
    ]) {
      let refusal: ConfigError | undefined;
      try {
        refuse();
      } catch (err) {
        refusal = err as ConfigError;
      }
      expect(refusal?.variable).toBe('OUTBOUND_ALLOW_LOOPBACK');
      expect(refusal?.localized('pt-BR')).toContain(
        'variável de ambiente OUTBOUND_ALLOW_LOOPBACK inválida: esperado true ou false (true: uma conexão',
      );
      expect(refusal?.localized('en')).toContain('invalid environment variable OUTBOUND_ALLOW_LOOPBACK: expected true or false');
    }
  });

  it.each([
    ['169.254.0.0/16', 'link-local'],
    ['10.1.2.0/24, 169.254.169.254', 'link-local'],
    ['fe80::/10', 'link-local'],
    ['100.100.100.200', 'cloud metadata'],
    ['fd00:ec2::254/128', 'cloud metadata'],
    ['::ffff:169.254.169.254', 'link-local'], // IPv4-mapped: matched as IPv4, so it would open nothing either
    ['::ffff:a9fe:0/112', 'link-local'],
  ])('refuses WEBHOOK_ALLOWED_NETWORKS=%s: a range no connection ever reaches (%s), in both languages', (value, range) => {
    let error: unknown;
    try {
      loadConfig({ WEBHOOK_ALLOWED_NETWORKS: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const refusal = error as ConfigError;
    const entry = JSON.stringify(value.split(',').at(-1)?.trim());
    expect(refusal.variable).toBe('WEBHOOK_ALLOWED_NETWORKS');
    expect(refusal.message).toBe(
      `invalid environment variable WEBHOOK_ALLOWED_NETWORKS: ${entry} lies in a range the hub never reaches (${range}, where clouds serve a machine's metadata and credentials), for webhooks and connections alike; remove it from the list`,
    );
    expect(refusal.localized('pt-BR')).toContain(
      `variável de ambiente WEBHOOK_ALLOWED_NETWORKS inválida: ${entry} está numa faixa que o hub nunca alcança (`,
    );
  });

  it('keeps WEBHOOK_ALLOWED_NETWORKS entries that open something (a wide one too); refuses one it cannot read', () => {
    const allowed = '10.1.2.0/24, 127.0.0.1, 0.0.0.0/0, 100.64.0.0/10';
    expect(loadConfig({ WEBHOOK_ALLOWED_NETWORKS: allowed }).webhooks.allowedNetworks).toEqual(allowed.split(', '));
    expect(() => loadConfig({ WEBHOOK_ALLOWED_NETWORKS: '10.1.2.0/24,999.1.1.1' })).toThrow(
      /^invalid environment variable WEBHOOK_ALLOWED_NETWORKS: expected .*, got "999\.1\.1\.1"$/,
    );
  });

  it('names a rejected URL without its userinfo or query values (the one URL rule)', () => {
    expect(() => loadConfig({ CRM_DATABASE_URL: 'oracle://crm:Pg-S3cret-1@db/x?password=Pg-S3cret-2&mode=ro' })).toThrow(
      'got "oracle://***@db/x?password=***&mode=***"',
    );
  });

  it('stops a process with one line on stderr and exit code 1', () => {
    const script = `require('${path.join(__dirname, 'index.ts')}').loadConfigOrExit(); console.log('started');`;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
      env: { ...process.env, PORT: 'not-a-port' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(result.stdout).not.toContain('started');
    expect(result.stderr.trim().split('\n')).toEqual([
      'invalid environment variable PORT: expected an integer from 1 to 65535, got "not-a-port"',
    ]);
  });
});
