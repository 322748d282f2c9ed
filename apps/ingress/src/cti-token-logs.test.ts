import { issueListenerToken, saveCtiSettings } from '@integrador/cti';
import { createLogger } from '@integrador/logging';
import { createEmpresa } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { captureLogs } from '@integrador/test-support/log-capture';
import { startTestIngress, type TestIngress } from '../../../test/support/test-ingress';

// A listener token (ctk_…) or a pop token (cpt_…) in a URL no route matches — a PBX set to PUT, an extra segment, a
// trailing slash — is a tenant's credential: the request log lines and the 404 must not carry it.
describe('CTI tokens in URLs no route matches', () => {
  let database: TestDatabase;
  let ingress: TestIngress;
  let token: string;
  const { text: logged, destination } = captureLogs();

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    const acme = await createEmpresa(database.db, 'Acme');
    await saveCtiSettings(database.db, acme, { allowAnyOrigin: true });
    token = await issueListenerToken(database.db, acme);
    ingress = await startTestIngress(database, {
      deps: {
        cti: { domain: 'crm.test', trustedProxies: [], dedupeWindowMs: 2000, callTimeoutMs: 60000, popTokenTtlMs: 60000 },
        logger: createLogger({ name: 'ingress', level: 'info', destination }),
      },
    });
  });

  afterAll(async () => {
    await ingress.close();
    await database.drop();
  });

  it('logs and answers the request with the token masked, whatever the method or path', async () => {
    const popToken = `cpt_${'Ab1'.repeat(11)}`;
    const requests = [
      { method: 'PUT', url: `/t/${token}/wconnect/WConnect_WSDL_ConsultaRamal.php?ramal=201&telefone=11987654321` },
      { method: 'GET', url: `/t/${token}/wconnect/a/b` },
      { method: 'GET', url: `/t/${token}/wconnect/` },
      { method: 'POST', url: `/cti/pop?token=${popToken}` },
      { method: 'PATCH', url: `/cti/operador?token=${popToken}` },
    ] as const;
    for (const request of requests) {
      const res = await ingress.app.inject(request);
      expect({ url: request.url, status: res.statusCode }).toEqual({ url: request.url, status: 404 });
      expect(res.body).not.toContain(token);
      expect(res.body).not.toContain(popToken);
    }
    const unmatched = await ingress.app.inject({ method: 'PUT', url: `/t/${token}/wconnect/x.php` });
    expect(unmatched.json().error.message).toBe('rota não encontrada: PUT /t/ctk_[redacted]/wconnect/x.php');
    const text = logged();
    expect(text).toContain('incoming request');
    expect(text).toContain('"url":"/t/ctk_[redacted]/wconnect/a/b"');
    expect(text).not.toContain(token.slice(4));
    expect(text).not.toContain(popToken.slice(4));
  });
});
