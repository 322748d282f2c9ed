import { parseConnections } from '@integrador/connections';
import { createEmpresa } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { connectionRetryOf } from './connection-retry';

// F2 (review3): the attempts shown for a SET job come from its connection; a connection restricted to another empresa
// is refused by the worker (connections.require), so its policy is not this tenant's to read either.
describe('connectionRetryOf', () => {
  let database: TestDatabase;
  let empresaA: number;
  let empresaB: number;
  const integracaoOf: Record<string, number> = {};

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    empresaA = await createEmpresa(database.db, 'A');
    empresaB = await createEmpresa(database.db, 'B');
    // Each empresa has an integration naming the connection restricted to A.
    for (const [empresa, label] of [
      [empresaA, 'A'],
      [empresaB, 'B'],
    ] as const) {
      const conexao = await database.db
        .insertInto('conexao_integracao')
        .values({ tipo_conexao: 'webservice', nome_conexao: 'erp_de_a', empresa_id: empresa })
        .returning('id')
        .executeTakeFirstOrThrow();
      const integracao = await database.db
        .insertInto('integracao')
        .values({ nome: `SET-${label}`, tipo_servico: 'SET', empresa_id: empresa, ordem: 1, conexao_integracao_id: conexao.id })
        .returning('id')
        .executeTakeFirstOrThrow();
      integracaoOf[label] = integracao.id;
    }
  });

  afterAll(async () => {
    await database?.drop();
  });

  it("gives the restricted empresa its connection's policy, another empresa none (the worker refuses it too)", async () => {
    const connections = parseConnections(
      JSON.stringify({
        connections: {
          erp_de_a: {
            tipo: 'webservice',
            baseUrl: 'http://127.0.0.1:9',
            user: 'u',
            password: 'p',
            empresaId: empresaA,
            retry: { attempts: 17, backoffMs: 1000 },
          },
        },
      }),
      'json',
      {},
      'test',
    );
    expect(await connectionRetryOf(database.db, connections, empresaA, integracaoOf.A as number)).toEqual({
      attempts: 17,
      backoffMs: 1000,
    });
    expect(await connectionRetryOf(database.db, connections, empresaB, integracaoOf.B as number)).toBeUndefined();
    expect(() => connections.require('erp_de_a', empresaB)).toThrow(expect.objectContaining({ code: 'CONNECTION_FORBIDDEN' }));
    expect(connections.usableBy('erp_de_a', empresaB)).toBeUndefined();
    expect(connections.usableBy('erp_de_a', empresaA)?.name).toBe('erp_de_a');
  });
});
