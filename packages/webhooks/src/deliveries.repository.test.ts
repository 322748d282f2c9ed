import type { Database } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { Kysely, PostgresDialect } from 'kysely';
import { Pool } from 'pg';
import { listTentativas, loadEntregas, recordDeliveries, type TentativaRecord } from './deliveries.repository';
import { endpointWithDeliveries } from './test/deliveries';

// PostgreSQL: a worker's group of deliveries is loaded and recorded by statements whose text does not depend on the
// group's size (one array per column), so the server prepares each once per connection and the worker builds each once.
describe('delivery groups on PostgreSQL: one statement text whatever the size', () => {
  let database: TestDatabase;
  let db: Kysely<Database>;
  const texts: string[] = [];
  const tenants: { empresaId: number; endpointId: number; entregaIds: number[] }[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    db = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: new Pool({ connectionString: database.url, max: 2 }) }),
      log: (event) => {
        texts.push(event.query.sql);
      },
    });
    for (const nome of ['A', 'B']) {
      const bodies = Array.from({ length: 6 }, (_, i) => `{"n":${i}}`);
      tenants.push(await endpointWithDeliveries(database.db, { nome, url: 'https://example.com/hook', segredo: 'sealed', bodies }));
    }
  });
  afterAll(async () => {
    await db.destroy();
    await database.drop();
  });

  const attempt = (empresaId: number, entregaId: number): TentativaRecord => ({
    empresaId,
    entregaId,
    numero: 1,
    origem: 'automatica',
    cabecalhos: { 'webhook-id': 'a "citação" \\ {chave}', 'x-cliente': '***' },
    statusHttp: 200,
    resposta: 'ok',
    duracaoMs: 5,
    classeErro: null,
    erro: null,
  });

  it('loads groups of 1, 2 and 5 with one text, each only its own tenant’s rows', async () => {
    const [a, b] = tenants as [(typeof tenants)[0], (typeof tenants)[0]];
    texts.length = 0;
    const one = await loadEntregas(db, a.empresaId, a.entregaIds.slice(0, 1));
    const two = await loadEntregas(db, a.empresaId, a.entregaIds.slice(1, 3));
    // Three of A's and two of B's asked for as A: only A's come back.
    const mixed = await loadEntregas(db, a.empresaId, [...a.entregaIds.slice(3, 6), ...b.entregaIds.slice(0, 2)]);
    expect(new Set(texts).size).toBe(1);
    expect(one.map((row) => Number(row.id))).toEqual(a.entregaIds.slice(0, 1));
    expect(two.map((row) => Number(row.id)).sort((x, y) => x - y)).toEqual(a.entregaIds.slice(1, 3));
    expect(mixed.map((row) => Number(row.id)).sort((x, y) => x - y)).toEqual(a.entregaIds.slice(3, 6));
    expect(mixed.every((row) => Number(row.empresa_id) === a.empresaId && row.payload.startsWith('{"n":'))).toBe(true);
  });

  it('records groups of 1 and 3 successes with one text: every attempt stored as given, every delivery entregue', async () => {
    const [, b] = tenants as [(typeof tenants)[0], (typeof tenants)[0]];
    texts.length = 0;
    await recordDeliveries(db, [attempt(b.empresaId, b.entregaIds[0] as number)]);
    await recordDeliveries(
      db,
      b.entregaIds.slice(1, 4).map((id) => attempt(b.empresaId, id)),
    );
    expect(new Set(texts).size).toBe(1);
    const rows = await loadEntregas(db, b.empresaId, b.entregaIds);
    const byId = new Map(rows.map((row) => [Number(row.id), row]));
    for (const id of b.entregaIds.slice(0, 4)) {
      expect(byId.get(id)).toMatchObject({ status: 'entregue', tentativas: 1 });
      const [tentativa] = await listTentativas(database.db, b.empresaId, id);
      expect(tentativa).toMatchObject({
        numero: 1,
        origem: 'automatica',
        status_http: 200,
        resposta: 'ok',
        duracao_ms: 5,
        classe_erro: null,
      });
      expect(tentativa?.cabecalhos).toEqual(attempt(b.empresaId, id).cabecalhos);
    }
    for (const id of b.entregaIds.slice(4)) expect(byId.get(id)).toMatchObject({ status: 'pendente', tentativas: 0 });
  });

  it('shows no custom header value on read, whatever its name: an old row kept an ordinary-named one in clear', async () => {
    const [a] = tenants as [(typeof tenants)[0]];
    const entregaId = a.entregaIds[5] as number;
    const hub = {
      'content-type': 'application/json',
      'webhook-id': 'msg_A5',
      'webhook-timestamp': '1700000000',
      'webhook-gatilho': 'contato.criado',
    };
    // As a row recorded before custom headers were masked when written holds them.
    const recorded = { ...hub, 'webhook-signature': 'v1,abc', 'X-Cliente': 'cliente-41', 'X-Origem': 'crm-matriz' };
    await recordDeliveries(db, [{ ...attempt(a.empresaId, entregaId), cabecalhos: recorded }]);
    const [tentativa] = await listTentativas(database.db, a.empresaId, entregaId);
    expect(tentativa?.cabecalhos).toEqual({ ...hub, 'webhook-signature': '***', 'X-Cliente': '***', 'X-Origem': '***' });
  });
});
