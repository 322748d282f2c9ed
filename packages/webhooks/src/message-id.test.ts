import { createEmpresa } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { startTestProducer, type TestProducer } from '@integrador/test-support/test-producer';
import { Webhook } from 'standardwebhooks';
import { createWebhookEndpoint } from './endpoints.repository';
import { newWebhookId } from './message-id';
import { publishChange } from './publish-change';
import { generateSigningSecret } from './secret-box';
import { standardWebhookHeaders } from './signing';

// Deliveries are not ordered (a retry, a worker restart, a recover): the receiver orders one record's changes by
// webhook-id, so ids must sort as the changes were published.
describe('webhook-id', () => {
  it('sorts as the ids were made, carries the time, stays unique and verifies with standardwebhooks', () => {
    const before = Date.now();
    const ids = Array.from({ length: 5000 }, () => newWebhookId());
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^msg_[0-9a-f]{12}7[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
    const ms = Number.parseInt((ids[0] as string).slice(4, 16), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(Date.now());
    const secret = generateSigningSecret();
    const body = '[{"id":"1"}]';
    expect(new Webhook(secret).verify(body, standardWebhookHeaders([secret], ids[0] as string, body))).toEqual([{ id: '1' }]);
  });

  it('keeps counting up when the clock steps back or one millisecond holds many ids', () => {
    const later = newWebhookId(Date.now() + 60_000);
    const stepBack = newWebhookId(Date.now());
    const burst = Array.from({ length: 5000 }, () => newWebhookId(Date.now() + 60_000));
    expect([later, stepBack, ...burst].sort()).toEqual([later, stepBack, ...burst]);
  });
});

describe('publishing one record changed again and again', () => {
  let database: TestDatabase;
  let queue: TestProducer;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    queue = await startTestProducer();
  });
  afterAll(async () => {
    await queue.close();
    await database.drop();
  });

  it("gives each change a webhook-id that sorts after the previous change's", async () => {
    const empresaId = await createEmpresa(database.db, 'Ordem');
    const endpoint = {
      nome: 'e',
      url: 'https://example.com/hook',
      gatilhos: ['contato.alterado' as const],
      ativo: true,
      cabecalhos: {},
      limitePorSegundo: null,
    };
    await createWebhookEndpoint(database.db, empresaId, endpoint, 'plain:whsec_x');
    await database.db.insertInto('contatos').values({ id: 7, empresa_id: empresaId, nome: 'V0' }).execute();
    for (let i = 1; i <= 20; i++) {
      await database.db
        .updateTable('contatos')
        .set({ nome: `V${i}` })
        .where('id', '=', 7)
        .execute();
      const change = { empresaId, tabela: 'contatos' as const, registroId: '7', operacao: 'alterado' as const, chave: `v${i}` };
      expect(await publishChange(database.db, queue.producer, change)).toMatchObject({ entregas: [expect.any(Number)] });
    }
    const rows = await database.db
      .selectFrom('webhook_mensagens')
      .select(['webhook_id', 'payload'])
      .where('empresa_id', '=', empresaId)
      .orderBy('id')
      .execute();
    expect(rows.map((r) => JSON.parse(r.payload)[0].nome)).toEqual(Array.from({ length: 20 }, (_, i) => `V${i + 1}`));
    const ids = rows.map((r) => r.webhook_id);
    expect([...ids].sort()).toEqual(ids);
  });
});
