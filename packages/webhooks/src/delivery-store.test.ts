import { reportGroupFailuresTo, timestampValue } from '@integrador/store';
import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { sql } from 'kysely';
import { cancelEntrega, endpointFailuresOf, type FailureRecord, listTentativas, type TentativaRecord } from './deliveries.repository';
import { createDeliveryStore } from './delivery-store';
import { clearEndpointFailure, createWebhookEndpoint, findWebhookEndpoint, type WebhookEndpoint } from './endpoints.repository';
import { endpointWithDeliveries } from './test/deliveries';

describe.each(ALL_DIALECTS)('delivery store on %s', (dialect) => {
  let database: TestDatabase;
  const tenants: { empresaId: number; endpointId: number; entregaIds: number[] }[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    const { db } = database;
    for (const nome of ['A', 'B']) {
      const bodies = Array.from({ length: 14 }, (_, i) => `{"n":${i}}`);
      tenants.push(await endpointWithDeliveries(db, { nome, url: 'https://example.com/hook', segredo: 'sealed', bodies }));
    }
  });
  afterAll(async () => {
    await database.drop();
  });

  const attempt = (empresaId: number, entregaId: number, numero: number): TentativaRecord => ({
    empresaId,
    entregaId,
    numero,
    origem: 'automatica',
    cabecalhos: { 'webhook-id': 'x' },
    statusHttp: 200,
    resposta: 'ok',
    duracaoMs: 5,
    classeErro: null,
    erro: null,
  });

  it('loads concurrent deliveries together, each bound to its own tenant', async () => {
    const store = createDeliveryStore(database.db);
    const [a, b] = tenants as [(typeof tenants)[0], (typeof tenants)[0]];
    const loaded = await Promise.all([
      ...a.entregaIds.slice(0, 3).map((id) => store.load(a.empresaId, id)),
      store.load(b.empresaId, b.entregaIds[0] as number),
      // Another tenant's delivery id is not found.
      store.load(b.empresaId, a.entregaIds[1] as number),
    ]);
    expect(loaded.map((e) => e?.payload)).toEqual(['{"n":0}', '{"n":1}', '{"n":2}', '{"n":0}', undefined]);
    expect(loaded[3]?.webhook_id).toBe('msg_B0');
  });

  it('records concurrent successes (different tenants and attempt numbers) and marks each delivery entregue', async () => {
    const store = createDeliveryStore(database.db);
    const [a, b] = tenants as [(typeof tenants)[0], (typeof tenants)[0]];
    const done = [
      attempt(a.empresaId, a.entregaIds[0] as number, 1),
      attempt(a.empresaId, a.entregaIds[1] as number, 1),
      attempt(a.empresaId, a.entregaIds[2] as number, 3),
      attempt(b.empresaId, b.entregaIds[0] as number, 1),
    ];
    await Promise.all(done.map((t) => store.delivered(t)));
    const rows = await database.db
      .selectFrom('webhook_entregas')
      .select(['id', 'status', 'tentativas', 'ultimo_status_http'])
      .orderBy('id')
      .execute();
    const byId = new Map(rows.map((r) => [Number(r.id), r]));
    for (const t of done) {
      expect(byId.get(t.entregaId)).toMatchObject({ status: 'entregue', tentativas: t.numero, ultimo_status_http: 200 });
      expect((await listTentativas(database.db, t.empresaId, t.entregaId)).map((r) => r.numero)).toEqual([t.numero]);
    }
    expect(byId.get(b.entregaIds[1] as number)?.status).toBe('pendente');
  });

  it('records concurrent failures with each delivery its own state, the clock from the earliest, the endpoint disabled once', async () => {
    const store = createDeliveryStore(database.db);
    const [a, b] = tenants as [(typeof tenants)[0], (typeof tenants)[0]];
    const ids = a.entregaIds.slice(3) as [number, number, number];
    const at = (ms: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, 0, ms));
    const failure = (entregaId: number, numero: number, since: Date | null, motivo: string | null) => ({
      attempt: { ...attempt(a.empresaId, entregaId, numero), statusHttp: 500, resposta: 'down', classeErro: 'server_error' },
      status: motivo ? ('falhou' as const) : ('pendente' as const),
      erro: 'HTTP 500',
      proximaEm: motivo ? null : at(60000 + entregaId),
      endpoint: { empresaId: a.empresaId, id: a.endpointId, since, motivo, clockBefore: null },
    });
    await Promise.all([
      store.failed(failure(ids[0], 1, at(300), null)),
      store.failed(failure(ids[1], 2, at(100), null)),
      store.failed(failure(ids[2], 4, null, '{"code":"GONE","status":410}')),
    ]);
    const rows = await database.db
      .selectFrom('webhook_entregas')
      .select(['id', 'empresa_id', 'status', 'tentativas', 'ultimo_status_http', 'ultimo_erro', 'proxima_tentativa_em'])
      .execute();
    const byId = new Map(rows.map((r) => [Number(r.id), r]));
    for (const [index, numero] of [1, 2].entries()) {
      const id = ids[index] as number;
      expect(byId.get(id)).toMatchObject({ status: 'pendente', tentativas: numero, ultimo_status_http: 500, ultimo_erro: 'HTTP 500' });
      expect(new Date(byId.get(id)?.proxima_tentativa_em as string | Date).getTime()).toBe(at(60000 + id).getTime());
      expect((await listTentativas(database.db, a.empresaId, id)).map((r) => [r.numero, r.status_http])).toEqual([[numero, 500]]);
    }
    expect(byId.get(ids[2])).toMatchObject({ status: 'falhou', tentativas: 4, proxima_tentativa_em: null });
    const endpoint = await findWebhookEndpoint(database.db, a.empresaId, a.endpointId);
    // The clock starts at the group's earliest failure; the 410 disables the endpoint with its reason.
    expect(endpoint?.primeiraFalhaEm?.getTime()).toBe(at(100).getTime());
    expect(endpoint).toMatchObject({ ativo: false, desativadoMotivo: '{"code":"GONE","status":410}' });
    // Tenant B: its endpoint and deliveries are untouched.
    expect(await findWebhookEndpoint(database.db, b.empresaId, b.endpointId)).toMatchObject({ ativo: true, primeiraFalhaEm: null });
    for (const id of b.entregaIds.slice(1)) expect(byId.get(id)).toMatchObject({ status: 'pendente', tentativas: 0 });
  });

  it("a group whose statement fails is retried item by item: one bad failure fails alone, even another tenant's id", async () => {
    const store = createDeliveryStore(database.db);
    const [a, b] = tenants as [(typeof tenants)[0], (typeof tenants)[0]];
    const clockBefore = (await findWebhookEndpoint(database.db, b.empresaId, b.endpointId))?.primeiraFalhaEm ?? null;
    const failure = (empresaId: number, entregaId: number, endpointId: number, origem = 'automatica') => ({
      attempt: { ...attempt(empresaId, entregaId, 1), statusHttp: 503, origem: origem as 'automatica' },
      status: 'pendente' as const,
      erro: 'HTTP 503',
      proximaEm: new Date(),
      endpoint: { empresaId, id: endpointId, since: new Date(), motivo: null, clockBefore: null },
    });
    const groupFailures: number[] = [];
    reportGroupFailuresTo(({ group, size }) => {
      if (group === 'delivery failures') groupFailures.push(size);
    });
    const outcomes = await Promise.allSettled([
      store.failed(failure(b.empresaId, b.entregaIds[3] as number, b.endpointId)),
      // No origem (a NOT NULL column): this one's statement fails.
      store.failed(failure(b.empresaId, b.entregaIds[4] as number, b.endpointId, null as unknown as string)),
      // Tenant B's row under tenant A's id: bound to its tenant, it changes nothing of B's. (Its endpoint's clock runs
      // already: a failure that changes no endpoint row.)
      store.failed({
        ...failure(a.empresaId, b.entregaIds[5] as number, a.endpointId),
        endpoint: { empresaId: a.empresaId, id: a.endpointId, since: null, motivo: null, clockBefore: null },
      }),
    ]);
    reportGroupFailuresTo(undefined);
    // The three went as one group, which failed, then one by one.
    expect(groupFailures).toEqual([3]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    // No attempt row for B's delivery under A's id.
    expect(
      await database.db
        .selectFrom('webhook_tentativas')
        .select('id')
        .where('entrega_id', '=', b.entregaIds[5] as number)
        .execute(),
    ).toEqual([]);
    const row = (id: number) =>
      database.db.selectFrom('webhook_entregas').select(['status', 'tentativas']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(await row(b.entregaIds[3] as number)).toMatchObject({ tentativas: 1 });
    expect(await row(b.entregaIds[4] as number)).toMatchObject({ tentativas: 0 });
    expect(await row(b.entregaIds[5] as number)).toMatchObject({ status: 'pendente', tentativas: 0 });
    expect(clockBefore).toBeNull();
    expect((await findWebhookEndpoint(database.db, b.empresaId, b.endpointId))?.primeiraFalhaEm).not.toBeNull();
  });
  const newEndpoint = async (empresaId: number, clock: Date | null) => {
    const endpoint = { nome: 'n', url: 'https://example.com/n', gatilhos: ['contato.criado' as const], ativo: true, cabecalhos: {} };
    const id = await createWebhookEndpoint(database.db, empresaId, { ...endpoint, limitePorSegundo: null }, 'sealed');
    if (clock)
      await database.db
        .updateTable('webhook_endpoints')
        .set({ primeira_falha_em: timestampValue(database.db, clock) })
        .where('id', '=', id)
        .execute();
    return id;
  };
  const failureOf = (empresaId: number, entregaId: number, numero: number, endpoint: FailureRecord['endpoint']): FailureRecord => ({
    attempt: { ...attempt(empresaId, entregaId, numero), statusHttp: 500, resposta: 'down', classeErro: 'server_error' },
    status: 'pendente',
    erro: 'HTTP 500',
    proximaEm: new Date(Date.now() + 60000),
    endpoint,
  });

  it('a disable for failing too long happens only if the clock, as the row holds it, is still old enough', async () => {
    const store = createDeliveryStore(database.db);
    const b = tenants[1] as (typeof tenants)[0];
    const hourAgo = new Date(Math.floor(Date.now() / 1000) * 1000 - 3600_000);
    const retryAt = new Date(Date.now() + 60000);
    const tooLong = (endpointId: number, entregaId: number): FailureRecord => ({
      ...failureOf(b.empresaId, entregaId, 1, {
        empresaId: b.empresaId,
        id: endpointId,
        since: new Date(),
        motivo: '{"code":"FAILING_TOO_LONG"}',
        clockBefore: new Date(Date.now() - 60000),
      }),
      status: 'falhou',
      proximaEm: null,
      ifNotDisabled: { status: 'pendente', proximaEm: retryAt },
    });
    // The clock a cached row showed was stopped (a success) before the failure was written: no disable, a retry.
    const cleared = await newEndpoint(b.empresaId, null);
    const old = await newEndpoint(b.empresaId, hourAgo);
    const [notDisabled, disabled] = await Promise.all([
      store.failed(tooLong(cleared, b.entregaIds[6] as number)),
      store.failed(tooLong(old, b.entregaIds[7] as number)),
    ]);
    expect([notDisabled, disabled]).toEqual([false, true]);
    const clearedRow = await findWebhookEndpoint(database.db, b.empresaId, cleared);
    expect(clearedRow).toMatchObject({ ativo: true, desativadoMotivo: null });
    // Its clock starts again at this failure.
    expect(clearedRow?.primeiraFalhaEm).not.toBeNull();
    expect(await findWebhookEndpoint(database.db, b.empresaId, old)).toMatchObject({
      ativo: false,
      desativadoMotivo: '{"code":"FAILING_TOO_LONG"}',
    });
    const row = (id: number) =>
      database.db.selectFrom('webhook_entregas').select(['status', 'proxima_tentativa_em']).where('id', '=', id).executeTakeFirstOrThrow();
    const retried = await row(b.entregaIds[6] as number);
    expect(retried.status).toBe('pendente');
    expect(new Date(retried.proxima_tentativa_em as string | Date).getTime()).toBe(retryAt.getTime());
    expect(await row(b.entregaIds[7] as number)).toMatchObject({ status: 'falhou', proxima_tentativa_em: null });
  });

  it('two failures of one delivery in a group go in two rounds, in order, the group itself never refused', async () => {
    const store = createDeliveryStore(database.db);
    const b = tenants[1] as (typeof tenants)[0];
    const id = b.entregaIds[8] as number;
    const endpoint = { empresaId: b.empresaId, id: b.endpointId, since: null, motivo: null, clockBefore: null };
    const groupFailures: string[] = [];
    reportGroupFailuresTo(({ group, error }) => {
      if (group === 'delivery failures') groupFailures.push((error as Error).message);
    });
    const other = b.entregaIds[11] as number;
    await Promise.all([
      store.failed(failureOf(b.empresaId, id, 1, endpoint)),
      store.failed({ ...failureOf(b.empresaId, id, 2, endpoint), status: 'falhou', erro: 'manual', proximaEm: null }),
      store.failed(failureOf(b.empresaId, other, 1, endpoint)),
    ]);
    reportGroupFailuresTo(undefined);
    // Refused, the whole group used to run one by one (reported as a failed group).
    expect(groupFailures).toEqual([]);
    expect((await listTentativas(database.db, b.empresaId, other)).map((r) => r.numero)).toEqual([1]);
    const row = await database.db
      .selectFrom('webhook_entregas')
      .select(['status', 'tentativas', 'ultimo_erro'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'falhou', tentativas: 2, ultimo_erro: 'manual' });
    expect((await listTentativas(database.db, b.empresaId, id)).map((r) => r.numero).sort()).toEqual([1, 2]);
  });

  it('a later round that fails rolls back the earlier ones: each failure is recorded once when the group runs one by one', async () => {
    const store = createDeliveryStore(database.db);
    const b = tenants[1] as (typeof tenants)[0];
    const id = b.entregaIds[12] as number;
    const other = b.entregaIds[13] as number;
    const endpoint = { empresaId: b.empresaId, id: b.endpointId, since: null, motivo: null, clockBefore: null };
    const second = failureOf(b.empresaId, id, 2, endpoint);
    // The second round's only failure cannot be written (duracao_ms is NOT NULL): that round throws.
    const broken = { ...second, attempt: { ...second.attempt, duracaoMs: null as unknown as number } };
    const outcomes = await Promise.allSettled([
      store.failed(failureOf(b.empresaId, id, 1, endpoint)),
      store.failed(failureOf(b.empresaId, other, 1, endpoint)),
      store.failed(broken),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect((await listTentativas(database.db, b.empresaId, other)).map((r) => r.numero)).toEqual([1]);
    expect((await listTentativas(database.db, b.empresaId, id)).map((r) => r.numero)).toEqual([1]);
  });

  it('a running clock is kept when a failure brings its own start time (and on PostgreSQL its row is not written)', async () => {
    const store = createDeliveryStore(database.db);
    const b = tenants[1] as (typeof tenants)[0];
    const hourAgo = new Date(Math.floor(Date.now() / 1000) * 1000 - 3600_000);
    const endpointId = await newEndpoint(b.empresaId, hourAgo);
    const version = async () =>
      dialect === 'postgres'
        ? (await sql<{ xmin: string }>`SELECT xmin::text AS xmin FROM webhook_endpoints WHERE id = ${endpointId}`.execute(database.db))
            .rows[0]?.xmin
        : undefined;
    const before = await version();
    await Promise.all(
      [9, 10].map((n) =>
        store.failed(
          failureOf(b.empresaId, b.entregaIds[n] as number, 1, {
            empresaId: b.empresaId,
            id: endpointId,
            since: new Date(),
            motivo: null,
            clockBefore: null,
          }),
        ),
      ),
    );
    expect((await findWebhookEndpoint(database.db, b.empresaId, endpointId))?.primeiraFalhaEm?.getTime()).toBe(hourAgo.getTime());
    expect(await version()).toBe(before);
  });

  it('a 410 wins over failing too long whatever their order in a group', () => {
    const gone = { empresaId: 1, id: 5, since: null, motivo: 'gone', clockBefore: null };
    const long = { empresaId: 1, id: 5, since: new Date(), motivo: 'long', clockBefore: new Date() };
    for (const order of [
      [gone, long],
      [long, gone],
    ]) {
      const merged = endpointFailuresOf(order.map((endpoint, n) => failureOf(1, n + 1, 1, endpoint)));
      expect(merged).toEqual([{ ...long, motivo: 'gone', clockBefore: null }]);
    }
  });
  it("cancels only a pending delivery of its own tenant; a success clears only its tenant's endpoint clock", async () => {
    const [a, b] = tenants as [(typeof tenants)[0], (typeof tenants)[0]];
    const status = async (id: number) =>
      (await database.db.selectFrom('webhook_entregas').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;
    // B's delivery under A's id, and a delivery delivered meanwhile: neither is cancelled.
    await cancelEntrega(database.db, a.empresaId, b.entregaIds[11] as number, 'ENDPOINT_DISABLED');
    expect(await status(b.entregaIds[11] as number)).toBe('pendente');
    await cancelEntrega(database.db, a.empresaId, a.entregaIds[0] as number, 'ENDPOINT_DISABLED');
    expect(await status(a.entregaIds[0] as number)).toBe('entregue');
    await cancelEntrega(database.db, b.empresaId, b.entregaIds[11] as number, 'ENDPOINT_DISABLED');
    expect(await status(b.entregaIds[11] as number)).toBe('cancelada');
    const clock = new Date(Math.floor(Date.now() / 1000) * 1000 - 60000);
    const endpointId = await newEndpoint(b.empresaId, clock);
    const endpoint = (await findWebhookEndpoint(database.db, b.empresaId, endpointId)) as WebhookEndpoint;
    await clearEndpointFailure(database.db, { ...endpoint, empresaId: a.empresaId });
    expect((await findWebhookEndpoint(database.db, b.empresaId, endpointId))?.primeiraFalhaEm?.getTime()).toBe(clock.getTime());
    await clearEndpointFailure(database.db, endpoint);
    expect((await findWebhookEndpoint(database.db, b.empresaId, endpointId))?.primeiraFalhaEm).toBeNull();
  });
});
