import { spawnSync } from 'node:child_process';
import { optionalParts } from '@integrador/test-support/optional-parts';
import type { FastifyInstance } from 'fastify';
import { buildDocsApp } from '../../../test/support/docs-app';

// /metrics as Prometheus' own checker reads it (promtool check metrics: names, types, suffixes, help texts).
const parts = optionalParts(['promtool']);

describe('GET /metrics', () => {
  let app: FastifyInstance;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ app, close } = await buildDocsApp());
  });
  afterAll(async () => {
    await close?.();
  });

  const scrape = async () => {
    await app.inject('/healthz'); // one request, so the latency histogram has a series
    return (await app.inject('/metrics')).body;
  };

  (parts.has('promtool') ? it : it.skip)('passes promtool check metrics with no problem', async () => {
    const checked = spawnSync('promtool', ['check', 'metrics'], { input: await scrape(), encoding: 'utf8' });
    expect(`${checked.stdout}${checked.stderr}`.trim()).toBe('');
    expect(checked.status).toBe(0);
  });

  it('exports the standard process metric names and Redis reachability of this very scrape', async () => {
    const text = await scrape();
    expect(text).toMatch(/^process_cpu_seconds_total \d/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d/m);
    expect(text).toMatch(/^nodejs_active_handles\{type="\w+"\} \d/m);
    expect(text).not.toMatch(/^nodejs_active_handles_total/m);
    expect(text).toContain('integrador_redis_up 1');
  });
});
