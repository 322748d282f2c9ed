import { createEmpresa, createOperador } from '@integrador/store';
import { createEndpoint, DEFAULT_WEBHOOK_SETTINGS } from '@integrador/webhooks';
import { DashboardHarness, PASSWORD } from './support/dashboard-harness';

/**
 * F11: the Webhooks page opened on the viewer's first empresa (#1 for an admin) and said "Nada encontrado." while other
 * empresas the session sees had endpoints. It opens on every empresa the viewer sees that has endpoints (a filter picks
 * one), and an empty list says why. Real PostgreSQL and Redis, the dashboard through the ingress.
 */
describe('dashboard: the webhooks page opens on what the session may see', () => {
  const h = new DashboardHarness();
  let empresaC: number;
  let endpointB: number;
  let endpointC: number;

  beforeAll(async () => {
    await h.start();
    const db = h.database.db;
    empresaC = await createEmpresa(db, 'Empresa C');
    const endpoint = async (empresaId: number, nome: string) =>
      (
        await createEndpoint(
          db,
          DEFAULT_WEBHOOK_SETTINGS,
          { empresaId, filialId: null },
          { nome, url: 'https://example.com/hook', gatilhos: ['contato.criado'] },
        )
      ).id;
    // Empresa A (the first) has no endpoint; B and C have one each.
    endpointB = await endpoint(h.empresaB, 'Receptor B');
    endpointC = await endpoint(empresaC, 'Receptor C');
    await h.seedDelivery(h.empresaB, endpointB, 'falhou', 1);
    await createOperador(db, {
      login: 'opab',
      nome: 'opab',
      senha: PASSWORD,
      papel: 'operador',
      empresas: [h.empresaA, h.empresaB],
      fusoHorario: 'America/Sao_Paulo',
    });
  }, 120000);
  afterAll(async () => {
    await h.close();
  });

  const get = async (login: string, query = '') => {
    const { cookie } = await h.login(login);
    const answer = await h.app.inject({ url: `/dashboard/webhooks${query}`, headers: { cookie } });
    expect(answer.statusCode).toBe(200);
    return answer.body;
  };

  it("an admin sees every empresa's endpoints under its name, with an empresa filter that offers all", async () => {
    const page = await get('admin');
    // It opened on empresa A (#1): "Nada encontrado.", B's and C's endpoints unseen.
    expect(page).toContain(`<section data-empresa="${h.empresaB}">`);
    expect(page).toContain(`<section data-empresa="${empresaC}">`);
    expect(page).toContain(`data-endpoint="${endpointB}"`);
    expect(page).toContain(`data-endpoint="${endpointC}"`);
    expect(page).toContain('Receptor B');
    expect(page).not.toContain('Nada encontrado.');
    expect(page).toMatch(/<select name="empresa"><option value="" selected>todas<\/option>/);
    // C's endpoint has no delivery yet: said so, not "nothing found".
    expect(page).toContain('Nenhuma entrega ainda');
  });

  it('an operator sees the endpoints of their own empresas only, whichever is first', async () => {
    const page = await get('opab');
    expect(page).toContain(`data-endpoint="${endpointB}"`);
    // Walled: C is not theirs.
    expect(page).not.toContain(`data-endpoint="${endpointC}"`);
    expect(page).not.toContain('Receptor C');
    expect(page).not.toContain(`<section data-empresa="${empresaC}">`);
  });

  it('an empty list says why: no endpoint in the empresa asked for (naming those that have one), none with the status', async () => {
    const empty = await get('opab', `?empresa=${h.empresaA}`);
    expect(empty).toMatch(/A empresa .* \(#\d+\) não tem endpoints de webhook cadastrados/);
    expect(empty).toContain(`href="/dashboard/webhooks?empresa=${h.empresaB}"`);
    expect(empty).not.toContain('Nada encontrado.');
    const english = await get('opab', `?empresa=${h.empresaA}&lang=en`);
    expect(english).toMatch(/Tenant .* \(#\d+\) has no webhook endpoints/);
    const none = await get('opab', `?empresa=${h.empresaB}&status=entregue`);
    expect(none).toContain(`data-endpoint="${endpointB}"`);
    expect(none).toContain('Nenhuma entrega com status entregue');
    // An operator of an empresa without endpoints is told so, not "nothing found".
    const onlyA = await get('opa');
    expect(onlyA).toContain('A empresa que você vê não tem endpoints de webhook cadastrados');
    expect(onlyA).not.toContain('empresa(s)');
    expect(await get('opa', '?lang=en')).toContain('The tenant you see has no webhook endpoints');
  });
});
