import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { endpointWithDeliveries } from './test/deliveries';
import { presentEntregas } from './webhooks.service';

// A delivery's last error reaches the tenant in the test button's words, in the reader's language, not as undici's
// English text ("TimeoutError: The operation was aborted due to timeout"); the raw text stays in the attempt's erro.
describe("a delivery's last error as the API shows it", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
  });
  afterAll(async () => {
    await database.drop();
  });

  it('words timeouts, refused connections and 5xx as Testar does; keeps what it cannot word', async () => {
    const { db } = database;
    const url = 'https://erp.exemplo.com.br/hook?token=s3cr3t';
    const bodies = ['[]', '[]', '[]', '[]', '[]'];
    const { empresaId, endpointId, entregaIds } = await endpointWithDeliveries(db, {
      nome: 'Erros',
      url,
      segredo: 'plain:whsec_x',
      bodies,
    });
    // What worker-webhook records: the attempt (class, duration, raw error) and the delivery's ultimo_erro.
    const outcomes = [
      {
        status: 'falhou',
        erro: 'TimeoutError: The operation was aborted due to timeout',
        classe: 'timeout',
        http: null,
        ms: 3000,
        gaveUp: 4,
      },
      {
        status: 'pendente',
        erro: 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:18412',
        classe: 'connection_refused',
        http: null,
        ms: 2,
        gaveUp: 0,
      },
      { status: 'pendente', erro: 'HTTP 500', classe: 'http_5xx', http: 500, ms: 20, gaveUp: 0 },
      { status: 'pendente', erro: 'chave ausente', classe: 'secret_key_missing', http: null, ms: 0, gaveUp: 0 },
      { status: 'pendente', erro: 'HTTP 301', classe: 'redirect', http: 301, ms: 5, gaveUp: 0 },
    ];
    for (const [i, o] of outcomes.entries()) {
      const entregaId = entregaIds[i] as number;
      const ultimo = o.gaveUp ? `gave up after ${o.gaveUp} attempts: ${o.erro}` : o.erro;
      await db
        .updateTable('webhook_entregas')
        .set({ status: o.status, ultimo_erro: ultimo, ultimo_status_http: o.http, tentativas: 1 })
        .where('id', '=', entregaId)
        .execute();
      const attempt = {
        empresa_id: empresaId,
        entrega_id: entregaId,
        origem: 'auto',
        cabecalhos: '{}',
        status_http: o.http,
        resposta: null,
      };
      await db
        .insertInto('webhook_tentativas')
        .values({ ...attempt, numero: 1, duracao_ms: o.ms, classe_erro: o.classe, erro: o.erro } as never)
        .execute();
    }
    // The endpoint's URL edited since: a past attempt's words never name the URL it has now (nor the one it had).
    await db.updateTable('webhook_endpoints').set({ url: 'https://novo.exemplo.com.br/hook' }).where('id', '=', endpointId).execute();
    const shown = async (locale: 'pt-BR' | 'en') =>
      new Map((await presentEntregas(db, empresaId, endpointId, {}, locale)).map((d) => [d.id, d.ultimo_erro]));
    const pt = await shown('pt-BR');
    expect(pt.get(entregaIds[0] as number)).toBe(
      'desistiu depois de 4 tentativas. O servidor de destino não respondeu em 3 s. Ele pode estar sobrecarregado ou um firewall pode estar descartando a conexão; o destino deve responder logo ao receber os dados (e processá-los depois).',
    );
    expect(pt.get(entregaIds[1] as number)).toMatch(/^Nenhum servidor respondeu no endereço do webhook: a conexão foi recusada/);
    expect(pt.get(entregaIds[2] as number)).toMatch(/^O servidor de destino teve um erro interno \(status 500\)/);
    expect(pt.get(entregaIds[3] as number)).toBe('chave ausente');
    // The location is not stored: no "redirect to ?".
    expect(pt.get(entregaIds[4] as number)).toMatch(/^O servidor respondeu 301, um redirecionamento\. Webhooks não seguem/);
    const en = await shown('en');
    expect(en.get(entregaIds[0] as number)).toMatch(/^gave up after 4 attempts\. The receiving server did not answer within 3 s\./);
    for (const text of [...pt.values(), ...en.values()]) {
      expect(text).not.toContain('exemplo.com.br');
      expect(text).not.toContain('?');
    }
    for (const text of [...pt.values(), ...en.values()]) expect(text).not.toContain('s3cr3t');
  });
});
