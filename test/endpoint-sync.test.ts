import { createLogger } from '@integrador/logging';
import type { JobProducer } from '@integrador/queue';
import { createEmpresa, findJobRecord, issueApiKey, setPermitirRedePrivada, setServiceLimit } from '@integrador/store';
import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { type JsonEndpointServer, startJsonEndpoint } from '@integrador/test-support/json-endpoint';
import { type AppProcess, spawnApp } from '@integrador/test-support/processes';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import { CONTATO_EXEMPLO, contato, EVENTO_EXEMPLO } from '@integrador/test-support/seed-003';
import type { FastifyInstance } from 'fastify';
import { startTestIngress, type TestIngress } from './support/test-ingress';

const _logger = createLogger({ name: 'test', level: 'silent' });
const TOKEN = 'tok-rubeus-3f9a';
const SENHA = 's3nha-basic-77';
/** Short enough for a test, long enough for a loaded machine to answer a fast endpoint. */
const TIMEOUT_MS = 3000;

describe.each(ALL_DIALECTS)('JSON endpoint sync end to end on %s (ingress → Redis → worker-get process)', (dialect) => {
  let database: TestDatabase;
  let endpoint: JsonEndpointServer;
  let producer: JobProducer;
  let app: FastifyInstance;
  let ingress: TestIngress;
  let worker: AppProcess;
  let prefix: string;
  let empresaId: number;
  let key: string;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    endpoint = await startJsonEndpoint();
    empresaId = await createEmpresa(database.db, 'Faculdade Exemplo');
    key = await issueApiKey(database.db, empresaId, null, 'test');
    // The default contract allows 5 services; this suite creates more.
    await setServiceLimit(database.db, empresaId, 20);
    ingress = await startTestIngress(database);
    ({ app, producer, prefix } = ingress);
    worker = spawnApp('apps/worker-get/src/main.ts', {
      REDIS_URL: TEST_REDIS_URL,
      KEY_PREFIX: prefix,
      CRM_DATABASE_URL: database.url,
      LOG_LEVEL: 'info',
      ENDPOINT_TIMEOUT_MS: String(TIMEOUT_MS),
      [`ENDPOINT_SECRET_${empresaId}_RUBEUS_TOKEN`]: TOKEN,
      [`ENDPOINT_SECRET_${empresaId}_SENHA`]: SENHA,
    });
    await worker.waitForLog('worker started');
  });

  afterAll(async () => {
    worker.child.kill('SIGTERM');
    await worker.exited;
    await ingress.close();
    await endpoint.close();
    await database.drop();
  });

  const headers = (lang?: string) => ({ authorization: `Bearer ${key}`, ...(lang ? { 'accept-language': lang } : {}) });

  async function createService(nome: string, paths: { contato?: string; evento?: string }, auth: Record<string, string> = {}) {
    const eventos = Object.entries(paths).map(([tipo, path]) => ({ tipo, url: `${endpoint.url}${path}` }));
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a ${NOME} secret reference, as a tenant writes it
    const bearer = { autenticacao: 'bearer', segredo: '${RUBEUS_TOKEN}' };
    const response = await app.inject({
      method: 'POST',
      url: '/v1/endpoints',
      headers: headers(),
      payload: { nome, urlBase: endpoint.url, ...(Object.keys(auth).length ? auth : bearer), eventos },
    });
    expect(response.statusCode).toBe(201);
    const id = response.json().id as number;
    // An operator's decision (CLI: integrador endpoints private-network): the fake endpoint listens on loopback.
    await setPermitirRedePrivada(database.db, empresaId, id, true);
    return id;
  }

  async function syncToEnd(id: number) {
    const accepted = await app.inject({ method: 'POST', url: `/v1/endpoints/${id}/sync`, headers: headers() });
    expect(accepted.statusCode).toBe(202);
    const jobId = accepted.json().jobId as string;
    const deadline = Date.now() + 30000;
    for (;;) {
      const response = await app.inject({ url: `/v1/jobs/get/${jobId}`, headers: headers() });
      const job = response.json();
      if (job.state === 'completed' || job.state === 'failed') {
        const service = (await app.inject({ url: `/v1/endpoints/${id}`, headers: headers('en') })).json();
        return { job, service, jobId };
      }
      if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job.state}; worker stderr: ${worker.stderr.join('')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  const contatos = () => database.db.selectFrom('contatos').selectAll().where('empresa_id', '=', empresaId).orderBy('codigo').execute();
  const eventos = () => database.db.selectFrom('eventos').selectAll().where('empresa_id', '=', empresaId).orderBy('id').execute();

  it('syncs the seed’s example contato and evento (bearer), and a second sync of the same payloads changes nothing', async () => {
    endpoint.routes.set('/rubeus/contatos', { body: [CONTATO_EXEMPLO], authorization: `Bearer ${TOKEN}` });
    endpoint.routes.set('/rubeus/eventos', { body: [EVENTO_EXEMPLO], authorization: `Bearer ${TOKEN}` });
    const id = await createService('Envio dos egressos', { contato: '/rubeus/contatos', evento: '/rubeus/eventos' });

    const { job, service } = await syncToEnd(id);
    expect([job.state, job.failedReason]).toEqual(['completed', null]);
    expect(job.returnvalue).toMatchObject({
      servicoId: id,
      status: 'ok',
      eventos: [
        { tipo: 'contato', recebidos: 1, validos: 1, invalidos: 0, gravados: { novos: 1, atualizados: 0 }, erros: [] },
        { tipo: 'evento', recebidos: 1, validos: 1, invalidos: 0, gravados: { novos: 1, repetidos: 0 }, erros: [] },
      ],
    });
    expect(service).toMatchObject({ status: 'ok', statusMotivo: { code: 'SYNC_OK', message: '2 of 2 records written (0 invalid)' } });
    expect(service.ultimaExecucaoEm).toEqual(expect.any(String));

    const [row] = await contatos();
    expect(row).toMatchObject({
      codigo: '34985761',
      nome: 'Luís Arthur Roberto Souza',
      email: 'luisarthurrobertosouza@evolink.com.br',
      telefone: '55(31)26582323',
      cpf: '95839575690',
    });
    expect(String(row?.data_nascimento instanceof Date ? row.data_nascimento.toISOString() : row?.data_nascimento)).toContain('1998-05-1');
    expect(JSON.parse(String(row?.dados))).toMatchObject({
      numero: 342,
      canhoto: false,
      aluno: true,
      baseLegal: 1,
      cep: '33840-610',
      uf: 'MG',
    });
    expect(JSON.parse(String(row?.campos_personalizados))).toEqual({ campanhaOrigem: 'Facebook' });
    const [evento] = await eventos();
    expect(evento).toMatchObject({
      contato_id: row?.id,
      cod_contato: '34985761',
      descricao: '<b>Completou a primeira etapa</b>',
      servico_endpoint_id: id,
    });
    expect(JSON.parse(String(evento?.dados))).toEqual({
      codOferta: 'ADM_3',
      codCurso: 'ADM',
      codLocalOferta: 'SEDE',
      camposPersonalizados: { selecionouAgendamento: '0' },
    });

    const again = await syncToEnd(id);
    expect(again.job.returnvalue.eventos).toMatchObject([
      { gravados: { novos: 0, atualizados: 1 } },
      { gravados: { novos: 0, repetidos: 1 } },
    ]);
    expect(await contatos()).toHaveLength(1);
    expect(await eventos()).toHaveLength(1);
    expect(endpoint.requests.filter((r) => r.path.startsWith('/rubeus/')).every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it('reports invalid records with their index and field while the valid ones go in', async () => {
    endpoint.routes.set('/mistos', {
      body: [contato(1), { ...contato(2), cep: '33840610' }, contato(3), { ...contato(4), baseLegal: '' }, 'não é um contato'],
    });
    const id = await createService('Mistos', { contato: '/mistos' });
    const { job, service } = await syncToEnd(id);
    expect(job.state).toBe('completed');
    const report = job.returnvalue.eventos[0];
    expect(report).toMatchObject({ recebidos: 5, validos: 2, invalidos: 3, gravados: { novos: 2 } });
    expect(report.erros.map((e: { index: number; field: string; code: string }) => [e.index, e.field, e.code])).toEqual([
      [1, 'cep', 'FORMAT'],
      [3, 'baseLegal', 'REQUIRED'],
      [4, '', 'NOT_OBJECT'],
    ]);
    expect(report.erros[0].message).toBe('registro 1: o campo "cep" deve seguir o padrão xxxxx-xxx, recebido "33840610"');
    // The API shows the last report in the caller's language.
    expect(service.eventos[0].ultimoRelatorio.erros[1].message).toBe('record 3: field "baseLegal" is required');
    expect((await contatos()).map((c) => c.codigo)).toEqual(expect.arrayContaining(['C1', 'C3']));
    expect((await contatos()).map((c) => c.codigo)).not.toContain('C2');
  });

  it('cancels a call with 1001 records and marks the service "falha", writing nothing', async () => {
    endpoint.routes.set('/muitos', { body: Array.from({ length: 1001 }, (_, i) => contato(10000 + i)) });
    const id = await createService('Muitos', { contato: '/muitos' });
    const before = (await contatos()).length;
    const { job, service } = await syncToEnd(id);
    expect(job.state).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toContain('mais de 1000 registros');
    expect(service).toMatchObject({ status: 'falha', statusMotivo: { code: 'TOO_MANY_RECORDS' } });
    expect(service.statusMotivo.message).toContain('Send at most 1000 records per call');
    expect(service.eventos[0]).toMatchObject({ status: 'falha', ultimoRelatorio: { falha: { code: 'TOO_MANY_RECORDS' } } });
    expect(await contatos()).toHaveLength(before);
  });

  it('accepts exactly 1000 records in one call', async () => {
    endpoint.routes.set('/mil', { body: Array.from({ length: 1000 }, (_, i) => contato(20000 + i)) });
    const id = await createService('Mil', { contato: '/mil' });
    const { job, service } = await syncToEnd(id);
    expect(job.state).toBe('completed');
    expect(job.returnvalue.eventos[0]).toMatchObject({ recebidos: 1000, validos: 1000, gravados: { novos: 1000 } });
    expect(service.status).toBe('ok');
  });

  it('cancels a response slower than the limit and marks the service "falha"', async () => {
    endpoint.routes.set('/lento', { body: [contato(30000)], delayMs: TIMEOUT_MS + 2000 });
    const id = await createService('Lento', { contato: '/lento' });
    const { job, service } = await syncToEnd(id);
    expect(job.state).toBe('failed');
    expect(service).toMatchObject({ status: 'falha', statusMotivo: { code: 'TIMEOUT' } });
    expect(service.statusMotivo.message).toContain(`did not answer within ${TIMEOUT_MS / 1000} s`);
    expect((await contatos()).map((c) => c.codigo)).not.toContain('C30000');
  });

  it('sends basic authentication as the endpoint expects it, and never puts a secret in a job or a log', async () => {
    const expected = `Basic ${Buffer.from(`api-crm:${SENHA}`).toString('base64')}`;
    endpoint.routes.set('/basic', { body: [contato(40000)], authorization: expected });
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a ${NOME} secret reference, as a tenant writes it
    const id = await createService('Basic', { contato: '/basic' }, { autenticacao: 'basic', usuario: 'api-crm', segredo: '${SENHA}' });
    const { job, jobId } = await syncToEnd(id);
    expect(job.state).toBe('completed');
    expect(endpoint.requests.filter((r) => r.path === '/basic').map((r) => r.authorization)).toEqual([expected]);
    const stored = await producer.getJob('get', jobId);
    expect(stored?.data).toEqual({ tenant: { empresaId, filialId: null }, servicoId: id, trigger: 'api', reqId: expect.any(String) });
    const everything = JSON.stringify(worker.lines) + worker.stderr.join('');
    expect(everything).toContain('endpoint synced');
    expect(everything).not.toContain(SENHA);
    expect(everything).not.toContain(TOKEN);
  });

  it('an endpoint that echoes the bearer token inside values: the contato keeps its text, every error quoting one shows ***', async () => {
    const token = (authorization: string) => authorization.slice('Bearer '.length);
    endpoint.routes.set('/eco/contatos', {
      authorization: `Bearer ${TOKEN}`,
      echo: (auth) => [
        { ...contato(50000), codigo: `CTT-${token(auth)}` },
        { ...contato(50001), cep: `cep ${token(auth)}` },
      ],
    });
    endpoint.routes.set('/eco/eventos', {
      authorization: `Bearer ${TOKEN}`,
      echo: (auth) => [{ ...EVENTO_EXEMPLO, codContato: `NOVO-${token(auth)}-9` }],
    });
    const id = await createService('Eco', { contato: '/eco/contatos', evento: '/eco/eventos' });
    const { job, service, jobId } = await syncToEnd(id);
    expect(job.state).toBe('completed');
    // Parsed values keep their text: the code the endpoint sent is the contato's code in the CRM.
    expect((await contatos()).map((c) => c.codigo)).toContain(`CTT-${TOKEN}`);
    const [contatoReport, eventoReport] = job.returnvalue.eventos;
    expect(contatoReport.erros).toEqual([
      {
        index: 1,
        field: 'cep',
        code: 'FORMAT',
        params: { pattern: 'xxxxx-xxx', value: 'cep ***' },
        message: 'registro 1: o campo "cep" deve seguir o padrão xxxxx-xxx, recebido "cep ***"',
      },
    ]);
    expect(eventoReport.erros).toEqual([
      {
        index: 0,
        field: 'codContato',
        code: 'CONTATO_NOT_FOUND',
        params: { codContato: 'NOVO-***-9' },
        message: 'registro 0: não há contato com codigo "NOVO-***-9" no CRM; sincronize o contato antes do evento',
      },
    ]);
    // The API renders the last reports in the caller's language from the stored code and params.
    expect(service.eventos.map((e: { ultimoRelatorio: { erros: { message: string }[] } }) => e.ultimoRelatorio.erros[0]?.message)).toEqual([
      'record 1: field "cep" must follow the pattern xxxxx-xxx, got "cep ***"',
      'record 0: no contato with codigo "NOVO-***-9" in the CRM; sync the contato before its evento',
    ]);
    const stored = await database.db.selectFrom('servicos_endpoint_eventos').selectAll().where('servico_id', '=', id).execute();
    const kept = [
      JSON.stringify(job),
      JSON.stringify(service),
      JSON.stringify(stored),
      JSON.stringify(await producer.getJob('get', jobId)),
    ];
    const logs = JSON.stringify(worker.lines) + worker.stderr.join('');
    for (const text of [...kept, logs]) expect(text).not.toContain(TOKEN);
  });

  it('marks "falha" with what to do when the endpoint refuses the credentials', async () => {
    endpoint.routes.set('/recusa', { body: [], authorization: 'Bearer outro-token' });
    const id = await createService('Recusa', { contato: '/recusa' });
    const { job, service, jobId } = await syncToEnd(id);
    expect(job.state).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(service).toMatchObject({ status: 'falha', statusMotivo: { code: 'HTTP_UNAUTHORIZED' } });
    expect(service.statusMotivo.message).toContain('Check the service’s authentication type, user and secret');
    // The permanent failure keeps its class and code on the way to BullMQ (once, in the queue worker): the job's
    // record shows them, and the job's answer words the failure in the reader's language from that code.
    const deadline = Date.now() + 10_000;
    let record = await findJobRecord(database.db, [empresaId], 'get', jobId);
    while (record?.estado !== 'falhou' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      record = await findJobRecord(database.db, [empresaId], 'get', jobId);
    }
    expect(record).toMatchObject({ estado: 'falhou', erro_classe: 'EndpointSyncError', erro_codigo: 'HTTP_UNAUTHORIZED' });
    const answer = (await app.inject({ url: `/v1/jobs/get/${jobId}`, headers: headers('en') })).json();
    expect(answer.failedReasonText).toContain('Check the service’s authentication type, user and secret');
  });
});
