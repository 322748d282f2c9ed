import { createEmpresa, issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { startTestIngress, type TestIngress } from '../../../test/support/test-ingress';

// POST /v1/events/crm-change gives the table's SET integrations the changed row's id under the parameter their
// table takes (seed 001's SET-WS-CONTAS declares parametros_obrigatorios contaId): not a skipped entry asking for it.
describe("crm-change offers the row's id to its table's SET integrations", () => {
  let database: TestDatabase;
  let ingress: TestIngress;
  let keyA: string;
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    const { db } = database;
    const empresaA = await createEmpresa(db, 'Faculdade A');
    keyA = await issueApiKey(db, empresaA, null, 'a');
    for (const [tabela, required] of [
      ['contas', 'contaId'],
      ['contatos', 'contatoId'],
      ['pedidos', 'pedidoId,origem'],
    ] as const) {
      const row = await db
        .insertInto('integracao')
        .values({ empresa_id: empresaA, nome: `SET-${tabela}`, tipo_servico: 'SET', tabela, parametros_obrigatorios: required } as never)
        .returning('id')
        .executeTakeFirstOrThrow();
      ids[tabela] = row.id;
    }
    // The changed rows exist in A (an event on a row the caller cannot see enqueues nothing: redteam-api.test.ts).
    await db.insertInto('contas').values({ id: 7, empresa_id: empresaA, nome: 'Conta 7' }).execute();
    await db.insertInto('contatos').values({ id: 12, empresa_id: empresaA, nome: 'Contato 12' }).execute();
    ingress = await startTestIngress(database);
  });

  afterAll(async () => {
    await ingress.close();
    await database.drop();
  });

  const change = (payload: Record<string, unknown>) =>
    ingress.app.inject({ method: 'POST', url: '/v1/events/crm-change', headers: { authorization: `Bearer ${keyA}` }, payload });
  const parametrosOf = async (jobId: string) => (await ingress.producer.getJob('set', jobId))?.data.parametros;

  it.each([
    ['contas', '7', { contaId: '7' }],
    ['contatos', 12, { contatoId: '12' }],
  ])('%s with id %p: the integration runs with %j', async (tabela, id, expected) => {
    const res = await change({ tabela, id });
    expect(res.statusCode).toBe(202);
    const body = res.json();
    expect(body.skipped).toEqual([]);
    expect(body.jobs).toEqual([{ integracaoId: ids[tabela], jobId: expect.any(String) }]);
    expect(await parametrosOf(body.jobs[0].jobId)).toEqual(expected);
  });

  it('explicit parametros win over the id; a parameter the event cannot give is still asked for', async () => {
    const explicit = (await change({ tabela: 'contas', id: 7, parametros: { contaId: '8' } })).json();
    expect(await parametrosOf(explicit.jobs[0].jobId)).toEqual({ contaId: '8' });
    const pedidos = (await change({ tabela: 'pedidos', id: 3 })).json();
    expect(pedidos.skipped).toEqual([{ integracaoId: ids.pedidos, missing: ['origem'] }]);
    const withOrigem = (await change({ tabela: 'pedidos', id: 3, parametros: { origem: 'crm' } })).json();
    expect(await parametrosOf(withOrigem.jobs[0].jobId)).toEqual({ origem: 'crm', pedidoId: '3' });
  });
});
