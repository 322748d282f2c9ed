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
  const { text: logged, destination, lines } = captureLogs();

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
  it('logs (rate-limited, token masked) and counts each listener refusal by reason and tenant (trial CTI 3, finding 7)', async () => {
    const outra = await createEmpresa(database.db, 'Outra');
    await saveCtiSettings(database.db, outra, { allowlist: ['10.0.0.0/8'] });
    const outraToken = await issueListenerToken(database.db, outra);
    lines.length = 0;
    const start = 'WConnect_WSDL_ConsultaRamal.php';
    const wrong = `ctk_${'x'.repeat(30)}`;
    const sent = [
      `/t/${wrong}/wconnect/${start}?ramal=201&telefone=11987654321`,
      `/t/${wrong}/wconnect/${start}?ramal=201&telefone=11987654321`,
      `/t/${outraToken}/wconnect/${start}?ramal=201&telefone=11987654321`,
      `/t/${token}/wconnect/${start}?RAMAL=201&TELEFONE=11987654321`,
    ];
    const answers = [];
    for (const url of sent) answers.push((await ingress.app.inject({ url })).statusCode);
    expect(answers).toEqual([404, 404, 404, 400]);
    const refusals = lines.filter((line) => line.msg === 'cti listener refused a pbx request');
    // The wrong token twice: one line (the second within the minute is counted, not logged).
    expect(refusals.map((r) => [r.reason, r.empresaId ?? null])).toEqual([
      ['unknown-tenant', null],
      ['address-not-allowed', outra],
      ['bad-parameters', 1],
    ]);
    expect(refusals[0]).toMatchObject({ via: 'path', address: '127.0.0.1' });
    expect(refusals[1]).toMatchObject({ address: '127.0.0.1' });
    // A missing telefone is a withheld caller id, taken (trial 3, finding 2): only the ramal is refused.
    expect(refusals[2]).toMatchObject({ fields: ['ramal'] });
    for (const secret of [wrong, outraToken, token]) expect(logged()).not.toContain(secret.slice(4));
    const metrics = (await ingress.app.inject({ url: '/metrics' })).body;
    expect(metrics).toContain('integrador_cti_listener_refused_total{reason="unknown-tenant",empresa_id=""} 2');
    expect(metrics).toContain(`integrador_cti_listener_refused_total{reason="address-not-allowed",empresa_id="${outra}"} 1`);
    expect(metrics).toContain('integrador_cti_listener_refused_total{reason="bad-parameters",empresa_id="1"} 1');
  });

  it("records no parameter refusal of a HEAD (a PBX's health check of the bare URL), but its 404s as a GET's", async () => {
    const terceira = await createEmpresa(database.db, 'Terceira');
    await saveCtiSettings(database.db, terceira, { allowlist: ['10.0.0.0/8'] });
    const terceiraToken = await issueListenerToken(database.db, terceira);
    const metrics = async () => (await ingress.app.inject({ url: '/metrics' })).body.split('\n');
    /** The refusal counter of a reason and tenant (0 before its first). */
    const counted = (text: string[], reason: string, empresaId: number | '') =>
      Number(
        text
          .find((line) => line.startsWith(`integrador_cti_listener_refused_total{reason="${reason}",empresa_id="${empresaId}"}`))
          ?.split(' ')
          .pop() ?? 0,
      );
    const refusedCounts = (text: string[]) => ({
      badParameters: counted(text, 'bad-parameters', 1),
      unsupported: counted(text, 'unsupported-media', 1),
      unknownTenant: counted(text, 'unknown-tenant', ''),
      unknownFile: counted(text, 'unknown-file', ''),
      foreignAddress: counted(text, 'address-not-allowed', terceira),
    });
    const before = refusedCounts(await metrics());
    lines.length = 0;
    const start = '/wconnect/WConnect_WSDL_ConsultaRamal.php';
    const heads = [
      { url: `/t/${token}${start}`, status: 200 },
      { url: `/t/${token}${start}`, status: 200 },
      { url: `/t/${token}${start}?telefone=11987654321`, status: 400 },
      { url: `/t/ctk_${'y'.repeat(30)}${start}?ramal=201&telefone=11987654321`, status: 404 },
      { url: `/t/${token}/wconnect/outro.php`, status: 404 },
      { url: `/t/${terceiraToken}${start}?ramal=201&telefone=11987654321`, status: 404 },
    ];
    for (const { url, status } of heads) {
      expect({ url, status: (await ingress.app.inject({ method: 'HEAD', url })).statusCode }).toEqual({ url, status });
    }
    const head = await ingress.app.inject({
      method: 'HEAD',
      url: `/t/${token}${start}`,
      headers: { 'content-type': 'text/xml' },
      payload: '<x/>',
    });
    expect(head.statusCode).toBeLessThan(500);
    // Token or host probing with HEAD shows in the counter and the warn line (one a minute per reason and tenant: the
    // earlier tests' unknown token and file were logged already, the new tenant's foreign address was not).
    const logged = lines.filter((line) => line.msg === 'cti listener refused a pbx request').map((line) => line.reason);
    expect(logged).toContain('address-not-allowed');
    expect(logged).not.toContain('bad-parameters');
    expect(logged).not.toContain('unsupported-media');
    expect(refusedCounts(await metrics())).toEqual({
      ...before,
      unknownTenant: before.unknownTenant + 1,
      unknownFile: before.unknownFile + 1,
      foreignAddress: before.foreignAddress + 1,
    });
    // The GET the bare HEAD stands for is still a refusal, counted.
    expect((await ingress.app.inject({ url: `/t/${token}${start}` })).statusCode).toBe(400);
    expect(refusedCounts(await metrics()).badParameters).toBe(before.badParameters + 1);
  });
});
