import { createEmpresa } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs } from 'kysely';
import { cachedEndpoint } from './deliver';
import { createWebhookEndpoint } from './endpoints.repository';

/** Counts the statements a Kysely instance runs (a plugin sees each one on its way to the database). */
class StatementCounter implements KyselyPlugin {
  count = 0;
  transformQuery(args: PluginTransformQueryArgs) {
    this.count += 1;
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs) {
    return args.result;
  }
}

describe('the endpoint cache of the delivery worker', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('postgres');
  });
  afterAll(async () => {
    await database.drop();
  });

  it('reads an endpoint once for the deliveries in flight when its entry expires, bound to the tenant', async () => {
    const empresaId = await createEmpresa(database.db, 'Cache');
    const other = await createEmpresa(database.db, 'Outra');
    const input = { nome: 'e', url: 'https://example.com/hook', gatilhos: ['contato.criado' as const], ativo: true, cabecalhos: {} };
    const id = await createWebhookEndpoint(database.db, empresaId, { ...input, limitePorSegundo: null }, 'plain:whsec_x');
    const counter = new StatementCounter();
    const db = database.db.withPlugin(counter);
    const rows = await Promise.all(Array.from({ length: 50 }, () => cachedEndpoint(db, empresaId, id)));
    expect(counter.count).toBe(1);
    expect(new Set(rows).size).toBe(1);
    expect(rows[0]?.id).toBe(id);
    // Another tenant's id is not found (and is cached apart).
    expect(await cachedEndpoint(db, other, id)).toBeUndefined();
  });
});
