import { PASSWORD, suiteHarness } from './support/dashboard-harness';

/**
 * Red-team findings 8 and 9: the login form carries a CSRF token (double-submit cookie) and a post without it is
 * refused; failed logins are counted per login name too (a lock worded the same for a known and an unknown login);
 * every dashboard answer carries the security headers, and the pages fit their CSP (no inline script or style).
 * (The unknown login's dummy scrypt check is tested in the store: registro-jobs.repository.test.ts.)
 */
describe('dashboard login and headers hardening', () => {
  const h = suiteHarness({ loginFailureLimit: { max: 3, windowMs: 60_000 } });

  const sessionCookieOf = (headers: Record<string, unknown>) =>
    ([] as unknown[]).concat(headers['set-cookie'] ?? []).some((c) => String(c).startsWith('integrador_sessao='));

  it('the login form sets its CSRF cookie and token; a post without them, or with another token, is refused (403)', async () => {
    const form = await h.app.inject({ url: '/dashboard/login' });
    const cookie = String(([] as unknown[]).concat(form.headers['set-cookie'])[0]);
    expect(cookie).toMatch(/^integrador_login_csrf=[A-Za-z0-9_-]{32}; Path=\/dashboard\/login; Max-Age=3600; HttpOnly; SameSite=Strict$/);
    const token = /name="_csrf" value="([^"]*)"/.exec(form.body)?.[1];
    expect(cookie).toContain(`=${token};`);

    const noToken = await h.app.inject({ method: 'POST', url: '/dashboard/login', payload: { login: 'opa', senha: PASSWORD } });
    expect(noToken.statusCode).toBe(403);
    expect(noToken.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(noToken.body).toContain('O formulário de entrada expirou; recarregue a página e entre de novo.');
    expect(sessionCookieOf(noToken.headers)).toBe(false);
    // An attacker's own form: a token of theirs, not the one this browser's cookie holds.
    const forged = await h.app.inject({
      method: 'POST',
      url: '/dashboard/login?lang=en',
      headers: { cookie: cookie.split(';')[0] as string },
      payload: { login: 'opa', senha: PASSWORD, _csrf: 'A'.repeat(32) },
    });
    expect(forged.statusCode).toBe(403);
    expect(forged.body).toContain('The login form has expired; reload the page and log in again.');
    expect(sessionCookieOf(forged.headers)).toBe(false);

    const ok = await h.postLogin({ login: 'opa', senha: PASSWORD });
    expect(ok.statusCode).toBe(302);
    expect(sessionCookieOf(ok.headers)).toBe(true);
  });

  it('locks a login after its failures, from any address, in the same words whether the login exists or not', async () => {
    const fail = (login: string, remoteAddress: string) => h.postLogin({ login, senha: 'errada' }, { remoteAddress });
    for (const [i, login] of ['leitora', 'ninguem'].entries()) {
      // Each attempt from another address: the per-address limit is not what answers here.
      for (let n = 0; n < 3; n++) expect((await fail(login, `198.51.100.${i * 10 + n}`)).statusCode).toBe(401);
    }
    const known = await h.postLogin({ login: 'leitora', senha: PASSWORD }, { remoteAddress: '198.51.100.50' });
    const unknown = await h.postLogin({ login: 'ninguem', senha: PASSWORD }, { remoteAddress: '198.51.100.51' });
    for (const answer of [known, unknown]) {
      expect(answer.statusCode).toBe(429);
      expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
      expect(answer.body).toContain('Muitas tentativas sem sucesso para este usuário; tente novamente em 1 min.');
      expect(sessionCookieOf(answer.headers)).toBe(false);
    }
    // The same page for both (the token aside): nothing tells the known login from the unknown one.
    const strip = (body: string) => body.replace(/name="_csrf" value="[^"]*"/, '');
    expect(strip(known.body)).toBe(strip(unknown.body));
    const en = await h.postLogin({ login: 'leitora', senha: PASSWORD }, { url: '/dashboard/login?lang=en' });
    expect(en.body).toContain('Too many failed attempts for this user; try again in 1 min.');
    // Another login from the same addresses still gets in, and a success clears its own count.
    await fail('opb', '198.51.100.0');
    await fail('opb', '198.51.100.0');
    expect((await h.postLogin({ login: 'opb', senha: PASSWORD }, { remoteAddress: '198.51.100.0' })).statusCode).toBe(302);
    await fail('opb', '198.51.100.0');
    await fail('opb', '198.51.100.0');
    expect((await h.postLogin({ login: 'opb', senha: PASSWORD }, { remoteAddress: '198.51.100.0' })).statusCode).toBe(302);
  });

  it('every page, the login and the JSON API carry the security headers; pages have no inline script or style', async () => {
    const { cookie } = await h.login('admin');
    for (const url of ['/dashboard/login', '/dashboard/falhas', '/dashboard', '/dashboard/agendamentos', '/dashboard/webhooks']) {
      const page = await h.app.inject({ url, headers: { cookie } });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      const csp = String(page.headers['content-security-policy']);
      for (const rule of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "form-action 'self'"])
        expect(csp).toContain(rule);
      expect(page.headers['x-frame-options']).toBe('DENY');
      expect(page.headers['x-content-type-options']).toBe('nosniff');
      expect(page.headers['referrer-policy']).toBe('same-origin');
      expect(page.body).not.toMatch(/<style|style="|<script(?![^>]*\ssrc=)|\son[a-z]+="/);
    }
    const css = await h.app.inject({ url: '/dashboard/style.css' });
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    const api = await h.app.inject({ url: '/dashboard/api/jobs', headers: { authorization: `Bearer ${h.keyA}` } });
    expect(api.statusCode).toBe(200);
    expect(api.headers['x-content-type-options']).toBe('nosniff');
    expect(api.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
    const raw = await h.app.inject({ url: '/dashboard/filas/', headers: { cookie } });
    expect(raw.headers['x-frame-options']).toBe('DENY');
    expect(String(raw.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
  });

  // Last: it takes the ingress's Redis away.
  it('with Redis down the login fails closed: a 503 page saying why, never a 401 "wrong password", a 500 or a session', async () => {
    h.redis.disconnect();
    for (const senha of ['errada', PASSWORD]) {
      const answer = await h.postLogin({ login: 'opa', senha }, { remoteAddress: '198.51.100.90' });
      expect(answer.statusCode).toBe(503);
      expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
      expect(answer.body).toContain('O controle de tentativas de entrada (Redis) não está disponível agora');
      expect(answer.body).not.toContain('Usuário ou senha inválidos.');
      expect(answer.body).not.toMatch(/ at .*\.ts:\d+/);
      expect(sessionCookieOf(answer.headers)).toBe(false);
    }
    const en = await h.postLogin({ login: 'opa', senha: 'errada' }, { url: '/dashboard/login?lang=en' });
    expect(en.statusCode).toBe(503);
    expect(en.body).toContain('The login attempt counter (Redis) is unavailable right now');
  });
});
