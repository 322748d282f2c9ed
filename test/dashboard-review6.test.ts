import { createRedis } from '@integrador/queue';
import { createOperador, migrateTo, migrateToLatest, recordJobEvents } from '@integrador/store';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import { Worker } from 'bullmq';
import { DashboardHarness, PASSWORD } from './support/dashboard-harness';

// Connection failures as workers recorded them before their messages were narrowed: the connections file's path, the
// other customers' connections it defines, both empresas' ids.
const OLD_NOT_FOUND =
  'connection "sap_legado" is not defined in connections file /srv/segredo/connections.yaml (defined: erp_cliente_b, erp_cliente_c)';
const OLD_FORBIDDEN = 'connection "erp_cliente_b" is restricted to empresa 7; empresa 3 may not use it';
const LEAK = /segredo|erp_cliente_c|empresa 7|connections\.yaml|erp_cliente_b"? is not|defined: /;

/**
 * Review findings on the operator-trial fixes: a filial key's filter names no sibling filial; old connection failure
 * texts show no path nor other customers' names, and no search finds them by those names; the language choice lasts
 * the browser session, only for a language we have, and its switch keeps the page's filters; no "runs again" time for
 * a paused empresa's held job; the bulk retry's count is counted and reads 5000+ past the limit.
 */
describe('dashboard: review 6 findings', () => {
  const h = new DashboardHarness();
  let santos: { filialId: number; key: string };

  beforeAll(async () => {
    await h.start();
    santos = await h.filialKey('Filial Santos');
    await h.filialKey('Filial Campinas Segredo');
    await h.recordSetJob('santos-1', { filialId: santos.filialId });
    await createOperador(h.database.db, {
      login: 'openg',
      nome: 'openg',
      senha: PASSWORD,
      papel: 'operador',
      empresas: [h.empresaA],
      fusoHorario: 'America/Sao_Paulo',
      idioma: 'en',
    } as never);
  }, 240000);

  afterAll(async () => {
    await h.close();
  });

  const asKey = (key: string) => ({ authorization: `Bearer ${key}` });

  it("lists only a filial key's own filial in the Filial filter (no sibling's name)", async () => {
    const page = await h.app.inject({ url: '/dashboard/falhas?estado=todos', headers: asKey(santos.key) });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Filial Santos');
    expect(page.body).not.toContain('Campinas Segredo');
    // The empresa's own operator still chooses among every filial.
    const { cookie } = await h.login('opa');
    const all = await h.app.inject({ url: `/dashboard/falhas?estado=todos&empresa=${h.empresaA}`, headers: { cookie } });
    expect(all.body).toContain('Campinas Segredo');
  });

  it('shows old connection failures without the file path or other names, and no search finds them by those names', async () => {
    await h.recordSetJob('old-cnf', {
      erro: { classe: 'ConnectionNotFoundError', codigo: 'CONNECTION_NOT_FOUND', mensagem: OLD_NOT_FOUND },
    });
    await h.recordSetJob('old-cf', {
      erro: { classe: 'ConnectionForbiddenError', codigo: 'CONNECTION_FORBIDDEN', mensagem: OLD_FORBIDDEN },
    });
    // BullMQ's copy of the failure (a job still in Redis), failed by a worker of this test with the old text.
    const queue = h.producer.queue('set');
    const data = { tenant: { empresaId: h.empresaA, filialId: null }, integracaoId: 19 };
    await queue.add('integration.run' as never, data as never, { jobId: 'old-cnf' } as never);
    const connection = createRedis(TEST_REDIS_URL, { role: 'worker' });
    const worker = new Worker(
      'set',
      async () => {
        throw new Error(OLD_NOT_FOUND);
      },
      { connection, prefix: h.prefix },
    );
    for (let i = 0; i < 200 && !(await queue.getJob('old-cnf'))?.failedReason; i++) await new Promise((r) => setTimeout(r, 50));
    await worker.close();
    connection.disconnect();
    // The upgrade runs the migrations again over the rows stored before it.
    await migrateTo(h.database, '021-set-retencao');
    await migrateToLatest(h.database);

    const api = await h.app.inject({ url: '/dashboard/api/jobs/set/old-cnf', headers: asKey(h.keyA) });
    expect(api.statusCode).toBe(200);
    expect(api.json().live.failedReason).toBe(`connection "sap_legado" is not defined in the workers' connections file`);
    expect(api.body).not.toMatch(LEAK);
    const v1 = await h.app.inject({ url: '/v1/jobs/set/old-cnf', headers: asKey(h.keyA) });
    expect(v1.statusCode).toBe(200);
    expect(v1.json().failedReason).toContain('sap_legado');
    expect(v1.body).not.toMatch(LEAK);
    const { cookie } = await h.login('opa');
    for (const url of ['/dashboard/jobs/set/old-cnf', '/dashboard/jobs/set/old-cf', '/dashboard/falhas?estado=todos']) {
      const body = (await h.app.inject({ url, headers: { cookie } })).body;
      expect({ url, leaks: LEAK.test(body) }).toEqual({ url, leaks: false });
    }
    expect((await h.app.inject({ url: '/dashboard/jobs/set/old-cf', headers: { cookie } })).body).toContain(
      'restricted to another empresa; this empresa may not use it',
    );
    const found = async (q: string) =>
      (await h.app.inject({ url: `/dashboard/api/jobs?estado=todos&q=${encodeURIComponent(q)}`, headers: asKey(h.keyA) })).json().total;
    expect(await found('erp_cliente_c')).toBe(0);
    expect(await found('srv/segredo')).toBe(0);
    expect(await found('empresa 7')).toBe(0);
    // The record's own connection still finds it.
    expect(await found('sap_legado')).toBe(1);
  });

  it('keeps a chosen language for the browser session only, ignores one we do not have, and forgets it at login and logout', async () => {
    const langCookies = (setCookie: string | string[] | undefined) =>
      [setCookie ?? []].flat().filter((c) => c.startsWith('integrador_idioma='));
    const a = await h.login('openg');
    const unknown = await h.app.inject({ url: '/dashboard?lang=xx', headers: { cookie: a.cookie } });
    // openg prefers English: an unknown ?lang chooses nothing and is not kept.
    expect(unknown.body).toContain('<html lang="en">');
    expect(langCookies(unknown.headers['set-cookie'])).toEqual([]);
    const chosen = await h.app.inject({ url: '/dashboard?lang=pt-BR', headers: { cookie: a.cookie } });
    const [kept] = langCookies(chosen.headers['set-cookie']);
    expect(kept).toMatch(/^integrador_idioma=pt-BR; Path=\/dashboard; HttpOnly/);
    expect(kept).not.toMatch(/Max-Age|Expires/);
    const out = await h.app.inject({ method: 'POST', url: '/dashboard/logout', headers: { cookie: a.cookie }, payload: { _csrf: a.csrf } });
    expect(langCookies(out.headers['set-cookie'])).toEqual([expect.stringMatching(/^integrador_idioma=; .*Max-Age=0/)]);
    const login = await h.postLogin({ login: 'openg', senha: PASSWORD });
    expect(login.statusCode).toBe(302);
    expect(langCookies(login.headers['set-cookie'])).toEqual([expect.stringMatching(/^integrador_idioma=; .*Max-Age=0/)]);
  });

  it("keeps the page's filters in the language switch, and offers none on a POST's answer", async () => {
    const { cookie, csrf } = await h.login('opa');
    // An action's report (feito: its flash) is not carried over: the other language does not say it again.
    const list = await h.app.inject({
      url: `/dashboard/falhas?empresa=${h.empresaA}&estado=todos&lang=pt-BR&feito=3`,
      headers: { cookie },
    });
    expect(list.body).toContain(`<a href="?empresa=${h.empresaA}&amp;estado=todos&amp;lang=en" id="idioma" lang="en">English</a>`);
    const confirm = await h.app.inject({
      method: 'POST',
      url: '/dashboard/acoes/descartar',
      headers: { cookie, host: 'dash.test' },
      payload: { _csrf: csrf, job: 'set/santos-1' },
    });
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain('<form');
    expect(confirm.body).not.toContain('id="idioma"');
  });

  it("shows no next-run time for a paused empresa's held job, and shows it for a wait that ends then", async () => {
    const queue = h.producer.queue('set');
    const data = { tenant: { empresaId: h.empresaA, filialId: null }, integracaoId: 19 };
    for (const id of ['retida-1', 'adiada-1'])
      await queue.add('integration.run' as never, data as never, { jobId: id, delay: 60_000 } as never);
    await h.recordSetJob('retida-1', {
      estado: 'adiado',
      erro: { classe: 'DelayedReason', codigo: 'TENANT_PAUSED', mensagem: 'tenant paused' },
    });
    await h.recordSetJob('adiada-1', { estado: 'adiado', erro: { classe: 'DelayedReason', codigo: 'JOB_DELAYED', mensagem: 'delayed' } });
    const { cookie } = await h.login('opa');
    const held = await h.app.inject({ url: '/dashboard/jobs/set/retida-1', headers: { cookie } });
    // One state (trial L4): the record's, as BullMQ holds the job delayed — no "(Redis: …)" beside it.
    expect(held.body).toMatch(/id="estado">adiado<\/td>/);
    expect(held.body).not.toContain('id="proxima"');
    const heldApi = (await h.app.inject({ url: '/dashboard/api/jobs/set/retida-1', headers: asKey(h.keyA) })).json();
    expect(heldApi.live.nextRunAt ?? null).toBeNull();
    const waiting = await h.app.inject({ url: '/dashboard/jobs/set/adiada-1', headers: { cookie } });
    expect(waiting.body).toMatch(/<span id="proxima">roda de novo: /);
  });

  it('counts the bulk retry past its limit as 5000+, as the total reads', async () => {
    // Tenant B's failures (B's operator sees them), past BULK_LIMIT.
    for (let start = 0; start < 5001; start += 1000) {
      const events = [];
      for (let i = start; i < Math.min(start + 1000, 5001); i++)
        events.push({
          empresaId: h.empresaB,
          filialId: null,
          fila: 'set',
          jobId: `b-${i}`,
          nomeJob: 'integration.run',
          integracaoId: null,
          parametros: {},
          estado: 'falhou' as const,
          tentativas: 1,
          maxTentativas: 1,
          erro: { classe: 'PermanentError', codigo: 'RECEPTOR_ERROR', mensagem: 'recusado' },
        });
      await recordJobEvents(h.database.db, events);
    }
    const { cookie } = await h.login('opb');
    const page = await h.app.inject({ url: '/dashboard/falhas', headers: { cookie } });
    expect(page.body).toContain('<b id="total">5000+</b>');
    expect(page.body).toMatch(/id="reprocessar-todos" >[^<]*\(5000\+\)<\/button>/);
  }, 120000);
});
