import { DashboardHarness, PASSWORD } from './support/dashboard-harness';

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

  // L1 (trial): an English login page chosen with ?lang=en led to pt-BR pages once logged in.
  it("goes on in the login page's chosen language after the login: ?lang=en keeps English", async () => {
    const form = await h.app.inject({ method: 'GET', url: '/dashboard/login?lang=en' });
    expect(form.body).toContain('<html lang="en">');
    const action = /<form method="post" action="([^"]+)"/.exec(form.body)?.[1] ?? '';
    const login = await h.postLogin({ login: 'opa', senha: PASSWORD }, { url: action });
    expect(login.statusCode).toBe(302);
    const setCookies = [login.headers['set-cookie'] ?? []].flat();
    const session = setCookies.find((c) => c.startsWith('integrador_sessao='))?.split(';')[0] ?? '';
    const kept = langCookie(login.headers['set-cookie']);
    expect(kept).toBe('integrador_idioma=en');
    const overview = await h.app.inject({ url: '/dashboard', headers: { cookie: `${session}; ${kept}` } });
    expect(overview.body).toContain('<html lang="en">');
  });

  // rev10a L2: the browser's Accept-Language shows the login page in English, but once the operator is known, the
  // operator's saved preference (pt-BR) wins: before, the English form wrote English as a choice.
  it("an English login page by Accept-Language only leaves the operator's saved preference to decide", async () => {
    const english = { 'accept-language': 'en-US,en;q=0.9' };
    const form = await h.app.inject({ method: 'GET', url: '/dashboard/login', headers: english });
    expect(form.body).toContain('<html lang="en">');
    const action = /<form method="post" action="([^"]+)"/.exec(form.body)?.[1] ?? '';
    expect(action).toBe('/dashboard/login');
    const login = await h.postLogin({ login: 'opa', senha: PASSWORD }, { url: action });
    expect(login.statusCode).toBe(302);
    const setCookies = [login.headers['set-cookie'] ?? []].flat();
    const session = setCookies.find((c) => c.startsWith('integrador_sessao='))?.split(';')[0] ?? '';
    expect(langCookie(login.headers['set-cookie'])).not.toBe('integrador_idioma=en');
    const overview = await h.app.inject({ url: '/dashboard', headers: { cookie: session, ...english } });
    expect(overview.body).toContain('<html lang="pt-BR">');
  });

  it('sets no cookie for an API key', async () => {
    const api = await h.app.inject({ url: '/dashboard/api/counts?lang=en', headers: { authorization: `Bearer ${h.keyA}` } });
    expect(api.statusCode).toBe(200);
    expect(langCookie(api.headers['set-cookie'])).toBeUndefined();
  });
});
