import { Writable } from 'node:stream';
import { createLogger } from '@integrador/logging';
import { createRedis, pingProcessor, startQueueWorker } from '@integrador/queue';
import { createEmpresa, issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { TEST_REDIS_URL, testPrefix } from '@integrador/test-support/redis-server';
import type { Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { startTestIngress, type TestIngress } from './support/test-ingress';

/** A log destination that keeps every JSON line. */
function captureLines(): { stream: Writable; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { stream, lines };
}

// x-request-id from the caller to the worker: the ingress returns it, logs it on the request's lines and carries it in
// the job, and every worker log line of that job has it as reqId.
describe('request id from the HTTP request to the worker', () => {
  const ingressLog = captureLines();
  const workerLog = captureLines();
  let database: TestDatabase;
  let workerRedis: Redis;
  let app: FastifyInstance;
  let ingress: TestIngress;
  let worker: Worker;
  let key: string;
  const prefix = testPrefix();

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    workerRedis = createRedis(TEST_REDIS_URL, { role: 'worker' });
    const logger = createLogger({ name: 'ingress', level: 'info', destination: ingressLog.stream });
    ingress = await startTestIngress(database, { prefix, deps: { logger } });
    ({ app } = ingress);
    worker = startQueueWorker({
      queue: 'set',
      handlers: { 'system.ping': pingProcessor } as never,
      connection: workerRedis,
      prefix,
      concurrency: 1,
      logger: createLogger({ name: 'worker-set', level: 'debug', destination: workerLog.stream }),
    });
    key = await issueApiKey(database.db, await createEmpresa(database.db, 'Empresa A'), null, 'a');
  });
  afterAll(async () => {
    await worker?.close();
    await ingress?.close();
    workerRedis?.disconnect();
    await database?.drop();
  });

  const finished = async (jobId: string) => {
    for (let i = 0; i < 200; i++) {
      const job = await app.inject({ url: `/v1/jobs/set/${jobId}`, headers: { authorization: `Bearer ${key}` } });
      if (job.json().state === 'completed') return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`job ${jobId} did not complete`);
  };

  it('x-request-id: abc → 202 with x-request-id abc, request lines and every worker line of the job with reqId abc', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/ping',
      headers: { authorization: `Bearer ${key}`, 'x-request-id': 'abc' },
      payload: { queue: 'set' },
    });
    expect(response.statusCode).toBe(202);
    expect(response.headers['x-request-id']).toBe('abc');
    const { jobId } = response.json() as { jobId: string };
    await finished(jobId);

    const jobLines = workerLog.lines.filter((line) => line.jobId === jobId);
    expect(jobLines.map((line) => line.msg)).toEqual(expect.arrayContaining(['job started', 'job completed']));
    expect(jobLines.every((line) => line.reqId === 'abc')).toBe(true);

    const requestLines = ingressLog.lines.filter((line) => line.reqId === 'abc');
    expect(requestLines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ msg: 'incoming request', req: expect.objectContaining({ method: 'POST', url: '/v1/ping' }) }),
        expect.objectContaining({ msg: 'request completed', res: { statusCode: 202 }, responseTime: expect.any(Number) }),
      ]),
    );
    expect(JSON.stringify(requestLines)).not.toContain(key);
  });

  it('makes an id when the caller sends none or one that is not a short token, and logs probes only at debug', async () => {
    const none = await app.inject('/v1/me');
    expect(none.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const odd = await app.inject({ url: '/v1/me', headers: { 'x-request-id': 'a b\u0000c' } });
    expect(odd.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const before = ingressLog.lines.length;
    await app.inject('/healthz');
    expect(ingressLog.lines.slice(before)).toEqual([]);
  });
});
