import { parseAddressAllowlist } from '@integrador/connections';
import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { createWebhookHttpClient, DEFAULT_WEBHOOK_SETTINGS, GATILHOS, type WebhookHttpClient } from '@integrador/webhooks';
import { cliEnv, runCli } from '../apps/cli/test/run-cli';
import { startTestIngress, type TestIngress } from './support/test-ingress';

/** What `integrador seed-demo --json` prints: the demo's key and one crm-change call per gatilho. */
interface SeededDemo {
  empresaId: number;
  apiKey: string;
  gatilhos: { gatilho: string; tabela: string; id: number; operacao: string }[];
}

/**
 * The demo tenant fires every seed 004 gatilho: seed-demo's own crm-change calls, sent through the ingress's
 * POST /v1/events/crm-change, each publish the change to an endpoint subscribed to all gatilhos, with a payload built
 * from the demo's records (its contatos and usuarios named in it).
 */
describe.each(ALL_DIALECTS)('seed-demo data fires every webhook gatilho through crm-change on %s', (dialect) => {
  let database: TestDatabase;
  let ingress: TestIngress;
  let demo: SeededDemo;
  let http: WebhookHttpClient;

  beforeAll(async () => {
    database = await createTestDatabase(dialect, { migrate: false });
    const run = await runCli(['seed-demo', '--json'], cliEnv(database.url));
    expect(run).toMatchObject({ code: 0, stderr: '' });
    demo = JSON.parse(run.stdout) as SeededDemo;
    const settings = { ...DEFAULT_WEBHOOK_SETTINGS, allowlist: parseAddressAllowlist(['127.0.0.1/32']) };
    http = createWebhookHttpClient(settings);
    ingress = await startTestIngress(database, { deps: { webhooks: { settings, http } } });
  }, 120_000);

  afterAll(async () => {
    await ingress?.close();
    await http?.close();
    await database?.drop();
  });

  const headers = () => ({ authorization: `Bearer ${demo.apiKey}` });

  it('each gatilho fires once, with the demo records in its payload', async () => {
    const created = await ingress.app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: headers(),
      // Nothing listens there: the deliveries stay pending, which is all this test needs.
      payload: { nome: 'demo', url: 'http://127.0.0.1:3229/demo', gatilhos: [...GATILHOS] },
    });
    expect(created.statusCode).toBe(201);
    expect(demo.gatilhos.map((g) => g.gatilho)).toEqual([...GATILHOS]);

    for (const { gatilho, tabela, id, operacao } of demo.gatilhos) {
      const response = await ingress.app.inject({
        method: 'POST',
        url: '/v1/events/crm-change',
        headers: headers(),
        payload: { tabela, id: String(id), operacao },
      });
      expect(response.statusCode).toBe(202);
      const { webhooks } = response.json() as { webhooks: { gatilho: string | null; entregas: number[]; motivo?: unknown } };
      expect({ gatilho, webhooks }).toEqual({ gatilho, webhooks: expect.objectContaining({ gatilho, entregas: [expect.any(Number)] }) });
    }

    const payloads = new Map(
      (
        await database.db.selectFrom('webhook_mensagens').select(['gatilho', 'payload']).where('empresa_id', '=', demo.empresaId).execute()
      ).map((row) => [row.gatilho, (JSON.parse(row.payload) as Record<string, unknown>[])[0]]),
    );
    expect([...payloads.keys()].sort()).toEqual([...GATILHOS].sort());
    expect(payloads.get('contato.criado')).toMatchObject({ codigo: 'CT-0001', nome: 'Roberto Almeida' });
    expect(payloads.get('oportunidade.criada')).toMatchObject({
      status: 'Aberta',
      processo: { id: '1', nome: 'Vendas B2B' },
      responsavel: { nome: 'Ana Beatriz Souza' },
      contatos: [expect.objectContaining({ codigo: 'CT-0001' })],
    });
    expect(payloads.get('atividade.criada')).toMatchObject({
      contato: { codigo: 'CT-0001' },
      responsavel: { nome: 'Ana Beatriz Souza' },
      vencimento: '2026-12-10 09:30',
      concluido: '0',
    });
    expect(payloads.get('atividade.concluida')).toMatchObject({ concluido: '1', contato: { codigo: 'CT-0001' } });
    expect(payloads.get('evento.criado')).toMatchObject({
      contato: { codigo: 'CT-0001' },
      tipo: { nome: 'Visita' },
      // The evento's own date (seed 003's `data`, "data da prova…") comes first; data_vencimento only without it.
      dataAgendamento: { data: '2026-12-02 15:00' },
    });
  });
});
