import { createEmpresa } from '@integrador/store';
import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { startTestProducer, type TestProducer } from '@integrador/test-support/test-producer';
import { sql } from 'kysely';
import { restartEntrega } from './deliveries.repository';
import { createWebhookEndpoint } from './endpoints.repository';
import { publishChange } from './publish-change';

// A change published to an endpoint that is disabled, or re-enabled while the change is published (real databases
// and Redis): its delivery is recorded for a recover, or sent, never left cancelled behind a job the worker skips.
describe.each(ALL_DIALECTS)('publishing a change around an endpoint re-enabled, on %s', (dialect) => {
  let database: TestDatabase;
  let queue: TestProducer;
  let empresaId: number;
  let endpointId: number;
  let nextId = 500;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    queue = await startTestProducer();
    empresaId = await createEmpresa(database.db, 'Publica');
    const endpoint = {
      nome: 'e',
      url: 'https://example.com/hook',
      gatilhos: ['oportunidade.criada' as const],
      ativo: false,
      cabecalhos: {},
      limitePorSegundo: null,
    };
    endpointId = await createWebhookEndpoint(database.db, empresaId, endpoint, 'plain:whsec_x');
  });
  afterAll(async () => {
    await queue.close();
    await database.drop();
  });

  const setAtivo = (ativo: number) =>
    database.db.updateTable('webhook_endpoints').set({ ativo }).where('empresa_id', '=', empresaId).where('id', '=', endpointId).execute();
  const oportunidade = async () => {
    const id = nextId++;
    await database.db.insertInto('oportunidades').values({ id, empresa_id: empresaId, titulo: 'P', status: 'Aberta' }).execute();
    return { empresaId, tabela: 'oportunidades' as const, registroId: String(id), operacao: 'criado' as const, chave: `k-${id}` };
  };
  const entrega = (id: number) =>
    database.db
      .selectFrom('webhook_entregas')
      .select(['status', 'ultimo_erro', 'recuperacao'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  /** The ids of the jobs of the test's queue for a delivery (any kind: first send or recover). */
  const jobsOf = async (entregaId: number) => {
    const keys = await queue.redis.keys(`${queue.prefix}:webhook:*`);
    const ids = keys.map((k) => k.replace(/^.*:/, '')).filter((id) => /^wh[dv]-/.test(id));
    const jobs = await Promise.all(ids.map(async (id) => ({ id, data: await queue.redis.hget(`${queue.prefix}:webhook:${id}`, 'data') })));
    return jobs.filter((j) => j.data && (JSON.parse(j.data) as { entregaId?: number }).entregaId === entregaId).map((j) => j.id);
  };

  it('the same key published again once the endpoint is active sends the delivery it left cancelled', async () => {
    await setAtivo(0);
    const change = await oportunidade();
    const first = await publishChange(database.db, queue.producer, change);
    expect(first).toMatchObject({ entregas: [], canceladas: [expect.any(Number)], motivo: { code: 'ENDPOINTS_DISABLED' } });
    const [id] = first.canceladas ?? [];
    expect(await jobsOf(id as number)).toEqual([]);
    await setAtivo(1);
    // A stale claim taken over, an outbox row drained again after a crash: the same key, published again.
    const again = await publishChange(database.db, queue.producer, change);
    expect(again).toEqual({ gatilho: 'oportunidade.criada', entregas: [id] });
    expect(await entrega(id as number)).toMatchObject({ status: 'pendente', ultimo_erro: null, recuperacao: expect.any(String) });
    const row = await entrega(id as number);
    expect(await jobsOf(id as number)).toEqual([`whv-${id}-${row.recuperacao}`]);
  });

  /** A transaction holding webhook_entregas in a lock mode (PostgreSQL) until released. */
  async function holdEntregas(mode: 'SHARE ROW EXCLUSIVE' | 'ACCESS EXCLUSIVE') {
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked: () => void = () => undefined;
    const holding = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const holder = database.db.transaction().execute(async (trx) => {
      await sql.raw(`LOCK TABLE webhook_entregas IN ${mode} MODE`).execute(trx);
      locked();
      await released;
    });
    await holding;
    return {
      release: async () => {
        release();
        await holder;
      },
    };
  }

  /** Whether a statement waits on a lock of webhook_entregas (polled up to ~2 s). */
  async function blockedOnEntregas(): Promise<boolean> {
    for (let i = 0; i < 200; i++) {
      const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM pg_locks
        WHERE NOT granted AND relation = 'webhook_entregas'::regclass`.execute(database.db);
      if (Number(rows[0]?.n) > 0) return true;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return false;
  }

  if (dialect === 'postgres') {
    it('an endpoint re-enabled after the publish read it disabled, before its delivery is written: sent, not cancelled', async () => {
      await setAtivo(0);
      const change = await oportunidade();
      // Holds inserts into webhook_entregas (reads go on) while the endpoint is re-enabled.
      const lock = await holdEntregas('SHARE ROW EXCLUSIVE');
      const published = publishChange(database.db, queue.producer, change);
      // The publish has read the endpoint (disabled) and waits on the insert of its delivery.
      expect(await blockedOnEntregas()).toBe(true);
      await setAtivo(1);
      await lock.release();
      const result = await published;
      expect(result).toEqual({ gatilho: 'oportunidade.criada', entregas: [expect.any(Number)] });
      const [id] = result.entregas;
      expect(await entrega(id as number)).toMatchObject({ status: 'pendente', ultimo_erro: null });
      expect(await jobsOf(id as number)).toHaveLength(1);
    });

    /**
     * A change whose delivery was cancelled (its endpoint disabled) is published again once the endpoint is re-enabled,
     * while `mode` holds webhook_entregas; the endpoint is disabled again while the publish waits on the lock.
     */
    async function republishDisabledMeanwhile(mode: Parameters<typeof holdEntregas>[0]) {
      await setAtivo(0);
      const change = await oportunidade();
      const first = await publishChange(database.db, queue.producer, change);
      const [id] = first.canceladas ?? [];
      await setAtivo(1);
      const lock = await holdEntregas(mode);
      try {
        const published = publishChange(database.db, queue.producer, change);
        expect(await blockedOnEntregas()).toBe(true);
        await setAtivo(0);
        await lock.release();
        return { id: id as number, result: await published };
      } finally {
        await lock.release().catch(() => undefined);
      }
    }
    const leftCancelled = (id: number) => ({
      gatilho: 'oportunidade.criada',
      entregas: [],
      canceladas: [id],
      motivo: { code: 'ENDPOINTS_DISABLED', params: { gatilho: 'oportunidade.criada' } },
    });

    it('an endpoint disabled after the publish read it active, before its cancelled delivery is found: left cancelled', async () => {
      // Every statement on webhook_entregas held, reads too: the publish has read the endpoint (active) and waits on the
      // read of its delivery.
      const { id, result } = await republishDisabledMeanwhile('ACCESS EXCLUSIVE');
      expect(result).toEqual(leftCancelled(id));
      expect(await entrega(id)).toMatchObject({ status: 'cancelada', recuperacao: null });
      expect(await jobsOf(id)).toEqual([]);
    });

    it('an endpoint disabled after the publish read it active again, before the restart of its delivery: left cancelled', async () => {
      // Writes to webhook_entregas held (reads go on): the publish finds its delivery, reads the endpoint active, adds
      // the held job and waits on the restart's UPDATE.
      const { id, result } = await republishDisabledMeanwhile('SHARE ROW EXCLUSIVE');
      expect(result).toEqual(leftCancelled(id));
      expect(await entrega(id)).toMatchObject({ status: 'cancelada', ultimo_erro: expect.any(String), recuperacao: null });
      // The held job was added before the UPDATE, and removed when it restarted nothing.
      expect(await jobsOf(id)).toEqual([]);
    });
  }

  it('restarts a disable-cancelled delivery only while its endpoint is active, the same statement deciding', async () => {
    await setAtivo(0);
    const change = await oportunidade();
    const [id] = (await publishChange(database.db, queue.producer, change)).canceladas ?? [];
    const cancelled = await entrega(id as number);
    const again = { id: id as number, status: 'cancelada' as const, ultimoErro: cancelled.ultimo_erro };
    // What a caller that read the endpoint active a moment ago would do, the endpoint disabled since.
    expect(await restartEntrega(database.db, empresaId, again, 'r1')).toBe(false);
    expect(await entrega(id as number)).toMatchObject({ status: 'cancelada', recuperacao: null });
    await setAtivo(1);
    expect(await restartEntrega(database.db, empresaId, again, 'r3')).toBe(true);
    expect(await entrega(id as number)).toMatchObject({ status: 'pendente', recuperacao: 'r3' });
  });
});
