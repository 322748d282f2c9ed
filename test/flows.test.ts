import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConnectionsFile } from '@integrador/connections';
import { jobDefinition } from '@integrador/jobs';
import { createLogger } from '@integrador/logging';
import { createEmpresa, issueApiKey } from '@integrador/store';
import { createTestDatabase } from '@integrador/test-support/databases';
import { type AppProcess, spawnApp } from '@integrador/test-support/processes';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import { type ChainReceptor, chainConnectionsYaml, startChainReceptor } from './fixtures/chain-receptor';
import { recordedFailureCode } from './support/integration-run';
import { startTestIngress } from './support/test-ingress';

const _logger = createLogger({ name: 'test', level: 'silent' });
const CONEXAO_ID = 4;
/** A GET step's source: a database (a GET on the chain's API connection is refused at admission, GET_CONNECTION_NOT_DATABASE). */
const GET_CONEXAO_ID = 5;

interface Step {
  id: number;
  dependente?: number | null;
  depende_de?: number | null;
  ordem?: number;
  tabela?: string;
  tipo?: string;
  campo?: Record<string, unknown>;
}

/**
 * A fleet slice for dependency flows: a PostgreSQL CRM database, the ingress in process, several real worker-set
 * processes on one key prefix, and the chain receptor on loopback.
 */
async function startFleet(workers: number, workerEnv: Record<string, string> = {}) {
  const receptor = await startChainReceptor();
  const connectionsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'itest-flows-')), 'connections.yaml');
  fs.writeFileSync(connectionsFile, chainConnectionsYaml(receptor.url));
  const database = await createTestDatabase('postgres');
  const empresaId = await createEmpresa(database.db, 'Empresa Fluxos');
  const otherEmpresaId = await createEmpresa(database.db, 'Outra Empresa');
  await database.db
    .insertInto('conexao_integracao')
    .values([
      { id: CONEXAO_ID, tipo_conexao: 'API', nome_conexao: 'chain_api', empresa_id: null },
      { id: GET_CONEXAO_ID, tipo_conexao: 'BD', nome_conexao: 'erp_bd', empresa_id: null },
    ])
    .execute();
  const key = await issueApiKey(database.db, empresaId, null, 'test');
  const otherKey = await issueApiKey(database.db, otherEmpresaId, null, 'test');
  const connections = await loadConnectionsFile(connectionsFile, {});
  const ingress = await startTestIngress(database, { enqueueTimeoutMs: 5000, deps: { connections } });
  const { app, producer, prefix } = ingress;
  const env = {
    REDIS_URL: TEST_REDIS_URL,
    KEY_PREFIX: prefix,
    CRM_DATABASE_URL: database.url,
    CONNECTIONS_FILE: connectionsFile,
    WORKER_CONCURRENCY: '4',
    LOG_LEVEL: 'info',
    ...workerEnv,
  };
  const processes: AppProcess[] = [];
  for (let i = 0; i < workers; i++) processes.push(spawnApp('apps/worker-set/src/main.ts', env));
  await Promise.all(processes.map((p) => p.waitForLog('worker started', 60000)));

  const addIntegration = async (empresa: number, step: Step) => {
    await database.db
      .insertInto('integracao')
      .values({
        id: step.id,
        nome: `S${step.id}`,
        tipo_servico: step.tipo ?? 'SET',
        empresa_id: empresa,
        empresa_filial_id: null,
        link: `POST /api/S${step.id}`,
        tabela: step.tabela ?? 'contas',
        consulta: null,
        conexao_integracao_id: step.tipo === 'GET' ? GET_CONEXAO_ID : CONEXAO_ID,
        indice_array_retorno: 'resultado',
        indice_valor_retorno: 'codigo',
        indice_erro_retorno: 'erro',
        sql_update: null,
        // A GET step reads a source: a run of one without sql_consulta is refused at admission (GET_CONFIG).
        sql_consulta: step.tipo === 'GET' ? 'SELECT CODCLI AS id_erp, NOMCLI AS nome FROM E085CLI' : null,
        dependente: step.dependente ?? null,
        depende_de: step.depende_de ?? null,
        parametros_obrigatorios: null,
        ordem: step.ordem ?? 0,
        ativo: 1,
      })
      .execute();
    await database.db
      .insertInto('campos_integracao')
      .values({ integracao_id: step.id, campo_crm: JSON.stringify(step.campo ?? { passo: `S${step.id}` }), ordem: 0 })
      .execute();
  };

  const request = (
    method: 'GET' | 'POST' | 'PATCH',
    url: string,
    payload?: Record<string, unknown>,
    headers: Record<string, string> = {},
  ) => app.inject({ method, url, headers: { authorization: `Bearer ${key}`, ...headers }, ...(payload === undefined ? {} : { payload }) });

  const jobOf = async (id: string) => (await request('GET', `/v1/jobs/set/${id}`)).json();

  /** Polls the API until the job reaches one of the states. */
  const settled = async (id: string, states: string[] = ['completed', 'failed'], timeoutMs = 45000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = await jobOf(id);
      if (states.includes(job.state)) return job;
      if (Date.now() > deadline) throw new Error(`job ${id} still ${job.state} (${job.failedReason ?? ''})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const stop = async () => {
    for (const p of processes) p.child.kill('SIGTERM');
    await Promise.all(processes.map((p) => p.exited));
    await ingress.close();
    await database.drop();
    await receptor.close();
  };
  return { receptor, database, empresaId, otherEmpresaId, otherKey, producer, app, addIntegration, request, jobOf, settled, stop };
}

type Fleet = Awaited<ReturnType<typeof startFleet>>;

describe('dependency flows with three worker-set processes', () => {
  let fleet: Fleet;
  let receptor: ChainReceptor;

  beforeAll(async () => {
    fleet = await startFleet(3);
    receptor = fleet.receptor;
  }, 120000);

  afterAll(async () => {
    await fleet?.stop();
  });

  const add = (step: Step) => fleet.addIntegration(fleet.empresaId, step);
  const run = (id: number, parametros: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
    fleet.request('POST', `/v1/integrations/${id}/run`, { parametros }, headers);

  it('runs a chain declared with dependente in the declared order; values flow down to #vars# and dependencias', async () => {
    // ordem says the opposite of the graph: the graph wins, ordem only breaks ties.
    await add({ id: 101, ordem: 4 });
    await add({ id: 102, dependente: 101, ordem: 3, campo: { passo: 'S102', anterior: '#codigo#' } });
    await add({ id: 103, dependente: 102, ordem: 2, campo: { passo: 'S103', anterior: '#codigo#', doPrimeiro: '#codigoDoPrimeiro#' } });
    await add({ id: 104, dependente: 103, ordem: 1, campo: { passo: 'S104', anterior: '#codigo#', primeiro: '#integracao_101.codigo#' } });
    await fleet.database.db
      .insertInto('dependencias')
      .values({
        integracao_id: 103,
        variavel: 'codigoDoPrimeiro',
        tipo: 'integracao',
        integracao_origem_id: 101,
        indice_valor: 'codigo',
        obrigatoria: 1,
      })
      .execute();

    const accepted = await run(104, { contaId: 42 });
    expect(accepted.statusCode).toBe(202);
    const body = accepted.json();
    expect(body.steps.map((s: { integracaoId: number }) => s.integracaoId)).toEqual([101, 102, 103, 104]);
    expect(body.steps.map((s: { queue: string }) => s.queue)).toEqual(['set', 'set', 'set', 'set']);
    expect(body.jobId).toBe(body.steps[3].jobId);
    const root = await fleet.settled(body.jobId);
    expect(root.failedReason).toBeNull();
    expect(root.state).toBe('completed');

    const calls = receptor.callsOf('S101', 'S102', 'S103', 'S104');
    expect(calls.map((c) => c.step)).toEqual(['S101', 'S102', 'S103', 'S104']);
    const [first, second, third, fourth] = calls;
    expect(second?.body).toEqual({ passo: 'S102', anterior: first?.codigo });
    expect(third?.body).toEqual({ passo: 'S103', anterior: second?.codigo, doPrimeiro: first?.codigo });
    expect(fourth?.body).toEqual({ passo: 'S104', anterior: third?.codigo, primeiro: first?.codigo });
    expect(root.flow).toEqual({
      triggeredIntegracaoId: 104,
      step: 4,
      steps: 4,
      prerequisite: expect.objectContaining({ integracaoId: 103 }),
    });
    expect(Object.keys(root.returnvalue.flow.integracoes)).toEqual(['101', '102', '103', '104']);
    for (const step of body.steps.slice(0, 3)) expect((await fleet.jobOf(step.jobId)).state).toBe('completed');

    // Run alone (no flow), the dependencia falls back to the origin's last completed result.
    const alone = await run(101);
    expect(alone.json().steps).toHaveLength(1);
    expect((await fleet.settled(alone.json().jobId)).flow).toBeNull();
  }, 90000);

  it('runs a chain declared with depende_de (the named integration runs after) in order', async () => {
    await add({ id: 201, depende_de: 202, campo: { passo: 'S201' } });
    await add({ id: 202, depende_de: 203, campo: { passo: 'S202', anterior: '#codigo#' } });
    await add({ id: 203, campo: { passo: 'S203', anterior: '#codigo#', primeiro: '#integracao_201.codigo#' } });
    const accepted = await run(203);
    expect(accepted.json().steps.map((s: { integracaoId: number }) => s.integracaoId)).toEqual([201, 202, 203]);
    expect((await fleet.settled(accepted.json().jobId)).state).toBe('completed');
    const [first, second, third] = receptor.callsOf('S201', 'S202', 'S203');
    expect([first, second, third].map((c) => c?.step)).toEqual(['S201', 'S202', 'S203']);
    expect(third?.body).toEqual({ passo: 'S203', anterior: second?.codigo, primeiro: first?.codigo });
    // Seed 001: the integration a depende_de names "será executada depois": running 201 runs 202 and 203 after it,
    // with the upstream values handed down as in a dependente chain.
    const fromFirst = await run(201);
    expect(fromFirst.json().steps.map((s: { integracaoId: number }) => s.integracaoId)).toEqual([201, 202, 203]);
    expect((await fleet.settled(fromFirst.json().jobId)).state).toBe('completed');
    const [again1, again2, again3] = receptor.callsOf('S201', 'S202', 'S203').slice(3);
    expect([again1, again2, again3].map((c) => c?.step)).toEqual(['S201', 'S202', 'S203']);
    expect(again3?.body).toEqual({ passo: 'S203', anterior: again2?.codigo, primeiro: again1?.codigo });
  }, 60000);

  it('refuses a cycle and a dangling reference with the rows named: PATCH, run route and worker', async () => {
    await add({ id: 301 });
    await add({ id: 302 });
    await fleet.addIntegration(fleet.otherEmpresaId, { id: 399 });
    const patch = (id: number, payload: Record<string, unknown>, headers: Record<string, string> = {}) =>
      fleet.request('PATCH', `/v1/integrations/${id}`, payload, headers);

    const ok = await patch(302, { dependente: 301, ordem: 7 });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ id: 302, dependente: 301, ordem: 7 });
    const cycle = await patch(301, { dependente: 302 });
    expect(cycle.statusCode).toBe(409);
    expect(cycle.json().error.code).toBe('DEPENDENCY_CYCLE');
    expect(cycle.json().error.message).toContain('#301 (S301) → #302 (S302) → #301 (S301)');
    expect(cycle.json().error.message).toContain('nada foi gravado');
    const english = await patch(301, { depende_de: 301 }, { 'accept-language': 'en' });
    expect(english.statusCode).toBe(409);
    expect(english.json().error.message).toBe(
      'circular dependency between integracoes #301 (S301) → #301 (S301) (columns dependente/depende_de); nothing was saved',
    );
    const dangling = await patch(301, { depende_de: 9999 });
    expect(dangling.statusCode).toBe(400);
    expect(dangling.json().error).toMatchObject({
      code: 'DANGLING_DEPENDENCY',
      message: expect.stringContaining('a integração #301 (S301) coluna depende_de aponta para a integração #9999'),
    });
    const otherTenant = await patch(301, { dependente: 399 });
    expect(otherTenant.statusCode).toBe(400);
    expect(otherTenant.json().error.message).toContain('#399, que não existe nesta empresa');
    expect(
      await fleet.database.db.selectFrom('integracao').select(['dependente', 'depende_de']).where('id', '=', 301).executeTakeFirst(),
    ).toEqual({
      dependente: null,
      depende_de: null,
    });
    expect((await fleet.request('PATCH', '/v1/integrations/399', { ordem: 1 })).statusCode).toBe(404);
    expect((await patch(301, {})).statusCode).toBe(400);

    // A configuration broken behind the API's back (direct SQL) is refused at run time, by the route and by the worker.
    await add({ id: 303, dependente: 304 });
    await add({ id: 304, dependente: 303 });
    await add({ id: 305, dependente: 9998 });
    const refused = await run(304);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.message).toContain('#303 (S303) → #304 (S304) → #303 (S303)');
    expect(refused.json().error.message).toContain('nada foi enfileirado');
    const refusedDangling = await run(305);
    expect(refusedDangling.statusCode).toBe(400);
    expect(refusedDangling.json().error.message).toContain('#305 (S305) coluna dependente aponta para a integração #9998');
    const tenant = { empresaId: fleet.empresaId, filialId: null };
    const direct = await fleet.producer.enqueue('set', 'integration.run', { tenant, integracaoId: 304, parametros: {}, trigger: 'api' });
    const failed = await fleet.settled(String(direct.id));
    expect(failed.state).toBe('failed');
    expect(failed.attemptsMade).toBe(1);
    expect(failed.failedReason).toBe('integracoes depend on each other in a cycle: #303 (S303) → #304 (S304) → #303 (S303)');
    expect(receptor.callsOf('S303', 'S304')).toEqual([]);

    // config lint keeps reporting both.
    const lint = (await fleet.request('GET', '/v1/config/lint')).json();
    const codes = (lint.findings ?? lint.items ?? lint).map((f: { code: string; rowId: number }) => `${f.code}:${f.rowId}`);
    expect(codes).toEqual(expect.arrayContaining(['DEPENDENCY_CYCLE:303', 'DANGLING_DEPENDENCY:305']));
  }, 60000);

  it('puts a GET prerequisite on the get queue in the same flow (or refuses it by name while no GET worker exists)', async () => {
    await add({ id: 701, tipo: 'GET' });
    await add({ id: 702, dependente: 701 });
    const response = await run(702);
    if (!jobDefinition('get', 'integration.run')) {
      expect(response.statusCode).toBe(409);
      expect(response.json().error.message).toContain('a integração #701 (S701), pré-requisito da integração #702');
      return;
    }
    expect(response.statusCode).toBe(202);
    const [getStep, setStep] = response.json().steps;
    expect([getStep.queue, setStep.queue]).toEqual(['get', 'set']);
    const getJob = await fleet.producer.getJob('get', getStep.jobId);
    expect(getJob?.data.flow).toMatchObject({ step: 1, steps: 2 });
    expect((await fleet.producer.getJob('set', setStep.jobId))?.data.flow.prerequisite).toEqual({
      queue: 'get',
      jobId: getStep.jobId,
      integracaoId: 701,
    });
  });

  it('blocks the dependents of a failing prerequisite with its reason, visible in the API; a retry completes the chain', async () => {
    await add({ id: 401 });
    await add({ id: 402, dependente: 401, campo: { passo: 'S402', anterior: '#codigo#' } });
    await add({ id: 403, dependente: 402, campo: { passo: 'S403', anterior: '#codigo#' } });
    receptor.refusing.add('S402');
    const accepted = (await run(403)).json();
    const [, failing, root] = accepted.steps as { jobId: string }[];
    const failed = await fleet.settled(failing?.jobId as string);
    expect(failed).toMatchObject({ state: 'failed', attemptsMade: 1, failedReason: 'cadastro S402 recusado pelo ERP' });

    const blocked = await fleet.settled(root?.jobId as string, ['blocked']);
    expect(blocked).toMatchObject({
      state: 'blocked',
      stateLabel: 'bloqueado',
      blockedBy: { queue: 'set', jobId: failing?.jobId, integracaoId: 402, failedReason: 'cadastro S402 recusado pelo ERP' },
    });
    const english = (await fleet.request('GET', `/v1/jobs/set/${root?.jobId}`, undefined, { 'accept-language': 'en' })).json();
    expect(english.stateLabel).toBe('blocked');
    // The blocker's failure worded from its record (written by the worker's recorder, a moment behind BullMQ).
    let worded = '';
    for (const deadline = Date.now() + 10000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
      worded = (await fleet.request('GET', `/v1/jobs/set/${root?.jobId}`)).json().blockedBy.failedReasonText;
      if (worded !== 'cadastro S402 recusado pelo ERP') break;
    }
    expect(worded).toBe(
      'o sistema receptor recusou a requisição (confira usuário, senha e os dados enviados): cadastro S402 recusado pelo ERP',
    );
    const list = (await fleet.request('GET', '/v1/flows/blocked')).json();
    expect(list.items).toEqual([
      expect.objectContaining({
        jobId: failing?.jobId,
        integracaoId: 402,
        failedReason: 'cadastro S402 recusado pelo ERP',
        // Worded as the jobs routes word it, in the request's language (trial 4 #8).
        failedReasonText: worded,
        dependents: [{ queue: 'set', jobId: root?.jobId, integracaoId: 403 }],
      }),
    ]);
    expect((await fleet.request('GET', '/v1/flows/blocked', undefined, { 'accept-language': 'en' })).json().items[0].failedReasonText).toBe(
      'the receptor refused the request (check the user, the password and the data sent): cadastro S402 recusado pelo ERP',
    );
    const metrics = (await fleet.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain(`integrador_flow_blocked_dependents{empresa_id="${fleet.empresaId}"} 1`);
    // Another tenant neither sees nor retries it.
    const other = { authorization: `Bearer ${fleet.otherKey}` };
    expect((await fleet.app.inject({ method: 'GET', url: '/v1/flows/blocked', headers: other })).json().items).toEqual([]);
    expect((await fleet.app.inject({ method: 'POST', url: `/v1/jobs/set/${failing?.jobId}/retry`, headers: other })).statusCode).toBe(404);
    expect((await fleet.request('POST', `/v1/jobs/set/${root?.jobId}/retry`)).json().error.code).toBe('JOB_NOT_FAILED');

    receptor.refusing.delete('S402');
    const retried = await fleet.request('POST', `/v1/jobs/set/${failing?.jobId}/retry`);
    expect(retried.statusCode).toBe(202);
    const done = await fleet.settled(root?.jobId as string);
    expect(done.state).toBe('completed');
    expect(receptor.callsOf('S401', 'S402', 'S403').map((c) => [c.step, c.codigo === null ? 'refused' : 'ok'])).toEqual([
      ['S401', 'ok'],
      ['S402', 'refused'],
      ['S402', 'ok'],
      ['S403', 'ok'],
    ]);
    const [, , secondTry, last] = receptor.callsOf('S401', 'S402', 'S403');
    expect(last?.body).toEqual({ passo: 'S403', anterior: secondTry?.codigo });
    expect((await fleet.request('GET', '/v1/flows/blocked')).json().items).toEqual([]);
    expect((await fleet.app.inject({ method: 'GET', url: '/metrics' })).body).not.toContain(
      `integrador_flow_blocked_dependents{empresa_id="${fleet.empresaId}"} 1`,
    );
  }, 90000);
});

describe('CRM change events with dependency flows', () => {
  let fleet: Fleet;

  beforeAll(async () => {
    fleet = await startFleet(1);
  }, 120000);

  afterAll(async () => {
    await fleet?.stop();
  });

  it('enqueues a chain once when several of its integrations are on the changed table, and refuses a broken one by name', async () => {
    await fleet.addIntegration(fleet.empresaId, { id: 601, tabela: 'pedidos' });
    await fleet.addIntegration(fleet.empresaId, { id: 602, tabela: 'pedidos', dependente: 601, campo: { anterior: '#codigo#' } });
    await fleet.addIntegration(fleet.empresaId, { id: 603, tabela: 'pedidos', dependente: 9997 });
    const accepted = await fleet.request('POST', '/v1/events/crm-change', { tabela: 'pedidos', parametros: { pedidoId: 1 } });
    expect(accepted.statusCode).toBe(202);
    const body = accepted.json();
    expect(body.jobs).toEqual([{ integracaoId: 602, jobId: expect.any(String) }]);
    expect(body.refused).toEqual([
      // In the caller's language (pt-BR unless it asks for another), since fixrev11b.
      {
        integracaoId: 603,
        message:
          'a integração #603 (S603) coluna dependente aponta para a integração #9997, que não existe nesta empresa; nada foi enfileirado',
      },
    ]);
    expect((await fleet.settled(body.jobs[0].jobId)).state).toBe('completed');
    const [first, second] = fleet.receptor.calls;
    expect(fleet.receptor.calls.map((c) => c.step)).toEqual(['S601', 'S602']);
    expect(second?.body).toEqual({ anterior: first?.codigo });
    expect((await fleet.jobOf(body.jobs[0].jobId)).returnvalue.flow.integracoes['601'].values).toEqual({ codigo: first?.codigo });
  }, 60000);

  it("runs a healthy step of a change's flow and fails only the step with a lint error, with SET_CONFIG", async () => {
    // P (on the changed table) names B in depende_de: the change runs P then B. B has a regra of no known tipo, an
    // error lint reports and every run of B fails on; P is fine and must not fail for B's sake.
    await fleet.addIntegration(fleet.empresaId, { id: 801, tabela: 'atividades', depende_de: 802 });
    await fleet.addIntegration(fleet.empresaId, { id: 802, campo: { anterior: '#codigo#' } });
    await fleet.database.db
      .insertInto('regras')
      .values({
        integracao_id: 802,
        campos_integracao_id: null,
        campo: 'anterior',
        tipo: 'maiusculass',
        parametros: null,
        ordem: 0,
        descricao: null,
      })
      .execute();
    const accepted = await fleet.request('POST', '/v1/events/crm-change', { tabela: 'atividades', parametros: {} });
    expect(accepted.statusCode).toBe(202);
    const body = accepted.json();
    expect(body.refused).toEqual([]);
    expect(body.jobs).toEqual([{ integracaoId: 801, jobId: expect.any(String) }]);
    const rootId = body.jobs[0].jobId as string;
    const prerequisite = (await fleet.producer.getJob('set', rootId))?.data.flow.prerequisite;
    expect(prerequisite).toMatchObject({ queue: 'set', integracaoId: 801 });

    // P's job is admitted on its own row and pushes; B's job fails in its worker, naming B and the lint finding.
    expect(await fleet.settled(prerequisite.jobId)).toMatchObject({ state: 'completed', failedReason: null });
    expect(fleet.receptor.callsOf('S801', 'S802').map((c) => c.step)).toEqual(['S801']);
    const failed = await fleet.settled(rootId);
    expect(failed).toMatchObject({ state: 'failed', attemptsMade: 1 });
    expect(failed.failedReason).toMatch(/^integracao #802 \(S802\): .*maiusculass/);
    expect(await recordedFailureCode(fleet.database.db, rootId)).toBe('SET_CONFIG');
    // The run API still refuses the whole flow at once, before anything is enqueued.
    const run = await fleet.request('POST', '/v1/integrations/801/run', { parametros: {} });
    expect([run.statusCode, run.json().error.code]).toEqual([422, 'SET_CONFIG']);
  }, 60000);
});

describe('the wedge guard', () => {
  let fleet: Fleet;

  beforeAll(async () => {
    fleet = await startFleet(2, { FLOW_BLOCKED_TIMEOUT_MS: '1500', FLOW_GUARD_INTERVAL_MS: '250' });
  }, 120000);

  afterAll(async () => {
    await fleet?.stop();
  });

  it('fails every dependent of a prerequisite nobody retried, with its reason, once the timeout passes', async () => {
    await fleet.addIntegration(fleet.empresaId, { id: 501 });
    await fleet.addIntegration(fleet.empresaId, { id: 502, dependente: 501, campo: { anterior: '#codigo#' } });
    await fleet.addIntegration(fleet.empresaId, { id: 503, dependente: 502, campo: { anterior: '#codigo#' } });
    fleet.receptor.refusing.add('S501');
    const accepted = (await fleet.request('POST', '/v1/integrations/503/run', { parametros: {} })).json();
    const [first, middle, root] = accepted.steps as { jobId: string }[];
    expect((await fleet.settled(first?.jobId as string)).state).toBe('failed');
    const ended = await fleet.settled(root?.jobId as string, ['failed']);
    expect(ended.failedReason).toContain('cadastro S501 recusado pelo ERP');
    expect(ended.failedReason).toContain('blocked by integracao #502');
    expect(ended.attemptsMade).toBe(1);
    const middleJob = await fleet.jobOf(middle?.jobId as string);
    expect(middleJob.state).toBe('failed');
    expect(middleJob.failedReason).toMatch(/^blocked by integracao #501 .*gave up waiting.*cadastro S501 recusado pelo ERP$/);
    expect(fleet.receptor.callsOf('S502', 'S503')).toEqual([]);
    expect((await fleet.request('GET', '/v1/flows/blocked')).json().items).toEqual([]);
  }, 60000);
});
