import { parseConnections } from '@integrador/connections';
import { createEmpresa, issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import {
  connectionsRestricting,
  insertBdConexao,
  insertForeignConnectionRows,
  insertGetIntegracao,
} from '@integrador/test-support/restricted-connections';
import type { FastifyInstance } from 'fastify';
import { startTestIngress, type TestIngress } from '../../../test/support/test-ingress';

interface Finding {
  code: string;
  table: string;
  rowId: number;
  column: string;
  message: string;
}

// The trial's findings 5 and 6: lint bound to the caller's empresa, and the file's empresaId restriction at lint and admission.
describe('GET /v1/config/lint and run admission against the connections file', () => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let ingress: TestIngress;
  let keyA: string;
  let keyB: string;
  let typoRowA: number;
  let foreignRowA: number;
  let getOnForeignA: number;
  let setAfterForeignA: number;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    const a = await createEmpresa(database.db, 'Empresa A');
    const b = await createEmpresa(database.db, 'Empresa B');
    keyA = await issueApiKey(database.db, a, null, 'a');
    keyB = await issueApiKey(database.db, b, null, 'b');
    const connections = parseConnections(JSON.stringify(connectionsRestricting('only_b', b)), 'json', {}, 'test');
    ingress = await startTestIngress(database, { deps: { connections, dashboard: { secureCookies: false } } });
    ({ app } = ingress);
    ({
      typo: typoRowA,
      foreign: foreignRowA,
      getOnForeign: getOnForeignA,
    } = await insertForeignConnectionRows(database.db, a, 'only_b', 'GET-A-ONLY-B'));
    await insertGetIntegracao(database.db, 'GET-B', b, await insertBdConexao(database.db, 'only_b', b));
    // A SET integration on a connection A may use, whose plan runs GET-A-ONLY-B first (its dependente).
    setAfterForeignA = (
      await database.db
        .insertInto('integracao')
        .values({
          nome: 'SET-A-PEDIDOS',
          tipo_servico: 'SET',
          empresa_id: a,
          conexao_integracao_id: await insertBdConexao(database.db, 'erp_pg', a),
          tabela: 'pedidos',
          dependente: getOnForeignA,
          ativo: 1,
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
  });

  afterAll(async () => {
    await ingress?.close();
    await database?.drop();
  });

  const auth = (key: string) => ({ authorization: `Bearer ${key}` });
  const lint = async (key: string) => {
    const response = await app.inject({ url: '/v1/config/lint', headers: auth(key) });
    expect(response.statusCode).toBe(200);
    return response.json() as { ok: boolean; errors: number; findings: Finding[] };
  };

  it("never shows one empresa another's conexao_integracao rows, and its hints name only connections it may use", async () => {
    const b = await lint(keyB);
    expect(b).toMatchObject({ ok: true, errors: 0 });
    expect(b.findings.filter((f) => f.table === 'conexao_integracao')).toEqual([]);

    const a = await lint(keyA);
    const typo = a.findings.find((f) => f.code === 'UNKNOWN_CONNECTION');
    expect(typo).toMatchObject({ table: 'conexao_integracao', rowId: typoRowA, column: 'nome_conexao' });
    expect(typo?.message).toBe('a conexão "erp_pgg" não está no arquivo de conexões (esperado um de: erp_pg)');
    expect(JSON.stringify(a.findings)).not.toContain('only_b,');
  });

  it('reports a conexao_integracao row naming a connection the file restricts to another empresa', async () => {
    const a = await lint(keyA);
    expect(a.ok).toBe(false);
    const foreign = a.findings.find((f) => f.code === 'FOREIGN_CONNECTION');
    expect(foreign).toMatchObject({ table: 'conexao_integracao', rowId: foreignRowA, column: 'nome_conexao' });
    expect(foreign?.message).toContain('a conexão "only_b" do arquivo de conexões é restrita a outra empresa');
    expect(foreign?.message).toContain('(esperado um de: erp_pg)');
  });

  it('refuses at once (4xx, nothing enqueued) a run whose connection the file restricts to another empresa', async () => {
    const run = await app.inject({ method: 'POST', url: `/v1/integrations/${getOnForeignA}/run`, headers: auth(keyA), payload: {} });
    expect(run.statusCode).toBe(422);
    expect(run.json().error.code).toBe('CONNECTION_FORBIDDEN');
    expect(run.json().error.message).toContain('usa a conexão "only_b", que o arquivo de conexões restringe a outra empresa');
    expect(await ingress.producer.queue('get').getJobCounts()).toMatchObject({ waiting: 0, active: 0, delayed: 0 });
  });

  it('refuses a run, and a crm-change, whose plan has a step on a connection restricted to another empresa', async () => {
    const run = await app.inject({ method: 'POST', url: `/v1/integrations/${setAfterForeignA}/run`, headers: auth(keyA), payload: {} });
    expect(run.statusCode).toBe(422);
    expect(run.json().error.code).toBe('CONNECTION_FORBIDDEN');
    expect(run.json().error.message).toContain('usa a conexão "only_b", que o arquivo de conexões restringe a outra empresa');
    const change = await app.inject({
      method: 'POST',
      url: '/v1/events/crm-change',
      headers: auth(keyA),
      payload: { tabela: 'pedidos', id: 1 },
    });
    expect(change.statusCode).toBe(202);
    expect(change.json()).toMatchObject({
      jobs: [],
      // Worded as the run's refusal, in the caller's language (pt-BR here).
      refused: [{ integracaoId: setAfterForeignA, message: run.json().error.message }],
    });
    // The dashboard's run now (an API key of A) refuses it the same way.
    const dashboard = await app.inject({
      method: 'POST',
      url: `/dashboard/api/integrations/${setAfterForeignA}/run`,
      headers: auth(keyA),
      payload: {},
    });
    expect(dashboard.statusCode).toBe(422);
    expect(dashboard.json().error.code).toBe('CONNECTION_FORBIDDEN');
    // A parameter is named as ingress names them: never `$erro`, the key a record keeps its failure's values under.
    const dollar = await app.inject({
      method: 'POST',
      url: `/dashboard/api/integrations/${getOnForeignA}/run`,
      headers: auth(keyA),
      payload: { parametros: { $erro: 'x' } },
    });
    expect(dollar.statusCode).toBe(400);
    for (const queue of ['get', 'set'] as const) {
      expect(await ingress.producer.queue(queue).getJobCounts()).toMatchObject({
        waiting: 0,
        active: 0,
        delayed: 0,
        'waiting-children': 0,
      });
    }
  });

  it("names a SET consulta's column missing from the CRM table, to that empresa only", async () => {
    const b = (await database.db.selectFrom('empresas').select('id').where('nome', '=', 'Empresa B').executeTakeFirstOrThrow()).id;
    const row = await database.db
      .insertInto('integracao')
      .values({
        nome: 'SET-B-CONTAS',
        tipo_servico: 'SET',
        empresa_id: b,
        conexao_integracao_id: null,
        link: 'componente',
        consulta: JSON.stringify({ consulta: 'SELECT c.nome, c.telefone_celular FROM contas c WHERE c.id = #contaId#' }),
        parametros_obrigatorios: 'contaId',
        ativo: 1,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const fromB = (await lint(keyB)).findings.filter((f) => f.code === 'CONSULTA_UNKNOWN_COLUMN');
    expect(fromB).toEqual([
      {
        code: 'CONSULTA_UNKNOWN_COLUMN',
        severity: 'error',
        integracaoId: row.id,
        integracaoNome: 'SET-B-CONTAS',
        table: 'integracao',
        rowId: row.id,
        column: 'consulta',
        message:
          'a consulta da integração SET-B-CONTAS lê a coluna "c.telefone_celular", que não existe na tabela contas do CRM; cada envio falharia ao ler o registro',
      },
    ]);
    expect((await lint(keyA)).findings.filter((f) => f.code === 'CONSULTA_UNKNOWN_COLUMN')).toEqual([]);
  });
});
