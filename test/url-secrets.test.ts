import http from 'node:http';
import type net from 'node:net';
import { type AppProcess, spawnApp } from '@integrador/test-support/processes';
import { freePort, TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import { DEFAULT_CREDENTIALS, WSDL_LINK } from './fixtures/senior-g5';
import { CONTA, SET_WS_CONTAS, SET_WS_CONTAS_CAMPO } from './fixtures/set-ws-contas';
import { DashboardHarness } from './support/dashboard-harness';

/** What must never show: a query value and the userinfo of a connection's or endpoint's URL. */
const TOKEN = 's3cr3t-da-url';
const USERINFO = 'urluser:urlpass@';
const LEAKS = /s3cr3t-da-url|urlpass|urluser/;

/** A receptor that answers every request HTTP 500, keeping the URLs it was asked for. */
async function startFailingServer() {
  const urls: string[] = [];
  const server = http.createServer((req, res) => {
    urls.push(req.url ?? '');
    req.resume();
    // Under /api/echo it refuses the request quoting it, as Express's 404 does ('Cannot POST /api/echo?token=…').
    req.on('end', () =>
      req.url?.startsWith('/api/echo')
        ? res.writeHead(404, { 'content-type': 'text/plain' }).end(`Cannot POST ${req.url}`)
        : res.writeHead(500, { 'content-type': 'text/plain' }).end('falha interna'),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return { url, urls, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const withUserinfo = (url: string) => url.replace('http://', `http://${USERINFO}`);

/**
 * A connection's or endpoint's URL may carry a token in its query and a user:password before its host. The request
 * goes to that URL; the attempt rows, the job's failure and log, the dashboard (JSON and page) and the worker's pino
 * output show it only as shownUrl gives it.
 */
describe('URL secrets never reach a record, a log or a message', () => {
  const h = new DashboardHarness();
  let receptor: Awaited<ReturnType<typeof startFailingServer>>;
  let closed: number;
  let webhookWorker: AppProcess | undefined;

  beforeAll(async () => {
    receptor = await startFailingServer();
    closed = await freePort();
    const connection = (name: string, tipo: string, baseUrl: string, extra: string[]) =>
      [`  ${name}:`, `    tipo: ${tipo}`, `    baseUrl: ${withUserinfo(baseUrl)}`, ...extra.map((line) => `    ${line}`)].join('\n');
    const ws = (password: string) => [
      `user: ${DEFAULT_CREDENTIALS.user}`,
      `password: ${password}`,
      'encryption: 0',
      'timeoutMs: 3000',
      'allowPrivateNetwork: true',
      'retry: { attempts: 1, backoffMs: 100 }',
    ];
    const api = ['allowPrivateNetwork: true', 'timeoutMs: 3000', 'retry: { attempts: 1, backoffMs: 100 }'];
    await h.start({
      webhookAllowedNetworks: ['127.0.0.1/32'],
      connectionsYaml: (erpUrl, password) =>
        [
          'connections:',
          connection('senior_g5', 'webservice', erpUrl, ws(password)),
          connection('senior_down', 'webservice', `http://127.0.0.1:${closed}`, ws(password)),
          connection('crm_api', 'api', receptor.url, api),
          connection('crm_api_down', 'api', `http://127.0.0.1:${closed}`, api),
        ].join('\n'),
    });
    h.writeConnections(DEFAULT_CREDENTIALS.password);
    const db = h.database.db;
    const empresaId = h.empresaA;
    await db
      .updateTable('integracao')
      .set({ link: `${WSDL_LINK}&token=${TOKEN}` })
      .where('id', '=', 19)
      .execute();
    const rows: Array<[number, string, string, string, string | null]> = [
      [30, 'WS', 'senior_down', `${WSDL_LINK}&token=${TOKEN}`, 'GravarClientes'],
      [31, 'API', 'crm_api', `POST /api/clientes?token=${TOKEN}&outro=1`, null],
      [32, 'API', 'crm_api_down', `POST /api/clientes?apikey=${TOKEN}`, null],
      [33, 'API', 'crm_api', `POST /api/echo?token=${TOKEN}`, null],
    ];
    for (const [id, tipo, nome, link, porta] of rows) {
      await db.insertInto('conexao_integracao').values({ id, tipo_conexao: tipo, nome_conexao: nome, empresa_id: empresaId }).execute();
      await db
        .insertInto('integracao')
        .values({
          ...SET_WS_CONTAS,
          id,
          nome: `SET-${id}`,
          link,
          porta_ws: porta,
          conexao_integracao_id: id,
          empresa_id: empresaId,
          ordem: id,
          ativo: 1,
        } as never)
        .execute();
      await db
        .insertInto('campos_integracao')
        .values({
          integracao_id: id,
          campo_crm: JSON.stringify(porta ? SET_WS_CONTAS_CAMPO : { nome: '#nome#', documento: '#cnpj#' }),
          ordem: 0,
        })
        .execute();
    }
    await h.startWorker();
  }, 240000);

  afterAll(async () => {
    if (webhookWorker) {
      webhookWorker.child.kill('SIGTERM');
      await webhookWorker.exited;
    }
    await h.close();
    await receptor.close();
  });

  function expectNoLeak(texts: Record<string, string>) {
    for (const [where, text] of Object.entries(texts))
      expect({ where, leaks: LEAKS.exec(text)?.[0] ?? null }).toEqual({ where, leaks: null });
  }

  it('a SET push to SOAP and REST receptors that succeeds, answers 5xx or cannot be reached records only the shown URL', async () => {
    const { cookie } = await h.login('opa');
    const ok = await h.runSet(CONTA.id, 19);
    await h.waitForRecord(ok, 'concluido');
    h.erp.setMode('unavailable');
    const jobs = [
      ok,
      await h.runSet(CONTA.id, 19),
      await h.runSet(CONTA.id, 30),
      await h.runSet(CONTA.id, 31),
      await h.runSet(CONTA.id, 32),
    ];
    for (const jobId of jobs.slice(1)) await h.waitForRecord(jobId, 'falhou');
    h.erp.setMode('normal');

    // The requests went to the full URLs.
    expect(receptor.urls).toEqual([`/api/clientes?token=${TOKEN}&outro=1`]);
    const tentativas = await h.database.db.selectFrom('integracao_tentativas').select(['url', 'erro']).orderBy('id').execute();
    const port = new URL(h.erp.url).port;
    const wsdlPath = WSDL_LINK.replace(/\?.*$/, '');
    // The four failing jobs ran at once: their rows in any order.
    expect(tentativas.map((t) => t.url).sort()).toEqual(
      [
        `http://127.0.0.1:${port}${wsdlPath}?token=***`,
        `http://127.0.0.1:${port}${wsdlPath}?token=***`,
        `http://127.0.0.1:${closed}${wsdlPath}?wsdl&token=***`,
        `${receptor.url}/api/clientes?token=***&outro=***`,
        `http://127.0.0.1:${closed}/api/clientes?apikey=***`,
      ].sort(),
    );
    const erros = tentativas.map((t) => t.erro ?? '');
    expect(erros).toContain(`${receptor.url}/api/clientes?token=***&outro=*** answered HTTP 500: falha interna`);
    expect(erros.find((erro) => erro.includes(`:${closed}/api/`))).toMatch(
      new RegExp(`^could not reach http://127.0.0.1:${closed}/api/clientes\\?apikey=\\*\\*\\* \\(ECONNREFUSED\\)`),
    );

    for (const jobId of jobs) expectNoLeak(await h.everythingAboutSetJob(jobId, cookie));
    const output = h.workerOutput();
    expect(output).toContain('could not reach');
    expectNoLeak({ workerLog: output });

    // Rows written before URLs were stored as shown hold the full URL: the dashboard masks them on display.
    const db = h.database.db;
    const full = `${withUserinfo(receptor.url)}/api/clientes?token=${TOKEN}`;
    const execucoes = db.selectFrom('integracao_execucoes').select('id').where('chave', 'like', 'set:31:%');
    await db
      .updateTable('integracao_tentativas')
      .set({ url: full, erro: `${full} answered HTTP 500: falha interna`, requisicao: `POST ${full}\n\n{}` })
      .where('execucao_id', 'in', execucoes)
      .execute();
    await db
      .updateTable('registro_jobs')
      .set({ erro_mensagem: `${full} answered HTTP 500` })
      .where('job_id', '=', jobs[3] as string)
      .execute();
    const shown = await h.everythingAboutSetJob(jobs[3] as string, cookie);
    expect(shown.dashboardJson).toContain(`${receptor.url}/api/clientes?token=***`);
    // What the operator reads stays as stored where nothing is secret: the REST preview's lines (no JSON escape taken
    // into a URL), the SOAP envelope's namespaces (no '/' added) and its escaped '&amp;'.
    expect(shown.dashboardPage).toContain(
      `${receptor.url}/api/clientes?token=***&amp;outro=***\\naccept: application/json\\ncontent-type:`,
    );
    expect((await h.everythingAboutSetJob(ok, cookie)).dashboardPage).toContain('xmlns:tns=&quot;http://services.senior.com.br&quot;&gt;');
    const { dashboardJson, dashboardPage, dashboardList, dashboardFailures } = shown;
    expectNoLeak({ dashboardJson, dashboardPage, dashboardList, dashboardFailures } as Record<string, string>);
  }, 120000);

  it('a receptor refusal quoting the request: the job failure, its log and registro_jobs show the query masked', async () => {
    const { cookie } = await h.login('opa');
    const jobId = await h.runSet(CONTA.id, 33);
    await h.waitForRecord(jobId, 'falhou');
    expect(receptor.urls).toContain(`/api/echo?token=${TOKEN}`);
    const texts = await h.everythingAboutSetJob(jobId, cookie);
    expect(texts.failedReason).toContain('Cannot POST /api/echo?token=***');
    expect(texts.jobLog).toContain('Cannot POST /api/echo?token=***');
    expect(texts.registro).toContain('Cannot POST /api/echo?token=***');
    // The first test left older rows holding full URLs on purpose: only this push's attempts are read.
    const tentativas = await h.database.db.selectFrom('integracao_tentativas').selectAll().where('url', 'like', '%/api/echo%').execute();
    expect(tentativas.map((t) => t.resposta)).toEqual(['Cannot POST /api/echo?token=***']);
    expectNoLeak({ ...texts, tentativas: JSON.stringify(tentativas), execucoes: '', registro: '' });
  }, 60000);

  it('/dashboard/api/calls masks a call error stored before the PBX client masked it', async () => {
    const { cookie } = await h.login('opa');
    const erro = `could not reach http://urluser:urlpass@pbx.example/originate?ramal=200&token=${TOKEN} (ECONNREFUSED)`;
    await h.database.db
      .insertInto('ligacoes')
      .values({
        empresa_id: h.empresaA,
        ramal: '200',
        telefone: '11999990000',
        direcao: 'saida',
        inicio: new Date().toISOString(),
        criado_em: new Date().toISOString(),
        sem_inicio: 0,
        status: 'falhou',
        erro,
      } as never)
      .execute();
    const api = await h.app.inject({ url: `/dashboard/api/calls?empresa=${h.empresaA}`, headers: { cookie } });
    expect(api.statusCode).toBe(200);
    expect(api.body).toContain('could not reach http://pbx.example/originate?ramal=***&token=*** (ECONNREFUSED)');
    expectNoLeak({ calls: api.body });
  });

  it('a webhook endpoint with a token in its query: attempts, deliveries, the dashboard and the worker log never show it', async () => {
    const failing = await startFailingServer();
    try {
      webhookWorker = spawnApp('apps/worker-webhook/src/main.ts', {
        REDIS_URL: TEST_REDIS_URL,
        KEY_PREFIX: h.prefix,
        CRM_DATABASE_URL: h.database.url,
        LOG_LEVEL: 'debug',
        JOB_LOCK_MS: '2000',
        WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
        WEBHOOK_RETRY_SCHEDULE_MS: '100,100',
        WEBHOOK_TIMEOUT_MS: '1000',
        WEBHOOK_CONNECT_TIMEOUT_MS: '1000',
      });
      await webhookWorker.waitForLog('worker started', 120000);
      const headers = { authorization: `Bearer ${h.keyA}` };
      const ids: number[] = [];
      for (const url of [`${failing.url}/hook?token=${TOKEN}`, `http://127.0.0.1:${closed}/hook?token=${TOKEN}`]) {
        const created = await h.app.inject({
          method: 'POST',
          url: '/v1/webhooks',
          headers,
          payload: { nome: `destino ${ids.length}`, url, gatilhos: ['contato.criado'] },
        });
        expect(created.statusCode).toBe(201);
        ids.push(created.json().id as number);
      }
      await h.database.db
        .insertInto('contatos')
        .values({ id: 901, empresa_id: h.empresaA, nome: 'Contato da URL' } as never)
        .execute();
      const changed = await h.app.inject({
        method: 'POST',
        url: '/v1/events/crm-change',
        headers,
        payload: { tabela: 'contatos', id: '901', operacao: 'criado' },
      });
      expect(changed.statusCode).toBe(202);
      const deadline = Date.now() + 30000;
      for (;;) {
        const open = await h.database.db.selectFrom('webhook_entregas').select('status').where('status', '!=', 'falhou').execute();
        const all = await h.database.db.selectFrom('webhook_entregas').select('id').execute();
        if (all.length === 2 && open.length === 0) break;
        if (Date.now() > deadline) throw new Error(`deliveries still open: ${JSON.stringify(open)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(failing.urls[0]).toBe(`/hook?token=${TOKEN}`);

      const { cookie } = await h.login('opa');
      const texts: Record<string, string> = {
        tentativas: JSON.stringify(await h.database.db.selectFrom('webhook_tentativas').selectAll().execute()),
        entregas: JSON.stringify(await h.database.db.selectFrom('webhook_entregas').selectAll().execute()),
        dashboardPage: (await h.app.inject({ url: `/dashboard/webhooks?empresa=${h.empresaA}`, headers: { cookie } })).body,
        dashboardJson: (await h.app.inject({ url: `/dashboard/api/webhooks?empresa=${h.empresaA}`, headers: { cookie } })).body,
        workerLog: [...webhookWorker.lines.map((line) => JSON.stringify(line)), ...webhookWorker.stderr].join('\n'),
      };
      for (const id of ids) {
        const deliveries = await h.app.inject({ url: `/v1/webhooks/${id}/deliveries`, headers });
        texts[`deliveries ${id}`] = deliveries.body;
        for (const d of (deliveries.json() as { items: { id: number }[] }).items) {
          texts[`attempts ${id}/${d.id}`] = (await h.app.inject({ url: `/v1/webhooks/${id}/deliveries/${d.id}/attempts`, headers })).body;
          const dashboard = await h.app.inject({
            url: `/dashboard/api/webhooks/${id}/deliveries/${d.id}/attempts?empresa=${h.empresaA}`,
            headers: { cookie },
          });
          texts[`dashboard attempts ${id}/${d.id}`] = dashboard.body;
        }
      }
      expect(texts.dashboardPage).toContain(`${failing.url}/hook?token=***`);
      expect(texts.tentativas).toContain('ECONNREFUSED');
      expectNoLeak(texts);
    } finally {
      await failing.close();
    }
  }, 180000);
});
