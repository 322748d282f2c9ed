import { html } from '../html';
import { type EndpointView, webhooksBody } from './cti-webhooks';
import { adminViewer } from './test-viewer';

// Trial 4 (item 10): a delivery's record id was an unlabelled number beside its gatilho, and the recover form's label
// was its button's text too.
describe('webhooks page: what each thing is', () => {
  const endpoint: EndpointView = {
    id: 3,
    nome: 'CRM A',
    url: 'https://hooks.example.com/a',
    ativo: true,
    excluido: false,
    desativado: null,
    bloqueado: null,
    nextCursor: null,
    circuito: null,
    deliveries: [
      {
        id: 9,
        status: 'falhou',
        tentativas: 2,
        ultimo_status_http: 500,
        ultimo_erro: null,
        criado_em: '2026-12-06T23:25:12.000Z',
        gatilho: 'contato.criado',
        registro_id: '1',
        attempts: [],
      },
    ],
  };
  const page = (locale: 'pt-BR' | 'en') => webhooksBody(adminViewer(locale), html``, 1, [endpoint], true).value;

  it("labels the delivery's record id and gives the recover button a verb apart from the date's label", () => {
    expect(page('pt-BR')).toContain('<td>contato.criado · <span class="registro">registro #1</span></td>');
    expect(page('en')).toContain('<span class="registro">record #1</span>');
    expect(page('pt-BR')).toContain('<label>Recuperar falhas desde<input type="datetime-local"');
    expect(page('pt-BR')).toContain('<button class="recuperar">Reenviar as falhas</button>');
    expect(page('en')).toContain('<button class="recuperar">Resend the failures</button>');
  });
});
