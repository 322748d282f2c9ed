import type { RegistroJob } from '@integrador/store';
import type { Viewer } from '../access';
import { failuresCsv } from '../failures-csv';
import { failureRows, type JobDetail, jobBody } from './pages';
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
    expect(page).toContain('<td id="tentativas">2 tentativas (1/12 nesta execução)');
    expect(page).not.toContain('id="erro"');
  });
});

// Trial 4 (items 3, 4, 5, 7, 9): what an on-call operator read on a job's page and in the list.
describe('job page and list after a push failed for good (trial 4)', () => {
  const attempt = (tentativa: number, status_http: number | null, erro: string) =>
    ({
      tentativa,
      url: 'http://erp/api/clientes',
      requisicao: null,
      resposta: null,
      status_http,
      duracao_ms: 5,
      erro,
      criado_em: '2026-12-05T22:00:00.000Z',
    }) as never;
  const failed = {
    ...record('set', 'integration.run'),
    job_id: '6',
    estado: 'falhou',
    tentativas: 1,
    max_tentativas: 2,
    erro_codigo: 'TRANSPORT_TRANSIENT',
    erro_mensagem: 'http://erp/api/clientes answered HTTP 500: falha interna',
    parametros: JSON.stringify({ contaId: 4, failure: { status: '500' } }),
  } as RegistroJob;
  const execucoes = [
    {
      chave: 'set:19:6:id4',
      status: 'enviando',
      mensagem: null,
      nota: null,
      tentativas: [
        attempt(1, 500, 'http://erp/api/clientes answered HTTP 500: falha interna'),
        attempt(2, null, 'no answer from http://erp/api/clientes within 3000 ms'),
        attempt(3, null, 'could not reach http://erp/api/clientes (ECONNREFUSED): connect ECONNREFUSED 127.0.0.1:1'),
      ],
    },
  ];
  const names = {
    empresas: new Map([[1, 'Alfa']]),
    integracoes: new Map(),
    contas: new Map([['1/4', 'Padaria Sol']]),
    envios: new Map([['1/6', 3]]),
  };
  const page = (locale: Viewer['locale'], estado = 'failed') =>
    jobBody(viewer(locale), {
      ...detail('set', 'integration.run', { execucoes, names }),
      record: failed,
      live: { state: estado, failedReason: null, logs: [], flow: null, stalledCounter: 0 },
    }).value;

  it("words each attempt's error from the failure catalogue in the page's language, the raw text under the technical details", () => {
    const pt = page('pt-BR');
    const reasons = [...pt.matchAll(/<p class="falhou tentativa-erro"><span class="erro-motivo">([^<]*)<\/span>/g)].map((m) => m[1]);
    expect(reasons).toEqual([
      'o sistema receptor respondeu com o status HTTP 500 (erro ou indisponibilidade do lado dele)',
      'o sistema receptor não respondeu em 3000 ms (sem resposta no prazo)',
      'o sistema receptor recusou a conexão: está fora do ar ou não aceita conexões nessa porta',
    ]);
    expect(pt).toContain(
      '<summary>Detalhes técnicos</summary><span class="muted erro-mensagem">no answer from http://erp/api/clientes within 3000 ms</span>',
    );
    expect(page('en')).toContain('<span class="erro-motivo">the receptor gave no answer within 3000 ms</span>');
  });

  it('counts the attempts one way on the page and in the list: all sends, and this run of its maximum', () => {
    expect(page('pt-BR')).toContain('<td id="tentativas">3 tentativas (1/2 nesta execução)');
    const row = failureRows(viewer('pt-BR'), [failed], names).value;
    expect(row).toContain('<td class="num tentativas">3 tentativas (1/2 nesta execução)</td>');
    expect(failureRows(viewer('en'), [failed], names).value).toContain('3 attempts (1/2 in this run)');
  });

  it('heads a record by the customer, not the outbox key, and words "enviando" of an ended job as an unknown outcome', () => {
    const pt = page('pt-BR');
    expect(pt).toMatch(
      /<h2 class="envio" title="set:19:6:id4">Conta Padaria Sol \(#4\) — <span class="envio-estado enviando">resultado desconhecido: /,
    );
    expect(pt).not.toMatch(/<h2[^>]*>set:19:6:id4/);
    expect(pt).not.toContain('— enviando');
    expect(page('en')).toContain('outcome unknown: the ERP may have received the record');
  });

  it("labels the error as the previous attempt's while the job runs again after a retry", () => {
    expect(page('pt-BR', 'active')).toContain('<tr><th>Erro da tentativa anterior</th><td id="erro">');
    expect(page('en', 'active')).toContain('<tr><th>Previous attempt&#39;s error</th>');
    expect(page('pt-BR')).toContain('<tr><th>Erro</th><td id="erro">');
  });

  it("shows the zone of the list's times in its header, and in the CSV the page's label of a scheduled run beside its raw id", () => {
    const scheduled = { ...failed, job_id: 'repeat:get-e2-i5:1796610600000', fila: 'get', integracao_id: 5 } as RegistroJob;
    const csv = failuresCsv(viewer('pt-BR'), [scheduled], { ...names, integracoes: new Map([['1/5', 'GET-BD-CLIENTES']]) });
    const [header, line] = csv.replace('\uFEFF', '').split('\r\n');
    expect(header).toMatch(/^"Job";.*;"Atualizado em \(UTC[^"]*\)";"Id do job"$/);
    expect(line).toMatch(/^"agendamento de GET-BD-CLIENTES às [^"]+";"get";.*;"repeat:get-e2-i5:1796610600000"$/);
  });
});
