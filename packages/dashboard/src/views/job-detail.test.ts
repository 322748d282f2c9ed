import type { RegistroJob } from '@integrador/store';
import type { Viewer } from '../access';
import { type JobDetail, jobBody } from './pages';
import { adminViewer } from './test-viewer';

const viewer = adminViewer;

const record = (fila: string, nome_job: string): RegistroJob =>
  ({
    id: 1,
    empresa_id: 1,
    empresa_filial_id: null,
    fila,
    job_id: 'j-1',
    nome_job,
    integracao_id: 19,
    parametros: JSON.stringify({ contaId: 7 }),
    estado: 'ativo',
    tentativas: 1,
    max_tentativas: 10,
    erro_classe: null,
    erro_codigo: null,
    erro_mensagem: null,
    busca: '',
    criado_em: '2026-12-05T22:00:00.000Z',
    iniciado_em: null,
    finalizado_em: null,
    atualizado_em: '2026-12-05T22:00:00.000Z',
  }) as unknown as RegistroJob;

const detail = (fila: string, nome_job: string, extra: Partial<JobDetail> = {}): JobDetail => ({
  record: record(fila, nome_job),
  empresaNome: 'Acme',
  integracaoNome: 'SET-WS-CONTAS',
  actions: [],
  live: { state: 'active', failedReason: null, logs: [], flow: null, stalledCounter: 1 },
  execucoes: [],
  preview: null,
  dependencies: [],
  ...extra,
});

/** The stalled-retake note as the page shows it. */
const stallNote = (locale: Viewer['locale'], fila: string, nome_job: string) =>
  /<span class="falhou retomado">([^<]*)<\/span>/.exec(jobBody(viewer(locale), detail(fila, nome_job)).value)?.[1];

describe('job page: the stalled-retake note says what the queue repeats', () => {
  it('only a SET job points at the attempts below; GET, endpoint and webhook jobs, which have none, do not', () => {
    expect(stallNote('pt-BR', 'set', 'integration.run')).toContain('confira as tentativas abaixo');
    expect(stallNote('en', 'set', 'integration.run')).toContain('see the attempts below');
    for (const [fila, nome] of [
      ['get', 'integration.run'],
      ['get', 'endpoint.sync'],
      ['webhook', 'webhook.deliver'],
      ['cti', 'cti.call-event'],
    ] as const) {
      expect(stallNote('pt-BR', fila, nome)).not.toContain('tentativas abaixo');
      expect(stallNote('en', fila, nome)).not.toContain('attempts below');
    }
    expect(stallNote('pt-BR', 'get', 'endpoint.sync')).toMatch(/retomado 1 vez .*: a leitura da origem foi refeita/);
    expect(stallNote('en', 'webhook', 'webhook.deliver')).toMatch(/the delivery may have been sent to the webhook endpoint again/);
  });
});

describe('job page: a rebuilt SOAP request that misses its WSDL wrapper is worded', () => {
  const preview = {
    consulta: { sql: 'select 1', parameters: [] },
    porta: 'GravarClientes',
    records: [
      {
        key: 'contaId=7',
        request: {
          url: 'http://erp/g5',
          request: '<soap/>',
          missingWrapper: { wrapper: 'dadosGeraisCliente', fields: ['nomCli', 'cgcCpf'] },
        },
        requestUnavailable: false,
      },
    ],
  };
  const warning = (locale: Viewer['locale']) =>
    /<p class="falhou wrapper-ausente">([^<]*)<\/p>/.exec(
      jobBody(viewer(locale), detail('set', 'integration.run', { preview })).value,
    )?.[1];

  it('in the viewer’s language, the same sentence as the lint and the CLI', () => {
    expect(warning('pt-BR')).toBe(
      'nomCli, cgcCpf estão no topo de parameters, mas o WSDL de GravarClientes os espera dentro de &lt;dadosGeraisCliente&gt;; o ERP ignora campos fora do lugar (esperado em campo_crm: {&quot;dadosGeraisCliente&quot;: {&quot;nomCli&quot;: …}})',
    );
    expect(warning('en')).toMatch(
      /^nomCli, cgcCpf sit at the top of parameters, but the WSDL of GravarClientes expects them inside &lt;dadosGeraisCliente&gt;/,
    );
  });
});

describe('job page: a push accepted with nothing written back', () => {
  it("shows the receptor's answer and, apart from it, the note in the viewer's language", () => {
    const execucao = { chave: 'set:19:j-1:id7', status: 'concluido', tentativas: [] };
    const page = (nota: string) =>
      jobBody(viewer('pt-BR'), detail('set', 'integration.run', { execucoes: [{ ...execucao, mensagem: 'Processado com sucesso', nota }] }))
        .value;
    const shown = page('Registro id7: aceito pelo receptor; sql_update não executado');
    expect(shown).toContain('<p>Processado com sucesso</p>');
    expect(shown).toContain('<p class="nota-execucao">Registro id7: aceito pelo receptor; sql_update não executado</p>');
  });
});

describe('job page: one count of attempts (trial L1)', () => {
  const attempt = (tentativa: number) =>
    ({
      tentativa,
      url: null,
      requisicao: null,
      resposta: null,
      status_http: 200,
      duracao_ms: 5,
      erro: null,
      criado_em: '2026-12-05T22:00:00.000Z',
    }) as never;
  it('counts the sends of a job retried by hand, and shows no empty error row once it completed', () => {
    const done = { ...record('set', 'integration.run'), estado: 'concluido', tentativas: 1, max_tentativas: 12 } as RegistroJob;
    const execucoes = [{ chave: 'set:19:j-1:id7', status: 'concluido', mensagem: null, nota: null, tentativas: [attempt(1), attempt(2)] }];
    const page = jobBody(viewer('pt-BR'), { ...detail('set', 'integration.run', { execucoes }), record: done }).value;
    expect(page).toContain('<td id="tentativas">2/12');
    expect(page).not.toContain('id="erro"');
  });
});
