import { createDatabase, createEmpresa } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs } from 'kysely';
import { signingKeys } from './deliver';
import { cachedEndpoint } from './endpoint-cache';
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
    // Another tenant asks first: not found, and cached apart (a cache or a read that ignored the tenant would answer
    // the row here, or answer "not found" to its owner below).
    expect(await cachedEndpoint(db, other, id)).toBeUndefined();
    const rows = await Promise.all(Array.from({ length: 50 }, () => cachedEndpoint(db, empresaId, id)));
    expect(counter.count).toBe(2);
    expect(new Set(rows).size).toBe(1);
    expect(rows[0]?.id).toBe(id);
    expect(rows[0]?.empresaId).toBe(empresaId);
  });

  it("never answers one database's endpoint for another's with the same ids (a cache per database handle)", async () => {
    const first = await createTestDatabase('postgres');
    const second = await createTestDatabase('postgres');
    const fresh = [first, second];
    try {
      const input = { nome: 'e', gatilhos: ['contato.criado' as const], ativo: true, cabecalhos: {}, limitePorSegundo: null };
      const made = [];
      for (const [i, d] of fresh.entries()) {
        const empresaId = await createEmpresa(d.db, `Base ${i}`);
        made.push({
          empresaId,
          id: await createWebhookEndpoint(d.db, empresaId, { ...input, url: `https://example.com/${i}` }, 'plain:whsec_x'),
        });
      }
      // Two new databases number alike: the same (empresa, endpoint) ids in both.
      expect(made[1]).toEqual(made[0]);
      const { empresaId, id } = made[0] as { empresaId: number; id: number };
      expect((await cachedEndpoint(first.db, empresaId, id))?.url).toBe('https://example.com/0');
      expect((await cachedEndpoint(second.db, empresaId, id))?.url).toBe('https://example.com/1');
    } finally {
      for (const d of fresh) await d.drop();
    }
  });

  it('sees a changed row once its entry expires (a second), not before', async () => {
    const empresaId = await createEmpresa(database.db, 'Expira');
    const input = { nome: 'e', url: 'https://example.com/hook', gatilhos: ['contato.criado' as const], ativo: true, cabecalhos: {} };
    const id = await createWebhookEndpoint(database.db, empresaId, { ...input, limitePorSegundo: null }, 'plain:whsec_x');
    expect((await cachedEndpoint(database.db, empresaId, id))?.url).toBe('https://example.com/hook');
    await database.db.updateTable('webhook_endpoints').set({ url: 'https://example.com/novo', ativo: 0 }).where('id', '=', id).execute();
    expect(await cachedEndpoint(database.db, empresaId, id)).toMatchObject({ url: 'https://example.com/hook', ativo: true });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await cachedEndpoint(database.db, empresaId, id)).toMatchObject({ url: 'https://example.com/novo', ativo: false });
  });

  it("gives a failed read's error to every delivery waiting on it, and does not keep it", async () => {
    const empresaId = await createEmpresa(database.db, 'Falha');
    const input = { nome: 'e', url: 'https://example.com/hook', gatilhos: ['contato.criado' as const], ativo: true, cabecalhos: {} };
    const id = await createWebhookEndpoint(database.db, empresaId, { ...input, limitePorSegundo: null }, 'plain:whsec_x');
    // The database down for a moment: nothing listens on this port.
    const down = createDatabase('postgres://postgres@127.0.0.1:55492/nada');
    try {
      const reads = await Promise.allSettled(Array.from({ length: 5 }, () => cachedEndpoint(down.db, empresaId, id)));
      expect(reads.map((r) => r.status)).toEqual(Array(5).fill('rejected'));
    } finally {
      await down.destroy();
    }
    // The next delivery reads again (the failure was not cached for a second).
    expect((await cachedEndpoint(database.db, empresaId, id))?.id).toBe(id);
  });

  it('keeps the decoded signing keys on the cached row out of its JSON (a log of the row prints no key bytes)', async () => {
    const empresaId = await createEmpresa(database.db, 'Chaves');
    const input = { nome: 'e', url: 'https://example.com/hook', gatilhos: ['contato.criado' as const], ativo: true, cabecalhos: {} };
    const key = Buffer.from('chave de assinatura de 32 bytes!');
    const id = await createWebhookEndpoint(
      database.db,
      empresaId,
      { ...input, limitePorSegundo: null },
      `plain:whsec_${key.toString('base64')}`,
    );
    const row = await cachedEndpoint(database.db, empresaId, id);
    if (!row) throw new Error('endpoint not found');
    const [decoded] = signingKeys(row, { secretKey: undefined });
    expect(decoded).toEqual(key);
    // Decoded once per row read: the next delivery gets the same bytes from the cached row.
    expect(signingKeys((await cachedEndpoint(database.db, empresaId, id)) ?? row, { secretKey: undefined })[0]).toBe(decoded);
    const json = JSON.stringify(row);
    expect(json).not.toContain('decodedKeys');
    expect(json).not.toContain(JSON.stringify(key.toJSON().data));
    expect({ ...row }).not.toHaveProperty('decodedKeys');
  });
});
