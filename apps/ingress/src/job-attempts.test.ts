import { parseConnections } from '@integrador/connections';
import { createEmpresa, issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import type { FastifyInstance } from 'fastify';
import { startTestIngress, type TestIngress } from '../../../test/support/test-ingress';

// GET /v1/jobs/:queue/:id's maxAttempts is the number of attempts the job really gets: a SET push is enqueued with
// the ceiling (25) but stops when its connection's policy is used (12 by default), so the answer comes from there.
describe('GET /v1/jobs/:queue/:id maxAttempts', () => {
  let database: TestDatabase;
  let ingress: TestIngress;
  let app: FastifyInstance;
  let empresa: number;
  let key: string;
  let otherKey: string;
  const integracoes: Record<string, number> = {};

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a ${VAR} secret reference of the connections file
    const password = '${SENIOR_PASSWORD}';
    const webservice = { tipo: 'webservice', baseUrl: 'http://127.0.0.1:9', user: 'u', password };
    const connections = parseConnections(
      JSON.stringify({
        connections: { senior_g5: webservice, erp_lento: { ...webservice, retry: { attempts: 12, backoffMs: 5000 } } },
      }),
      'json',
      { SENIOR_PASSWORD: 'secret' },
      'test',
    );
    ingress = await startTestIngress(database, { deps: { connections } });
    app = ingress.app;
    empresa = await createEmpresa(database.db, 'A');
    const other = await createEmpresa(database.db, 'B');
    key = await issueApiKey(database.db, empresa, null, 'a');
    otherKey = await issueApiKey(database.db, other, null, 'b');
    for (const nome of ['senior_g5', 'erp_lento']) {
      const conexao = await database.db
        .insertInto('conexao_integracao')
        .values({ tipo_conexao: 'webservice', nome_conexao: nome, empresa_id: empresa })
        .returning('id')
        .executeTakeFirstOrThrow();
      const integracao = await database.db
        .insertInto('integracao')
        .values({ nome: `SET-${nome}`, tipo_servico: 'SET', empresa_id: empresa, ordem: 1, conexao_integracao_id: conexao.id })
        .returning('id')
        .executeTakeFirstOrThrow();
      integracoes[nome] = integracao.id;
    }
  });

  afterAll(async () => {
    await ingress?.close();
    await database?.drop();
  });

  const job = async (queue: string, id: string, apiKey = key) =>
    app.inject({ url: `/v1/jobs/${queue}/${id}`, headers: { authorization: `Bearer ${apiKey}` } });

  async function enqueueSet(nome: string): Promise<string> {
    const payload = {
      tenant: { empresaId: empresa, filialId: null },
      integracaoId: integracoes[nome] as number,
      parametros: {},
      trigger: 'api' as const,
    };
    const added = await ingress.producer.enqueue('set', 'integration.run', payload);
    return String(added.id);
  }

  it("shows a SET push's attempts from its connection's policy: the default 12, or its retry.attempts", async () => {
    const plain = await job('set', await enqueueSet('senior_g5'));
    expect(plain.json()).toMatchObject({ name: 'integration.run', attemptsMade: 0, maxAttempts: 12 });
    const slow = await job('set', await enqueueSet('erp_lento'));
    expect(slow.json()).toMatchObject({ maxAttempts: 12 });
  });

  it("shows other jobs' own attempts, and keeps a job from another tenant", async () => {
    const ping = await ingress.producer.enqueue('set', 'system.ping', { tenant: { empresaId: empresa, filialId: null }, sleepMs: 0 });
    expect((await job('set', String(ping.id))).json()).toMatchObject({ name: 'system.ping', maxAttempts: 5 });
    const id = await enqueueSet('erp_lento');
    expect((await job('set', id, otherKey)).statusCode).toBe(404);
  });
});
