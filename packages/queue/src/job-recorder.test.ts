import { JobPayloadError, MAX_RECEPTOR_ATTEMPTS, noteRetryPolicy, RECEPTOR_BACKOFF, withRetryPolicy } from '@integrador/jobs';
import { createLogger } from '@integrador/logging';
import { createEmpresa, findJobRecord } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { DelayedError, type Job } from 'bullmq';
import { DelayedReason } from './delayed-reason';
import { jobFailureLabel } from './job-failure-reasons';
import type { ObservedJobEvent } from './job-observer';
import { createJobRecorder } from './job-recorder';
import { PermanentJobFailure } from './permanent-failure';

describe('job recorder: registro_jobs written in batches (real PostgreSQL)', () => {
  let database: TestDatabase;
  let empresa: number;
  const logger = createLogger({ name: 'test', level: 'silent' });

  /** What the queue worker hands the observer: a job as BullMQ describes it, at one moment of its life. */
  function event(
    id: string,
    kind: ObservedJobEvent['kind'],
    attemptsMade: number,
    extra: Partial<ObservedJobEvent> = {},
  ): ObservedJobEvent {
    const job = {
      id,
      name: 'integration.run',
      data: { tenant: { empresaId: empresa, filialId: null }, integracaoId: 19, parametros: { contaId: 7 }, trigger: 'api' },
      attemptsMade,
      opts: { attempts: 3 },
    } as unknown as Job;
    return { queue: 'set', job, kind, ...extra };
  }

  /** The job's row once `done` holds for it: the recorder writes on its own timer, late on a busy machine. */
  async function recordOnce(id: string, done: (row: Awaited<ReturnType<typeof findJobRecord>>) => boolean) {
    for (const deadline = Date.now() + 10000; ; await new Promise((r) => setTimeout(r, 10))) {
      const row = await findJobRecord(database.db, [empresa], 'set', id);
      if (done(row) || Date.now() > deadline) return row;
    }
  }

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    empresa = await createEmpresa(database.db, 'A');
  });
  afterAll(() => database.drop());

  it("writes a job's start and finish seen together as one row with both times", async () => {
    const recorder = createJobRecorder(database, logger, { flushMs: 60000 });
    recorder.onJobEvent(event('j1', 'started', 0));
    await new Promise((r) => setTimeout(r, 20));
    recorder.onJobEvent(event('j1', 'completed', 1));
    expect(await findJobRecord(database.db, [empresa], 'set', 'j1')).toBeUndefined();
    await recorder.drain();
    const row = await findJobRecord(database.db, [empresa], 'set', 'j1');
    expect(row).toMatchObject({ estado: 'concluido', tentativas: 1, max_tentativas: 3, integracao_id: 19 });
    expect(row?.iniciado_em).toBeTruthy();
    expect(row?.finalizado_em).toBeTruthy();
    expect(new Date(row?.finalizado_em as Date).getTime()).toBeGreaterThan(new Date(row?.iniciado_em as Date).getTime());
  });

  it('keeps the order of a job across batches: a retry, then its completion, never a start over a finish', async () => {
    const recorder = createJobRecorder(database, logger, { flushMs: 5 });
    recorder.onJobEvent(event('j2', 'started', 0));
    recorder.onJobEvent(event('j2', 'failed', 1, { final: false, error: new Error('ECONNRESET') }));
    expect(await recordOnce('j2', (row) => row !== undefined)).toMatchObject({
      estado: 'aguardando_retentativa',
      erro_mensagem: 'ECONNRESET',
    });
    recorder.onJobEvent(event('j2', 'started', 1));
    recorder.onJobEvent(event('j2', 'completed', 2));
    await recorder.drain();
    expect(await findJobRecord(database.db, [empresa], 'set', 'j2')).toMatchObject({
      estado: 'concluido',
      tentativas: 2,
      erro_mensagem: null,
    });
  });

  it('writes many jobs in batches of at most batchMax, and all of them by drain', async () => {
    const recorder = createJobRecorder(database, logger, { flushMs: 60000, batchMax: 10 });
    for (let i = 0; i < 35; i++) {
      recorder.onJobEvent(event(`m${i}`, 'started', 0));
      recorder.onJobEvent(event(`m${i}`, 'completed', 1));
    }
    await recorder.drain();
    const rows = await database.db.selectFrom('registro_jobs').select('estado').where('job_id', 'like', 'm%').execute();
    expect(rows).toHaveLength(35);
    expect(new Set(rows.map((r) => r.estado))).toEqual(new Set(['concluido']));
  });

  it("holds a job's start back: a job that finishes within startDelayMs is written once, a longer one shows as running", async () => {
    // A start delay far longer than a stall of a busy machine: the first reads below come well within it.
    const startDelayMs = 2000;
    const recorder = createJobRecorder(database, logger, { flushMs: 5, startDelayMs });
    const startedAt = Date.now();
    recorder.onJobEvent(event('quick', 'started', 0));
    recorder.onJobEvent(event('slow', 'started', 0));
    await new Promise((r) => setTimeout(r, 100));
    // Flushes ran meanwhile (every 5 ms): neither start is written yet.
    expect(await findJobRecord(database.db, [empresa], 'set', 'quick')).toBeUndefined();
    expect(await findJobRecord(database.db, [empresa], 'set', 'slow')).toBeUndefined();
    recorder.onJobEvent(event('quick', 'completed', 1));
    const quick = await recordOnce('quick', (row) => row !== undefined);
    expect(quick).toMatchObject({ estado: 'concluido', tentativas: 1 });
    expect(new Date(quick?.finalizado_em as Date).getTime()).toBeGreaterThan(new Date(quick?.iniciado_em as Date).getTime());
    // Held back until its delay is over, then written as running.
    const slow = await recordOnce('slow', (row) => row !== undefined);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(startDelayMs);
    expect(slow).toMatchObject({ estado: 'ativo', tentativas: 1, finalizado_em: null });
    expect(slow?.iniciado_em).toBeTruthy();
    recorder.onJobEvent(event('slow', 'completed', 1));
    await recorder.drain();
    expect(await findJobRecord(database.db, [empresa], 'set', 'slow')).toMatchObject({ estado: 'concluido', tentativas: 1 });
  });

  it("records a payload refused by the worker's validation with its class and code, as a final failure", async () => {
    const recorder = createJobRecorder(database, logger, { flushMs: 5 });
    const refused = new JobPayloadError('set', 'integration.run', '/integracaoId', 'integracaoId: expected integer, got "x"');
    recorder.onJobEvent(event('bad', 'failed', 1, { final: true, error: new PermanentJobFailure(refused) }));
    await recorder.drain();
    expect(await findJobRecord(database.db, [empresa], 'set', 'bad')).toMatchObject({
      estado: 'falhou',
      erro_classe: 'JobPayloadError',
      erro_codigo: 'JOB_PAYLOAD_INVALID',
      erro_mensagem: refused.message,
    });
  });

  it("records a SET push's real attempts (its connection's policy), not the ceiling it was enqueued with", async () => {
    const setPush = (id: string, kind: ObservedJobEvent['kind'], attemptsMade: number, extra: Partial<ObservedJobEvent> = {}) => {
      const observed = event(id, kind, attemptsMade, extra);
      Object.assign(observed.job.opts, { attempts: MAX_RECEPTOR_ATTEMPTS, backoff: { type: RECEPTOR_BACKOFF, delay: 2000 } });
      return observed;
    };
    const recorder = createJobRecorder(database, logger, { flushMs: 60000, startDelayMs: 0 });
    // A connection without retry: the default 12, also when a receptor failure is what is seen.
    recorder.onJobEvent(setPush('r1', 'failed', 1, { final: false, error: new Error('ECONNREFUSED') }));
    // A failure marked with its connection's policy (the transport does it), seen by a process that ran no attempt.
    recorder.onJobEvent(
      setPush('r2', 'failed', 1, { final: false, error: withRetryPolicy(new Error('503'), { attempts: 7, backoffMs: 5000 }) }),
    );
    // The processor noted the connection's policy: a completion shows it too.
    noteRetryPolicy('set', 'r3', { attempts: 9, backoffMs: 1000 });
    recorder.onJobEvent(setPush('r3', 'completed', 1));
    await recorder.drain();
    expect(await findJobRecord(database.db, [empresa], 'set', 'r1')).toMatchObject({ tentativas: 1, max_tentativas: 12 });
    expect(await findJobRecord(database.db, [empresa], 'set', 'r2')).toMatchObject({ tentativas: 1, max_tentativas: 7 });
    expect(await findJobRecord(database.db, [empresa], 'set', 'r3')).toMatchObject({ tentativas: 1, max_tentativas: 9 });
  });

  it("shows a SET push's policy from its start, and on a failure before its connection is resolved: its integration's, as this process last resolved it", async () => {
    const setPush = (id: string, kind: ObservedJobEvent['kind'], integracaoId: number, extra: Partial<ObservedJobEvent> = {}) => {
      const observed = event(id, kind, 0, extra);
      Object.assign(observed.job, { data: { ...observed.job.data, integracaoId } });
      Object.assign(observed.job.opts, { attempts: MAX_RECEPTOR_ATTEMPTS, backoff: { type: RECEPTOR_BACKOFF, delay: 2000 } });
      return observed;
    };
    // An earlier job of integration 71 resolved its connection (3 attempts) in this process.
    noteRetryPolicy('set', 's0', { attempts: 3, backoffMs: 100 }, { tenant: { empresaId: empresa }, integracaoId: 71 });
    const recorder = createJobRecorder(database, logger, { flushMs: 60000, startDelayMs: 0 });
    // A new job of it, started (not resolved yet), and one failing before it resolves (an unmarked CRM error).
    recorder.onJobEvent(setPush('s1', 'started', 71));
    recorder.onJobEvent(setPush('s2', 'failed', 71, { final: false, error: new Error('relation "integracao" does not exist') }));
    // An integration this process never resolved: the default, which is what it retries on.
    recorder.onJobEvent(setPush('s3', 'started', 72));
    await recorder.drain();
    expect(await findJobRecord(database.db, [empresa], 'set', 's1')).toMatchObject({ tentativas: 1, max_tentativas: 3 });
    expect(await findJobRecord(database.db, [empresa], 'set', 's2')).toMatchObject({ max_tentativas: 3 });
    expect(await findJobRecord(database.db, [empresa], 'set', 's3')).toMatchObject({ max_tentativas: 12 });
  });

  it('writes the starts still held back on drain (shutdown)', async () => {
    const recorder = createJobRecorder(database, logger, { flushMs: 60000, startDelayMs: 60000 });
    recorder.onJobEvent(event('held', 'started', 0));
    await recorder.drain();
    expect(await findJobRecord(database.db, [empresa], 'set', 'held')).toMatchObject({ estado: 'ativo' });
  });

  it("writes a stalled job's start before it returns (onDurableStart), after the writes under way; a blocked write holds it only so long", async () => {
    const recorder = createJobRecorder(database, logger, { flushMs: 60000, startDelayMs: 60000, durableStartWaitMs: 400 });
    recorder.onJobEvent(event('again', 'failed', 1, { final: false, error: new Error('boom') }));
    // The retry waiting in the batch is older than this start: the start is the row, written by the time it returns.
    await recorder.onDurableStart?.(event('again', 'started', 1));
    expect(await findJobRecord(database.db, [empresa], 'set', 'again')).toMatchObject({ estado: 'ativo', tentativas: 2 });

    // Another session holds the row's lock: the write waits for it, the job does not (past durableStartWaitMs).
    const held = database.db.transaction().execute(async (trx) => {
      await trx.selectFrom('registro_jobs').select('id').where('job_id', '=', 'again').forUpdate().execute();
      await new Promise((r) => setTimeout(r, 1500));
    });
    await new Promise((r) => setTimeout(r, 100));
    const startedAt = Date.now();
    await recorder.onDurableStart?.(event('again', 'started', 2));
    expect(Date.now() - startedAt).toBeLessThan(1200);
    await held;
    expect(await recordOnce('again', (row) => row?.tentativas === 3)).toMatchObject({ estado: 'ativo', tentativas: 3 });
  });

  it('records a job moved to delayed as a wait with its reason, never as BullMQ\'s bare "bullmq:movedToDelayed" error', async () => {
    const recorder = createJobRecorder(database, logger, { flushMs: 60000 });
    recorder.onJobEvent(event('espera', 'delayed', 0, { error: new DelayedError() }));
    recorder.onJobEvent(event('pausa', 'delayed', 0, { error: new DelayedReason('TENANT_PAUSED', `tenant ${empresa} paused`) }));
    await recorder.drain();
    const bare = await findJobRecord(database.db, [empresa], 'set', 'espera');
    expect(bare).toMatchObject({
      estado: 'adiado',
      erro_codigo: 'JOB_DELAYED',
      erro_mensagem: 'moved to delayed without using an attempt',
    });
    expect(jobFailureLabel('pt-BR', bare?.erro_codigo)).toBe(
      'adiado: o job espera para rodar mais tarde, sem gastar uma tentativa (não é uma falha)',
    );
    const paused = await findJobRecord(database.db, [empresa], 'set', 'pausa');
    expect(paused).toMatchObject({ estado: 'adiado', erro_classe: 'DelayedError', erro_codigo: 'TENANT_PAUSED' });
    expect(jobFailureLabel('en', paused?.erro_codigo)).toBe(
      'delayed: the tenant is paused; the job runs once it is resumed (not a failure)',
    );
  });

  it("records a webhook delivery's retry wait as the failed attempt it follows, never as a wait's JOB_DELAYED", async () => {
    const recorder = createJobRecorder(database, logger, { flushMs: 60000 });
    // As packages/webhooks' DeliveryRetryWait: a DelayedError marked retryWait, with the delivery's own count.
    const retryWait = Object.assign(new DelayedError('retry after attempt 2'), { retryWait: true, attemptsMade: 2, maxAttempts: 5 });
    recorder.onJobEvent(event('retentativa', 'delayed', 0, { error: retryWait }));
    await recorder.drain();
    const row = await findJobRecord(database.db, [empresa], 'set', 'retentativa');
    expect(row).toMatchObject({
      estado: 'aguardando_retentativa',
      tentativas: 2,
      max_tentativas: 5,
      erro_classe: 'DelayedError',
      erro_codigo: null,
      erro_mensagem: 'retry after attempt 2',
    });
  });
});
