import { randomBytes } from 'node:crypto';
import { createEmpresa, issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { createWebhookHttpClient, DEFAULT_WEBHOOK_SETTINGS, openSecret } from '@integrador/webhooks';
import { Worker } from 'bullmq';
import { startTestIngress, type TestIngress } from '../../../test/support/test-ingress';

// A replay of an Idempotency-Key within its binding is answered from the first answer, on every POST route: whatever
// the queues did with the first job (another tenant's traffic evicts completed jobs) and for routes that enqueue
// nothing. The real ingress on loopback (port 3160), real Redis and PostgreSQL.
describe('Idempotency-Key replays answer the first answer', () => {
  const PORT = 3160;
  const base = `http://127.0.0.1:${PORT}`;
  const secretKey = randomBytes(32);
  let database: TestDatabase;
  let ingress: TestIngress;
  let worker: Worker;
  let keyA: string;
  let keyB: string;
  let setA: number;
  /** The ids of the set jobs the worker ran: the integration's work, counted. */
  const ran: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    const { db } = database;
    const empresaA = await createEmpresa(db, 'Replay A');
    keyA = await issueApiKey(db, empresaA, null, 'a');
    // Pop tokens are issued for an active usuario's ramal only.
    await db
      .insertInto('usuarios')
      .values(['201', '202'].map((ramal) => ({ empresa_id: empresaA, nome: `Agente ${ramal}`, ramal })))
      .execute();
    keyB = await issueApiKey(db, await createEmpresa(db, 'Replay B'), null, 'b');
    setA = (
      await db
        .insertInto('integracao')
        .values({ empresa_id: empresaA, nome: 'SET-PEDIDOS', tipo_servico: 'SET', tabela: 'pedidos' } as never)
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
    const settings = { ...DEFAULT_WEBHOOK_SETTINGS, secretKey };
    ingress = await startTestIngress(database, { deps: { webhooks: { settings, http: createWebhookHttpClient(settings) } } });
    await ingress.app.listen({ port: PORT, host: '127.0.0.1' });
    const queue = ingress.producer.queue('set');
    worker = new Worker(
      queue.name,
      async (job) => {
        ran.push(String(job.id));
      },
      { connection: ingress.redis.duplicate({ maxRetriesPerRequest: null }), prefix: queue.opts.prefix },
    );
  });

  afterAll(async () => {
    await worker.close();
    await ingress.close();
    await database.drop();
  });

  const post = async (path: string, options: { key?: string; idem?: string; body?: string | object } = {}) => {
    const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${options.key ?? keyA}`,
        ...(options.idem ? { 'idempotency-key': options.idem } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body }),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
  };

  const until = async (check: () => Promise<boolean>) => {
    for (let i = 0; i < 200 && !(await check()); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  };

  it('a run replayed after its completed job left the queue answers the first answer and runs nothing again', async () => {
    const first = await post(`/v1/integrations/${setA}/run`, { idem: 'order-42', body: {} });
    expect(first.status).toBe(202);
    expect(first.json.deduplicated).toBe(false);
    const queue = ingress.producer.queue('set');
    const jobId = first.json.jobId as string;
    await until(async () => (await queue.getJobState(jobId)) === 'completed');
    expect(ran).toEqual([jobId]);
    // What removeOnComplete's shared count does when another tenant floods the queue.
    await (await queue.getJob(jobId))?.remove();
    expect(await queue.getJobState(jobId)).toBe('unknown');

    const replay = await post(`/v1/integrations/${setA}/run`, { idem: 'order-42', body: {} });
    expect(replay.status).toBe(202);
    expect(replay.json).toEqual({ ...first.json, deduplicated: true });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    // Nothing enqueued, nothing ran again.
    expect(await queue.getJobState(jobId)).toBe('unknown');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(ran).toEqual([jobId]);
    // Another tenant's key of the same text is its own request (its integration: not found).
    expect((await post(`/v1/integrations/${setA}/run`, { key: keyB, idem: 'order-42', body: {} })).status).toBe(404);
  });

  it('POST /v1/webhooks replayed creates one webhook and answers its secret again; the kept answer is sealed', async () => {
    const body = { nome: 'ERP', url: 'https://erp.exemplo.com.br/hook', gatilhos: ['contato.criado'] };
    const first = await post('/v1/webhooks', { idem: 'create-1', body });
    expect(first.status).toBe(201);
    const replay = await post('/v1/webhooks', { idem: 'create-1', body });
    expect(replay.status).toBe(201);
    expect(replay.json).toEqual({ ...first.json, deduplicated: true });
    const rows = await database.db.selectFrom('webhook_endpoints').select('id').where('nome', '=', 'ERP').execute();
    expect(rows).toHaveLength(1);
    // The secret shown once is in the kept answer, never readable in Redis.
    const kept = await ingress.redis.keys(`${ingress.prefix}:idem-key:*:answer`);
    expect(kept.length).toBeGreaterThan(0);
    for (const name of kept) expect(await ingress.redis.get(name)).not.toContain(first.json.segredo);
    // Another body under the key: refused, nothing created.
    expect((await post('/v1/webhooks', { idem: 'create-1', body: { ...body, nome: 'ERP 2' } })).status).toBe(422);
    expect(await database.db.selectFrom('webhook_endpoints').select('id').execute()).toHaveLength(1);
  });

  it('rotate-secret replayed answers the same new secret and rotates once (the original stays the previous one)', async () => {
    const created = await post('/v1/webhooks', {
      body: { nome: 'Rot', url: 'https://erp.exemplo.com.br/r', gatilhos: ['contato.criado'] },
    });
    const id = created.json.id as number;
    const first = await post(`/v1/webhooks/${id}/rotate-secret`, { idem: 'rotate-1' });
    expect(first.status).toBe(200);
    const replay = await post(`/v1/webhooks/${id}/rotate-secret`, { idem: 'rotate-1' });
    expect(replay.json).toEqual({ ...first.json, deduplicated: true });
    const row = await database.db
      .selectFrom('webhook_endpoints')
      .select(['segredo', 'segredo_anterior'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(openSecret(row.segredo, secretKey)).toBe(first.json.segredo);
    expect(openSecret(row.segredo_anterior as string, secretKey)).toBe(created.json.segredo);
  });

  it('a POST that changes nothing keeps no answer: a replayed pop-token request issues a new token, not the first one', async () => {
    const first = await post('/v1/cti/pop-tokens', { idem: 'pop-1', body: { ramal: '201' } });
    expect(first.status).toBe(201);
    const again = await post('/v1/cti/pop-tokens', { idem: 'pop-1', body: { ramal: '201' } });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    expect(again.json.token).not.toBe(first.json.token);
    // Still bound: another body under the key is refused.
    expect((await post('/v1/cti/pop-tokens', { idem: 'pop-1', body: { ramal: '202' } })).status).toBe(422);
  });

  it('one key rule on every POST: a 201-character key is refused on routes that do not enqueue too', async () => {
    const res = await post('/v1/webhooks', {
      idem: 'x'.repeat(201),
      body: { nome: 'Long', url: 'https://erp.exemplo.com.br/l', gatilhos: ['contato.criado'] },
    });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code: 'IDEMPOTENCY_KEY_INVALID', field: 'headers.idempotency-key' });
    expect(await database.db.selectFrom('webhook_endpoints').select('id').where('nome', '=', 'Long').execute()).toHaveLength(0);
  });

  it('a body nested 20000 levels with a key is a 4xx, never a 500', async () => {
    const created = await post('/v1/webhooks', {
      body: { nome: 'Deep', url: 'https://erp.exemplo.com.br/d', gatilhos: ['contato.criado'] },
    });
    const depth = 20000;
    const deep = `{"x":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;
    const nested = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    const bodies: Array<[string, string]> = [
      [`/v1/webhooks/${created.json.id}/rotate-secret`, deep],
      [`/v1/jobs/set/1/retry`, deep],
      ['/v1/events/crm-change', `{"tabela":"pedidos","parametros":{"x":${nested}}}`],
      ['/v1/webhooks', `{"nome":"D","url":"https://erp.exemplo.com.br/d","gatilhos":["contato.criado"],"cabecalhos":{"x":${nested}}}`],
      ['/v1/endpoints', `{"nome":"D","urlBase":"http://127.0.0.1:1","autenticacao":"nenhuma","eventos":${nested}}`],
    ];
    for (const [path, body] of bodies) {
      const res = await post(path, { idem: `deep-${path}`, body });
      expect([path, res.status >= 400 && res.status < 500]).toEqual([path, true]);
    }
  });
});
