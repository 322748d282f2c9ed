import { createEmpresa, createFilial, createOperador, issueApiKey } from '@integrador/store';
import { DashboardHarness, PASSWORD } from './support/dashboard-harness';

/**
 * The calls page opened on the viewer's first empresa (#1 for an admin): another empresa's calls were a filter away and
 * looked like none. It opens on every empresa the session sees, each call naming its empresa, with an empty list that
 * says why, never past an operator's or a key's empresas. Its number filter finds the calls the hub never normalised
 * (telefone_normalizado null: the CRM's rows) by their raw number. Real PostgreSQL and Redis, the dashboard through the
 * ingress.
 */
describe('dashboard: the calls page opens on what the session may see', () => {
  const h = new DashboardHarness();
  let empresaC: number;
  let empresaD: number;
  let filialKeyB: string;

  /** A call the CRM logged itself: no normalised number, no lookup key. */
  const crmCall = (empresaId: number, telefone: string) =>
    h.database.db
      .insertInto('ligacoes')
      .values({
        empresa_id: empresaId,
        ramal: '201',
        telefone,
        direcao: 'entrada',
        status: 'finalizada',
        inicio: new Date(),
        sem_inicio: 0,
      })
      .execute();

  beforeAll(async () => {
    await h.start();
    const db = h.database.db;
    empresaC = await createEmpresa(db, 'Empresa C');
    empresaD = await createEmpresa(db, 'Empresa D');
    const empresaE = await createEmpresa(db, 'Empresa E');
    await h.seedCall(h.empresaA, '(11) 3333-4444', null);
    await crmCall(h.empresaA, '(48) 3222-1111');
    await h.seedCall(h.empresaB, '(21) 98888-7777', null);
    await h.seedCall(empresaC, '(31) 3555-6666', null);
    // C's CRM logged the same number as A's: A's viewers never see it.
    await crmCall(empresaC, '048 3222 1111');
    const operator = (login: string, empresas: number[]) =>
      createOperador(db, { login, nome: login, senha: PASSWORD, papel: 'operador', empresas, fusoHorario: 'America/Sao_Paulo' });
    await operator('opab', [h.empresaA, h.empresaB]);
    await operator('opd', [empresaD]);
    await operator('opde', [empresaD, empresaE]);
    await operator('ninguem', []);
    filialKeyB = await issueApiKey(db, h.empresaB, await createFilial(db, h.empresaB, 'Filial B1'), 'filial');
  }, 240000);
  afterAll(async () => {
    await h.close();
  });

  // One session a login for the whole file: the harness's login limit (30 a window) is below this file's page reads.
  const sessions = new Map<string, ReturnType<DashboardHarness['login']>>();
  const loginOnce = (login: string) => {
    const session = sessions.get(login) ?? h.login(login);
    sessions.set(login, session);
    return session;
  };
  const page = async (login: string, query = '') => {
    const { cookie } = await loginOnce(login);
    const answer = await h.app.inject({ url: `/dashboard/ligacoes${query}`, headers: { cookie } });
    expect(answer.statusCode).toBe(200);
    return answer.body;
  };
  /** The empresa of each listed call, in the page's order. */
  const empresasOf = (body: string) => [...body.matchAll(/<tr data-call="\d+" data-empresa="(\d+)">/g)].map((m) => Number(m[1]));

  it("an admin sees every empresa's calls, newest first, each naming its empresa, with a filter that offers all", async () => {
    const body = await page('admin');
    // It opened on empresa A (#1): B's and C's calls unseen.
    expect(empresasOf(body)).toEqual([empresaC, empresaC, h.empresaB, h.empresaA, h.empresaA]);
    expect(body).toContain('<th>Empresa</th>');
    expect(body).toContain(`<td class="empresa">Empresa C (#${empresaC})</td>`);
    expect(body).toMatch(/<select name="empresa"><option value="" selected>todas<\/option>/);
    // One empresa asked for: its calls alone, without the column.
    const onlyB = await page('admin', `?empresa=${h.empresaB}`);
    expect(empresasOf(onlyB)).toEqual([h.empresaB]);
    expect(onlyB).not.toContain('<th>Empresa</th>');
  });

  it("an operator sees their own empresas' calls only; a filial key its empresa's; never another's", async () => {
    const opab = await page('opab');
    expect(empresasOf(opab)).toEqual([h.empresaB, h.empresaA, h.empresaA]);
    expect(opab).not.toContain('(31) 3555-6666');
    expect(opab).not.toContain(`(#${empresaC})`);
    // Asking for C (not theirs) is the dashboard's one not-found page, nothing of C's and nothing listed.
    const { cookie } = await loginOnce('opab');
    const asked = await h.app.inject({ url: `/dashboard/ligacoes?empresa=${empresaC}`, headers: { cookie } });
    expect(asked.statusCode).toBe(404);
    expect(asked.body).toContain('Não encontrado.');
    expect(asked.body).not.toContain('(31) 3555-6666');
    expect(empresasOf(asked.body)).toEqual([]);
    // An operator of one empresa sees it as if asked for.
    const opa = await page('opa');
    expect(empresasOf(opa)).toEqual([h.empresaA, h.empresaA]);
    expect(opa).not.toContain('<th>Empresa</th>');
    const filial = await h.app.inject({ url: '/dashboard/ligacoes', headers: { authorization: `Bearer ${filialKeyB}` } });
    expect(filial.statusCode).toBe(200);
    expect(empresasOf(filial.body)).toEqual([h.empresaB]);
    const refused = await h.app.inject({
      url: `/dashboard/ligacoes?empresa=${h.empresaA}`,
      headers: { authorization: `Bearer ${filialKeyB}` },
    });
    expect(refused.statusCode).toBe(404);
    expect(empresasOf(refused.body)).toEqual([]);
  });

  it("the calls API follows the page: the same empresas for the same session, the same 404 for another empresa's id", async () => {
    const api = async (headers: Record<string, string>, query = '') => {
      const answer = await h.app.inject({ url: `/dashboard/api/calls${query}`, headers });
      return { status: answer.statusCode, body: answer.json() };
    };
    const session = async (login: string) => ({ cookie: (await loginOnce(login)).cookie });
    const listed = (body: { items: Array<{ empresa_id: number }> }) => body.items.map((c) => c.empresa_id);
    // It answered the first empresa only (#1 for an operator of A and B; a 404 for an admin).
    for (const [login, empresaId] of [
      ['admin', null],
      ['opab', null],
      ['opa', h.empresaA],
      ['ninguem', null],
    ] as const) {
      const headers = await session(login);
      const { status, body } = await api(headers);
      expect({ login, status, empresaId: body.empresaId, empresas: listed(body) }).toEqual({
        login,
        status: 200,
        empresaId,
        empresas: empresasOf(await page(login)),
      });
    }
    expect(listed((await api(await session('admin'))).body)).toEqual([empresaC, empresaC, h.empresaB, h.empresaA, h.empresaA]);
    // Another tenant's id, through a session or a key: the one 404, nothing of its calls.
    const opab = await session('opab');
    const foreign = await api(opab, `?empresa=${empresaC}`);
    const missing = await api(opab, '?empresa=999999');
    expect([foreign.status, missing.status]).toEqual([404, 404]);
    expect(foreign.body).toEqual(missing.body);
    expect(JSON.stringify(foreign.body)).not.toContain('3555-6666');
    const filial = { authorization: `Bearer ${filialKeyB}` };
    expect(listed((await api(filial)).body)).toEqual([h.empresaB]);
    expect((await api(filial, `?empresa=${h.empresaA}`)).status).toBe(404);
    expect((await api({ authorization: `Bearer ${h.keyA}` }, `?empresa=${h.empresaB}`)).status).toBe(404);
    // One empresa asked for: its calls, named.
    const onlyB = await api(opab, `?empresa=${h.empresaB}`);
    expect([onlyB.body.empresaId, listed(onlyB.body)]).toEqual([h.empresaB, [h.empresaB]]);
    // A number over every empresa (an admin without one): refused, worded; within an operator's empresas, theirs only.
    const admin = await api(await session('admin'), `?telefone=4832221111`);
    expect([admin.status, admin.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(admin.body.error.message).toContain('escolha uma empresa');
    expect(listed((await api(opab, '?telefone=4832221111')).body)).toEqual([h.empresaA]);
  });

  it('an empresa that is no id (abc, too many digits) is refused as the schedules page refuses it, never every empresa listed', async () => {
    const { cookie } = await loginOnce('opab');
    const get = (url: string) => h.app.inject({ url, headers: { cookie } });
    const schedules = await get('/dashboard/agendamentos?empresa=abc');
    expect(schedules.statusCode).toBe(400);
    const refusal = /<[^>]*class="[^"]*flash[^"]*"[^>]*>([^<]*)</.exec(schedules.body)?.[1];
    expect(refusal).toBeTruthy();
    for (const url of ['/dashboard/ligacoes?empresa=abc', '/dashboard/ligacoes?empresa=99999999999', '/dashboard/webhooks?empresa=abc']) {
      const answer = await get(url);
      expect({ url, status: answer.statusCode, empresas: empresasOf(answer.body) }).toEqual({ url, status: 400, empresas: [] });
      expect(answer.body).toContain(refusal);
      expect(answer.body).not.toContain('(21) 98888-7777');
    }
    // 10 digits is an id (no empresa the session sees): the not-found page, as for another empresa's id.
    const tenDigits = await get('/dashboard/ligacoes?empresa=1234567890');
    expect({ status: tenDigits.statusCode, empresas: empresasOf(tenDigits.body) }).toEqual({ status: 404, empresas: [] });
    // Empty is no filter, as before: every empresa the session sees.
    expect(empresasOf(await page('opab', '?empresa='))).toEqual([h.empresaB, h.empresaA, h.empresaA]);
    // The APIs read it by the same rule, through a key or an admin's session: a 400 naming the field, never a 200 of
    // the key's own empresa nor the 404 of "no such empresa".
    const admin = { cookie: (await loginOnce('admin')).cookie };
    const key = { authorization: `Bearer ${h.keyA}` };
    for (const url of [
      '/dashboard/api/webhooks?empresa=abc',
      '/dashboard/api/calls?empresa=abc',
      '/dashboard/api/webhooks/1/deliveries/1/attempts?empresa=abc',
    ])
      for (const headers of [admin, key]) {
        const answer = await h.app.inject({ url, headers });
        expect({ url, status: answer.statusCode, code: answer.json().error?.code }).toEqual({
          url,
          status: 400,
          code: 'VALIDATION_FAILED',
        });
        expect(answer.json().error.message).toContain('empresa');
      }
  });

  it('an empty list says why: no empresa, no call logged in the empresas seen (a real plural), none with the filters', async () => {
    expect(await page('ninguem')).toContain('Sua sessão não vê nenhuma empresa');
    expect(await page('opd')).toContain(`A empresa Empresa D (#${empresaD}) não tem ligações registradas`);
    expect(await page('opde')).toContain('Nenhuma das 2 empresas que você vê tem ligações registradas');
    expect(await page('opde', '?lang=en')).toContain('None of the 2 tenants you see has calls logged');
    expect(await page('opab', `?telefone=${encodeURIComponent('0800 123 4567')}`)).toContain(
      'Nenhuma ligação com esses filtros nas 2 empresas que você vê.',
    );
    expect(await page('opab', `?telefone=${encodeURIComponent('0800 123 4567')}&lang=en`)).toContain(
      'No call matches these filters in the 2 tenants you see.',
    );
    expect(await page('opab', `?empresa=${h.empresaB}&ramal=299`)).toMatch(/Nenhuma ligação da empresa .* \(#\d+\) com esses filtros\./);
  });

  it('a page that stopped at its reading bound with nothing found says so, and its link reads on to the call', async () => {
    // The oldest call is of (11) 3232-4545; then 1100 CRM rows of another DDD's number holding its digits in order: a
    // page reads 5 rounds of 200 of them and stops, empty, before the call.
    const empresaV = await createEmpresa(h.database.db, 'Empresa V');
    await crmCall(empresaV, '(11) 3232-4545');
    const rows = Array.from({ length: 1100 }, () => ({
      empresa_id: empresaV,
      ramal: '201',
      telefone: '(21) 3232-4545 (ramal 201)',
      direcao: 'entrada' as const,
      status: 'finalizada',
      inicio: new Date(),
      sem_inicio: 0,
    }));
    for (let i = 0; i < rows.length; i += 500)
      await h.database.db
        .insertInto('ligacoes')
        .values(rows.slice(i, i + 500))
        .execute();
    const query = `?empresa=${empresaV}&telefone=${encodeURIComponent('(11) 3232-4545')}`;
    const first = await page('admin', query);
    expect(empresasOf(first)).toEqual([]);
    expect(first).not.toContain('com esses filtros.');
    expect(first).toContain('Nenhuma ligação com esses filtros entre as lidas até agora');
    expect(await page('admin', `${query}&lang=en`)).toContain('No call matches these filters among those read so far');
    const more = /<a href="([^"]+)">Mais antigas<\/a>/.exec(first)?.[1]?.replace(/&amp;/g, '&');
    expect(more).toContain('antes=');
    const second = await h.app.inject({ url: more ?? '', headers: { cookie: (await loginOnce('admin')).cookie } });
    expect(empresasOf(second.body)).toEqual([empresaV]);
    expect(second.body).toContain('(11) 3232-4545');
    expect(second.body).not.toContain('entre as lidas até agora');
  });

  it('the number filter finds a call the hub never normalised by its raw number, within the viewer’s empresas', async () => {
    for (const typed of ['48 3222-1111', '(48) 3222-1111', '+55 48 3222 1111']) {
      const opa = await page('opa', `?telefone=${encodeURIComponent(typed)}`);
      expect({ typed, empresas: empresasOf(opa) }).toEqual({ typed, empresas: [h.empresaA] });
      expect(opa).toContain('(48) 3222-1111');
    }
    // Within the empresas of an operator: A's row of the number, never C's.
    const opab = await page('opab', `?telefone=${encodeURIComponent('4832221111')}`);
    expect(empresasOf(opab)).toEqual([h.empresaA]);
    // An admin's search over every empresa would read every empresa's calls: an empresa first, then its rows only.
    const admin = await page('admin', `?telefone=${encodeURIComponent('4832221111')}`);
    expect(empresasOf(admin)).toEqual([]);
    expect(admin).toContain('Para buscar um telefone, escolha uma empresa no filtro');
    expect(empresasOf(await page('admin', `?empresa=${empresaC}&telefone=${encodeURIComponent('4832221111')}`))).toEqual([empresaC]);
    // The API of A's key: A's row only.
    const api = await h.app.inject({
      url: `/dashboard/api/calls?telefone=${encodeURIComponent('(48) 3222-1111')}`,
      headers: { authorization: `Bearer ${h.keyA}` },
    });
    expect(api.json().calls.map((c: { telefone: string; empresa_id: number }) => [c.empresa_id, c.telefone])).toEqual([
      [h.empresaA, '(48) 3222-1111'],
    ]);
  });

  it("the calls API reads an unencoded '+1 212…' as /v1 does: the foreign number, not DDD 21", async () => {
    const empresaF = await createEmpresa(h.database.db, 'Empresa F');
    const keyF = await issueApiKey(h.database.db, empresaF, null, 'test');
    await h.seedCall(empresaF, '+1 212 555 0100', null);
    await h.seedCall(empresaF, '(21) 2555-0100', null);
    // The query string's unencoded '+' is a space: ' 1 212 555 0100' before any trim.
    for (const url of ['/dashboard/api/calls?telefone=+1%20212%20555%200100', '/v1/cti/calls?telefone=+1%20212%20555%200100']) {
      const answer = await h.app.inject({ url, headers: { authorization: `Bearer ${keyF}` } });
      expect({ url, telefones: answer.json().calls?.map((c: { telefone: string }) => c.telefone) }).toEqual({
        url,
        telefones: ['+1 212 555 0100'],
      });
    }
  });
});
