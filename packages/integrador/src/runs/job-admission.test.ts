import type { IntegrationRunPayload } from '@integrador/jobs';
import { createEmpresa } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { insertGetIntegracao } from '@integrador/test-support/get-rows';
import { insertBdConexao } from '@integrador/test-support/restricted-connections';
import { admitRun } from './admit-run';
import { createJobAdmission } from './enqueue-run';

// A worker admits each job of a flow on its own: the configuration checks (GET_CONFIG, SET_CONFIG) read the job's own
// row, so a misconfigured step fails its own job and no other. The callers that refuse before anything is enqueued (the
// run API, the dashboard, the CLI: admitRun) still check every step of the plan. The workers' runs of this are in
// test/flows.test.ts and test/get-pull.test.ts; this holds the rule with the cache of createJobAdmission.
describe('createJobAdmission: a job is refused for its own configuration only (real SQLite)', () => {
  let database: TestDatabase;
  let empresa: number;
  let get: number;
  let brokenSet: number;
  let brokenGet: number;
  let set: number;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    const { db } = database;
    empresa = await createEmpresa(db, 'Empresa A');
    const conexao = await insertBdConexao(db, 'erp_pg', empresa);
    const addSet = async (nome: string, values: Record<string, unknown> = {}) =>
      (
        await db
          .insertInto('integracao')
          .values({ empresa_id: empresa, nome, tipo_servico: 'SET', tabela: 'contas', ativo: 1, ...values } as never)
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
    // A SET with a regra of no known tipo (lint: INVALID_RULE, an error every run fails on), named by a GET's depende_de.
    brokenSet = await addSet('SET-QUEBRADO');
    await db
      .insertInto('regras')
      .values({
        integracao_id: brokenSet,
        campos_integracao_id: null,
        campo: 'nome',
        tipo: 'maiusculass',
        parametros: null,
        ordem: 0,
        descricao: null,
      })
      .execute();
    get = await insertGetIntegracao(db, 'GET-CLIENTES', empresa, conexao);
    await db.updateTable('integracao').set({ depende_de: brokenSet }).where('id', '=', get).execute();
    // A SET whose GET prerequisite writes a table no GET may write (GET_CONFIG).
    brokenGet = await insertGetIntegracao(db, 'GET-QUEBRADA', empresa, await insertBdConexao(db, 'erp_pg2', empresa));
    await db.updateTable('integracao').set({ tabela: 'usuarios' }).where('id', '=', brokenGet).execute();
    set = await addSet('SET-CONTAS', { dependente: brokenGet });
  });

  afterAll(async () => {
    await database.drop();
  });

  const payload = (integracaoId: number, trigger: IntegrationRunPayload['trigger']): IntegrationRunPayload => ({
    tenant: { empresaId: empresa, filialId: null },
    integracaoId,
    parametros: {},
    trigger,
  });

  it("admits a healthy step whose flow holds a misconfigured one, and refuses that one's own job", async () => {
    const admit = createJobAdmission(database, { ttlMs: 60_000 });
    // The scheduled GET: its plan runs the broken SET after it, and it is admitted.
    expect((await admit(payload(get, 'schedule'), undefined, 0)).plan.map((step) => step.integracaoId)).toEqual([get, brokenSet]);
    // The SET's own job (its step of the flow) fails with SET_CONFIG, naming it.
    await expect(admit(payload(brokenSet, 'dependency'), undefined, 0)).rejects.toMatchObject({
      code: 'SET_CONFIG',
      params: { id: String(brokenSet), codigo: 'INVALID_RULE' },
    });
    // The same for a broken GET prerequisite: the SET after it is admitted, the GET's job is refused.
    expect((await admit(payload(set, 'event'), undefined, 0)).integracao.id).toBe(set);
    await expect(admit(payload(brokenGet, 'dependency'), undefined, 0)).rejects.toMatchObject({ code: 'GET_CONFIG' });
  });

  it('leaves the plan-wide check to the callers that refuse before enqueueing', async () => {
    const run = (integracaoId: number) =>
      admitRun(database.db, { tenant: { empresaId: empresa, filialId: null }, integracaoId, parametros: {} });
    await expect(run(get)).rejects.toMatchObject({ code: 'SET_CONFIG', params: { id: String(brokenSet) } });
    await expect(run(set)).rejects.toMatchObject({ code: 'GET_CONFIG', params: { id: String(brokenGet) } });
  });
});
