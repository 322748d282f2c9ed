import { defineTexts, type Locale, localeFromAcceptLanguage, plural } from '@integrador/i18n';
import {
  CLICK_TO_CALL_NO_RETRY as NOT_RETRYABLE_CLICK,
  WEBHOOK_DELIVERED_NO_RETRY,
  WEBHOOK_ENDPOINT_DELETED_NO_RETRY,
  WEBHOOK_ENDPOINT_DISABLED_NO_RETRY,
} from '@integrador/jobs';
import { jobStateName } from '@integrador/queue';

/** The dashboard speaks pt-BR by default and English on request (operator preference, ?lang=en or Accept-Language). */
export type { Locale };

/** One text per queue kind (what a retry or a stalled retake repeats); `other` for a mix of queues or an unknown one. */
function byQueue(queues: readonly string[], texts: Record<'set' | 'get' | 'webhook' | 'cti' | 'other', string>): string {
  const only = queues.length === 1 ? queues[0] : undefined;
  return only === 'set' || only === 'get' || only === 'webhook' || only === 'cti' ? texts[only] : texts.other;
}

/** What retrying jobs of each queue does, said by a retry's confirmation (by filter or by groups). */
const RETRY_EFFECTS_PT = {
  set: 'Os registros serão enviados de novo ao sistema de destino.',
  get: 'As integrações lerão a origem de novo e gravarão no CRM; nada é enviado ao sistema de origem.',
  webhook: 'As entregas serão enviadas de novo aos endpoints de webhook.',
  cti: 'Os pedidos ao PABX serão feitos de novo.',
  other: 'Cada job será executado de novo (SET reenvia ao sistema de destino; GET lê a origem de novo).',
};
const RETRY_EFFECTS_EN = {
  set: 'The records will be sent to the target system again.',
  get: 'The integrations will read the source again and write to the CRM; nothing is sent to the source.',
  webhook: 'The deliveries will be sent to the webhook endpoints again.',
  cti: 'The requests to the PBX will be made again.',
  other: 'Each job will run again (a SET sends to the target system again; a GET reads the source again).',
};

const PT = {
  title: 'Painel de operação',
  login: 'Entrar',
  logout: 'Sair',
  loginField: 'Usuário',
  password: 'Senha',
  badLogin: 'Usuário ou senha inválidos.',
  tooManyLogins: (seconds: number) => `Muitas tentativas de entrada deste endereço; tente novamente em ${seconds} s.`,
  // Said of any login name, known or not: the answer never tells whether the login exists.
  loginLocked: (minutes: number) => `Muitas tentativas sem sucesso para este usuário; tente novamente em ${minutes} min.`,
  loginCsrf: 'O formulário de entrada expirou; recarregue a página e entre de novo.',
  // Fail closed: the per-login count cannot be read or kept, so no login is accepted (nor called a wrong password).
  loginCounterUnavailable:
    'O controle de tentativas de entrada (Redis) não está disponível agora; ninguém entra até ele voltar. Tente novamente em instantes.',
  apiUnauthorized: 'Chave de API ausente ou inválida: envie o cabeçalho Authorization: Bearer <chave> (ou entre pelo painel).',
  invalidJson: 'O corpo da requisição não é um JSON válido.',
  badField: (field: string, expected: string) => `Campo ${field} inválido: esperado ${expected}.`,
  internalError: 'erro interno',
  queueUnavailable: 'A fila (Redis) não está disponível agora; nada foi alterado. Tente novamente em instantes.',
  requestRefused: (status: number, code: string) => `A requisição foi recusada (HTTP ${status}, ${code}).`,
  expectedOneOf: (values: string) => `um de ${values}`,
  expectedDate: 'uma data ISO 8601 (AAAA-MM-DD ou AAAA-MM-DDThh:mm, com fuso opcional)',
  expectedInteger: 'um número inteiro',
  expectedId: 'um id (número inteiro de 1 a 2147483647)',
  expectedIntegerWithin: (min: number | undefined, max: number | undefined) =>
    min !== undefined && max !== undefined
      ? `um número inteiro de ${min} a ${max}`
      : min !== undefined
        ? `um número inteiro a partir de ${min}`
        : `um número inteiro até ${max}`,
  expectedSingle: 'um único valor (o parâmetro veio repetido)',
  expectedJobRef: 'fila/id de um job (até 200 caracteres, sem caracteres de controle)',
  expectedSearchText: (max: number) =>
    `um texto de até ${max} caracteres, sem caractere de controle (NUL, U+0001–U+001F exceto tabulação e quebras de linha, U+007F–U+009F)`,
  expectedDateTime: 'uma data e hora AAAA-MM-DDThh:mm no fuso do painel, por exemplo 2026-12-01T09:00',
  expectedZonedDateTime:
    'uma data e hora ISO 8601 com fuso horário, por exemplo 2026-12-01T09:00:00-03:00 ou 2026-12-01T12:00:00Z (sem fuso, o instante seria ambíguo)',
  overview: 'Visão geral',
  failures: 'Falhas',
  schedules: 'Agendamentos',
  services: 'Serviços de endpoint',
  connections: 'Conexões',
  connectionKind: 'Tipo',
  connectionFile: 'Arquivo de conexões',
  connectionFileStates: {
    defined: 'definida',
    missing: 'ausente do arquivo',
    restricted: 'restrita a outra empresa',
  } as Record<string, string>,
  integrations: 'Integrações',
  testConnection: 'Testar conexão',
  connectionSteps: {
    reachability: 'alcance (DNS e TCP)',
    file: 'arquivo',
    tls: 'TLS',
    login: 'login',
    query: 'consulta de teste',
    version: 'versão',
  } as Record<string, string>,
  connectionTestOk: (name: string, version: string | undefined) =>
    `Conexão "${name}" ok${version ? ` (${version})` : ''}: todos os passos abaixo funcionaram.`,
  connectionTestFailed: (name: string, reason: string) => `A conexão "${name}" falhou: ${reason}`,
  connectionNotTestable: (name: string, state: string) =>
    state === 'restricted'
      ? `A conexão "${name}" está restrita a outra empresa no arquivo de conexões: esta empresa não pode usá-la nem testá-la.`
      : `A conexão "${name}" não está no arquivo de conexões deste processo (CONNECTIONS_FILE): nada foi testado.`,
  audit: 'Auditoria',
  rawQueues: 'Filas (bruto)',
  tenant: 'Empresa',
  integration: 'Integração',
  queue: 'Fila',
  state: 'Estado',
  since: 'Desde',
  until: 'Até',
  search: 'Buscar',
  searchPlaceholder: 'texto do erro, cliente, CNPJ/CPF, contaId=42…',
  filter: 'Filtrar',
  job: 'Job',
  attempts: 'Tentativas',
  // BullMQ takes a job back from a worker that stopped mid-run without counting an attempt: the resend shows here.
  // Worded per queue: only a SET job has send attempts below; a GET or endpoint run reads again, a webhook or PBX request may repeat.
  retakenAfterStall: (times: number, queue: string) =>
    `retomado ${times === 1 ? '1 vez' : `${times} vezes`} depois que o worker parou no meio (não conta como tentativa): ${byQueue([queue], {
      set: 'registros da execução interrompida podem ter sido enviados de novo — confira as tentativas abaixo',
      get: 'a leitura da origem foi refeita e gravada de novo no CRM; nada é enviado ao sistema de origem',
      webhook: 'a entrega pode ter sido enviada de novo ao endpoint de webhook',
      cti: 'o pedido ao PABX pode ter sido feito de novo',
      other: 'o job foi executado de novo',
    })}`,
  error: 'Erro',
  updatedAt: 'Atualizado em',
  retry: 'Reprocessar',
  retrySelected: 'Reprocessar selecionados',
  retryAll: 'Reprocessar todos os que falharam neste filtro',
  discard: 'Descartar',
  runNow: 'Executar agora',
  pause: 'Pausar',
  resume: 'Retomar',
  paused: 'pausado',
  pauseTenant: 'Pausar empresa',
  resumeTenant: 'Retomar empresa',
  tenantPaused: 'empresa pausada: agendamentos parados e jobs na fila não são executados',
  calls: 'Ligações',
  phone: 'Telefone',
  ramal: 'Ramal',
  /** The calls page's agent column: the usuario whose ramal took the call, with the ramal. */
  agent: 'Agente (ramal)',
  noStart: 'sem início',
  noStartTitle: 'a central enviou o fim desta ligação, mas não o início: não há duração, e a hora é a do fim',
  direction: 'Direção',
  start: 'Início',
  duration: 'Duração (s)',
  recording: 'Gravação',
  listen: 'ouvir',
  webhooks: 'Webhooks',
  endpoint: 'Endpoint',
  deliveries: 'Entregas',
  trigger: 'Gatilho',
  resend: 'Reenviar',
  recover: 'Recuperar falhas desde',
  /** The recover form's button: its own verb, apart from the date's label (trial 4). */
  recoverButton: 'Reenviar as falhas',
  /** A delivery's record (the gatilho's record id), labelled. */
  webhookRecord: (id: string) => `registro #${id}`,
  httpStatus: 'HTTP',
  more: 'Mais antigas',
  runs: 'Execuções',
  successes: 'Sucessos',
  failed: 'Falhas',
  retriesPending: 'Retentativas pendentes',
  delayed: 'Adiados (limite)',
  blocked: 'Bloqueados (dependência)',
  active: 'Em execução',
  lastHour: 'Última hora',
  lastDay: 'Últimas 24 h',
  noRows: 'Nada encontrado.',
  // A filial viewer reads the empresa-wide jobs but changes only its own filial's (the filial rule, filial-scope.ts).
  empresaWideJob: 'da empresa',
  notChangeableByFilial:
    'Job da empresa inteira: esta chave de filial pode vê-lo, mas só reprocessa ou descarta os jobs da própria filial. Use uma chave da empresa ou peça a um operador.',
  total: 'Total',
  parameters: 'Parâmetros',
  request: 'Requisição enviada (segredos mascarados)',
  response: 'Resposta',
  consulta: 'Consulta com valores vinculados',
  dependencies: 'Cadeia de dependências',
  log: 'Registro',
  // A log line the integrador did not write (a library's): shown as written, in its own language.
  technicalLine: 'técnico',
  who: 'Quem',
  when: 'Quando',
  what: 'O quê',
  howMany: 'Quantos',
  target: 'Alvo',
  nextRun: 'Próxima execução',
  lastResult: 'Último resultado',
  status: 'Situação',
  reason: 'Motivo',
  readOnly: 'Somente leitura',
  nextAttempt: (when: string, n: number, max: number) => `próxima tentativa (${n} de ${max}): ${when}`,
  nextRunAt: (when: string) => `roda de novo: ${when}`,
  filial: 'Filial',
  allFiliais: 'todas (e a empresa toda)',
  discardConfirmTitle: 'Confirmar descarte',
  discardConfirm: (n: number) =>
    `Descartar ${plural(n, 'job', 'jobs')}? ${n === 1 ? 'Ele não será mais reprocessado' : 'Eles não serão mais reprocessados'}: o que não foi enviado ao sistema de destino fica sem envio.`,
  discarded: (n: number) => `${plural(n, 'job descartado', 'jobs descartados')}.`,
  noneSelected: 'Nenhum job selecionado; nada foi feito.',
  pauseConfirmTitle: 'Confirmar pausa',
  pauseConfirm: (empresa: string) =>
    `Pausar a empresa ${empresa}? Os agendamentos dela param e os jobs na fila (SET, GET, webhooks e CTI) não são executados até ela ser retomada.`,
  tenantPausedDone: (empresa: string) => `Empresa ${empresa} pausada.`,
  tenantResumedDone: (empresa: string) => `Empresa ${empresa} retomada.`,
  pausedTenants: 'Empresas pausadas (agendamentos parados; jobs na fila só rodam quando forem retomadas):',
  pausedWithTenant: 'pausado com a empresa (retome a empresa)',
  done: (n: number) => `Ação registrada: ${plural(n, 'job', 'jobs')}.`,
  /** Jobs of a selection not found for this operator: as the single-job refusal, never whose they are. */
  notFoundJobs: (n: number) =>
    `${plural(n, 'job não encontrado', 'jobs não encontrados')} (não existe mais ou não é de uma empresa que você vê).`,
  /** A retry's outcome: how many were retried, how many were not and why (skipReasonPt), how many were not found. */
  retryOutcome: (done: number, skipped: ReadonlyArray<readonly [string, number]>, notFound: number) => {
    const total = skipped.reduce((sum, [, n]) => sum + n, 0);
    const why = skipped.map(([reason, n]) => skipReasonPt(reason, n)).join('; ');
    return `Ação registrada: ${plural(done, 'job reprocessado', 'jobs reprocessados')}${total ? `; ${plural(total, 'não reprocessado', 'não reprocessados')}: ${why}` : ''}${notFound ? `; ${plural(notFound, 'não encontrado', 'não encontrados')} (não existe mais ou não é de uma empresa que você vê)` : ''}.`;
  },
  /** The confirmation's note on the failed jobs of the filter or groups the retry would refuse (not in its count). */
  bulkRefused: (skipped: ReadonlyArray<readonly [string, number]>) => {
    const total = skipped.reduce((sum, [, n]) => sum + n, 0);
    const why = skipped.map(([reason, n]) => skipReasonPt(reason, n)).join('; ');
    return `${total === 1 ? '1 job que falhou não entra na conta e não será reprocessado' : `${total} jobs que falharam não entram na conta e não serão reprocessados`}: ${why}.`;
  },
  doneDeliveries: (n: number) => `Ação registrada: ${plural(n, 'entrega de webhook', 'entregas de webhook')}.`,
  scheduleDone: (id: number, paused: boolean) => `Agendamento da integração #${id} ${paused ? 'pausado' : 'retomado'}.`,
  runQueued: (id: number, job: string) => `Execução da integração #${id} enfileirada: job ${job}.`,
  notFound: 'Não encontrado.',
  forbidden: 'Seu papel não permite esta ação.',
  csrf: 'Token de segurança inválido; recarregue a página.',
  states: {
    ativo: 'em execução',
    concluido: 'concluído',
    falhou: 'falhou',
    aguardando_retentativa: 'aguardando retentativa',
    adiado: 'adiado',
    bloqueado: 'bloqueado',
    descartado: 'descartado',
  } as Record<string, string>,
  scheduleStatuses: {
    scheduled: 'agendado',
    pending: 'aguardando sincronização',
    not_scheduled: 'sem agendamento',
    paused: 'pausado',
  } as Record<string, string>,
  runStatuses: { executando: 'em execução', concluido: 'concluído', falhou: 'falhou' } as Record<string, string>,
  serviceStatuses: { nunca_executado: 'nunca executado', ok: 'ok', falha: 'falha' } as Record<string, string>,
  sendStatuses: {
    pendente: 'pendente',
    enviando: 'enviando',
    enviado: 'enviado',
    concluido: 'concluído',
    falhou: 'falhou',
  } as Record<string, string>,
  directions: { entrada: 'entrada', saida: 'saída', interna: 'interna' } as Record<string, string>,
  deliveryStatuses: { pendente: 'pendente', entregue: 'entregue', falhou: 'falhou', cancelada: 'cancelada' } as Record<string, string>,
  attemptOrigins: { automatica: 'automática', manual: 'manual' } as Record<string, string>,
  endpointActive: 'ativo',
  endpointInactive: 'inativo',
  roles: { admin: 'administrador', operador: 'operador', leitor: 'leitor' } as Record<string, string>,
  auditActions: {
    retry: 'reprocessar',
    discard: 'descartar',
    'run-now': 'executar agora',
    'pause-schedule': 'pausar agendamento',
    'resume-schedule': 'retomar agendamento',
    'pause-tenant': 'pausar empresa',
    'resume-tenant': 'retomar empresa',
    'webhook-resend': 'reenviar webhook',
    'webhook-recover': 'recuperar webhooks',
    'webhook-test': 'testar webhook',
    'endpoint-sync': 'sincronizar serviço',
    'endpoint-validate': 'validar serviço',
    'connection-test': 'testar conexão',
  } as Record<string, string>,
  name: 'Nome',
  system: 'sistema',
  account: 'Conta',
  jobStateRefused: (action: 'retry' | 'discard', job: string, estado: string) =>
    action === 'retry' && estado === NOT_RETRYABLE_CLICK
      ? `O job ${job} não foi reprocessado: um click-to-call que falhou não é reprocessado (o clique já expirou e a nova tentativa só falharia de novo); peça ao agente que clique de novo.`
      : action === 'retry' && estado === WEBHOOK_DELIVERED_NO_RETRY
        ? `O job ${job} não foi reprocessado: a entrega do webhook já foi entregue (por um reenvio ou uma recuperação); nada a enviar de novo.`
        : action === 'retry' && estado === WEBHOOK_ENDPOINT_DISABLED_NO_RETRY
          ? `O job ${job} não foi reprocessado: o endpoint do webhook continua desativado e nada seria enviado; reative o endpoint (PATCH /v1/webhooks/:id com {"ativo": true}) e depois use "Recuperar falhas desde" na página Webhooks para reenviar as entregas.`
          : action === 'retry' && estado === WEBHOOK_ENDPOINT_DELETED_NO_RETRY
            ? `O job ${job} não foi reprocessado: o endpoint do webhook foi excluído e nada seria enviado. As entregas dele continuam na página Webhooks, em "Endpoints excluídos", até o fim da retenção; para enviar de novo a esse destino, cadastre-o como um novo webhook.`
            : action === 'retry'
              ? `O job ${job} não foi reprocessado: ele está ${estado}; só um job que falhou pode ser reprocessado.`
              : `O job ${job} não foi descartado: ele está ${estado}; só um job que falhou pode ser descartado.`,
  extension: 'Disponível quando o módulo estiver instalado.',
  allStates: 'todos',
  timeZone: (zone: string) => `Datas no fuso ${zone}`,
  searchHint:
    'chave=valor (ex.: contaId=14) encontra o valor inteiro; o nome do cliente (sem importar acentos e maiúsculas) ou seu CNPJ/CPF, com ou sem pontuação, encontra as falhas dele; outro texto, qualquer trecho.',
  failureCode: 'Código da falha',
  expectedFailureCode: 'um código de falha (letras, números, _ . : -, até 100 caracteres) ou - para nenhum',
  expectedGroup: 'um grupo empresa/integração/código (ex.: 3/19/RECEPTOR_ERROR)',
  groupRepeated: 'Agrupar falhas repetidas',
  occurrences: 'Ocorrências',
  firstSeen: 'Primeira',
  lastSeen: 'Última',
  openGroup: (n: number) => (n === 1 ? 'ver a execução' : `ver as ${n} execuções`),
  noIntegration: 'sem integração',
  customerSearchNeedsEmpresa:
    'A busca pelo nome ou CNPJ/CPF de um cliente procura dentro de uma empresa: escolha a empresa no filtro para encontrar as falhas do cliente. Em todas as empresas, o texto foi procurado só nas próprias falhas (parâmetros e mensagens).',
  groupsShown: (groups: number) => `${plural(groups, 'grupo', 'grupos')} nesta página`,
  moreGroups: (from: number, to: number) =>
    `Há mais grupos do que estes: esta página mostra os grupos ${from}–${to}, os vistos por último primeiro. Veja os demais em "Próximas →" ou filtre.`,
  groupsTooLarge: (max: number) =>
    `Os grupos selecionados somam mais de ${max} jobs: só os ${max} primeiros foram incluídos. Use "Reprocessar todos os que falharam neste filtro" para o restante.`,
  exportCsv: 'Exportar CSV',
  csvHeaders: [
    'Job',
    'Fila',
    'Nome do job',
    'Empresa',
    'Filial',
    'Integração',
    'Cliente',
    'Parâmetros',
    'Estado',
    'Tentativas',
    'Código da falha',
    'Motivo',
    'Mensagem técnica',
    'Atualizado em',
    // The raw id last: the columns before keep their places for a spreadsheet built on them.
    'Id do job',
  ] as readonly string[],
  showing: (from: number, to: number) => `mostrando ${from}–${to}`,
  previousPage: '← Anteriores',
  nextPage: 'Próximas →',
  allStatuses: 'todas',
  bulkConfirmTitle: 'Confirmar reprocessamento',
  bulkConfirm: (n: number, queues: readonly string[] = []) =>
    n === 0
      ? 'Nenhum job que falhou neste filtro pode ser reprocessado; nada a reprocessar.'
      : `Reprocessar ${plural(n, 'job que falhou', 'jobs que falharam')} neste filtro? ${byQueue(queues, RETRY_EFFECTS_PT)}`,
  groupsConfirm: (n: number, queues: readonly string[] = []) =>
    `Reprocessar ${plural(n, 'job que falhou', 'jobs que falharam')} nos grupos e linhas selecionados? ${byQueue(queues, RETRY_EFFECTS_PT)}`,
  bulkHeld: (n: number) =>
    `${n === 1 ? '1 deles falhou' : `${n} deles falharam`} com registro retido (SET_RECORD_HELD: o ERP já aceitou o registro e nada foi gravado no CRM): reprocessar libera o registro e o envia de novo ao ERP, o que pode duplicá-lo lá. Confira no ERP antes de confirmar.`,
  bulkFirst: (shown: number, n: number) => (shown < n ? `Os primeiros ${shown} de ${n}:` : 'Jobs:'),
  bulkCountChanged: (expected: number, found: number) =>
    `Nada foi reprocessado: o filtro agora encontra ${plural(found, 'job que falhou', 'jobs que falharam')} a reprocessar, não ${expected === 1 ? 'o 1 confirmado' : `os ${expected} confirmados`}. Confira a lista e confirme de novo.`,
  confirm: 'Confirmar',
  technicalDetails: 'Detalhes técnicos',
  contact: 'Contato',
  auditFields: {
    modo: 'modo',
    empresaId: 'empresa',
    integracaoId: 'integração',
    fila: 'fila',
    estados: 'estado',
    desde: 'desde',
    ate: 'até',
    texto: 'busca',
    falhou: 'falhas',
    cancelada: 'canceladas',
    feitos: 'feitos',
    done: 'feitos',
    resultado: 'resultado',
    status: 'status HTTP',
    skipped: 'ignorados',
    notFound: 'não encontrados',
    jobsLiberados: 'jobs liberados',
    agendamentos: 'agendamentos',
  } as Record<string, string>,
  auditModes: { um: 'um job', selecao: 'seleção', filtro: 'filtro' } as Record<string, string>,
  customer: 'Cliente',
  rebuiltRequest: 'Requisição reconstruída agora com os dados atuais (não é a que foi enviada; a enviada está nas tentativas acima)',
  receptorUnreachable:
    'O sistema receptor (ERP) não pôde ser alcançado agora: a requisição não foi reconstruída; a consulta acima não depende dele.',
  previewFailed: 'Não foi possível montar a consulta desta integração agora.',
  previewFailedBecause: (reason: string) => `Não foi possível montar a consulta desta integração agora: ${reason}.`,
  /** `sent`: the job has attempts listed above (the record was pushed before it went). */
  previewRecordGone: (parametros: string | undefined, sent: boolean) =>
    `A consulta desta integração não encontra mais o registro deste job${parametros ? ` (${parametros})` : ''}: ${sent ? 'ele foi excluído ou deixou de atender à consulta depois do envio, então a requisição não pode ser remontada. O que foi enviado está nas tentativas acima.' : 'ele foi excluído ou não atende à consulta, então não há requisição a remontar.'}`,
  scheduledRun: (integracao: string, time: string) => `agendamento de ${integracao} às ${time}`,
  recoveredDelivery: 'recuperado (entregue depois)',
  unwordedFailure: 'falha sem descrição no catálogo: veja os detalhes técnicos',
  cancel: 'Cancelar',
  validate: 'Validar',
  sync: 'Sincronizar',
  validation: (id: number, ok: boolean) =>
    ok ? `Validação do serviço #${id}: tudo certo.` : `Validação do serviço #${id}: há o que corrigir (abaixo).`,
  syncEnqueued: (id: number, job: string) => `Sincronização do serviço #${id} enfileirada (job get/${job}).`,
  recordErrorsOmitted: (n: number) => `… e mais ${plural(n, 'erro', 'erros')}.`,
  webhookTest: 'Testar',
  webhookTestOk: (id: number, message: string) => `Teste do endpoint #${id}: ${message}`,
  webhookTestFailed: (id: number, message: string) => `Teste do endpoint #${id} falhou: ${message}`,
  circuit: 'Circuito',
  circuitStates: { fechado: 'fechado', aberto: 'aberto', meio_aberto: 'meio-aberto (próxima entrega testa o endpoint)' } as Record<
    string,
    string
  >,
  circuitOpenUntil: (until: string) => `até ${until}`,
  circuitFailures: (n: number) => plural(n, 'falha seguida', 'falhas seguidas'),
  /** A bar's counts in the overview's chart. */
  hourCounts: (ok: number, failed: number) => `${plural(ok, 'sucesso', 'sucessos')}, ${plural(failed, 'falha', 'falhas')}`,
  circuitUnknown: 'desconhecido (Redis não respondeu)',
  allIntegrations: 'todas',
  allTenants: 'todas',
  noTenantsVisible: 'Sua sessão não vê nenhuma empresa: peça a um administrador que atribua empresas ao seu operador.',
  noWebhooksAnywhere: (n: number) =>
    `${n === 1 ? 'A empresa que você vê não tem' : `Nenhuma das ${plural(n, 'empresa', 'empresas')} que você vê tem`} endpoints de webhook cadastrados (crie um com POST /v1/webhooks ou "integrador webhooks create").`,
  noWebhooksIn: (empresa: string) =>
    `A empresa ${empresa} não tem endpoints de webhook cadastrados (crie um com POST /v1/webhooks ou "integrador webhooks create").`,
  webhooksElsewhere: 'Empresas com endpoints de webhook:',
  noSuchEndpoint: (id: number, empresa: string) => `A empresa ${empresa} não tem o endpoint de webhook #${id}.`,
  deletedEndpoint: (id: number) => `Endpoint excluído (#${id})`,
  deletedEndpointNote:
    'Este endpoint de webhook foi excluído: nada mais é enviado a ele. As entregas abaixo ficam visíveis até o fim da retenção (RETENTION_WEBHOOKS_DAYS); para enviar de novo a esse destino, cadastre-o como um novo webhook.',
  noDeliveriesYet: 'Nenhuma entrega ainda: nenhuma mudança de um gatilho deste endpoint foi publicada.',
  noDeliveriesWithStatus: (status: string) => `Nenhuma entrega com status ${status} entre as deste endpoint.`,
  moreTenantsWithWebhooks: (shown: number, total: number) =>
    `Mostrando ${shown} de ${total} empresas com endpoints de webhook: escolha uma empresa no filtro para ver as demais.`,
  noCallsAnywhere: (n: number) =>
    `${n === 1 ? 'A empresa que você vê não tem' : `Nenhuma das ${plural(n, 'empresa', 'empresas')} que você vê tem`} ligações registradas: as ligações aparecem quando a central (PABX) envia eventos ao hub ou quando um agente usa o clique para ligar.`,
  noCallsIn: (empresa: string) =>
    `A empresa ${empresa} não tem ligações registradas: as ligações aparecem quando a central (PABX) envia eventos ao hub ou quando um agente usa o clique para ligar.`,
  noCallsMatchingIn: (empresa: string) => `Nenhuma ligação da empresa ${empresa} com esses filtros.`,
  noCallsMatchingAnywhere: (n: number) =>
    `Nenhuma ligação com esses filtros ${n === 1 ? 'na empresa' : `nas ${plural(n, 'empresa', 'empresas')}`} que você vê.`,
  noCallsMatchingYet:
    'Nenhuma ligação com esses filtros entre as lidas até agora: cada página lê um número limitado de ligações; continue em “Mais antigas” para ler as anteriores.',
  callsNumberNeedsEmpresa:
    'Para buscar um telefone, escolha uma empresa no filtro: sem empresa a busca leria as ligações de todas as empresas.',
  /** A job's attempts: all its sends when a retry ran them again (BullMQ counts a retried run from 1), and this run's. */
  attemptsCount: (total: number, run: number, max: number) =>
    total > run ? `${plural(total, 'tentativa', 'tentativas')} (${run}/${max} nesta execução)` : `${run}/${max}`,
  /** A job running again (a retry): the error shown is its previous attempt's, not this run's. */
  previousError: 'Erro da tentativa anterior',
  /** A record of a job's outbox, named by its key (`id4`) when the job names no customer. */
  outboxRecord: (key: string) => `registro ${key}`,
  /** A record's outbox state once its job has ended (no attempt under way): what it means and what a retry does. */
  endedSendStatuses: {
    pendente: 'não enviado — reprocessar envia',
    enviando:
      'resultado desconhecido: o ERP pode ter recebido o registro (a resposta não foi lida) — reprocessar reenvia só se o registro leva uma chave que o ERP reconhece; senão, confira no ERP',
    enviado: 'aceito pelo ERP, resposta não gravada no CRM — reprocessar grava sem reenviar',
    concluido: 'concluído',
    falhou: 'recusado — reprocessar envia de novo',
  } as Record<string, string>,
  noSchedule: (id: number) =>
    `A integração #${id} não tem agendamento (sem cron, inativa ou componente): não há o que pausar. Ela só roda quando alguém a executa.`,
};

/** Why a retry left some jobs alone (actions.ts SKIP_REASONS), with how many, in pt-BR. */
function skipReasonPt(reason: string, n: number): string {
  switch (reason) {
    case WEBHOOK_DELIVERED_NO_RETRY:
      return `${plural(n, 'já entregue', 'já entregues')} depois (por um reenvio ou uma recuperação): nada a enviar de novo`;
    case WEBHOOK_ENDPOINT_DISABLED_NO_RETRY:
      return `${n} com o endpoint do webhook desativado (reative-o e use "Recuperar falhas desde" na página Webhooks)`;
    case WEBHOOK_ENDPOINT_DELETED_NO_RETRY:
      return `${n} com o endpoint do webhook excluído (nada seria enviado)`;
    case NOT_RETRYABLE_CLICK:
      return `${plural(n, 'click-to-call', 'click-to-calls')} (o clique expirou: o agente clica de novo)`;
    default:
      return `${plural(n, 'já não estava em falha', 'já não estavam em falha')} (reprocessado ou concluído enquanto isso)`;
  }
}

/** skipReasonPt in English. */
function skipReasonEn(reason: string, n: number): string {
  switch (reason) {
    case WEBHOOK_DELIVERED_NO_RETRY:
      return `${n} delivered since (by a resend or a recover): nothing to send again`;
    case WEBHOOK_ENDPOINT_DISABLED_NO_RETRY:
      return `${n} whose webhook endpoint is disabled (re-enable it and use "Recover failures since" on the Webhooks page)`;
    case WEBHOOK_ENDPOINT_DELETED_NO_RETRY:
      return `${n} whose webhook endpoint was deleted (nothing would be sent)`;
    case NOT_RETRYABLE_CLICK:
      return `${plural(n, 'click-to-call', 'click-to-calls')} (the click has expired: the agent clicks again)`;
    default:
      return `${n} no longer failed (retried or completed meanwhile)`;
  }
}

type Messages = typeof PT;

const EN: Messages = {
  title: 'Operations dashboard',
  login: 'Log in',
  logout: 'Log out',
  loginField: 'User',
  password: 'Password',
  badLogin: 'Invalid user or password.',
  tooManyLogins: (seconds) => `Too many login attempts from this address; try again in ${seconds} s.`,
  loginLocked: (minutes) => `Too many failed attempts for this user; try again in ${minutes} min.`,
  loginCsrf: 'The login form has expired; reload the page and log in again.',
  loginCounterUnavailable:
    'The login attempt counter (Redis) is unavailable right now; no one logs in until it is back. Try again in a moment.',
  apiUnauthorized: 'Missing or invalid API key: send the header Authorization: Bearer <key> (or log in to the dashboard).',
  invalidJson: 'The request body is not valid JSON.',
  badField: (field, expected) => `Invalid field ${field}: expected ${expected}.`,
  internalError: 'internal error',
  queueUnavailable: 'The queue (Redis) is not available now; nothing was changed. Try again in a moment.',
  requestRefused: (status, code) => `The request was refused (HTTP ${status}, ${code}).`,
  expectedOneOf: (values) => `one of ${values}`,
  expectedDate: 'an ISO 8601 date (YYYY-MM-DD or YYYY-MM-DDThh:mm, zone optional)',
  expectedInteger: 'an integer',
  expectedId: 'an id (an integer from 1 to 2147483647)',
  expectedIntegerWithin: (min, max) =>
    min !== undefined && max !== undefined
      ? `an integer from ${min} to ${max}`
      : min !== undefined
        ? `an integer of at least ${min}`
        : `an integer of at most ${max}`,
  expectedSingle: 'a single value (the parameter was repeated)',
  expectedJobRef: "a job's queue/id (up to 200 characters, no control characters)",
  expectedSearchText: (max) =>
    `a text of up to ${max} characters, without a control character (NUL, U+0001–U+001F other than tab and line breaks, U+007F–U+009F)`,
  expectedDateTime: "a date and time YYYY-MM-DDThh:mm in the dashboard's time zone, e.g. 2026-12-01T09:00",
  expectedZonedDateTime:
    'an ISO 8601 date-time with its time zone, e.g. 2026-12-01T09:00:00-03:00 or 2026-12-01T12:00:00Z (without one, the instant would be ambiguous)',
  overview: 'Overview',
  failures: 'Failures',
  schedules: 'Schedules',
  services: 'Endpoint services',
  connections: 'Connections',
  connectionKind: 'Kind',
  connectionFile: 'Connections file',
  connectionFileStates: { defined: 'defined', missing: 'missing from the file', restricted: 'restricted to another tenant' },
  integrations: 'Integrations',
  testConnection: 'Test connection',
  connectionSteps: {
    reachability: 'reachability (DNS and TCP)',
    file: 'file',
    tls: 'TLS',
    login: 'login',
    query: 'test query',
    version: 'version',
  },
  connectionTestOk: (name, version) => `Connection "${name}" ok${version ? ` (${version})` : ''}: every step below worked.`,
  connectionTestFailed: (name, reason) => `Connection "${name}" failed: ${reason}`,
  connectionNotTestable: (name, state) =>
    state === 'restricted'
      ? `Connection "${name}" is restricted to another tenant by the connections file: this tenant may neither use nor test it.`
      : `Connection "${name}" is not in this process's connections file (CONNECTIONS_FILE): nothing was tested.`,
  audit: 'Audit log',
  rawQueues: 'Queues (raw)',
  tenant: 'Tenant',
  integration: 'Integration',
  queue: 'Queue',
  state: 'State',
  since: 'Since',
  until: 'Until',
  search: 'Search',
  searchPlaceholder: 'error text, customer, CNPJ/CPF, contaId=42…',
  filter: 'Filter',
  job: 'Job',
  attempts: 'Attempts',
  retakenAfterStall: (times, queue) =>
    `taken back ${times === 1 ? 'once' : `${times} times`} after its worker stopped mid-run (not counted as an attempt): ${byQueue(
      [queue],
      {
        set: 'records of the interrupted run may have been sent again — see the attempts below',
        get: 'the source was read again and written to the CRM again; nothing is sent to the source',
        webhook: 'the delivery may have been sent to the webhook endpoint again',
        cti: 'the request to the PBX may have been made again',
        other: 'the job ran again',
      },
    )}`,
  error: 'Error',
  updatedAt: 'Updated',
  retry: 'Retry',
  retrySelected: 'Retry selected',
  retryAll: 'Retry every failed job matching this filter',
  discard: 'Discard',
  runNow: 'Run now',
  pause: 'Pause',
  resume: 'Resume',
  paused: 'paused',
  pauseTenant: 'Pause tenant',
  resumeTenant: 'Resume tenant',
  tenantPaused: 'tenant paused: schedules stopped and queued jobs are not taken',
  calls: 'Calls',
  phone: 'Phone',
  ramal: 'Extension',
  agent: 'Agent (extension)',
  noStart: 'no start',
  noStartTitle: 'the PBX sent the end of this call but not its start: there is no duration, and the time is the end’s',
  direction: 'Direction',
  start: 'Start',
  duration: 'Duration (s)',
  recording: 'Recording',
  listen: 'listen',
  webhooks: 'Webhooks',
  endpoint: 'Endpoint',
  deliveries: 'Deliveries',
  trigger: 'Trigger',
  resend: 'Resend',
  recover: 'Recover failures since',
  recoverButton: 'Resend the failures',
  webhookRecord: (id) => `record #${id}`,
  httpStatus: 'HTTP',
  more: 'Older',
  runs: 'Runs',
  successes: 'Successes',
  failed: 'Failures',
  retriesPending: 'Retries pending',
  delayed: 'Delayed (limit)',
  blocked: 'Blocked (dependency)',
  active: 'Running',
  lastHour: 'Last hour',
  lastDay: 'Last 24 h',
  noRows: 'Nothing found.',
  empresaWideJob: 'empresa-wide',
  notChangeableByFilial:
    "A job of the whole empresa: this filial key may see it, but retries or discards only its own filial's jobs. Use a key of the empresa or ask an operator.",
  total: 'Total',
  parameters: 'Parameters',
  request: 'Request sent (secrets masked)',
  response: 'Response',
  consulta: 'Query with bound values',
  dependencies: 'Dependency chain',
  log: 'Log',
  technicalLine: 'technical',
  who: 'Who',
  when: 'When',
  what: 'What',
  howMany: 'How many',
  target: 'Target',
  nextRun: 'Next run',
  lastResult: 'Last result',
  status: 'Status',
  reason: 'Reason',
  readOnly: 'Read-only',
  nextAttempt: (when, n, max) => `next attempt (${n} of ${max}): ${when}`,
  nextRunAt: (when) => `runs again: ${when}`,
  filial: 'Filial',
  allFiliais: 'all (and the whole empresa)',
  discardConfirmTitle: 'Confirm discard',
  discardConfirm: (n) =>
    `Discard ${plural(n, 'job', 'jobs')}? ${n === 1 ? 'It' : 'They'} will not be retried any more: what was not sent to the target system stays unsent.`,
  discarded: (n) => `${plural(n, 'job', 'jobs')} discarded.`,
  noneSelected: 'No job selected; nothing was done.',
  pauseConfirmTitle: 'Confirm pause',
  pauseConfirm: (empresa) =>
    `Pause tenant ${empresa}? Its schedules stop and its queued jobs (SET, GET, webhooks and CTI) are not taken until it is resumed.`,
  tenantPausedDone: (empresa) => `Tenant ${empresa} paused.`,
  tenantResumedDone: (empresa) => `Tenant ${empresa} resumed.`,
  pausedTenants: 'Paused tenants (schedules stopped; queued jobs run only once they are resumed):',
  pausedWithTenant: 'paused with its tenant (resume the tenant)',
  done: (n: number) => `Action recorded: ${plural(n, 'job', 'jobs')}.`,
  retryOutcome: (done, skipped, notFound) => {
    const total = skipped.reduce((sum, [, n]) => sum + n, 0);
    const why = skipped.map(([reason, n]) => skipReasonEn(reason, n)).join('; ');
    return `Action recorded: ${plural(done, 'job', 'jobs')} retried${total ? `; ${total} not retried: ${why}` : ''}${notFound ? `; ${notFound} not found (no longer there, or not of a tenant you see)` : ''}.`;
  },
  bulkRefused: (skipped) => {
    const total = skipped.reduce((sum, [, n]) => sum + n, 0);
    const why = skipped.map(([reason, n]) => skipReasonEn(reason, n)).join('; ');
    return `${plural(total, 'failed job is', 'failed jobs are')} left out of the count and will not be retried: ${why}.`;
  },
  doneDeliveries: (n: number) => `Action recorded: ${plural(n, 'webhook delivery', 'webhook deliveries')}.`,
  scheduleDone: (id: number, paused: boolean) => `Schedule of integracao #${id} ${paused ? 'paused' : 'resumed'}.`,
  runQueued: (id: number, job: string) => `Run of integracao #${id} queued: job ${job}.`,
  notFound: 'Not found.',
  notFoundJobs: (n) => `${plural(n, 'job', 'jobs')} not found (no longer there, or not of a tenant you see).`,
  forbidden: 'Your role does not allow this action.',
  csrf: 'Invalid security token; reload the page.',
  states: {
    ativo: 'running',
    concluido: 'completed',
    falhou: 'failed',
    aguardando_retentativa: 'waiting to retry',
    adiado: 'delayed',
    bloqueado: 'blocked',
    descartado: 'discarded',
  },
  scheduleStatuses: { scheduled: 'scheduled', pending: 'waiting for sync', not_scheduled: 'not scheduled', paused: 'paused' },
  runStatuses: { executando: 'running', concluido: 'completed', falhou: 'failed' },
  serviceStatuses: { nunca_executado: 'never run', ok: 'ok', falha: 'failed' },
  sendStatuses: { pendente: 'pending', enviando: 'sending', enviado: 'sent', concluido: 'completed', falhou: 'failed' },
  directions: { entrada: 'inbound', saida: 'outbound', interna: 'internal' },
  deliveryStatuses: { pendente: 'pending', entregue: 'delivered', falhou: 'failed', cancelada: 'cancelled' },
  attemptOrigins: { automatica: 'automatic', manual: 'manual' },
  endpointActive: 'active',
  endpointInactive: 'disabled',
  roles: { admin: 'admin', operador: 'operator', leitor: 'reader' },
  auditActions: {
    retry: 'retry',
    discard: 'discard',
    'run-now': 'run now',
    'pause-schedule': 'pause schedule',
    'resume-schedule': 'resume schedule',
    'pause-tenant': 'pause tenant',
    'resume-tenant': 'resume tenant',
    'webhook-resend': 'resend webhook',
    'webhook-recover': 'recover webhooks',
    'webhook-test': 'test webhook',
    'endpoint-sync': 'sync service',
    'endpoint-validate': 'validate service',
    'connection-test': 'test connection',
  },
  name: 'Name',
  system: 'system',
  account: 'Account',
  jobStateRefused: (action, job, estado) =>
    action === 'retry' && estado === NOT_RETRYABLE_CLICK
      ? `Job ${job} was not retried: a failed click-to-call is not retried (the click has expired and a new attempt could only fail again); ask the agent to click again.`
      : action === 'retry' && estado === WEBHOOK_DELIVERED_NO_RETRY
        ? `Job ${job} was not retried: its webhook delivery has been delivered since (by a resend or a recover); nothing to send again.`
        : action === 'retry' && estado === WEBHOOK_ENDPOINT_DISABLED_NO_RETRY
          ? `Job ${job} was not retried: its webhook endpoint is still disabled, so nothing would be sent; re-enable the endpoint (PATCH /v1/webhooks/:id with {"ativo": true}), then use "Recover failures since" on the Webhooks page to resend its deliveries.`
          : action === 'retry' && estado === WEBHOOK_ENDPOINT_DELETED_NO_RETRY
            ? `Job ${job} was not retried: its webhook endpoint was deleted, so nothing would be sent. Its deliveries stay on the Webhooks page, under "Deleted endpoints", until the retention period ends; to send to that receiver again, register it as a new webhook.`
            : action === 'retry'
              ? `Job ${job} was not retried: it is ${estado}; only a failed job can be retried.`
              : `Job ${job} was not discarded: it is ${estado}; only a failed job can be discarded.`,
  extension: 'Available once the module is installed.',
  allStates: 'all',
  timeZone: (zone) => `Times in ${zone}`,
  searchHint:
    "key=value (e.g. contaId=14) matches the whole value; a customer's name (accents and case ignored) or CNPJ/CPF, with or without punctuation, finds their failures; other text, any part.",
  failureCode: 'Failure code',
  expectedFailureCode: 'a failure code (letters, digits, _ . : -, up to 100 characters) or - for none',
  expectedGroup: 'a tenant/integration/code group (e.g. 3/19/RECEPTOR_ERROR)',
  groupRepeated: 'Group repeated failures',
  occurrences: 'Occurrences',
  firstSeen: 'First',
  lastSeen: 'Last',
  openGroup: (n) => (n === 1 ? 'see the run' : `see the ${n} runs`),
  noIntegration: 'no integration',
  customerSearchNeedsEmpresa:
    "Searching by a customer's name or CNPJ/CPF looks within one tenant: choose the tenant in the filter to find the customer's failures. Across every tenant the text was searched only in the failures themselves (parameters and messages).",
  groupsShown: (groups) => `${plural(groups, 'group', 'groups')} on this page`,
  moreGroups: (from, to) =>
    `There are more groups than these: this page shows groups ${from}–${to}, the ones seen last first. See the others with "Next →" or filter.`,
  groupsTooLarge: (max) =>
    `The selected groups hold more than ${max} jobs: only the first ${max} were included. Use "Retry every failed job matching this filter" for the rest.`,
  exportCsv: 'Export CSV',
  csvHeaders: [
    'Job',
    'Queue',
    'Job name',
    'Tenant',
    'Branch',
    'Integration',
    'Customer',
    'Parameters',
    'State',
    'Attempts',
    'Failure code',
    'Reason',
    'Technical message',
    'Updated at',
    'Job id',
  ],
  showing: (from, to) => `showing ${from}–${to}`,
  previousPage: '← Previous',
  nextPage: 'Next →',
  allStatuses: 'all',
  bulkConfirmTitle: 'Confirm retry',
  bulkConfirm: (n, queues = []) =>
    n === 0
      ? 'No failed job matching this filter can be retried; nothing to retry.'
      : `Retry ${plural(n, 'failed job', 'failed jobs')} matching this filter? ${byQueue(queues, RETRY_EFFECTS_EN)}`,
  groupsConfirm: (n, queues = []) =>
    `Retry ${plural(n, 'failed job', 'failed jobs')} of the selected groups and rows? ${byQueue(queues, RETRY_EFFECTS_EN)}`,
  bulkHeld: (n) =>
    `${n === 1 ? '1 of them' : `${n} of them`} failed holding back a record (SET_RECORD_HELD: the ERP already accepted the record and nothing was written to the CRM): retrying releases the record and sends it to the ERP again, which may duplicate it there. Check the ERP before confirming.`,
  bulkFirst: (shown, n) => (shown < n ? `The first ${shown} of ${n}:` : 'Jobs:'),
  bulkCountChanged: (expected, found) =>
    `Nothing was retried: the filter now finds ${plural(found, 'failed job', 'failed jobs')} to retry, not the ${expected} confirmed. Check the list and confirm again.`,
  confirm: 'Confirm',
  technicalDetails: 'Technical details',
  contact: 'Contact',
  auditFields: {
    modo: 'mode',
    empresaId: 'tenant',
    integracaoId: 'integration',
    fila: 'queue',
    estados: 'state',
    desde: 'since',
    ate: 'until',
    texto: 'search',
    falhou: 'failed',
    cancelada: 'cancelled',
    feitos: 'done',
    done: 'done',
    resultado: 'result',
    status: 'HTTP status',
    skipped: 'skipped',
    notFound: 'not found',
    jobsLiberados: 'jobs released',
    agendamentos: 'schedules',
  },
  auditModes: { um: 'one job', selecao: 'selection', filtro: 'filter' },
  customer: 'Customer',
  rebuiltRequest: "Request rebuilt now from today's data (not the one sent; the one sent is in the attempts above)",
  receptorUnreachable: 'The receptor (ERP) could not be reached now: the request was not rebuilt; the query above does not depend on it.',
  previewFailed: "This integration's query could not be built now.",
  previewFailedBecause: (reason) => `This integration's query could not be built now: ${reason}.`,
  previewRecordGone: (parametros, sent) =>
    `This integration's query no longer finds this job's record${parametros ? ` (${parametros})` : ''}: ${sent ? 'it was deleted or stopped matching the query after it was sent, so the request cannot be rebuilt. What was sent is in the attempts above.' : 'it was deleted or does not match the query, so there is no request to rebuild.'}`,
  scheduledRun: (integracao, time) => `scheduled run of ${integracao} at ${time}`,
  recoveredDelivery: 'recovered (delivered later)',
  unwordedFailure: 'a failure the catalogue does not describe: see the technical details',
  cancel: 'Cancel',
  validate: 'Validate',
  sync: 'Sync',
  validation: (id, ok) => (ok ? `Validation of service #${id}: all good.` : `Validation of service #${id}: something to fix (below).`),
  syncEnqueued: (id, job) => `Sync of service #${id} enqueued (job get/${job}).`,
  recordErrorsOmitted: (n) => `… and ${plural(n, 'more error', 'more errors')}.`,
  webhookTest: 'Test',
  webhookTestOk: (id, message) => `Test of endpoint #${id}: ${message}`,
  webhookTestFailed: (id, message) => `Test of endpoint #${id} failed: ${message}`,
  circuit: 'Circuit',
  circuitStates: { fechado: 'closed', aberto: 'open', meio_aberto: 'half-open (the next delivery tries the endpoint)' },
  circuitOpenUntil: (until) => `until ${until}`,
  circuitFailures: (n) => `${plural(n, 'failure', 'failures')} in a row`,
  hourCounts: (ok, failed) => `${plural(ok, 'success', 'successes')}, ${plural(failed, 'failure', 'failures')}`,
  circuitUnknown: 'unknown (Redis did not answer)',
  allIntegrations: 'all',
  allTenants: 'all',
  noTenantsVisible: 'Your session sees no tenant: ask an administrator to assign tenants to your operator.',
  noWebhooksAnywhere: (n) =>
    `${n === 1 ? 'The tenant you see has no' : `None of the ${plural(n, 'tenant', 'tenants')} you see has`} webhook endpoints (create one with POST /v1/webhooks or "integrador webhooks create").`,
  noWebhooksIn: (empresa) =>
    `Tenant ${empresa} has no webhook endpoints (create one with POST /v1/webhooks or "integrador webhooks create").`,
  webhooksElsewhere: 'Tenants with webhook endpoints:',
  noSuchEndpoint: (id, empresa) => `Tenant ${empresa} has no webhook endpoint #${id}.`,
  deletedEndpoint: (id) => `Deleted endpoint (#${id})`,
  deletedEndpointNote:
    'This webhook endpoint was deleted: nothing is sent to it any more. The deliveries below stay visible until the retention period ends (RETENTION_WEBHOOKS_DAYS); to send to that receiver again, register it as a new webhook.',
  noDeliveriesYet: 'No deliveries yet: no change of a gatilho of this endpoint has been published.',
  noDeliveriesWithStatus: (status) => `No delivery of this endpoint has status ${status}.`,
  moreTenantsWithWebhooks: (shown, total) =>
    `Showing ${shown} of ${total} tenants with webhook endpoints: pick a tenant in the filter to see the others.`,
  noCallsAnywhere: (n) =>
    `${n === 1 ? 'The tenant you see has no' : `None of the ${plural(n, 'tenant', 'tenants')} you see has`} calls logged: calls appear when the PBX sends its events to the hub or an agent uses click-to-call.`,
  noCallsIn: (empresa) =>
    `Tenant ${empresa} has no calls logged: calls appear when the PBX sends its events to the hub or an agent uses click-to-call.`,
  noCallsMatchingIn: (empresa) => `No call of tenant ${empresa} matches these filters.`,
  noCallsMatchingAnywhere: (n) =>
    `No call matches these filters in ${n === 1 ? 'the tenant' : `the ${plural(n, 'tenant', 'tenants')}`} you see.`,
  noCallsMatchingYet:
    'No call matches these filters among those read so far: each page reads a bounded number of calls; continue with “Older” to read the earlier ones.',
  callsNumberNeedsEmpresa: "To search a number, choose a tenant in the filter: without one the search would read every tenant's calls.",
  attemptsCount: (total, run, max) =>
    total > run ? `${plural(total, 'attempt', 'attempts')} (${run}/${max} in this run)` : `${run}/${max}`,
  previousError: "Previous attempt's error",
  outboxRecord: (key) => `record ${key}`,
  endedSendStatuses: {
    pendente: 'not sent — retrying sends it',
    enviando:
      'outcome unknown: the ERP may have received the record (its answer was not read) — retrying resends it only if the record carries a key the ERP knows it by; otherwise check in the ERP',
    enviado: 'accepted by the ERP, answer not written to the CRM — retrying writes it without sending again',
    concluido: 'completed',
    falhou: 'refused — retrying sends it again',
  },
  noSchedule: (id) =>
    `Integration #${id} has no schedule (no cron, inactive or a componente): there is nothing to pause. It runs only when someone runs it.`,
};

/** The dashboard's texts in one locale (the shared mechanism of packages/i18n: both locales have every entry). */
export const messages = defineTexts<Messages>({ 'pt-BR': PT, en: EN });

/** The locale a request asks for: ?lang=, then the operator's preference, then Accept-Language. */
export function pickLocale(query: string | undefined, preference: string | undefined, acceptLanguage: string | undefined): Locale {
  return localeFromAcceptLanguage(query ?? preference ?? acceptLanguage);
}

/** A stored code (a status, a state, an action) in the reader's words; a code the table does not know shows as stored. */
export function word(table: Readonly<Record<string, string>>, code: string | null | undefined): string {
  if (code === null || code === undefined) return '';
  return Object.hasOwn(table, code) ? (table[code] as string) : code;
}

/** A job's state in the reader's words: a recorded state (registro_jobs) or BullMQ's (@integrador/queue's names); undefined for neither. */
export function jobStateWord(locale: Locale, code: string): string | undefined {
  if (
    code === NOT_RETRYABLE_CLICK ||
    code === WEBHOOK_DELIVERED_NO_RETRY ||
    code === WEBHOOK_ENDPOINT_DISABLED_NO_RETRY ||
    code === WEBHOOK_ENDPOINT_DELETED_NO_RETRY
  )
    return code;
  const t = messages(locale);
  if (Object.hasOwn(t.states, code)) return t.states[code];
  const live = jobStateName(locale, code);
  return live === code ? undefined : live;
}

/** A timestamp in the operator's time zone and language. */
export function formatTime(value: Date | string | null | undefined, locale: Locale, timeZone: string): string {
  if (!value) return '—';
  const date = value instanceof Date ? value : new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value.replace(' ', 'T')}Z`);
  if (Number.isNaN(date.getTime())) return String(value);
  return dateTimeFormat(locale, timeZone, true).format(date);
}

/**
 * A date and time as the dashboard writes them: pt-BR's 06/12/2026, 08:30:15; English as "6 Dec 2026, 08:30:15" (a
 * US "12/6/26, 8:30 AM" reads as 12 June to a Brazilian team sharing the screen). `seconds` false: to the minute.
 */
export function dateTimeFormat(locale: Locale, timeZone: string, seconds: boolean): Intl.DateTimeFormat {
  if (locale === 'en')
    return new Intl.DateTimeFormat('en-GB', {
      timeZone,
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      ...(seconds ? { second: '2-digit' } : {}),
      hourCycle: 'h23',
    });
  return new Intl.DateTimeFormat(locale, { timeZone, dateStyle: 'short', timeStyle: seconds ? 'medium' : 'short' });
}
