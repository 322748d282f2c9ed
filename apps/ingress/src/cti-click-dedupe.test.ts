import { saveCtiSettings } from '@integrador/cti';
import { createEmpresa, issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { UnrecoverableError, Worker } from 'bullmq';
import { startTestIngress, type TestIngress } from '../../../test/support/test-ingress';

// The click-to-call double-click dedupe (rev9b M1): one call per number as it is dialled, never a failed call.
describe('CTI click-to-call dedupe', () => {
  let database: TestDatabase;
  let ingress: TestIngress;
  let key: string;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    const acme = await createEmpresa(database.db, 'Acme');
    await saveCtiSettings(database.db, acme, {
      pbxUrlTemplate: 'http://127.0.0.1:9/dial?de={ramal_origem}&para={numero_destino}',
      allowPrivateNetwork: true,
    });
    key = await issueApiKey(database.db, acme, null, 'test');
    // Click-to-call takes only the ramal of an active usuario of the key's empresa.
    await database.db
      .insertInto('usuarios')
      .values(['201', '202'].map((ramal) => ({ empresa_id: acme, nome: `Agente ${ramal}`, ramal })))
      .execute();
    ingress = await startTestIngress(database, {
      deps: { cti: { domain: 'crm.test', trustedProxies: [], dedupeWindowMs: 30000, callTimeoutMs: 60000, popTokenTtlMs: 60000 } },
    });
  });

  afterAll(async () => {
    await ingress.close();
    await database.drop();
  });

  const click = (ramal: string, numero: string) =>
    ingress.app.inject({
      method: 'POST',
      url: '/v1/cti/click-to-call',
      headers: { authorization: `Bearer ${key}` },
      payload: { ramal, numero },
    });
  const queued = async (ramal: string) =>
    (await ingress.producer.queue('cti').getJobs(['waiting', 'delayed', 'prioritized', 'failed']))
      .filter((j) => j.name === 'cti.click-to-call' && j.data.ramal === ramal)
      .map((j) => j.data.numero)
      .sort();

  it('dials a landline and a mobile that share the caller lookup key (DDD + last 8 digits) as two calls', async () => {
    const fixo = (await click('201', '1134567890')).json();
    const celular = (await click('201', '11934567890')).json();
    expect([fixo.deduplicated, celular.deduplicated]).toEqual([false, false]);
    expect(celular.jobId).not.toBe(fixo.jobId);
    // The same number written another way, and a mobile before its ninth digit, are still one call each.
    expect((await click('201', '(11) 3456-7890')).json()).toMatchObject({ deduplicated: true, jobId: fixo.jobId });
    expect((await click('201', '+55 11 93456-7890')).json()).toMatchObject({ deduplicated: true, jobId: celular.jobId });
    expect(await queued('201')).toEqual(['1134567890', '11934567890']);
  });

  it("dials again on an agent's re-click after the first call failed (the PBX answered busy) within the window", async () => {
    const first = (await click('202', '5130304040')).json();
    expect(first.deduplicated).toBe(false);
    const worker = new Worker(
      'cti',
      async (job) => {
        if (job.data.ramal !== '202') throw new Error('not this test');
        throw new UnrecoverableError('PBX answered 486 busy');
      },
      { connection: ingress.redis.duplicate({ maxRetriesPerRequest: null }), prefix: ingress.prefix, autorun: false },
    );
    const failed = new Promise((resolve) => worker.on('failed', (job) => job?.id === first.jobId && resolve(job)));
    void worker.run();
    await failed;
    await worker.close();
    expect(await ingress.producer.queue('cti').getJobState(first.jobId)).toBe('failed');
    const again = (await click('202', '5130304040')).json();
    expect(again).toMatchObject({ deduplicated: false });
    expect(again.jobId).not.toBe(first.jobId);
    // The new call holds the window: a double click of it is one call.
    expect((await click('202', '(51) 3030-4040')).json()).toMatchObject({ deduplicated: true, jobId: again.jobId });
    expect(await queued('202')).toEqual(['5130304040', '5130304040']);
  });
});
