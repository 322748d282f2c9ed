import { createLogger } from '@integrador/logging';
import type { JobProducer } from '@integrador/queue';
import { createDatabase, createEmpresa } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { startTestProducer, type TestProducer } from '@integrador/test-support/test-producer';
import type { Redis } from 'ioredis';
import { sql } from 'kysely';
import { processCallEvent } from '../calls/call-events';
import { catchUpPhoneIndex } from '../phone/phone-index';
import { publishPop, shownPop } from '../pop/pop-events';
import { PopHub } from '../pop/pop-hub';
import { saveCtiSettings } from '../settings/cti-settings.repository';
import { type ListenerRequest, WConnectListener } from './wconnect-listener';

const logger = createLogger({ name: 'test', level: 'silent' });

/** The listener alone (no worker-cti): what the PBX gets back, what lands on the queue, what the operator sees. */
describe('WConnect listener without a worker', () => {
  let database: TestDatabase;
  let queues: TestProducer;
  let redis: Redis;
  let producer: JobProducer;
  let hub: PopHub;
  let listener: WConnectListener;
  let prefix: string;
  let acme: number;
  let outra: number;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    acme = await createEmpresa(database.db, 'Acme');
    outra = await createEmpresa(database.db, 'Outra');
    await saveCtiSettings(database.db, acme, { hostLabel: 'acme', allowAnyOrigin: true });
    await saveCtiSettings(database.db, outra, { hostLabel: 'outra', allowAnyOrigin: true });
    // The same number in both tenants: a pop must only ever show the listener URL's own tenant's conta.
    await database.db
      .insertInto('contas')
      .values([
        { empresa_id: acme, nome: 'Conta Acme', celular: '(11) 98765-4321' },
        { empresa_id: outra, nome: 'Conta Outra', celular: '11987654321' },
      ])
      .execute();
    // worker-cti's sweep would index them; the listener itself never catches up.
    await catchUpPhoneIndex(database.db);
    queues = await startTestProducer({ logger });
    ({ redis, producer, prefix } = queues);
    hub = new PopHub(redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null }), prefix);
    listener = new WConnectListener(listenerOptions());
  });

  const listenerOptions = () => ({
    db: database.db,
    redis,
    producer,
    prefix,
    domain: 'crm.test',
    trustedProxies: [],
    dedupeWindowMs: 2000,
    callTimeoutMs: 60000,
  });

  afterAll(async () => {
    await hub.close();
    await queues.close();
    await database.drop();
  });

  const start = (ramal: string, telefone: string): ListenerRequest => ({
    kind: 'inicio',
    host: 'acme.crm.test',
    pathToken: undefined,
    remoteAddress: '127.0.0.1',
    forwardedFor: undefined,
    params: { ramal, telefone },
  });

  type Pop = { type: string; matches?: unknown };
  /** The pops of one ramal of acme while `after` runs, until `last` arrives (or 5 s). */
  async function popsOf(ramal: string, last: string, after: () => Promise<unknown>): Promise<Pop[]> {
    const seen: Pop[] = [];
    let done: () => void = () => undefined;
    const enough = new Promise<void>((resolve) => {
      done = resolve;
    });
    const unsubscribe = await hub.subscribe(acme, ramal, (message) => {
      seen.push(JSON.parse(message));
      if (seen.at(-1)?.type === last) done();
    });
    await after();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([enough, new Promise((r) => (timer = setTimeout(r, 5000)))]);
    clearTimeout(timer);
    await unsubscribe();
    return seen;
  }

  it('pops "ringing" then the tenant’s caller card with no worker running', async () => {
    let outcome: Awaited<ReturnType<WConnectListener['accept']>> | undefined;
    const pops = await popsOf('3501', 'caller', async () => {
      outcome = await listener.accept(start('3501', '011987654321'));
    });
    expect(outcome).toMatchObject({ status: 200, repeated: false });
    expect(pops.map((p) => p.type)).toEqual(['ringing', 'caller']);
    // "consultando": the card follows from here, so worker-cti waits for it instead of looking the caller up too.
    expect(pops[0]).toMatchObject({ consultando: true });
    expect(pops[1]?.matches).toEqual([expect.objectContaining({ tabela: 'contas', nome: 'Conta Acme' })]);
    const job = await producer.getJob('cti', `cti-${acme}-${outcome?.status === 200 ? outcome.eventId : ''}`);
    expect(job?.data).toMatchObject({ tenant: { empresaId: acme }, kind: 'inicio', ramal: '3501', telefone: '011987654321' });
  });

  it.each([
    ['an empty telefone', '3510', ''],
    ['no telefone at all', '3511', undefined],
    ['a PBX’s word for it', '3512', 'Privado'],
  ])(
    'a withheld caller id (%s) is taken: "número privado" pops and the call is logged (trial 3, finding 2)',
    async (_, ramal, telefone) => {
      const request = start(ramal, '');
      request.params = telefone === undefined ? { ramal } : { ramal, telefone };
      let outcome: Awaited<ReturnType<WConnectListener['accept']>> | undefined;
      const pops = await popsOf(ramal, 'caller', async () => {
        outcome = await listener.accept(request);
      });
      if (outcome?.status !== 200) throw new Error(`not accepted: ${JSON.stringify(outcome)}`);
      expect(pops.map((p) => p.type)).toEqual(['ringing', 'caller']);
      expect(pops[0]).toMatchObject({ privado: true });
      expect(pops[1]).toMatchObject({ privado: true, matches: [] });
      const job = await producer.getJob('cti', `cti-${acme}-${outcome.eventId}`);
      const kept = telefone || 'anonymous';
      expect(job?.data).toMatchObject({ kind: 'inicio', ramal, telefone: kept });
      const deps = { db: database.db, redis, prefix, callTimeoutMs: 60000 };
      expect(await processCallEvent(deps, job?.data)).toMatchObject({ kind: 'inicio', matches: 0 });
      const rows = await database.db
        .selectFrom('ligacoes')
        .select(['telefone', 'ramal'])
        .where('empresa_id', '=', acme)
        .where('ramal', '=', ramal)
        .execute();
      expect(rows).toEqual([{ telefone: kept, ramal }]);
    },
  );

  it('a repeat within the window gets the first event’s id and adds no job; another number is a new event', async () => {
    const first = await listener.accept(start('3502', '11987654321'));
    const again = await listener.accept(start('3502', '(11) 98765-4321'));
    const other = await listener.accept(start('3502', '11912345678'));
    if (first.status !== 200 || again.status !== 200 || other.status !== 200) throw new Error('not accepted');
    expect(again).toEqual({ status: 200, eventId: first.eventId, repeated: true });
    expect(other.repeated).toBe(false);
    expect(other.eventId).not.toBe(first.eventId);
    const jobs = await producer.queue('cti').getJobs(['waiting', 'prioritized']);
    expect(jobs.filter((j) => j.data.ramal === '3502')).toHaveLength(2);
  });

  it('two withheld callers on one ramal within the window are two events, each logged (review: fixcti 3)', async () => {
    const empty = start('3505', '');
    const first = await listener.accept(empty);
    const second = await listener.accept(start('3505', 'anonymous'));
    const third = await listener.accept(start('3505', 'Privado'));
    if (first.status !== 200 || second.status !== 200 || third.status !== 200) throw new Error('not accepted');
    expect([first.repeated, second.repeated, third.repeated]).toEqual([false, false, false]);
    expect(new Set([first.eventId, second.eventId, third.eventId]).size).toBe(3);
    const deps = { db: database.db, redis, prefix, callTimeoutMs: 60000 };
    for (const { eventId } of [first, second, third]) {
      const job = await producer.getJob('cti', `cti-${acme}-${eventId}`);
      await processCallEvent(deps, job?.data);
    }
    const rows = await database.db
      .selectFrom('ligacoes')
      .select(['evento_id', 'status'])
      .where('empresa_id', '=', acme)
      .where('ramal', '=', '3505')
      .execute();
    expect(new Map(rows.map((r) => [r.evento_id, r.status]))).toEqual(
      new Map([
        [first.eventId, 'tocando'],
        [second.eventId, 'tocando'],
        [third.eventId, 'tocando'],
      ]),
    );
  });

  it('a caller card the call already shows is not published again (the worker after the listener)', async () => {
    const call = { callId: 'call-once-1', ramal: '3503', numero: '1140041234', normalizado: null, recebidoEm: new Date().toISOString() };
    const pops = await popsOf('3503', 'ended', async () => {
      expect(await publishPop(redis, prefix, acme, { type: 'caller', ...call, matches: [] }, 60000)).toBeGreaterThan(0);
      expect(await publishPop(redis, prefix, acme, { type: 'caller', ...call, matches: [] }, 60000)).toBe(0);
      await publishPop(redis, prefix, acme, { type: 'ended', ...call, encerradoEm: new Date().toISOString() }, 60000);
    });
    expect(pops.map((p) => p.type)).toEqual(['caller', 'ended']);
  });

  it('while writes are noted and not yet indexed, the listener rings and leaves the card and the catch-up to the worker', async () => {
    await database.db.insertInto('contas').values({ empresa_id: acme, nome: 'Importada', celular: '(21) 99876-5432' }).execute();
    // "caller" never comes here: the 5 s wait is the listener's whole chance to publish one.
    let outcome: Awaited<ReturnType<WConnectListener['accept']>> | undefined;
    const pops = await popsOf('3504', 'caller', async () => {
      outcome = await listener.accept(start('3504', '21998765432'));
    });
    expect(pops.map((p) => p.type)).toEqual(['ringing']);
    const notes = await database.db.selectFrom('cti_telefones_pendentes').select('id').where('empresa_id', '=', acme).execute();
    expect(notes).not.toHaveLength(0);
    if (outcome?.status !== 200) throw new Error('not accepted');
    // The listener announced its card ("consultando") and then did not look up: it takes the announcement back, in
    // place (no second "ringing" on the pages), so worker-cti does not wait for a card that never comes.
    const shown = await shownPop(redis, prefix, acme, '3504', outcome.eventId);
    expect(shown).toMatchObject({ type: 'ringing', id: expect.any(Number) });
    expect(shown).not.toHaveProperty('consultando');
    const job = await producer.getJob('cti', `cti-${acme}-${outcome.eventId}`);
    // A window longer than the test may take: a worker that waited for the listener's card would never finish in time.
    const deps = { db: database.db, redis, prefix, callTimeoutMs: 60000, listenerCardWaitMs: 10 * 60000 };
    const waited = new Promise((resolve) => setTimeout(() => resolve('waited for the listener'), 20000).unref());
    expect(await Promise.race([processCallEvent(deps, job?.data), waited])).toMatchObject({ kind: 'inicio', matches: 1 });
    // The card is the worker's (after its catch-up): the call shows the imported conta.
    const card = await shownPop(redis, prefix, acme, '3504', outcome.eventId);
    expect(card).toMatchObject({ type: 'caller', matches: [expect.objectContaining({ nome: 'Importada' })] });
  });

  it('when its lookup fails, the listener takes back the card it announced (the worker then looks up at once)', async () => {
    let failed: (err: unknown) => void = () => undefined;
    const lookupError = new Promise<unknown>((resolve) => {
      failed = resolve;
    });
    const failing = new WConnectListener({ ...listenerOptions(), settingsCacheMs: 10 * 60000, onPublishError: (err) => failed(err) });
    // Tenant settings cached first: only the lookup's own table goes missing below (a real failure, no stand-in).
    await popsOf('3520', 'caller', () => failing.accept(start('3520', '011987654321')));
    await sql`ALTER TABLE cti_telefones_pendentes RENAME TO cti_telefones_pendentes_fora`.execute(database.db);
    try {
      const outcome = await failing.accept(start('3521', '011987654321'));
      if (outcome.status !== 200) throw new Error('not accepted');
      expect(String(await lookupError)).toContain('cti_telefones_pendentes');
      const shown = await shownPop(redis, prefix, acme, '3521', outcome.eventId);
      expect(shown).toMatchObject({ type: 'ringing' });
      expect(shown).not.toHaveProperty('consultando');
    } finally {
      await sql`ALTER TABLE cti_telefones_pendentes_fora RENAME TO cti_telefones_pendentes`.execute(database.db);
    }
  });

  it('names its caller lookup on an ingress pool that names only admitted statements (planned once per connection)', async () => {
    const ingress = createDatabase(database.url, { poolSize: 1, prepareHotStatements: 'admitted' });
    const named = new WConnectListener({ ...listenerOptions(), db: ingress.db });
    try {
      await catchUpPhoneIndex(database.db);
      // More call starts than it takes to name a text (PREPARE_AFTER = 3), one ramal each (no repeat of an event).
      for (const ramal of ['3511', '3512', '3513', '3514', '3515']) {
        const pops = await popsOf(ramal, 'caller', () => named.accept(start(ramal, '011987654321')));
        expect(pops.map((p) => p.type)).toEqual(['ringing', 'caller']);
      }
      // One connection: the statements its backend keeps are the pool's. Only the lookup (not the settings reads).
      const { rows } = await sql<{ statement: string }>`SELECT statement FROM pg_prepared_statements`.execute(ingress.db);
      expect(rows.map((r) => r.statement)).toEqual([expect.stringContaining('cti_telefones_pendentes')]);
    } finally {
      await ingress.destroy();
    }
  });
});
