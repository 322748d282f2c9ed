import { DashboardHarness } from './support/dashboard-harness';

/**
 * The operator trial's F15: a language chosen with ?lang= survives the next click (kept in a cookie of the session's
 * pages), the header offers the other language, and English dates are unambiguous ("6 Dec 2026, 08:30:15").
 */
describe('dashboard: the chosen language is kept; English dates unambiguous', () => {
  const h = new DashboardHarness();

  beforeAll(async () => {
    await h.start();
    await h.recordSetJob('idioma-1');
  }, 240000);

  afterAll(async () => {
    await h.close();
  });

  const langCookie = (setCookie: string | string[] | undefined) =>
    [setCookie ?? []]
      .flat()
      .find((c) => c.startsWith('integrador_idioma='))
      ?.split(';')[0];

  it('keeps ?lang=en on the next pages of the session, until another choice', async () => {
    const { cookie } = await h.login('opa');
    const chosen = await h.app.inject({ url: '/dashboard?lang=en', headers: { cookie } });
    expect(chosen.body).toContain('<html lang="en">');
    const kept = langCookie(chosen.headers['set-cookie']);
    expect(kept).toBe('integrador_idioma=en');
    // The next click carries no ?lang=: still English, dates as "6 Dec 2026, 08:30:15".
    const next = await h.app.inject({ url: '/dashboard/falhas', headers: { cookie: `${cookie}; ${kept}` } });
    expect(next.body).toContain('<html lang="en">');
    expect(next.body).toMatch(/<td>\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d:\d\d<\/td><\/tr>/);
    expect(next.body).toContain('<a href="?lang=pt-BR" id="idioma" lang="pt-BR">Português</a>');
    // Back to Portuguese the same way; without the cookie, the operator's own preference (pt-BR).
    const back = await h.app.inject({ url: '/dashboard/falhas?lang=pt-BR', headers: { cookie: `${cookie}; ${kept}` } });
    expect(langCookie(back.headers['set-cookie'])).toBe('integrador_idioma=pt-BR');
    const plain = await h.app.inject({ url: '/dashboard/falhas', headers: { cookie } });
    expect(plain.body).toContain('<html lang="pt-BR">');
    expect(plain.body).toMatch(/<td>\d\d\/\d\d\/\d{4},? \d\d:\d\d:\d\d<\/td><\/tr>/);
  });

  it('sets no cookie for an API key', async () => {
    const api = await h.app.inject({ url: '/dashboard/api/counts?lang=en', headers: { authorization: `Bearer ${h.keyA}` } });
    expect(api.statusCode).toBe(200);
    expect(langCookie(api.headers['set-cookie'])).toBeUndefined();
  });
});
