import http from 'node:http';
import type net from 'node:net';
import { DEFAULT_CREDENTIALS } from './fixtures/senior-g5';
import { CONTA, SET_WS_CONTAS } from './fixtures/set-ws-contas';
import { DashboardHarness } from './support/dashboard-harness';

/** The REST connections' secrets: a bearer token, and a Basic user's password. */
const TOKEN = 'tok-eco-9f8e7d6c';
const BASIC_USER = 'apiuser';
const BASIC_PASSWORD = 'senha-basic-4a5b';
const BASIC_B64 = Buffer.from(`${BASIC_USER}:${BASIC_PASSWORD}`).toString('base64');
/** The SOAP connection's password as the fake ERP checks it. */
const SOAP_PASSWORD = DEFAULT_CREDENTIALS.password;
/** A password the receptor echoes JSON-escaped ('/' and 'ç' escapable), and a mixed-case token it echoes in a host. */
const ESCAPED_PASSWORD = 'senha/Caçador9';
const HOST_TOKEN = 'TokEcoXyZ9AbQ';
const LEAKS = new RegExp([TOKEN, BASIC_PASSWORD, BASIC_B64, SOAP_PASSWORD].map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'));

/** Every character of a text as a JSON \u escape (a surrogate pair past U+FFFF). */
const unicodeEscaped = (text: string) => text.replace(/[\s\S]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/**
 * The forms an honest receptor writes the echoed password in (red-team round 2, findings 1 and 9), each a path
 * /echo/form/<name>: as PHP's json_encode escapes '/', as Python's json.dumps escapes non-ASCII, base64 (standard,
 * url-safe, of user:password), percent-encoded twice, HTML numeric character references.
 */
const ECHO_FORMS: Record<string, (password: string, userPassword: string) => string> = {
  php: (password) => password.replace(/\//g, '\\/'),
  python: (password) => password.replace(/[\u0080-\uffff]/g, (c) => unicodeEscaped(c)),
  unicode: (password) => unicodeEscaped(password).toUpperCase().replace(/\\U/g, '\\u'),
  base64: (password, userPassword) =>
    `${Buffer.from(password).toString('base64')} ${Buffer.from(password).toString('base64url')} ${Buffer.from(userPassword).toString('base64url')}`,
  percent2: (password) => encodeURIComponent(encodeURIComponent(password)),
  'references-html': (password) =>
    [...password].map((c, i) => (i % 2 ? `&#${c.codePointAt(0)};` : `&#x${c.codePointAt(0)?.toString(16)};`)).join(''),
};

/** Each form of ESCAPED_PASSWORD (and of HOST_TOKEN) a text must not hold: raw, and as every echo form writes it. */
const ESCAPED_LEAKS = [
  ESCAPED_PASSWORD,
  HOST_TOKEN,
  HOST_TOKEN.toLowerCase(),
  HOST_TOKEN.toUpperCase(),
  ...Object.values(ECHO_FORMS).flatMap((form) => form(ESCAPED_PASSWORD, `${BASIC_USER}:${ESCAPED_PASSWORD}`).split(' ')),
];

/**
 * A receptor that echoes the credentials it was sent: in the headers it answers and in its body, as a refusal (400), a
 * business error in a 200, or a success.
 */
async function startEchoServer() {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const auth = req.headers.authorization ?? '';
      const decoded = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString('utf8') : '';
      const said = `got ${auth} ${decoded}`.trim();
      const headers = { 'content-type': 'application/json', 'x-echo': auth };
      const password = decoded.slice(decoded.indexOf(':') + 1);
      const form = ECHO_FORMS[req.url?.slice('/echo/form/'.length) ?? ''];
      if (req.url?.startsWith('/echo/form/') && form) {
        const html = req.url.endsWith('-html');
        res.writeHead(400, { 'content-type': html ? 'text/html' : 'application/json' });
        res.end(html ? `<p>senha ${form(password, decoded)}</p>` : `{"erro":"senha ${form(password, decoded)}"}`);
      } else if (req.url?.startsWith('/echo/location/'))
        res
          .writeHead(302, { location: `http://${req.url.endsWith('upper') ? auth.slice(7).toUpperCase() : auth.slice(7)}.example.com/x` })
          .end();
      else if (req.url?.startsWith('/echo/refuse')) res.writeHead(400, headers).end(JSON.stringify({ erro: said }));
      else if (req.url?.startsWith('/echo/business'))
        res.writeHead(200, headers).end(JSON.stringify({ erro: `credencial recusada: ${said}` }));
      else if (req.url?.startsWith('/echo/value')) {
        // A code that holds the Basic password inside it (written back as is), or the bearer token itself (masked).
        const codCli = auth.startsWith('Basic ') ? `CLI-${password}-01` : auth.slice('Bearer '.length);
        res.writeHead(200, headers).end(JSON.stringify({ retornosClientes: [{ codCli }] }));
      } else res.writeHead(200, headers).end(JSON.stringify({ retornosClientes: [{ codCli: 77, retorno: `ok ${said}` }] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/**
 * Finding 3 of the red-team trial: a receptor (REST or SOAP) that echoes the connection's secret. The failure, the attempt
 * rows, registro_jobs, GET /v1/jobs and the dashboard show `***` in its place; the worker's log never has it.
 */
describe('a secret a receptor echoes back is never stored or shown', () => {
  const h = new DashboardHarness();
  let receptor: Awaited<ReturnType<typeof startEchoServer>>;

  beforeAll(async () => {
    receptor = await startEchoServer();
    const api = (name: string, auth: string) =>
      [
        `  ${name}:`,
        '    tipo: api',
        `    baseUrl: ${receptor.url}`,
        `    auth: ${auth}`,
        '    allowPrivateNetwork: true',
        '    timeoutMs: 3000',
        '    retry: { attempts: 1, backoffMs: 100 }',
      ].join('\n');
    await h.start({
      connectionsYaml: (erpUrl, password) =>
        [
          'connections:',
          '  senior_g5:',
          '    tipo: webservice',
          `    baseUrl: ${erpUrl}`,
          `    user: ${DEFAULT_CREDENTIALS.user}`,
          `    password: ${password}`,
          '    encryption: 0',
          '    timeoutMs: 3000',
          '    allowPrivateNetwork: true',
          '    retry: { attempts: 1, backoffMs: 100 }',
          api('rest_bearer', `{ type: bearer, token: ${TOKEN} }`),
          api('rest_basic', `{ type: basic, user: ${BASIC_USER}, password: ${BASIC_PASSWORD} }`),
          api('rest_basic_escaped', `{ type: basic, user: ${BASIC_USER}, password: '${ESCAPED_PASSWORD}' }`),
          api('rest_bearer_host', `{ type: bearer, token: ${HOST_TOKEN} }`),
        ].join('\n'),
    });
    h.writeConnections(SOAP_PASSWORD);
    const db = h.database.db;
    const rows: Array<[number, string, string]> = [
      [40, 'rest_bearer', 'POST /echo/refuse'],
      [41, 'rest_basic', 'POST /echo/refuse'],
      [42, 'rest_bearer', 'POST /echo/business'],
      [43, 'rest_bearer', 'POST /echo/ok'],
      [44, 'rest_basic', 'POST /echo/value'],
      [45, 'rest_bearer', 'POST /echo/value'],
      ...Object.keys(ECHO_FORMS).map((name, i): [number, string, string] => [50 + i, 'rest_basic_escaped', `POST /echo/form/${name}`]),
      [60, 'rest_bearer_host', 'POST /echo/location/as-sent'],
      [61, 'rest_bearer_host', 'POST /echo/location/upper'],
    ];
    for (const [id, nome, link] of rows) {
      await db.insertInto('conexao_integracao').values({ id, tipo_conexao: 'API', nome_conexao: nome, empresa_id: h.empresaA }).execute();
      await db
        .insertInto('integracao')
        .values({
          ...SET_WS_CONTAS,
          id,
          nome: `SET-${id}`,
          link,
          porta_ws: null,
          conexao_integracao_id: id,
          empresa_id: h.empresaA,
          ordem: id,
          ativo: 1,
        } as never)
        .execute();
      await db
        .insertInto('campos_integracao')
        .values({ integracao_id: id, campo_crm: JSON.stringify({ nome: '#nome#', documento: '#cnpj#' }), ordem: 0 })
        .execute();
    }
    await h.startWorker();
  }, 240000);

  afterAll(async () => {
    await h.close();
    await receptor.close();
  });

  function expectNoLeak(texts: Record<string, string>) {
    for (const [where, text] of Object.entries(texts))
      expect({ where, leaks: LEAKS.exec(text)?.[0] ?? null }).toEqual({ where, leaks: null });
  }

  it('REST: a 400 quoting the Bearer or Basic header, a 200 business error and a success echoing it show ***', async () => {
    const { cookie } = await h.login('opa');
    const refusedBearer = await h.runSet(CONTA.id, 40);
    const refusedBasic = await h.runSet(CONTA.id, 41);
    const business = await h.runSet(CONTA.id, 42);
    for (const jobId of [refusedBearer, refusedBasic, business]) await h.waitForRecord(jobId, 'falhou');
    const ok = await h.runSet(CONTA.id, 43);
    await h.waitForRecord(ok, 'concluido');

    const bearer = await h.everythingAboutSetJob(refusedBearer, cookie);
    expect(bearer.failedReason).toBe('got ***');
    expect(JSON.parse(bearer.v1Job ?? '')).toMatchObject({ failedReason: 'got ***' });
    const basic = await h.everythingAboutSetJob(refusedBasic, cookie);
    expect(basic.failedReason).toBe('got *** ***');
    expect((await h.everythingAboutSetJob(business, cookie)).failedReason).toBe('credencial recusada: got ***');
    const tentativas = await h.database.db.selectFrom('integracao_tentativas').select('resposta').execute();
    expect(tentativas.map((t) => t.resposta)).toEqual(
      expect.arrayContaining(['{"retornosClientes":[{"codCli":77,"retorno":"ok got ***"}]}', '{"erro":"got ***"}']),
    );
    for (const jobId of [refusedBearer, refusedBasic, business, ok]) expectNoLeak(await h.everythingAboutSetJob(jobId, cookie));
    expectNoLeak({ workerLog: h.workerOutput() });
  }, 120000);

  it('SOAP: a business error (erroExecucao) and a soap:Client fault quoting the password show ***', async () => {
    const { cookie } = await h.login('opa');
    h.erp.setMode('echo-password');
    const business = await h.runSet(CONTA.id, 19);
    await h.waitForRecord(business, 'falhou');
    h.erp.setMode('echo-password-fault');
    const fault = await h.runSet(CONTA.id, 19);
    await h.waitForRecord(fault, 'falhou');
    h.erp.setMode('normal');
    const expected = `senha recebida: *** (usuário ${DEFAULT_CREDENTIALS.user})`;
    const businessTexts = await h.everythingAboutSetJob(business, cookie);
    expect(businessTexts.failedReason).toBe(expected);
    const faultTexts = await h.everythingAboutSetJob(fault, cookie);
    expect(faultTexts.failedReason).toBe(expected);
    expect(faultTexts.dashboardJson).toContain(expected);
    expectNoLeak(businessTexts);
    expectNoLeak(faultTexts);
    expectNoLeak({ workerLog: h.workerOutput() });
  }, 120000);

  it('REST: a returned value that holds the password inside it is written back unchanged; one that IS the token is ***', async () => {
    const db = h.database.db;
    const idErp = async () => (await db.selectFrom('contas').select('id_erp').where('id', '=', CONTA.id).executeTakeFirstOrThrow()).id_erp;
    const before = (await db.selectFrom('integracao_tentativas').select('id').execute()).length;
    const inside = await h.runSet(CONTA.id, 44);
    await h.waitForRecord(inside, 'concluido');
    expect(await idErp()).toBe(`CLI-${BASIC_PASSWORD}-01`);
    const whole = await h.runSet(CONTA.id, 45);
    await h.waitForRecord(whole, 'concluido');
    expect(await idErp()).toBe('***');
    // The answer as kept (the attempt rows) still has the password masked inside the code.
    const tentativas = await db.selectFrom('integracao_tentativas').select('resposta').orderBy('id').execute();
    expect(tentativas.slice(before).map((t) => t.resposta)).toEqual([
      '{"retornosClientes":[{"codCli":"CLI-***-01"}]}',
      '{"retornosClientes":[{"codCli":"***"}]}',
    ]);
  }, 120000);

  /** The texts' leaks of ESCAPED_LEAKS, each as written and as a JSON text (a row, a log line) writes it again. */
  function escapedLeaks(texts: Record<string, string>): string[] {
    const found: string[] = [];
    for (const [where, text] of Object.entries(texts))
      for (const leak of ESCAPED_LEAKS)
        if (text.includes(leak) || text.includes(JSON.stringify(leak).slice(1, -1))) found.push(`${where}: ${leak}`);
    return found;
  }

  it.each(Object.keys(ECHO_FORMS).map((name, i) => [name, 50 + i] as const))(
    'REST: a password echoed in the %s form shows *** in the rows, the API, the dashboard and the worker log',
    async (name, id) => {
      const { cookie } = await h.login('opa');
      const jobId = await h.runSet(CONTA.id, id);
      await h.waitForRecord(jobId, 'falhou');
      const texts = await h.everythingAboutSetJob(jobId, cookie);
      const expected = name === 'base64' ? 'senha *** *** ***' : name.endsWith('-html') ? '<p>senha ***</p>' : 'senha ***';
      expect(texts.failedReason).toBe(expected);
      expect(JSON.parse(texts.v1Job ?? '').failedReason).toBe(expected);
      const execucao = await h.database.db
        .selectFrom('integracao_execucoes')
        .select('mensagem')
        .where('integracao_id', '=', id)
        .executeTakeFirstOrThrow();
      expect(execucao.mensagem).toBe(expected);
      expect(escapedLeaks({ ...texts, workerLog: h.workerOutput() })).toEqual([]);
    },
    60000,
  );

  it.each(['as-sent', 'upper'].map((name, i) => [name, 60 + i] as const))(
    'REST: a redirect whose Location host holds the token (%s) shows *** (host names ignore case)',
    async (_, id) => {
      const { cookie } = await h.login('opa');
      const jobId = await h.runSet(CONTA.id, id);
      await h.waitForRecord(jobId, 'falhou');
      const texts = await h.everythingAboutSetJob(jobId, cookie);
      expect(texts.failedReason).toBe('HTTP 302 redirect to http://***.example.com/x; redirects are not followed');
      expect(escapedLeaks({ ...texts, workerLog: h.workerOutput() })).toEqual([]);
    },
    60000,
  );
});
