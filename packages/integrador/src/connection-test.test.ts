import http from 'node:http';
import type net from 'node:net';
import type { ApiConnection, WebServiceConnection } from '@integrador/connections';
import { Secret } from '@integrador/connections';
import type { ConnectionTestResult } from '@integrador/sources';
import { freePort } from '@integrador/test-support/ports';
import { startSilentListener } from '@integrador/test-support/silent-listener';
import { DEFAULT_CREDENTIALS, SERVICE_PATH, type SeniorG5Server, startSeniorG5Server, WSDL_XML } from '../../../test/fixtures/senior-g5';
import { testConnection } from './connection-test';

// The engine's connection test, as the CLI, POST /v1/connections/:name/test and the dashboard run it: the database
// steps are @integrador/sources' (tested there), a web service's login goes out through the receptors' SOAP transport.

/** The test's steps as [name, ok] pairs. */
function stepsOf(result: ConnectionTestResult) {
  return result.steps.map((step) => [step.step, step.ok]);
}

describe('testConnection on web services and APIs', () => {
  let server: http.Server;
  let port: number;
  beforeAll(async () => {
    server = http.createServer((_, response) => response.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });
  const api = (baseUrl: string, allowPrivateNetwork = true): ApiConnection => ({
    kind: 'api',
    name: 'rubeus',
    baseUrl,
    auth: { type: 'none' },
    headers: {},
    timeoutMs: 1000,
    allowPrivateNetwork,
  });

  it('reaches an http base URL', async () => {
    const result = await testConnection(api(`http://127.0.0.1:${port}`));
    expect(result).toMatchObject({ ok: true, kind: 'api', steps: [{ step: 'reachability', ok: true }] });
  });

  it('reports a closed port, an internal address not allowed, and a TLS handshake that fails', async () => {
    const closed = await testConnection(api(`http://127.0.0.1:${await freePort()}`));
    expect(closed.error?.code).toBe('PORT_CLOSED');
    // A web service's hint names the web service and its URL, never "the database's service".
    expect(closed.error?.message).toMatch(/: confira a porta na URL da conexão, se o serviço web está no ar e se o firewall/);
    const closedEn = await testConnection(api(`http://127.0.0.1:${await freePort()}`), { locale: 'en' });
    expect(closedEn.error?.message).toMatch(/: check the port in the connection's URL, that the web service is running and/);
    expect((await testConnection(api(`http://127.0.0.1:${port}`, false))).error?.code).toBe('ADDRESS_FORBIDDEN');
    const tls = await testConnection(api(`https://127.0.0.1:${port}`), { locale: 'en' });
    expect(stepsOf(tls)).toEqual([
      ['reachability', true],
      ['tls', false],
    ]);
    expect(tls.error).toMatchObject({ code: 'TLS_FAILED' });
    expect(tls.error?.message).toMatch(/^the TLS handshake with 127\.0\.0\.1 failed/);
    expect(tls.error?.message).not.toMatch(/encrypt|trustServerCertificate/);
  });
});

describe('testConnection on a Senior G5 web service (trial M1)', () => {
  let erp: SeniorG5Server;
  let plain: http.Server;
  beforeAll(async () => {
    erp = await startSeniorG5Server();
    plain = http.createServer((_, response) => {
      response.statusCode = 404;
      response.end('not here');
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await erp.close();
    await new Promise((resolve) => plain.close(resolve));
  });
  const senior = (baseUrl: string, password: string): WebServiceConnection => ({
    kind: 'webservice',
    name: 'senior_g5',
    baseUrl,
    user: DEFAULT_CREDENTIALS.user,
    password: new Secret(password),
    encryption: 0,
    timeoutMs: 2000,
    allowPrivateNetwork: true,
  });

  it('logs in with a query that changes nothing and passes with the right password', async () => {
    const before = erp.customers.size;
    const result = await testConnection(senior(erp.url, DEFAULT_CREDENTIALS.password));
    expect(stepsOf(result)).toEqual([
      ['reachability', true],
      ['login', true],
    ]);
    expect(result.steps[1]?.message).toBe(
      'o ERP aceitou o login do usuário "integrador" (obterCliente do serviço de clientes, uma consulta que não altera nada)',
    );
    expect(erp.customers.size).toBe(before);
  });

  it('fails a wrong password as a push refused for it fails, never quoting the password', async () => {
    for (const locale of ['pt-BR', 'en'] as const) {
      const result = await testConnection(senior(erp.url, 'senha-errada'), { locale });
      expect(result.ok).toBe(false);
      expect(stepsOf(result)).toEqual([
        ['reachability', true],
        ['login', false],
      ]);
      expect(result.error?.code).toBe('RECEPTOR_LOGIN_REFUSED');
      expect(result.error?.message).toMatch(
        locale === 'en'
          ? /^the ERP refused the login of connection senior_g5: check its user and password .*: Usuário ou senha inválidos$/
          : /^o ERP recusou o login da conexão senior_g5: confira o usuário e a senha .*: Usuário ou senha inválidos$/,
      );
      expect(JSON.stringify(result)).not.toContain('senha-errada');
    }
  });

  it('says the login was not checked when the address has no Senior G5 customer service', async () => {
    const port = (plain.address() as net.AddressInfo).port;
    const result = await testConnection(senior(`http://127.0.0.1:${port}`, 'x'), { locale: 'en' });
    expect(result.ok).toBe(true);
    expect(result.steps[1]).toMatchObject({ step: 'login', ok: true });
    expect(result.steps[1]?.message).toBe(
      "login not checked: 127.0.0.1 has no Senior G5 customer service (/g5-senior-services/sapiens_Synccom_senior_g5_co_ger_cad_clientes); only the address's reachability was checked",
    );
  });

  it('fails the login step, in one language with the status alone, where the WSDL answers 5xx, 401 or 403', async () => {
    let status = 503;
    const refusing = http.createServer((_, response) => {
      response.statusCode = status;
      response.end('<html><body>no</body></html>');
    });
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(refusing.address() as net.AddressInfo).port}`;
    const path = '/g5-senior-services/sapiens_Synccom_senior_g5_co_ger_cad_clientes';
    try {
      for (const [code, answered] of [
        ['WSDL_UNAVAILABLE', 503],
        ['WSDL_UNAVAILABLE', 500],
        ['WSDL_UNAUTHORIZED', 401],
        ['WSDL_UNAUTHORIZED', 403],
      ] as const) {
        status = answered;
        const pt = await testConnection(senior(url, 'senha-do-teste'));
        const en = await testConnection(senior(url, 'senha-do-teste'), { locale: 'en' });
        for (const result of [pt, en]) {
          expect({ answered, ok: result.ok, code: result.error?.code, steps: stepsOf(result) }).toEqual({
            answered,
            ok: false,
            code,
            steps: [
              ['reachability', true],
              ['login', false],
            ],
          });
          expect(result.error?.message.split(`HTTP ${answered}`)).toHaveLength(2);
          expect(JSON.stringify(result)).not.toMatch(/senha-do-teste|\?wsdl|answered|receptor/);
        }
        const [ptWording, enWording] = (
          {
            WSDL_UNAVAILABLE: [
              `o serviço de clientes do Senior G5 em 127.0.0.1 (${path}) não entregou o WSDL (HTTP ${answered}), e o login não pôde ser verificado: confira se o serviço web do ERP está no ar`,
              `the Senior G5 customer service at 127.0.0.1 (${path}) did not serve its WSDL (HTTP ${answered}), so the login could not be checked: check that the ERP's web service is up`,
            ],
            WSDL_UNAUTHORIZED: [
              `127.0.0.1 recusou o acesso ao WSDL do serviço de clientes do Senior G5 (${path}: HTTP ${answered}), e o login não pôde ser verificado: o hub pede o WSDL sem usuário e senha`,
              `127.0.0.1 refused access to the WSDL of the Senior G5 customer service (${path}: HTTP ${answered}), so the login could not be checked: the hub asks for the WSDL without a user or password`,
            ],
          } as const
        )[code];
        expect(pt.error?.message.startsWith(ptWording)).toBe(true);
        expect(en.error?.message.startsWith(enWording)).toBe(true);
        expect(pt.steps[1]?.message).toBe(pt.error?.message);
      }
    } finally {
      await new Promise((resolve) => refusing.close(resolve));
    }
  });

  it('does not log in to an address the outbound guard refuses', async () => {
    const calls = erp.requests.count;
    const result = await testConnection({ ...senior(erp.url, DEFAULT_CREDENTIALS.password), allowPrivateNetwork: false });
    expect(result.error?.code).toBe('ADDRESS_FORBIDDEN');
    expect(erp.requests.count).toBe(calls);
  });

  it('reads the refusal as the pushes read it: an answer that writes its accents as character references is refused too', async () => {
    // Java ERPs may escape what is not ASCII; soap's parser (the pushes') decodes it, a look at the raw text would not.
    const refusal = 'Usu&#225;rio ou senha inv&#xE1;lidos';
    const escaping = http.createServer((request, response) => {
      if (request.method === 'GET' && request.url === `${SERVICE_PATH}?wsdl`) {
        response.setHeader('content-type', 'text/xml; charset=utf-8');
        response.end(WSDL_XML);
        return;
      }
      request.resume().on('end', () => {
        response.setHeader('content-type', 'text/xml; charset=utf-8');
        response.end(
          `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><ns:obterClienteResponse xmlns:ns="http://services.senior.com.br"><result><erroExecucao>${refusal}</erroExecucao></result></ns:obterClienteResponse></soap:Body></soap:Envelope>`,
        );
      });
    });
    await new Promise<void>((resolve) => escaping.listen(0, '127.0.0.1', resolve));
    try {
      const port = (escaping.address() as net.AddressInfo).port;
      const result = await testConnection(senior(`http://127.0.0.1:${port}`, 'senha-errada'));
      expect(result.ok).toBe(false);
      expect(result.error?.code).toBe('RECEPTOR_LOGIN_REFUSED');
      expect(result.error?.message).toMatch(/: Usuário ou senha inválidos$/);
    } finally {
      await new Promise((resolve) => escaping.close(resolve));
    }
  });

  it('words a service that takes the connection and never answers as a login timeout, not a firewall', async () => {
    const silent = await startSilentListener();
    try {
      const connection = { ...senior(`http://127.0.0.1:${silent.port}`, 'x'), timeoutMs: 30_000 };
      const started = Date.now();
      const result = await testConnection(connection, { locale: 'en', stepTimeoutMs: 500 });
      // The step's time bounds the login, whatever the connection's own (longer) timeout.
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(stepsOf(result)).toEqual([
        ['reachability', true],
        ['login', false],
      ]);
      expect(result.error?.code).toBe('TIMEOUT');
      expect(result.error?.message).toMatch(/^127\.0\.0\.1:\d+ accepted the connection but did not finish the login within 500 ms/);
    } finally {
      await silent.close();
    }
  });
});
