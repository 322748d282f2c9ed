import { createLogger } from '@integrador/logging';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { captureLogs } from '@integrador/test-support/log-capture';
import { startTestIngress, type TestIngress } from '../../../test/support/test-ingress';

// A caller's `?key=abc` is a credential however short and plain it is: the ingress's request line masks it as the
// CLI's `cti show` does (one query rule), and keeps the plain values an operator reads the line for.
describe('the query of a request line', () => {
  let database: TestDatabase;
  let ingress: TestIngress;
  const { text: logged, destination, lines } = captureLogs();

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    ingress = await startTestIngress(database, { deps: { logger: createLogger({ name: 'ingress', level: 'info', destination }) } });
  });

  afterAll(async () => {
    await ingress?.close();
    await database?.drop();
  });

  it('masks a credential-named value (?key=abc, ?sig=…) and keeps plain ones (?page=2)', async () => {
    const res = await ingress.app.inject({
      method: 'GET',
      url: '/v1/me?page=2&key=abc&sig=f00d',
      headers: { 'x-request-id': 'logmask-1' },
    });
    expect(res.statusCode).toBe(401);
    const request = lines.find((line) => line.msg === 'incoming request' && line.reqId === 'logmask-1');
    expect(request?.req).toMatchObject({ method: 'GET', url: '/v1/me?page=2&key=***&sig=***' });
    expect(logged()).not.toContain('key=abc');
    expect(logged()).not.toContain('f00d');
  });

  it('shows a phone or CPF/CNPJ with at most its last 4 digits (CTI API, listener URL, dashboard API)', async () => {
    const sent = [
      ['GET', '/v1/cti/calls?telefone=11987654321&ramal=201', '/v1/cti/calls?telefone=***4321&ramal=201'],
      [
        'PUT',
        '/wconnect/WConnect_WSDL_ConsultaRamal.php?ramal=201&telefone=4832221111',
        '/wconnect/WConnect_WSDL_ConsultaRamal.php?ramal=201&telefone=***1111',
      ],
      ['GET', '/dashboard/api/calls?numero=04732100123&cpf=123.456.789-09', '/dashboard/api/calls?numero=***0123&cpf=***8909'],
      ['GET', '/v1/me?cnpj=11222333000181&page=2', '/v1/me?cnpj=***0181&page=2'],
    ] as const;
    for (const [i, [method, url, shown]] of sent.entries()) {
      const reqId = `personal-${i}`;
      await ingress.app.inject({ method, url, headers: { 'x-request-id': reqId } });
      const request = lines.find((line) => line.msg === 'incoming request' && line.reqId === reqId);
      expect(request?.req).toMatchObject({ method, url: shown });
    }
    for (const number of ['11987654321', '4832221111', '04732100123', '123.456.789', '11222333000181'])
      expect(logged()).not.toContain(number);
  });
});
