import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Secret, type WebServiceConnection } from '@integrador/connections';
import { RECEPTOR_LOGIN_REFUSAL } from '@integrador/queue';
import {
  DEFAULT_CREDENTIALS,
  INVALID_CREDENTIALS,
  type SeniorG5Server,
  startSeniorG5Server,
  WSDL_LINK,
} from '../../../test/fixtures/senior-g5';
import { OutboundAddressError, TransientTransportError } from './errors';
import { SoapClientCache } from './soap-client-cache';
import { createSoapTransport } from './soap-transport';
import { SENIOR_CUSTOMER_SERVICE_PATH, webServiceLogin } from './webservice-login';

// The web-service connection test's login, through the transport the pushes use, against the Senior G5 double.

let erp: SeniorG5Server;
let cache: SoapClientCache;
beforeEach(async () => {
  erp = await startSeniorG5Server();
  cache = new SoapClientCache({ max: 10 });
});
afterEach(() => erp.close());

const senior = (overrides: Partial<WebServiceConnection> = {}): WebServiceConnection => ({
  kind: 'webservice',
  name: 'senior_g5',
  baseUrl: erp.url,
  user: DEFAULT_CREDENTIALS.user,
  password: new Secret(DEFAULT_CREDENTIALS.password),
  encryption: 0,
  timeoutMs: 2000,
  allowPrivateNetwork: true, // the double listens on loopback
  ...overrides,
});
const login = (connection: WebServiceConnection) => webServiceLogin(connection, 2000, RECEPTOR_LOGIN_REFUSAL, { cache });

/** A loopback server answering every request with `status` and `body`. */
async function plainServer(status: number, body: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((_, response) => {
    response.statusCode = status;
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('webServiceLogin', () => {
  it('accepts the login obterCliente of customer 0 passes (customer not found), writing nothing', async () => {
    const before = erp.customers.size;
    expect(await login(senior())).toEqual({ outcome: 'accepted' });
    expect(erp.customers.size).toBe(before);
    expect(erp.requests.bodies.at(-1)).toMatch(/obterCliente/);
  });

  it("tells a refused login with the ERP's words, never the password", async () => {
    const refused = await login(senior({ password: new Secret('senha-errada') }));
    expect(refused).toEqual({ outcome: 'refused', detail: INVALID_CREDENTIALS });
  });

  it('finds no service at an address that answers 404 or a web page where the WSDL should be', async () => {
    for (const [status, body] of [
      [404, 'not here'],
      [200, '<html><body>Bem-vindo</body></html>'],
    ] as const) {
      const server = await plainServer(status, body);
      try {
        expect(await login(senior({ baseUrl: server.url }))).toEqual({ outcome: 'noService', path: SENIOR_CUSTOMER_SERVICE_PATH });
      } finally {
        await server.close();
      }
    }
  });

  it('says the status where the WSDL answers 5xx, 401 or 403 (a service down or closed is not "no service")', async () => {
    for (const status of [503, 500, 401, 403, 302]) {
      const server = await plainServer(status, `<html><body>HTTP ${status}</body></html>`);
      try {
        expect(await login(senior({ baseUrl: server.url }))).toEqual({
          outcome: 'wsdlRefused',
          path: SENIOR_CUSTOMER_SERVICE_PATH,
          status,
        });
      } finally {
        await server.close();
      }
    }
  });

  it('rejects as the pushes would where the WSDL load gets no answer (a timeout is no status)', async () => {
    const silent = http.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const failed = await webServiceLogin(senior({ baseUrl: url, timeoutMs: 300 }), 300, RECEPTOR_LOGIN_REFUSAL, { cache }).catch(
        (error: unknown) => error,
      );
      expect(failed).toBeInstanceOf(TransientTransportError);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("is refused by the outbound guard before any request, in the guard's words", async () => {
    const calls = erp.requests.count;
    const fetches = erp.requests.wsdlFetches;
    const refused = await login(senior({ allowPrivateNetwork: false })).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OutboundAddressError);
    expect(erp.requests.count).toBe(calls);
    expect(erp.requests.wsdlFetches).toBe(fetches);
  });

  it("shares the pushes' WSDL cache: a push after the test loads no WSDL again", async () => {
    await login(senior());
    const fetches = erp.requests.wsdlFetches;
    const push = createSoapTransport(senior(), { cache });
    try {
      await push.send({ link: WSDL_LINK, operation: 'obterCliente', body: { codCli: 0 }, timeoutMs: 2000 });
    } finally {
      await push.close?.();
    }
    expect(erp.requests.wsdlFetches).toBe(fetches);
  });
});
