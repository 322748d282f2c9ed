import type { Viewer } from '../access';
import { auditBody } from './pages';
import { adminViewer } from './test-viewer';

const viewer = adminViewer;
const row = (acao: string, detalhe: unknown) => ({
  autor: 'opa',
  acao,
  alvo: 'x/1',
  quantidade: 1,
  empresa_id: 1,
  criado_em: '2026-12-05T22:00:00.000Z',
  detalhe: JSON.stringify(detalhe),
});
/** The audit detail's fields as [label, value] pairs, as the page shows them. */
const fields = (locale: Viewer['locale'], acao: string, detalhe: unknown) =>
  [...auditBody(viewer(locale), [row(acao, detalhe)]).value.matchAll(/<dt>([^<]*)<\/dt><dd data-campo="[^"]*">([^<]*)<\/dd>/g)].map((m) => [
    m[1],
    m[2],
  ]);

describe('audit log: the outcome of a test or a validation, in the reader’s words', () => {
  it('a webhook test: its code worded by the webhook messages with its HTTP status; no raw ok / params', () => {
    const detalhe = { ok: false, code: 'CLIENT_ERROR', status: 404, params: { status: 404 } };
    const en = fields('en', 'webhook-test', detalhe);
    expect(en).toEqual([
      ['result', expect.stringMatching(/^The server refused the data with status 404\./)],
      ['HTTP status', '404'],
    ]);
    const pt = fields('pt-BR', 'webhook-test', detalhe);
    expect(pt[0]).toEqual(['resultado', expect.stringMatching(/^O servidor recusou os dados com o status 404\./)]);
    expect(pt[1]).toEqual(['status HTTP', '404']);
    expect(JSON.stringify(en)).not.toMatch(/"ok"|"params"|CLIENT_ERROR/);
  });

  it('a service validation: each evento’s result worded by the endpoint messages, not raw JSON', () => {
    const detalhe = {
      ok: false,
      eventos: [
        { tipo: 'contato', code: 'VALID_OK', params: { tipo: 'contato', received: 3, invalid: 0 } },
        { tipo: 'conta', code: 'TIMEOUT', params: { url: 'http://erp.example/contas', seconds: 30 } },
      ],
    };
    const en = fields('en', 'endpoint-validate', detalhe);
    expect(en).toEqual([
      ['contato', 'the integration works: 3 contato records received, all valid'],
      ['conta', expect.stringMatching(/^the endpoint http:\/\/erp\.example\/contas did not answer within 30 s/)],
    ]);
    expect(JSON.stringify(en)).not.toMatch(/\{&quot;|\{"tipo"|VALID_OK/);
  });

  it('a retry or a pause: its mode and counts worded, the empresa by name (the trial’s F16), one language each', () => {
    expect(fields('pt-BR', 'retry', { modo: 'um', done: 0, skipped: 0, notFound: 1 })).toEqual([
      ['modo', 'um job'],
      ['feitos', '0'],
      ['ignorados', '0'],
      ['não encontrados', '1'],
    ]);
    expect(fields('en', 'tenant-pause', { agendamentos: 1 })).toEqual([['schedules', '1']]);
    expect(fields('en', 'tenant-resume', { jobsLiberados: 2 })).toEqual([['jobs released', '2']]);
    const body = auditBody(viewer('pt-BR'), [row('retry', null)], new Map([[1, 'Laticínios Serra Azul']])).value;
    expect(body).toContain('<td class="empresa">Laticínios Serra Azul (#1)</td>');
  });
});
