import { DEFAULT_LOCALE, defineTexts, LOCALES, type Locale, plural } from '@integrador/i18n';
import { soapWrapperMessage } from '@integrador/integrador';
import type { GetRunResult } from '@integrador/jobs';
import { JOB_FAILURE_REASONS, JOB_FAILURE_REASONS_WITH_VALUES, jobStateName, recordKeyText } from '@integrador/queue';
import type { MissingSoapWrapper } from '@integrador/transports';
import { type Argument, type Command, Help, type HelpConfiguration, type Option } from 'commander';

/** What `run --wait` prints of a finished GET pull. */
type GetRunCounts = Pick<GetRunResult, 'rowsRead' | 'rowsWritten' | 'rowsSkipped' | 'rowsMarkedDeleted' | 'cursor'>;

export type { Locale } from '@integrador/i18n';
export { DEFAULT_LOCALE, LOCALES };

/** What the demo seeding did, for its summary line. */
export interface DemoSummary {
  empresaId: number;
  created: boolean;
  counts: {
    filiais: number;
    cidades: number;
    contas: number;
    contatos: number;
    usuarios: number;
    oportunidades: number;
    atividades: number;
    eventos: number;
    integracoes: number;
  };
}

/** One crm-change call that fires a webhook gatilho on the demo's records (seed-demo's listing). */
export interface DemoGatilho {
  gatilho: string;
  tabela: string;
  id: number;
  operacao: string;
}

/** One of the demo tenant's integrations, as seed-demo lists it (the ids preview/run take). */
export interface DemoIntegration {
  id: number;
  nome: string;
  tipoServico: string;
  /** A component (link 'componente'): nested in another integration's request, not run by itself. */
  componente: boolean;
  /** Whether it is active (an inactive one is not run, so the try-it line never names it). */
  ativa: boolean;
}

/** Every text the CLI shows a user, in one locale. */
export interface Messages {
  errorPrefix: string;
  program: string;
  langOption: string;
  helpOption: string;
  versionOption: string;
  helpCommand: string;
  /** The help command's name and argument as the command list shows them. */
  helpCommandUsage: string;
  jsonOption: string;
  missingTables: string;
  newerSchema: (migration: string) => string;
  databaseUnreachable: (detail: string) => string;
  invalidId: (label: string, value: string) => string;
  invalidText: (label: string, max: number) => string;
  empresaNotFound: (id: number) => string;
  filialNotFound: (filialId: number, empresaId: number) => string;
  migrate: string;
  migrateDown: string;
  migrateYes: string;
  migrated: (names: readonly string[]) => string;
  upToDate: string;
  downNeedsYes: string;
  downDone: string;
  migrateStatus: string;
  statusWithDown: string;
  migrationApplied: (name: string, when: string) => string;
  migrationPending: (name: string) => string;
  migrationUnknown: (name: string) => string;
  migrationsPending: (count: number) => string;
  tenant: string;
  tenantCreate: string;
  tenantKey: string;
  tenantRevoke: string;
  documentoOption: string;
  filialNameOption: string;
  filialIdOption: string;
  keyNameOption: string;
  documentoTaken: (empresaId: number, documento: string) => string;
  empresaCreated: (id: number, nome: string) => string;
  filialCreated: (id: number, nome: string) => string;
  keyIssued: (name: string, prefix: string) => string;
  filialKeyIssued: (name: string, prefix: string, filialId: number) => string;
  filialKeyScope: (empresaId: number) => string;
  filialNameNotId: (value: string) => string;
  keyWarning: string;
  revoked: (count: number, prefix: string, empresaId: number) => string;
  nothingRevoked: (prefix: string, empresaId: number) => string;
  config: string;
  configLint: string;
  empresaOption: string;
  wsdlOption: string;
  noConnectionsFile: string;
  severity: Record<'error' | 'warning', string>;
  lintClean: string;
  lintSummary: (errors: number, warnings: number) => string;
  seedDemo: string;
  demoCreated: (summary: DemoSummary) => string;
  demoReused: (summary: DemoSummary) => string;
  /** How to lint the demo: with the fleet's own connections file when CONNECTIONS_FILE is set, else the example file. */
  demoLintHint: (empresaId: number, connectionsFile: string | undefined) => string;
  demoIntegrations: (empresaId: number, integrations: readonly DemoIntegration[]) => string;
  demoTryHint: (empresaId: number, integracaoId: number, contaId: number) => string;
  demoWebhookHint: (gatilhos: readonly DemoGatilho[]) => string;
  /** The demo usuários' ramais, for a CTI trial (the demo has no CTI settings of its own). */
  demoRamaisHint: (id: number, ramais: readonly { ramal: string; nome: string }[]) => string;
  run: string;
  preview: string;
  info: string;
  targetEmpresaOption: string;
  targetFilialOption: string;
  jobEmpresaOption: string;
  paramOption: string;
  waitOption: string;
  invalidParameter: (text: string) => string;
  integracaoNotFound: (id: number, empresaId: number) => string;
  integracaoInactive: (label: string) => string;
  integracaoIsComponent: (label: string) => string;
  unknownServiceType: (label: string, tipo: string) => string;
  connectionForbidden: (label: string, connection: string) => string;
  integracaoNotSet: (label: string, tipo: string) => string;
  integracaoNotInfo: (label: string, tipo: string) => string;
  missingParameters: (names: readonly string[]) => string;
  invalidRunParameter: (name: string, expected: string, value: string) => string;
  redisUnreachable: (address: string, detail: string) => string;
  enqueued: (integracaoId: number, jobId: string, queue: string) => string;
  /** A waited-for job's state; `retryAt`, when known, the time its next attempt runs. */
  jobState: (jobId: string, state: string, attemptsMade: number, failedReason: string | undefined, retryAt?: string) => string;
  /** `run --wait` interrupted (Ctrl-C): the job is not stopped, and where to follow it. */
  waitInterrupted: (queue: string, jobId: string) => string;
  jobCompleted: (jobId: string, message: string) => string;
  jobRecord: (key: string, values: Record<string, unknown>) => string;
  /** A record the ERP accepted whose answer left out indice_valor_retorno keys sql_update uses (nothing written back). */
  /** `held`: new pushes of the record are held back (known by its id); else a later run may send it again. */
  jobRecordMissingKeys: (key: string, keys: readonly string[], held: boolean) => string;
  getJobCompleted: (jobId: string, result: GetRunCounts) => string;
  jobFailed: (jobId: string, reason: string) => string;
  jobGone: (jobId: string) => string;
  /** `run --wait`: the job waits and no worker serves its queue (it keeps waiting). */
  noWorker: (queue: string, keyPrefix: string) => string;
  runRefused: (detail: string) => string;
  flowStep: (step: number, steps: number, integracaoId: number, nome: string, jobId: string, queue: string) => string;
  jobBlocked: (jobId: string, blocker: string, reason: string) => string;
  jobCommand: string;
  jobRetry: string;
  jobRetried: (queue: string, jobId: string) => string;
  jobNotFailed: (queue: string, jobId: string, state: string) => string;
  jobNotRetryable: (queue: string, jobId: string) => string;
  jobAlreadyDelivered: (queue: string, jobId: string) => string;
  jobEndpointDisabled: (queue: string, jobId: string) => string;
  jobEndpointDeleted: (queue: string, jobId: string) => string;
  jobNotFound: (queue: string, jobId: string, empresaId: number) => string;
  invalidQueue: (queue: string) => string;
  consultaHeader: string;
  noConsulta: string;
  previewRecord: (key: string, index: number, total: number, url: string) => string;
  /** A record whose request could not be built (the receptor's WSDL did not answer): its body follows. */
  previewRecordBody: (key: string, index: number, total: number) => string;
  /** After a preview's consulta and bodies: nothing answered at the WSDL's address of connection `connection`. */
  previewReceptorUnreachable: (url: string, connection: string) => string;
  nothingSent: (records: number) => string;
  /** The engine's one wording of a mapping that misses its WSDL's wrapper, marked as a warning. */
  missingWrapper: (porta: string, missing: MissingSoapWrapper) => string;
  infoValues: (nome: string) => string;
  receptorUnavailable: (detail: string) => string;
  integrationFailed: (label: string, detail: string) => string;
  /** The consulta found no row of the empresa for the given parametros (`given`: name=value, …). */
  noRecords: (label: string, given: string, empresaId: number) => string;
  /** A #var# without a value; `upstream` the step before it in its flow that hands it down (preview runs no such step). */
  missingVariable: (label: string, variable: string, upstream: string | null) => string;
  connections: string;
  connectionsTest: string;
  connectionNameArgument: string;
  connectionNotFound: (name: string, known: readonly string[]) => string;
  /** `connections test`: the tested entry itself is invalid (one line per problem). */
  connectionInvalid: (file: string, detail: string) => string;
  /** `connections test`: another entry of the file is invalid and was left out. */
  connectionSkipped: (detail: string) => string;
  connectionTestStep: (ok: boolean, step: string, ms: number, message: string) => string;
  connectionTestOk: (name: string, version: string | undefined) => string;
  connectionTestFailed: (name: string, code: string) => string;
}

/** A stored word (a step's id) in the reader's language; an unknown one as it is. */
const word = (words: Record<string, string>, value: string) => words[value] ?? value;

const ptBR: Messages = {
  errorPrefix: 'erro',
  program:
    'Administra o Integrador: banco de dados, empresas e chaves de API, validação da configuração, dados de demonstração, e roda, pré-visualiza e consulta integrações.',
  langOption: 'idioma das mensagens (pt-BR ou en); sem --lang vale INTEGRADOR_LANG, depois LC_ALL, LC_MESSAGES ou LANG, e por fim pt-BR',
  helpOption: 'mostra esta ajuda',
  versionOption: 'mostra a versão',
  helpCommand: 'mostra a ajuda de um comando',
  helpCommandUsage: 'help [comando]',
  jsonOption: 'saída em JSON',
  missingTables: 'o banco de dados não tem as tabelas do Integrador; rode `integrador migrate` primeiro',
  newerSchema: (migration) =>
    `o banco de dados foi migrado por uma versão mais nova do hub (a migração ${migration} é desconhecida desta versão): use aquela versão ou uma mais nova, ou restaure o backup feito antes da atualização`,
  databaseUnreachable: (detail) => `não foi possível conectar ao banco de dados (${detail}); confira CRM_DATABASE_URL`,
  invalidId: (label, value) => `${label} deve ser um número inteiro positivo, recebido "${value}"`,
  invalidText: (label, max) => `${label} deve ter de 1 a ${max} caracteres`,
  empresaNotFound: (id) => `a empresa #${id} não existe`,
  filialNotFound: (filialId, empresaId) => `a filial #${filialId} não existe ou não é da empresa #${empresaId}`,
  migrate: 'aplica as migrações pendentes do banco de dados',
  migrateDown: 'reverte todas as migrações (apaga as tabelas e os dados do Integrador)',
  migrateYes: 'confirma o --down',
  migrated: (names) => `Migrações aplicadas: ${names.join(', ')}`,
  upToDate: 'O banco de dados já está atualizado.',
  downNeedsYes: '--down apaga todas as tabelas do Integrador e os dados delas; repita com --yes para confirmar',
  downDone: 'Todas as migrações foram revertidas.',
  migrateStatus: 'mostra as migrações aplicadas e as pendentes, sem aplicar nada',
  statusWithDown: '--status não se combina com --down',
  migrationApplied: (name, when) => `aplicada     ${name} (${when})`,
  migrationPending: (name) => `pendente     ${name}`,
  migrationUnknown: (name) => `desconhecida ${name} (aplicada por uma versão mais nova do hub)`,
  migrationsPending: (count) =>
    count === 1 ? '1 migração pendente: `integrador migrate` a aplica.' : `${count} migrações pendentes: \`integrador migrate\` as aplica.`,
  tenant: 'empresas (tenants) e chaves de API',
  tenantCreate: 'cria uma empresa (e, com --filial, uma filial dela) e emite uma chave de API (da filial, se criada)',
  tenantKey: 'emite mais uma chave de API para uma empresa',
  tenantRevoke: 'revoga uma chave de API pelo prefixo (o trecho depois de "igk_")',
  documentoOption: 'CNPJ ou CPF da empresa',
  filialNameOption:
    'o NOME de uma filial a criar junto com a empresa; a chave emitida fica restrita a essa filial (a chave da empresa inteira: tenant key <empresaId>)',
  filialIdOption: 'o ID (número) de uma filial já existente da empresa; a chave fica restrita a ela',
  keyNameOption: 'nome da chave, para reconhecê-la depois',
  documentoTaken: (id, documento) =>
    `já existe a empresa #${id} com o documento ${documento}; para outra chave use \`integrador tenant key ${id}\``,
  empresaCreated: (id, nome) => `Empresa #${id} "${nome}" criada.`,
  filialCreated: (id, nome) => `Filial #${id} "${nome}" criada.`,
  keyIssued: (name, prefix) => `Chave de API "${name}" (prefixo ${prefix}):`,
  filialKeyIssued: (name, prefix, filialId) => `Chave de API "${name}" da filial #${filialId} (prefixo ${prefix}):`,
  filialKeyScope: (empresaId) =>
    `Esta chave só vê e altera os dados da filial. Para uma chave da empresa inteira: integrador tenant key ${empresaId}`,
  filialNameNotId: (value) =>
    `--filial do tenant create é o NOME da filial a criar, recebido "${value}" (um número). Para uma chave de uma filial que já existe: integrador tenant key <empresaId> --filial <id>`,
  keyWarning: 'Atenção: guarde esta chave agora. Ela não pode ser exibida de novo (o banco guarda só o hash dela).',
  revoked: (count, prefix, empresaId) =>
    `${plural(count, 'chave revogada', 'chaves revogadas')} (prefixo ${prefix}, empresa #${empresaId}).`,
  nothingRevoked: (prefix, empresaId) => `nenhuma chave ativa com o prefixo ${prefix} na empresa #${empresaId}`,
  config: 'configuração das integrações',
  configLint: 'valida as tabelas de configuração do Integrador contra elas mesmas e o arquivo de conexões (CONNECTIONS_FILE)',
  empresaOption: 'valida só as integrações desta empresa (id)',
  wsdlOption: 'também lê o WSDL de cada integração SOAP (SET/INFO) e confere os campos contra ele (acessa os receptores)',
  noConnectionsFile: 'aviso: CONNECTIONS_FILE não está definido; nenhuma conexão é conhecida',
  severity: { error: 'erro', warning: 'aviso' },
  lintClean: 'Configuração sem problemas.',
  lintSummary: (errors, warnings) => `${plural(errors, 'erro', 'erros')}, ${plural(warnings, 'aviso', 'avisos')}.`,
  seedDemo: 'cria (ou reaproveita) a empresa de demonstração com dados e integrações de exemplo, e emite uma chave de API',
  demoCreated: ({ empresaId, counts: c }) =>
    `Empresa Demo #${empresaId} criada com ${plural(c.filiais, 'filial', 'filiais')}, ${plural(c.cidades, 'cidade', 'cidades')}, ` +
    `${plural(c.contas, 'conta', 'contas')}, ${plural(c.contatos, 'contato', 'contatos')}, ${plural(c.usuarios, 'usuário', 'usuários')}, ` +
    `${plural(c.oportunidades, 'oportunidade', 'oportunidades')}, ${plural(c.atividades, 'atividade', 'atividades')}, ` +
    `${plural(c.eventos, 'evento', 'eventos')} e ${plural(c.integracoes, 'integração', 'integrações')}.`,
  demoReused: ({ empresaId: id, counts: c }) =>
    c.oportunidades + c.atividades + c.eventos > 0
      ? `A Empresa Demo #${id} já existe: os dados foram mantidos, acrescidos de ${plural(c.oportunidades, 'oportunidade', 'oportunidades')}, ` +
        `${plural(c.atividades, 'atividade', 'atividades')} e ${plural(c.eventos, 'evento', 'eventos')} (para os gatilhos de webhook), e uma nova chave foi emitida.`
      : `A Empresa Demo #${id} já existe: os dados foram mantidos e só uma nova chave foi emitida.`,
  demoLintHint: (id, file) =>
    file
      ? `Para validar (com o arquivo de conexões ${file}): npm run integrador -- config lint --empresa ${id}`
      : `Para validar: SENIOR_PASSWORD=x ERP_DB_PASSWORD=y CONNECTIONS_FILE=examples/connections.demo.yaml npm run integrador -- config lint --empresa ${id}`,
  demoIntegrations: (id, list) =>
    [
      `Integrações da Empresa Demo #${id}:`,
      ...list.map(
        (i) =>
          `  #${i.id} ${i.nome} (${i.tipoServico}${i.componente ? ', componente de outra integração' : ''}${i.ativa ? '' : ', inativa'})`,
      ),
    ].join('\n'),
  demoTryHint: (id, integracaoId, contaId) =>
    `Para experimentar: npm run integrador -- preview ${integracaoId} --empresa ${id} -p contaId=${contaId} (e run … --wait para enviar)`,
  demoWebhookHint: (gatilhos) =>
    [
      'Para disparar cada gatilho de webhook (POST /v1/events/crm-change com a chave da demo e este corpo):',
      ...gatilhos.map((g) => `  ${g.gatilho}: ${JSON.stringify({ tabela: g.tabela, id: String(g.id), operacao: g.operacao })}`),
    ].join('\n'),
  demoRamaisHint: (id, ramais) =>
    [
      `Ramais dos usuários (para o CTI; configure-o antes com npm run integrador -- cti configure ${id} …):`,
      ...ramais.map((r) => `  ${r.ramal}: ${r.nome}`),
    ].join('\n'),
  run: 'enfileira uma integração SET (fila set) ou GET (fila get) (como POST /v1/integrations/:id/run)',
  preview: 'mostra, sem enviar nada, a consulta com seus valores e a requisição exata de cada registro (dry run)',
  info: 'faz a consulta INFO no receptor e mostra os valores devolvidos (não grava nada)',
  targetEmpresaOption: 'empresa (tenant) dona da integração (id)',
  targetFilialOption: 'age como esta filial da empresa (id), como uma chave de API restrita a ela',
  jobEmpresaOption: 'empresa (tenant) dona do job (id)',
  paramOption: 'parâmetro da integração, nome=valor (repita para vários)',
  waitOption: 'espera o job terminar e mostra a resposta do receptor ou o motivo da falha',
  invalidParameter: (text) => `parâmetro inválido "${text}": use -p nome=valor (nome com letras, dígitos e _)`,
  integracaoNotFound: (id, empresaId) => `a integração #${id} não existe na empresa #${empresaId}`,
  integracaoInactive: (label) => `a integração ${label} está inativa (ativo = 0)`,
  integracaoIsComponent: (label) => `a integração ${label} é um componente: ela só roda dentro da integração que a usa`,
  unknownServiceType: (label, tipo) =>
    `a integração ${label} tem tipo_servico "${tipo}" desconhecido (esperado SET, GET ou INFO); nada foi executado (\`config lint\` aponta a linha)`,
  connectionForbidden: (label, connection) =>
    `a integração ${label} usa a conexão "${connection}", que o arquivo de conexões restringe a outra empresa; nada foi executado (corrija conexao_integracao.nome_conexao; \`config lint\` aponta a linha)`,
  integracaoNotSet: (label, tipo) =>
    tipo === 'INFO'
      ? `a integração ${label} é do tipo INFO; consulte-a com \`integrador info\``
      : `a integração ${label} é do tipo ${tipo}; só integrações SET (fila set) e GET (fila get) rodam por \`integrador run\``,
  integracaoNotInfo: (label, tipo) => `a integração ${label} é do tipo ${tipo}, não INFO; use \`integrador preview\` ou \`integrador run\``,
  missingParameters: (names) =>
    `${names.length === 1 ? 'falta o parâmetro obrigatório' : 'faltam os parâmetros obrigatórios'} ${names.join(', ')} ` +
    `(use ${names.map((name) => `-p ${name}=valor`).join(' ')}); nada foi enfileirado nem enviado`,
  invalidRunParameter: (name, expected, value) =>
    `parâmetro ${name} inválido: esperado um de ${expected}, recebido ${value}; nada foi enfileirado nem enviado`,
  redisUnreachable: (address, detail) => `não foi possível falar com o Redis em ${address} (${detail}); confira REDIS_URL`,
  enqueued: (id, jobId, queue) => `Integração #${id} enfileirada: job ${jobId} na fila ${queue}.`,
  waitInterrupted: (queue, jobId) =>
    `Acompanhamento interrompido: o job ${jobId} continua na fila ${queue} (com as tentativas que lhe restam): acompanhe com GET /v1/jobs/${queue}/${jobId} ou no painel`,
  jobState: (jobId, state, attemptsMade, failedReason, retryAt) => {
    if (state === 'active') return `Job ${jobId}: em execução (tentativa ${attemptsMade + 1})`;
    if (state === 'delayed' && attemptsMade > 0)
      return `Job ${jobId}: a tentativa ${attemptsMade} falhou (${failedReason ?? '?'}); nova tentativa ${retryAt ? `em ${retryAt}` : 'em breve'}`;
    if (state === 'delayed') return `Job ${jobId}: agendado`;
    if (state === 'waiting' || state === 'prioritized' || state === 'waiting-children') return `Job ${jobId}: na fila`;
    return `Job ${jobId}: ${jobStateName('pt-BR', state)}`;
  },
  jobCompleted: (jobId, message) => `Job ${jobId} concluído. Resposta do receptor: ${message}`,
  jobRecord: (key, values) => `  registro ${recordKeyText(key)}: ${JSON.stringify(values)}`,
  jobRecordMissingKeys: (key, keys, held) =>
    `  aviso: o ERP aceitou o registro ${recordKeyText(key)}, mas a resposta não trouxe ${keys.join(', ')} (indice_valor_retorno), usada pelo sql_update; o sql_update não foi executado e nada foi gravado no CRM (o registro está no ERP); ${held ? 'para não duplicá-lo, não será reenviado sozinho: corrija indice_valor_retorno / sql_update, ou reprocesse o job que o retiver' : 'ele não está retido: uma próxima execução pode reenviá-lo; confira no ERP se ele já existe e corrija indice_valor_retorno / sql_update'}`,
  getJobCompleted: (jobId, r) =>
    `Job ${jobId} concluído: ${r.rowsRead} linhas lidas, ${r.rowsWritten} gravadas, ${r.rowsSkipped} ignoradas, ${r.rowsMarkedDeleted} marcadas como removidas na origem; cursor ${r.cursor ?? '—'}.`,
  jobFailed: (jobId, reason) => `o job ${jobId} falhou: ${reason}`,
  jobGone: (jobId) => `o job ${jobId} não está mais no Redis (removido por alguém?)`,
  noWorker: (queue, keyPrefix) =>
    `nenhum worker da fila ${queue} está ativo — a frota está no ar? Ou o KEY_PREFIX/REDIS_URL deste terminal difere dos da frota (este usa KEY_PREFIX=${keyPrefix}) (continuo aguardando)`,
  runRefused: (detail) => `execução recusada, nada foi enfileirado: ${detail}`,
  flowStep: (step, steps, id, nome, jobId, queue) =>
    `  passo ${step}/${steps}: integração #${id} (${nome}) → job ${jobId} na fila ${queue}`,
  jobBlocked: (jobId, blocker, reason) =>
    `o job ${jobId} está bloqueado: o pré-requisito ${blocker} falhou (${reason}); corrija e use "integrador job retry" nele`,
  jobCommand: 'jobs das filas',
  jobRetry: 'reprocessa um job que falhou (uma cadeia de dependências bloqueada por ele continua)',
  jobRetried: (queue, jobId) => `Job ${queue}/${jobId} reenfileirado.`,
  jobNotFailed: (queue, jobId, state) =>
    `o job ${queue}/${jobId} está ${jobStateName('pt-BR', state)}; só um job que falhou pode ser reprocessado`,
  jobNotRetryable: (queue, jobId) =>
    `o job ${queue}/${jobId} é um click-to-call, que não é reprocessado: o clique já expirou e a nova tentativa só falharia de novo; peça ao agente que clique de novo`,
  jobAlreadyDelivered: (queue, jobId) =>
    `o job ${queue}/${jobId} não foi reprocessado: a entrega do webhook já foi entregue (por um reenvio ou uma recuperação); nada a enviar de novo`,
  jobEndpointDisabled: (queue, jobId) =>
    `o job ${queue}/${jobId} não foi reprocessado: o endpoint do webhook continua desativado e nada seria enviado; reative o endpoint (PATCH /v1/webhooks/<id> com {"ativo": true}) e depois rode integrador webhooks recover <id> para reenviar as entregas`,
  jobEndpointDeleted: (queue, jobId) =>
    `o job ${queue}/${jobId} não foi reprocessado: o endpoint do webhook foi excluído e nada seria enviado. As entregas dele continuam em integrador webhooks deliveries <id> até o fim da retenção; para enviar de novo a esse destino, cadastre-o como um novo webhook`,
  jobNotFound: (queue, jobId, empresaId) => `o job ${queue}/${jobId} não existe para a empresa ${empresaId}`,
  invalidQueue: (queue) => `fila desconhecida "${queue}" (esperado set, get, cti ou webhook)`,
  consultaHeader: 'Consulta (com os valores ligados):',
  noConsulta: 'Sem consulta: um único registro, montado só com os parâmetros.',
  previewRecord: (key, index, total, url) => `Registro ${recordKeyText(key)} (${index} de ${total}), para ${url}:`,
  previewRecordBody: (key, index, total) =>
    `Registro ${recordKeyText(key)} (${index} de ${total}), os campos do pedido (o envelope SOAP precisa do WSDL do receptor):`,
  previewReceptorUnreachable: (url, connection) =>
    `nada responde no endereço do WSDL ${url} (conexão ${connection}): confira o baseUrl dessa conexão no CONNECTIONS_FILE ou inicie o serviço (na demo: npm run erp-double); a consulta e os campos acima não dependem dele`,
  nothingSent: (records) => `Nada foi enviado (${plural(records, 'registro', 'registros')}).`,
  missingWrapper: (porta, missing) => `Aviso: ${soapWrapperMessage(porta, missing)['pt-BR']}`,
  infoValues: (nome) => `Valores devolvidos pelo receptor (${nome}):`,
  receptorUnavailable: (detail) => `${JOB_FAILURE_REASONS.message('pt-BR', 'TRANSPORT_TRANSIENT')}: ${detail}; tente de novo mais tarde`,
  integrationFailed: (label, detail) => `a integração ${label} falhou: ${detail}`,
  noRecords: (label, given, empresaId) =>
    JOB_FAILURE_REASONS_WITH_VALUES.message('pt-BR', 'NO_RECORDS', {
      integracao: label,
      parametros: given || 'esses parâmetros',
      empresa: empresaId,
    }),
  missingVariable: (label, variable, upstream) =>
    upstream
      ? `a integração ${label} usa #${variable}#, que vem da integração ${upstream}, executada antes dela no fluxo (dependente/depende_de); a pré-visualização não executa essa etapa: informe o valor com -p ${variable}=…`
      : `a integração ${label} usa #${variable}#, que não tem valor: nem os parâmetros, nem a consulta, nem as dependências o fornecem; informe-o com -p ${variable}=…`,
  connections: 'conexões do arquivo de conexões (CONNECTIONS_FILE)',
  connectionsTest: 'testa uma conexão: alcance do host e da porta, login, uma consulta simples e a versão do servidor',
  connectionNameArgument: 'nome da conexão no arquivo (o nome_conexao das integrações)',
  connectionInvalid: (file, detail) => `arquivo de conexões ${file}: ${detail}`,
  connectionSkipped: (detail) => `aviso: entrada ignorada (inválida), as demais serão usadas neste teste: ${detail}`,
  connectionNotFound: (name, known) =>
    `conexão "${name}" não encontrada no arquivo de conexões (conhecidas: ${known.length > 0 ? known.join(', ') : 'nenhuma'})`,
  connectionTestStep: (ok, step, ms, message) =>
    `${ok ? '✓' : '✗'} ${word({ reachability: 'alcance', file: 'arquivo', tls: 'TLS', login: 'login', query: 'consulta', version: 'versão' }, step)} (${ms} ms): ${message}`,
  connectionTestOk: (name, version) => `Conexão "${name}" ok${version ? ` (${version})` : ''}.`,
  connectionTestFailed: (name, code) => `A conexão "${name}" falhou (${code}).`,
};

const en: Messages = {
  errorPrefix: 'error',
  program:
    'Administers the Integrador: database, tenants and API keys, configuration lint, demo data, and runs, previews and looks up integrations.',
  langOption: 'language of the messages (pt-BR or en); without --lang, INTEGRADOR_LANG, then LC_ALL, LC_MESSAGES or LANG, and last pt-BR',
  helpOption: 'shows this help',
  versionOption: 'prints the version',
  helpCommand: 'shows the help of a command',
  helpCommandUsage: 'help [command]',
  jsonOption: 'JSON output',
  missingTables: 'the database has no Integrador tables; run `integrador migrate` first',
  newerSchema: (migration) =>
    `the database was migrated by a newer version of the hub (migration ${migration} is unknown to this one): run that version or a newer one, or restore the backup taken before the upgrade`,
  databaseUnreachable: (detail) => `could not connect to the database (${detail}); check CRM_DATABASE_URL`,
  invalidId: (label, value) => `${label} must be a positive integer, got "${value}"`,
  invalidText: (label, max) => `${label} must have 1 to ${max} characters`,
  empresaNotFound: (id) => `empresa #${id} does not exist`,
  filialNotFound: (filialId, empresaId) => `filial #${filialId} does not exist or does not belong to empresa #${empresaId}`,
  migrate: 'applies the pending database migrations',
  migrateDown: 'rolls back every migration (drops the Integrador tables and their data)',
  migrateYes: 'confirms --down',
  migrated: (names) => `Applied migrations: ${names.join(', ')}`,
  upToDate: 'The database is already up to date.',
  downNeedsYes: '--down drops every Integrador table and its data; repeat with --yes to confirm',
  downDone: 'Every migration was rolled back.',
  migrateStatus: 'shows the applied and the pending migrations, applying nothing',
  statusWithDown: '--status cannot be combined with --down',
  migrationApplied: (name, when) => `applied  ${name} (${when})`,
  migrationPending: (name) => `pending  ${name}`,
  migrationUnknown: (name) => `unknown  ${name} (applied by a newer version of the hub)`,
  migrationsPending: (count) =>
    count === 1
      ? '1 pending migration: `integrador migrate` applies it.'
      : `${count} pending migrations: \`integrador migrate\` applies them.`,
  tenant: 'tenants (empresas) and API keys',
  tenantCreate: "creates an empresa (and, with --filial, one of its filiais) and issues an API key (the filial's, if created)",
  tenantKey: 'issues another API key for an empresa',
  tenantRevoke: 'revokes an API key by its prefix (the part after "igk_")',
  documentoOption: "the empresa's CNPJ or CPF",
  filialNameOption:
    "the NAME of a filial to create with the empresa; the key issued is restricted to that filial (the whole empresa's key: tenant key <empresaId>)",
  filialIdOption: 'the ID (number) of an existing filial of the empresa; the key is restricted to it',
  keyNameOption: 'a name for the key, to recognise it later',
  documentoTaken: (id, documento) =>
    `empresa #${id} already has documento ${documento}; for another key use \`integrador tenant key ${id}\``,
  empresaCreated: (id, nome) => `Empresa #${id} "${nome}" created.`,
  filialCreated: (id, nome) => `Filial #${id} "${nome}" created.`,
  keyIssued: (name, prefix) => `API key "${name}" (prefix ${prefix}):`,
  filialKeyIssued: (name, prefix, filialId) => `API key "${name}" of filial #${filialId} (prefix ${prefix}):`,
  filialKeyScope: (empresaId) =>
    `This key sees and changes only the filial's data. For a key of the whole empresa: integrador tenant key ${empresaId}`,
  filialNameNotId: (value) =>
    `tenant create's --filial is the NAME of the filial to create, got "${value}" (a number). For a key of an existing filial: integrador tenant key <empresaId> --filial <id>`,
  keyWarning: 'Warning: store this key now. It cannot be shown again (the database keeps only its hash).',
  revoked: (count, prefix, empresaId) => `${plural(count, 'key', 'keys')} revoked (prefix ${prefix}, empresa #${empresaId}).`,
  nothingRevoked: (prefix, empresaId) => `no active key with prefix ${prefix} in empresa #${empresaId}`,
  config: 'integration configuration',
  configLint: 'checks the Integrador configuration tables against each other and the connections file (CONNECTIONS_FILE)',
  empresaOption: "checks only this empresa's integrations (id)",
  wsdlOption: "also reads each SOAP (SET/INFO) integration's WSDL and checks its campos against it (reaches the receptors)",
  noConnectionsFile: 'warning: CONNECTIONS_FILE is not set; no connection is known',
  severity: { error: 'error', warning: 'warning' },
  lintClean: 'The configuration has no problems.',
  lintSummary: (errors, warnings) => `${plural(errors, 'error', 'errors')}, ${plural(warnings, 'warning', 'warnings')}.`,
  seedDemo: 'creates (or reuses) the demo tenant with sample data and integrations, and issues an API key',
  demoCreated: ({ empresaId, counts: c }) =>
    `Empresa Demo #${empresaId} created with ${plural(c.filiais, 'filial', 'filiais')}, ${plural(c.cidades, 'city', 'cities')}, ` +
    `${plural(c.contas, 'account', 'accounts')}, ${plural(c.contatos, 'contact', 'contacts')}, ${plural(c.usuarios, 'user', 'users')}, ` +
    `${plural(c.oportunidades, 'opportunity', 'opportunities')}, ${plural(c.atividades, 'activity', 'activities')}, ` +
    `${plural(c.eventos, 'event', 'events')} and ${plural(c.integracoes, 'integration', 'integrations')}.`,
  demoReused: ({ empresaId: id, counts: c }) =>
    c.oportunidades + c.atividades + c.eventos > 0
      ? `Empresa Demo #${id} already exists: its data was kept, with ${plural(c.oportunidades, 'opportunity', 'opportunities')}, ` +
        `${plural(c.atividades, 'activity', 'activities')} and ${plural(c.eventos, 'event', 'events')} added (for the webhook gatilhos), and a new key was issued.`
      : `Empresa Demo #${id} already exists: its data was kept and only a new key was issued.`,
  demoLintHint: (id, file) =>
    file
      ? `To check it (with the connections file ${file}): npm run integrador -- config lint --empresa ${id}`
      : `To check it: SENIOR_PASSWORD=x ERP_DB_PASSWORD=y CONNECTIONS_FILE=examples/connections.demo.yaml npm run integrador -- config lint --empresa ${id}`,
  demoIntegrations: (id, list) =>
    [
      `Integrations of Empresa Demo #${id}:`,
      ...list.map(
        (i) =>
          `  #${i.id} ${i.nome} (${i.tipoServico}${i.componente ? ', a component of another integration' : ''}${i.ativa ? '' : ', inactive'})`,
      ),
    ].join('\n'),
  demoTryHint: (id, integracaoId, contaId) =>
    `To try it: npm run integrador -- preview ${integracaoId} --empresa ${id} -p contaId=${contaId} (and run … --wait to send it)`,
  demoWebhookHint: (gatilhos) =>
    [
      'To fire each webhook gatilho (POST /v1/events/crm-change with the demo key and this body):',
      ...gatilhos.map((g) => `  ${g.gatilho}: ${JSON.stringify({ tabela: g.tabela, id: String(g.id), operacao: g.operacao })}`),
    ].join('\n'),
  demoRamaisHint: (id, ramais) =>
    [
      `The usuários' ramais (for CTI; set it up first with npm run integrador -- cti configure ${id} …):`,
      ...ramais.map((r) => `  ${r.ramal}: ${r.nome}`),
    ].join('\n'),
  run: 'enqueues a SET (set queue) or GET (get queue) integration (as POST /v1/integrations/:id/run)',
  preview: 'shows, sending nothing, the consulta with its bound values and the exact request of each record (dry run)',
  info: 'runs the INFO lookup in the receptor and shows the values it returns (writes nothing)',
  targetEmpresaOption: 'the empresa (tenant) the integration belongs to (id)',
  targetFilialOption: 'acts as this filial of the empresa (id), like an API key restricted to it',
  jobEmpresaOption: 'the empresa (tenant) the job belongs to (id)',
  paramOption: 'an integration parameter, name=value (repeat for more)',
  waitOption: "waits for the job to finish and shows the receptor's answer or the failure reason",
  invalidParameter: (text) => `invalid parameter "${text}": use -p name=value (a name of letters, digits and _)`,
  integracaoNotFound: (id, empresaId) => `integracao #${id} does not exist in empresa #${empresaId}`,
  integracaoInactive: (label) => `integracao ${label} is inactive (ativo = 0)`,
  integracaoIsComponent: (label) => `integracao ${label} is a componente: it only runs inside the integration that uses it`,
  unknownServiceType: (label, tipo) =>
    `integracao ${label} has an unknown tipo_servico "${tipo}" (expected SET, GET or INFO); nothing was run (\`config lint\` names the row)`,
  connectionForbidden: (label, connection) =>
    `integracao ${label} uses connection "${connection}", which the connections file restricts to another empresa; nothing was run (fix conexao_integracao.nome_conexao; \`config lint\` names the row)`,
  integracaoNotSet: (label, tipo) =>
    tipo === 'INFO'
      ? `integracao ${label} is of type INFO; look it up with \`integrador info\``
      : `integracao ${label} is of type ${tipo}; only SET (queue set) and GET (queue get) integrations run with \`integrador run\``,
  integracaoNotInfo: (label, tipo) => `integracao ${label} is of type ${tipo}, not INFO; use \`integrador preview\` or \`integrador run\``,
  missingParameters: (names) =>
    `${names.length === 1 ? 'missing required parameter' : 'missing required parameters'} ${names.join(', ')} ` +
    `(use ${names.map((name) => `-p ${name}=value`).join(' ')}); nothing was enqueued or sent`,
  invalidRunParameter: (name, expected, value) =>
    `invalid parameter ${name}: expected one of ${expected}, got ${value}; nothing was enqueued or sent`,
  redisUnreachable: (address, detail) => `could not talk to Redis at ${address} (${detail}); check REDIS_URL`,
  enqueued: (id, jobId, queue) => `Integracao #${id} enqueued: job ${jobId} on queue ${queue}.`,
  waitInterrupted: (queue, jobId) =>
    `Stopped following: job ${jobId} goes on in queue ${queue} (with the attempts it has left): follow it with GET /v1/jobs/${queue}/${jobId} or on the dashboard`,
  jobState: (jobId, state, attemptsMade, failedReason, retryAt) => {
    if (state === 'active') return `Job ${jobId}: running (attempt ${attemptsMade + 1})`;
    if (state === 'delayed' && attemptsMade > 0)
      return `Job ${jobId}: attempt ${attemptsMade} failed (${failedReason ?? '?'}); retrying ${retryAt ? `at ${retryAt}` : 'shortly'}`;
    if (state === 'delayed') return `Job ${jobId}: scheduled`;
    if (state === 'waiting' || state === 'prioritized' || state === 'waiting-children') return `Job ${jobId}: queued`;
    return `Job ${jobId}: ${state}`;
  },
  jobCompleted: (jobId, message) => `Job ${jobId} completed. Receptor's answer: ${message}`,
  jobRecord: (key, values) => `  record ${recordKeyText(key)}: ${JSON.stringify(values)}`,
  jobRecordMissingKeys: (key, keys, held) =>
    `  warning: the ERP accepted record ${recordKeyText(key)}, but its answer did not carry ${keys.join(', ')} (indice_valor_retorno), which sql_update uses; sql_update did not run and nothing was written to the CRM (the record is in the ERP); ${held ? 'not to duplicate it, it will not be sent again on its own: correct indice_valor_retorno / sql_update, or retry the job that holds it' : 'it is not held back: a later run may send it again; check the ERP for it and correct indice_valor_retorno / sql_update'}`,
  getJobCompleted: (jobId, r) =>
    `Job ${jobId} completed: ${r.rowsRead} rows read, ${r.rowsWritten} written, ${r.rowsSkipped} skipped, ${r.rowsMarkedDeleted} marked as removed from the source; cursor ${r.cursor ?? '—'}.`,
  jobFailed: (jobId, reason) => `job ${jobId} failed: ${reason}`,
  jobGone: (jobId) => `job ${jobId} is no longer in Redis (removed by someone?)`,
  noWorker: (queue, keyPrefix) =>
    `no worker of queue ${queue} is running — is the fleet up? Or this terminal's KEY_PREFIX/REDIS_URL differs from the fleet's (this one uses KEY_PREFIX=${keyPrefix}) (still waiting)`,
  runRefused: (detail) => `run refused, nothing was enqueued: ${detail}`,
  flowStep: (step, steps, id, nome, jobId, queue) =>
    `  step ${step}/${steps}: integracao #${id} (${nome}) → job ${jobId} on queue ${queue}`,
  jobBlocked: (jobId, blocker, reason) =>
    `job ${jobId} is blocked: its prerequisite ${blocker} failed (${reason}); fix it and use "integrador job retry" on it`,
  jobCommand: 'jobs of the queues',
  jobRetry: 'retries a failed job (a dependency chain blocked by it resumes)',
  jobRetried: (queue, jobId) => `Job ${queue}/${jobId} queued again.`,
  jobNotFailed: (queue, jobId, state) => `job ${queue}/${jobId} is ${state}; only a failed job can be retried`,
  jobNotRetryable: (queue, jobId) =>
    `job ${queue}/${jobId} is a click-to-call, which is not retried: the click has expired and a new attempt could only fail again; ask the agent to click again`,
  jobAlreadyDelivered: (queue, jobId) =>
    `job ${queue}/${jobId} was not retried: its webhook delivery has been delivered since (by a resend or a recover); nothing to send again`,
  jobEndpointDisabled: (queue, jobId) =>
    `job ${queue}/${jobId} was not retried: its webhook endpoint is still disabled, so nothing would be sent; re-enable the endpoint (PATCH /v1/webhooks/<id> with {"ativo": true}), then run integrador webhooks recover <id> to resend its deliveries`,
  jobEndpointDeleted: (queue, jobId) =>
    `job ${queue}/${jobId} was not retried: its webhook endpoint was deleted, so nothing would be sent. Its deliveries stay readable with integrador webhooks deliveries <id> until the retention period ends; to send to that receiver again, register it as a new webhook`,
  jobNotFound: (queue, jobId, empresaId) => `job ${queue}/${jobId} does not exist for empresa ${empresaId}`,
  invalidQueue: (queue) => `unknown queue "${queue}" (expected set, get, cti or webhook)`,
  consultaHeader: 'Consulta (with its bound values):',
  noConsulta: 'No consulta: a single record, built from the parameters alone.',
  previewRecord: (key, index, total, url) => `Record ${recordKeyText(key)} (${index} of ${total}), to ${url}:`,
  previewRecordBody: (key, index, total) =>
    `Record ${recordKeyText(key)} (${index} of ${total}), the request's fields (the SOAP envelope needs the receptor's WSDL):`,
  previewReceptorUnreachable: (url, connection) =>
    `nothing answers at the WSDL address ${url} (connection ${connection}): check that connection's baseUrl in CONNECTIONS_FILE or start the service (for the demo: npm run erp-double); the consulta and fields above do not depend on it`,
  nothingSent: (records) => `Nothing was sent (${plural(records, 'record', 'records')}).`,
  missingWrapper: (porta, missing) => `Warning: ${soapWrapperMessage(porta, missing).en}`,
  infoValues: (nome) => `Values returned by the receptor (${nome}):`,
  receptorUnavailable: (detail) => `${JOB_FAILURE_REASONS.message('en', 'TRANSPORT_TRANSIENT')}: ${detail}; try again later`,
  integrationFailed: (label, detail) => `integracao ${label} failed: ${detail}`,
  noRecords: (label, given, empresaId) =>
    JOB_FAILURE_REASONS_WITH_VALUES.message('en', 'NO_RECORDS', {
      integracao: label,
      parametros: given || 'these parameters',
      empresa: empresaId,
    }),
  missingVariable: (label, variable, upstream) =>
    upstream
      ? `integracao ${label} uses #${variable}#, which comes from integracao ${upstream}, run before it in its flow (dependente/depende_de); a preview does not run that step: give the value with -p ${variable}=…`
      : `integracao ${label} uses #${variable}#, which has no value: no parameter, consulta column or dependency provides it; give it with -p ${variable}=…`,
  connections: 'connections of the connections file (CONNECTIONS_FILE)',
  connectionsTest: "tests a connection: host and port reachability, login, a trivial query and the server's version",
  connectionNameArgument: "the connection's name in the file (the integrations' nome_conexao)",
  connectionInvalid: (file, detail) => `connections file ${file}: ${detail}`,
  connectionSkipped: (detail) => `warning: entry skipped (invalid), the others are used for this test: ${detail}`,
  connectionNotFound: (name, known) =>
    `connection "${name}" not found in the connections file (known: ${known.length > 0 ? known.join(', ') : 'none'})`,
  connectionTestStep: (ok, step, ms, message) =>
    `${ok ? '✓' : '✗'} ${word({ reachability: 'reachability', file: 'file', tls: 'TLS', login: 'login', query: 'query', version: 'version' }, step)} (${ms} ms): ${message}`,
  connectionTestOk: (name, version) => `Connection "${name}" ok${version ? ` (${version})` : ''}.`,
  connectionTestFailed: (name, code) => `Connection "${name}" failed (${code}).`,
};

/** The texts of a locale. */
export const messages = defineTexts<Messages>({ 'pt-BR': ptBR, en: en });

/**
 * The --lang value of argv (undefined without one), read before commander parses so help texts and parse errors are
 * in that language too. A value commander will reject (--lang fr) counts as none: the rejection speaks the
 * environment's language.
 */
export function localeFromArgv(argv: readonly string[]): Locale | undefined {
  for (const [i, arg] of argv.entries()) {
    if (arg === '--') break;
    const value = arg === '--lang' ? argv[i + 1] : arg.startsWith('--lang=') ? arg.slice('--lang='.length) : undefined;
    if (value !== undefined) return LOCALES.find((locale) => locale === value);
  }
  return undefined;
}

// Placeholders of arguments and option values, and commander's own `[options]` / `[command]`, as the help and the
// parse errors show them in each language. Names that are the same in both (id, n, iso, empresaId …) are left out.
const PLACEHOLDERS: Readonly<Record<Locale, Readonly<Record<string, string>>>> = {
  'pt-BR': {
    options: 'opções',
    command: 'comando',
    name: 'nome',
    'name=value': 'nome=valor',
    queue: 'fila',
    keyPrefix: 'prefixo',
    label: 'rótulo',
    list: 'lista',
    template: 'modelo',
    method: 'método',
    mode: 'modo',
    user: 'usuário',
    ref: 'referência',
    digits: 'dígitos',
    lang: 'idioma',
    tz: 'fuso',
  },
  en: {
    nome: 'name',
    'nome:valor': 'name:value',
    acao: 'action',
    numero: 'number',
    tipo: 'type',
    papel: 'role',
    gatilho: 'trigger',
    cnpj: 'cnpj',
  },
};

/** A name in the locale's words (`queue` → `fila` in pt-BR; unknown names unchanged). */
function placeholder(name: string, locale: Locale): string {
  return PLACEHOLDERS[locale][name] ?? name;
}

/** Every `<name>`, `[name]` and `<name...>` of a help term or usage line in the locale's words. */
function localizedTerm(term: string, locale: Locale): string {
  return term.replace(/([<[])([^<>[\]]+?)(\.\.\.)?([>\]])/g, (_whole, open: string, name: string, dots = '', close: string) => {
    return `${open}${placeholder(name, locale)}${dots}${close}`;
  });
}

// Commander writes its parse errors in English; these patterns give the common ones in Portuguese.
const COMMANDER_PT_BR: ReadonlyArray<[RegExp, string]> = [
  [/^error: unknown command '(.*)'/, "erro: comando desconhecido '$1' (veja `integrador --help`)"],
  [/^error: unknown option '(.*)'/, "erro: opção desconhecida '$1'"],
  [/^error: missing required argument '(.*)'/, "erro: falta o argumento obrigatório '$1'"],
  [/^error: option '(.*)' argument missing/, "erro: a opção '$1' precisa de um valor"],
  [/^error: required option '(.*)' not specified/, "erro: falta a opção obrigatória '$1'"],
  [
    /^error: too many arguments for '(.*)'\. Expected (\d+) arguments? but got (\d+)\./,
    "erro: argumentos demais para '$1' (esperado $2, recebido $3)",
  ],
  [/^error: too many arguments\. Expected (\d+) arguments? but got (\d+)\./, 'erro: argumentos demais (esperado $1, recebido $2)'],
  [/^error: option '(.*)' argument '(.*)' is invalid\. Allowed choices are (.*)\./, "erro: valor '$2' inválido para '$1' (aceitos: $3)"],
  [/\(Did you mean (.*)\?\)/, '(Você quis dizer $1?)'],
];

/** A commander error message in the locale (unknown messages stay as commander wrote them), placeholders included. */
export function translateCommanderError(message: string, locale: Locale): string {
  const named = localizedTerm(message, locale).replace(
    /^(error: missing required argument ')(.*)'/,
    (_whole, start: string, name: string) => `${start}${placeholder(name, locale)}'`,
  );
  if (locale === 'en') return named;
  return COMMANDER_PT_BR.reduce((text, [pattern, replacement]) => text.replace(pattern, replacement), named);
}

// Commander's help headings and the notes it adds after a description ("(choices: …, default: …)").
const HELP_TITLES_PT_BR: Readonly<Record<string, string>> = {
  'Usage:': 'Uso:',
  'Options:': 'Opções:',
  'Commands:': 'Comandos:',
  'Arguments:': 'Argumentos:',
  'Global Options:': 'Opções globais:',
};
const HELP_NOTES_PT_BR: ReadonlyArray<[RegExp, string]> = [
  [/\bchoices: /, 'valores: '],
  [/\bdefault: /, 'padrão: '],
  [/\bpreset: /, 'valor sem argumento: '],
  [/\benv: /, 'variável: '],
];

/** The notes commander appended after `description` (and only them) in pt-BR. */
function localizedNotes(text: string, description: string): string {
  const at = text.startsWith(description) ? description.length : 0;
  const notes = HELP_NOTES_PT_BR.reduce((rest, [pattern, replacement]) => rest.replace(pattern, replacement), text.slice(at));
  return text.slice(0, at) + notes;
}

/**
 * commander's help in the locale: placeholders (`[options]`, `<queue>` …) in its words, and in pt-BR the headings
 * and notes too. Subcommands inherit it.
 */
export function helpConfiguration(locale: Locale): HelpConfiguration {
  const base = new Help();
  const terms: HelpConfiguration = {
    commandUsage: (command: Command) => localizedTerm(base.commandUsage(command), locale),
    subcommandTerm: (command: Command) => localizedTerm(base.subcommandTerm(command), locale),
    optionTerm: (option: Option) => localizedTerm(base.optionTerm(option), locale),
    argumentTerm: (argument: Argument) => placeholder(base.argumentTerm(argument), locale),
  };
  if (locale === 'en') return terms;
  return {
    ...terms,
    styleTitle: (title: string) => HELP_TITLES_PT_BR[title] ?? title,
    optionDescription: (option: Option) => localizedNotes(base.optionDescription(option), option.description ?? ''),
    argumentDescription: (argument: Argument) => localizedNotes(base.argumentDescription(argument), argument.description ?? ''),
  };
}
