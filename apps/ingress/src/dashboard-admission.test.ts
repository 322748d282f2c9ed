import { createEmpresa, issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { startTestIngress, type TestIngress } from '../../../test/support/test-ingress';
import type { IngressDeps } from './build-app';

// 3 writes back to back, then one every 5 s: a window no test here outlasts.
const LIMITS: IngressDeps['admissionLimits'] = { cti: { perSecond: 0, burst: 1 }, api: { perSecond: 0.2, burst: 3 } };

/**
 * The dashboard's JSON API with a tenant API key does what /v1 does (run, retry, resend, pause…): its writes spend the
 * same per-empresa budget, so a script refused on /v1 is refused there too (429 TENANT_RATE_LIMITED), and the other way
 * round; another empresa is not touched, and reads are not counted.
 */
describe('admission limit on the dashboard API with a tenant API key', () => {
  let database: TestDatabase;
  let ingress: TestIngress;
  let empresaA: number;
  let empresaB: number;
  let keyA: string;
  let keyB: string;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    empresaA = await createEmpresa(database.db, 'Empresa A');
    empresaB = await createEmpresa(database.db, 'Empresa B');
    keyA = await issueApiKey(database.db, empresaA, null, 'a');
    keyB = await issueApiKey(database.db, empresaB, null, 'b');
    ingress = await startTestIngress(database, { deps: { admissionLimits: LIMITS, dashboard: { secureCookies: false } } });
  });

  afterAll(async () => {
    await ingress.close();
    await database.drop();
  });

  const ping = (key: string) =>
    ingress.app.inject({ method: 'POST', url: '/v1/ping', headers: { authorization: `Bearer ${key}` }, payload: { queue: 'set' } });
  const resume = (key: string, empresaId: number) =>
    ingress.app.inject({
      method: 'POST',
      url: `/dashboard/api/tenants/${empresaId}/resume`,
      headers: { authorization: `Bearer ${key}` },
      payload: {},
    });

  it('refuses the dashboard API write of a tenant whose /v1 budget is spent, and counts its writes against /v1', async () => {
    for (let i = 0; i < 3; i++) expect((await ping(keyA)).statusCode).toBe(202);
    expect((await ping(keyA)).statusCode).toBe(429);

    const refused = await resume(keyA, empresaA);
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.json().error).toEqual({
      code: 'TENANT_RATE_LIMITED',
      message: expect.stringMatching(/^Limite de requisições da empresa excedido; .* tente novamente em \d+ s\.$/),
    });
    // One wording, /v1's and the dashboard's alike (the dashboard's as a sentence): the limiter's, which fits both.
    const v1 = await ping(keyA);
    const v1Text = String(v1.json().error.message).replace(/\d+ s$/, 'N s');
    const dashboardText = String(refused.json().error.message).replace(/\d+ s\.$/, 'N s.');
    expect(dashboardText).toBe(`${v1Text.charAt(0).toUpperCase()}${v1Text.slice(1)}.`);
    // In English too.
    const english = await ingress.app.inject({
      method: 'POST',
      url: `/dashboard/api/tenants/${empresaA}/resume`,
      headers: { authorization: `Bearer ${keyA}`, 'accept-language': 'en' },
      payload: {},
    });
    expect(english.json().error.message).toMatch(
      /^The empresa's request rate limit is exceeded; .*nothing was changed or enqueued.*\d+ s\.$/,
    );
    // Reads are not counted, as on /v1.
    expect((await ingress.app.inject({ url: '/dashboard/api/jobs', headers: { authorization: `Bearer ${keyA}` } })).statusCode).toBe(200);

    // B is not touched by A's budget; B's dashboard writes spend B's, which /v1 then refuses.
    for (let i = 0; i < 3; i++) expect((await resume(keyB, empresaB)).statusCode).toBe(200);
    const b = await ping(keyB);
    expect([b.statusCode, b.json().error?.code]).toEqual([429, 'TENANT_RATE_LIMITED']);
  });
});
