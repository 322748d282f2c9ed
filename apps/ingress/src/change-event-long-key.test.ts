import { createEmpresa, issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { startTestIngress, type TestIngress } from '../../../test/support/test-ingress';

// A change event's idempotency key may be 200 characters (its schema's limit); its webhook message's key
// (webhook_mensagens.chave, varchar(200)) must still fit, and stay one per key, on the engines that enforce the size.
describe.each(['postgres', 'mysql'] as const)('crm-change with a 200-character key (%s)', (dialect) => {
  let database: TestDatabase;
  let ingress: TestIngress;
  let key: string;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    const empresa = await createEmpresa(database.db, 'Faculdade A');
    key = await issueApiKey(database.db, empresa, null, 'a');
    await database.db.insertInto('contatos').values({ id: 635, empresa_id: empresa, nome: 'Aluno' }).execute();
    ingress = await startTestIngress(database);
  }, 60000);

  afterAll(async () => {
    await ingress.close();
    await database.drop();
  });

  const post = (headers: Record<string, string>, payload: Record<string, unknown>) =>
    ingress.app.inject({ method: 'POST', url: '/v1/events/crm-change', headers: { authorization: `Bearer ${key}`, ...headers }, payload });

  it('publishes the change once per key, for keys up to 200 characters (header or body)', async () => {
    const hook = await ingress.app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: { authorization: `Bearer ${key}` },
      payload: { nome: 'ERP', url: 'https://erp.exemplo.com.br/hook', gatilhos: ['contato.alterado'] },
    });
    expect(hook.statusCode).toBe(201);
    const sent = [];
    for (const [i, length] of [200, 199, 197, 196].entries()) {
      const chave = `${'k'.repeat(length - 1)}${i}`;
      const res =
        i % 2
          ? await post({}, { tabela: 'contatos', id: 635, chaveIdempotencia: chave })
          : await post({ 'idempotency-key': chave }, { tabela: 'contatos', id: 635 });
      expect(res.statusCode).toBe(202);
      expect(res.json().webhooks).toMatchObject({ gatilho: 'contato.alterado', entregas: [expect.any(Number)] });
      sent.push(res.json().webhooks.entregas[0]);
      // The replay is answered from the first attempt: no second message.
      const again = await post({ 'idempotency-key': chave }, { tabela: 'contatos', id: 635 });
      expect(again.json()).toMatchObject({ deduplicated: true, webhooks: { entregas: [sent[i]] } });
    }
    expect(new Set(sent).size).toBe(4);
    const keys = await database.db.selectFrom('webhook_mensagens').select('chave').execute();
    expect(keys).toHaveLength(4);
    expect(keys.every((row) => row.chave.length <= 200)).toBe(true);
  });
});
