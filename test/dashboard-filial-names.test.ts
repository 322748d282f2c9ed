import { DashboardHarness } from './support/dashboard-harness';

/**
 * The operator trial's F2: the failures list and a job's detail name the filial beside the empresa ("Empresa SET (#1) /
 * Filial Santos (#2)"), never another empresa's filial by name.
 */
describe('dashboard: the filial by name in the failures list and the job detail', () => {
  const h = new DashboardHarness();
  let santos: number;

  beforeAll(async () => {
    await h.start();
    santos = (await h.filialKey('Filial Santos')).filialId;
    await h.recordSetJob('filial-santos', { filialId: santos });
    await h.recordSetJob('sem-filial');
    // Tenant B's record naming A's filial id (as a forged or stale row would): B's viewers never read A's filial name.
    await h.recordSetJob('b-filial-de-a', { empresaId: h.empresaB, filialId: santos });
  }, 240000);

  afterAll(async () => {
    await h.close();
  });

  const get = async (cookie: string, url: string) => (await h.app.inject({ url, headers: { cookie } })).body;
  const empresaCell = (body: string, job: string) =>
    new RegExp(`<tr data-job="set/${job}">[\\s\\S]*?<td class="empresa">([^<]*)</td>`).exec(body)?.[1];

  it("names the filial in the list and the detail of the empresa's own viewers", async () => {
    const { cookie } = await h.login('opa');
    const list = await get(cookie, '/dashboard/falhas');
    expect(empresaCell(list, 'filial-santos')).toBe(`Empresa SET (#${h.empresaA}) / Filial Santos (#${santos})`);
    expect(empresaCell(list, 'sem-filial')).toBe(`Empresa SET (#${h.empresaA})`);
    expect(await get(cookie, '/dashboard/jobs/set/filial-santos')).toContain(
      `<td id="empresa">Empresa SET (#${h.empresaA}) / Filial Santos (#${santos})</td>`,
    );
  });

  it('counts on the bulk retry button only the failed jobs it would retry (F6), disabled when none', async () => {
    await h.recordSetJob('concluido-1', { estado: 'concluido', erro: null });
    const { cookie } = await h.login('opa');
    const all = await get(cookie, '/dashboard/falhas?estado=todos');
    expect(all).toContain('<b id="total">3</b>');
    expect(all).toMatch(
      /<button name="modo" value="filtro" id="reprocessar-todos" >Reprocessar todos os que falharam neste filtro \(2\)<\/button>/,
    );
    const done = await get(cookie, '/dashboard/falhas?estado=concluido');
    expect(done).toMatch(/id="reprocessar-todos" disabled>Reprocessar todos os que falharam neste filtro \(0\)</);
  });

  it("heads the overview's tables with the window they count (24 h), most failures first (F21)", async () => {
    const { cookie } = await h.login('admin');
    const overview = await get(cookie, '/dashboard');
    expect(overview).toContain('<h2>Empresa · Últimas 24 h</h2>');
    expect(overview).toContain('<h2>Integração · Últimas 24 h</h2>');
    // A has 2 failures, B 3 with these: B's row comes first, whatever the ids' order.
    await h.recordSetJob('b-2', { empresaId: h.empresaB });
    await h.recordSetJob('b-3', { empresaId: h.empresaB });
    const rows = [...(await get(cookie, '/dashboard')).matchAll(/<tr><td><a href="\/dashboard\/falhas\?empresa=(\d+)">/g)].map((m) =>
      Number(m[1]),
    );
    expect(rows).toEqual([h.empresaB, h.empresaA]);
  });

  it('filters by filial, offered for the chosen empresa; the bulk retry keeps the filter; another tenant finds nothing', async () => {
    const { cookie } = await h.login('opa');
    const form = await get(cookie, `/dashboard/falhas?empresa=${h.empresaA}`);
    expect(form).toContain(`<option value="${santos}" >Filial Santos (#${santos})</option>`);
    const filtered = await get(cookie, `/dashboard/falhas?empresa=${h.empresaA}&filial=${santos}`);
    expect(filtered).toContain('<tr data-job="set/filial-santos">');
    expect(filtered).not.toContain('<tr data-job="set/sem-filial">');
    expect(filtered).toContain(`<input type="hidden" name="filtro_filial" value="${santos}">`);
    expect(filtered).toMatch(/id="reprocessar-todos" >Reprocessar todos os que falharam neste filtro \(1\)</);
    const api = (
      await h.app.inject({ url: `/dashboard/api/jobs?filial=${santos}`, headers: { authorization: `Bearer ${h.keyA}` } })
    ).json();
    expect(api.items.map((i: { job_id: string }) => i.job_id)).toEqual(['filial-santos']);
    // Tenant B's viewer filtering by A's filial: only B's own rows can match (its forged one), never A's.
    const b = await h.login('opb');
    const other = await get(b.cookie, `/dashboard/falhas?filial=${santos}`);
    expect(other).not.toContain('set/filial-santos');
  });

  it("leaves another empresa's filial an id", async () => {
    const { cookie } = await h.login('opb');
    const list = await get(cookie, '/dashboard/falhas');
    expect(empresaCell(list, 'b-filial-de-a')).toBe(`Empresa B (#${h.empresaB}) / filial #${santos}`);
    expect(list).not.toContain('Filial Santos');
    expect(await get(cookie, '/dashboard/jobs/set/b-filial-de-a')).not.toContain('Filial Santos');
  });
});
