import { admitRun } from '@integrador/integrador';
import { createEmpresa, issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { insertBdConexao, insertGetIntegracao } from '@integrador/test-support/restricted-connections';
import { startTestIngress, type TestIngress } from '../../../test/support/test-ingress';

// A CRM change event is acknowledged (202): a flow with a misconfigured GET or SET step is not refused at admission
// (the change would be lost, and a replay of its key would answer the refusal even after the fix). It is enqueued; the
// step fails in its worker (GET_CONFIG, SET_CONFIG), which an operator sees and retries once the row is fixed. The run API
// still answers 422 (GET_CONFIG, SET_CONFIG) at once. Any refusal the event's answer carries is worded in the caller's language.
describe('crm-change: a configuration refusal is left to the worker, other refusals worded per caller', () => {
  let database: TestDatabase;
  let ingress: TestIngress;
  let empresaA: number;
  let keyA: string;
  let brokenGet: number;
  let set: number;
  let blocked: number;
  let brokenSet: number;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    const { db } = database;
    empresaA = await createEmpresa(db, 'Faculdade A');
    keyA = await issueApiKey(db, empresaA, null, 'a');
    brokenGet = await insertGetIntegracao(db, 'GET-QUEBRADA', empresaA, await insertBdConexao(db, 'erp_pg', empresaA));
    // usuarios is no CRM table a GET may write: every run of it fails (parseGetSettings).
    await db.updateTable('integracao').set({ tabela: 'usuarios' }).where('id', '=', brokenGet).execute();
    const addSet = async (nome: string, tabela: string, dependente: number | null) =>
      (
        await db
          .insertInto('integracao')
          .values({ empresa_id: empresaA, nome, tipo_servico: 'SET', tabela, dependente, ativo: 1 } as never)
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
    set = await addSet('SET-CONTAS', 'contas', brokenGet);
    // A prerequisite that cannot run (inactive): refused, as before, naming it.
    const inactive = await insertGetIntegracao(db, 'GET-INATIVA', empresaA, await insertBdConexao(db, 'erp_pg2', empresaA));
    await db.updateTable('integracao').set({ ativo: 0 }).where('id', '=', inactive).execute();
    blocked = await addSet('SET-CONTATOS', 'contatos', inactive);
    await db.insertInto('contas').values({ id: 7, empresa_id: empresaA, nome: 'Conta 7' }).execute();
    await db.insertInto('contatos').values({ id: 12, empresa_id: empresaA, nome: 'Contato 12' }).execute();
    // A SET whose own configuration lint calls an error (a regra of no known tipo): its runs fail with SET_CONFIG.
    brokenSet = await addSet('SET-OPORTUNIDADES', 'oportunidades', null);
    await db
      .insertInto('regras')
      .values({
        integracao_id: brokenSet,
        campos_integracao_id: null,
        campo: 'titulo',
        tipo: 'maiusculass',
        parametros: null,
        ordem: 0,
        descricao: null,
      })
      .execute();
    await db.insertInto('oportunidades').values({ id: 3, empresa_id: empresaA, titulo: 'Matrícula', status: 'aberta' }).execute();
    ingress = await startTestIngress(database);
  });

  afterAll(async () => {
    await ingress.close();
    await database.drop();
  });

  const change = (payload: Record<string, unknown>, lang = 'pt-BR') =>
    ingress.app.inject({
      method: 'POST',
      url: '/v1/events/crm-change',
      headers: { authorization: `Bearer ${keyA}`, 'accept-language': lang },
      payload,
    });

  /** A change event acknowledged (202) with one job, the integration's, and no refusal: the job's id. */
  const acknowledged = async (payload: Record<string, unknown>, integracaoId: number): Promise<string> => {
    const res = await change(payload);
    expect(res.statusCode).toBe(202);
    const body = res.json();
    expect(body.refused).toEqual([]);
    expect(body.jobs).toEqual([{ integracaoId, jobId: expect.any(String) }]);
    return body.jobs[0].jobId;
  };

  /** The run API's answer for an integration: its status and error code. */
  const runRefusal = async (integracaoId: number) => {
    const run = await ingress.app.inject({
      method: 'POST',
      url: `/v1/integrations/${integracaoId}/run`,
      headers: { authorization: `Bearer ${keyA}` },
      payload: { parametros: {} },
    });
    return [run.statusCode, run.json().error?.code];
  };

  it('enqueues the flow of a SET whose GET prerequisite is misconfigured; the GET step fails in the worker with GET_CONFIG', async () => {
    const jobId = await acknowledged({ tabela: 'contas', id: 7, chaveIdempotencia: 'conta-7-v1' }, set);
    // The SET waits for its prerequisite, the GET step is queued.
    expect((await ingress.producer.getJobWithState('set', jobId))?.state).toBe('waiting-children');
    const gets = await ingress.producer.queue('get').getJobs(['waiting', 'prioritized']);
    expect(gets.map((job) => job.data.integracaoId)).toEqual([brokenGet]);
    // The worker's admission of that step (as worker-get runs it) refuses it: a failed job with GET_CONFIG.
    const step = { tenant: { empresaId: empresaA, filialId: null }, integracaoId: brokenGet, parametros: {}, checkParameters: false };
    await expect(admitRun(database.db, step)).rejects.toMatchObject({ code: 'GET_CONFIG' });
    // The interactive paths keep the 422 at once (here the run API).
    expect(await runRefusal(set)).toEqual([422, 'GET_CONFIG']);
    // Fixed, the step's retry is admitted.
    await database.db.updateTable('integracao').set({ tabela: 'contas' }).where('id', '=', brokenGet).execute();
    expect((await admitRun(database.db, step)).queue).toBe('get');
    await database.db.updateTable('integracao').set({ tabela: 'usuarios' }).where('id', '=', brokenGet).execute();
  });

  it('enqueues a SET whose own configuration has a lint error; the worker refuses it with SET_CONFIG, the run API at once', async () => {
    await acknowledged({ tabela: 'oportunidades', id: 3, chaveIdempotencia: 'oportunidade-3-v1' }, brokenSet);
    // The worker's admission of the job (as worker-set runs it) refuses it: a failed job with SET_CONFIG.
    const job = { tenant: { empresaId: empresaA, filialId: null }, integracaoId: brokenSet, parametros: {}, checkParameters: false };
    await expect(admitRun(database.db, job)).rejects.toMatchObject({ code: 'SET_CONFIG', params: { codigo: 'INVALID_RULE' } });
    expect(await runRefusal(brokenSet)).toEqual([422, 'SET_CONFIG']);
  });

  // The lint findings admission refuses (a GET's key its table has no unique index for, a SET consulta's column its
  // table lacks) are configuration refusals too: an event's flow is enqueued all the same, its worker fails the step.
  it("enqueues a flow whose GET key or SET consulta every run fails on; the worker's admission refuses the step, the run API at once", async () => {
    const { db } = database;
    const getSettings = { tabela: 'contas', chave: 'fantasia', sql_consulta: 'SELECT CODCLI AS id_erp, APECLI AS fantasia FROM E085CLI' };
    await db.updateTable('integracao').set(getSettings).where('id', '=', brokenGet).execute();
    await acknowledged({ tabela: 'contas', id: 7, chaveIdempotencia: 'conta-7-v2' }, set);
    const step = { tenant: { empresaId: empresaA, filialId: null }, integracaoId: brokenGet, parametros: {}, checkParameters: false };
    await expect(admitRun(database.db, step)).rejects.toMatchObject({ code: 'GET_CONFIG', params: { codigo: 'GET_KEY_NOT_UNIQUE' } });
    expect(await runRefusal(set)).toEqual([422, 'GET_CONFIG']);
    // SET-OPORTUNIDADES: its regra fixed, its consulta reads a column oportunidades does not have.
    await db.updateTable('regras').set({ tipo: 'maiusculas' }).where('integracao_id', '=', brokenSet).execute();
    const consulta = '{"consulta": "SELECT o.id, o.titulo_longo FROM oportunidades o"}';
    await db.updateTable('integracao').set({ consulta }).where('id', '=', brokenSet).execute();
    await acknowledged({ tabela: 'oportunidades', id: 3, chaveIdempotencia: 'oportunidade-3-v2' }, brokenSet);
    const job = { tenant: { empresaId: empresaA, filialId: null }, integracaoId: brokenSet, parametros: {}, checkParameters: false };
    await expect(admitRun(database.db, job)).rejects.toMatchObject({ code: 'SET_CONFIG', params: { codigo: 'CONSULTA_UNKNOWN_COLUMN' } });
    expect(await runRefusal(brokenSet)).toEqual([422, 'SET_CONFIG']);
  });

  it("words a refusal in the caller's language, a replay of the same key in the replay's", async () => {
    const pt = (await change({ tabela: 'contatos', id: 12, chaveIdempotencia: 'contato-12-v1' })).json();
    expect(pt.jobs).toEqual([]);
    expect(pt.refused).toEqual([
      { integracaoId: blocked, message: expect.stringMatching(/^a integração #\d+ \(GET-INATIVA\), pré-requisito/) },
    ]);
    const en = (await change({ tabela: 'contatos', id: 12, chaveIdempotencia: 'contato-12-v1' }, 'en')).json();
    expect(en.deduplicated).toBe(true);
    expect(en.refused).toEqual([
      { integracaoId: blocked, message: expect.stringMatching(/^integracao #\d+ \(GET-INATIVA\), a prerequisite/) },
    ]);
  });
});
