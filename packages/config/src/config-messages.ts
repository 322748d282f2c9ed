import { addressRangeText } from '@integrador/connections/address-ranges';
import { defineCatalogue, type Locale } from '@integrador/i18n';
import { type Env, EnvSchema } from './env';

/** The variables a ConfigError may name: the schema's, and INTEGRADOR_LANG (read apart, by preferredLocale). */
export type ConfigVariable = keyof Env | 'INTEGRADOR_LANG';

/**
 * What each variable expects, in pt-BR: the schema's `x-expected` sentences (English, env.ts) as a command-line user
 * reading Portuguese sees them. A variable added to the schema without one here fails to compile.
 */
const EXPECTED_PT_BR: Readonly<Record<ConfigVariable, string>> = {
  REDIS_URL: 'uma URL de Redis como redis://127.0.0.1:6379 (rediss:// para TLS)',
  REDIS_CLUSTER_NODES:
    'nós semente host:porta de um Redis Cluster separados por vírgula, como 10.0.0.1:6379,10.0.0.2:6379 (sem valor = o Redis único de REDIS_URL, cuja senha, usuário e TLS valem então para todos os nós)',
  CRM_DATABASE_URL:
    'uma URL de banco de dados: postgres://usuario:senha@host:5432/banco, mysql://usuario:senha@host:3306/banco ou sqlite:/caminho/do/arquivo.sqlite (sem valor = SQLite embutido em DATA_DIR)',
  DATA_DIR: 'o caminho de um diretório para o banco SQLite embutido',
  CONNECTIONS_FILE: 'o caminho de um arquivo de conexões YAML ou JSON',
  OUTBOUND_ALLOW_LOOPBACK:
    'true ou false (true: uma conexão, um serviço de endpoint JSON ou o PABX com permissão de rede privada alcança também o loopback — 127.0.0.0/8, ::1, o que escuta só na máquina do hub (um Redis ou PostgreSQL local); para um sidecar, túnel ou PgBouncer local em 127.0.0.1, ou uma demonstração numa única máquina)',
  MIGRATE_ON_START:
    'true ou false (false: o ingress não migra o banco de dados do CRM ao iniciar, só o confere como os workers; o operador roda integrador migrate, ou o hook do chart Helm)',
  HOST: 'um endereço de interface como 0.0.0.0',
  PORT: 'um inteiro de 1 a 65535',
  PUBLIC_URL:
    'o endereço http(s) pelo qual os outros alcançam o ingress, como https://crm.example.com.br ou https://example.com/integrador atrás de um proxy (sem query string, sem usuário ou senha; sem valor = http://HOST:PORT)',
  LOG_LEVEL: 'um de fatal, error, warn, info, debug, trace, silent',
  KEY_PREFIX:
    'um prefixo de chaves do Redis com uma hash tag de Cluster e sem dois-pontos, como {integrador} (todas as filas compartilham a tag para que os fluxos fiquem em um só slot)',
  SHUTDOWN_TIMEOUT_MS: 'milissegundos de 1000 a 600000',
  WORKER_CONCURRENCY: 'um inteiro de 1 a 1000',
  WORKER_PROCESSES:
    'um inteiro de 1 a 99 ou auto (quantos processos um app worker roda, cada um um worker completo com WORKER_CONCURRENCY jobs e conexões próprias; auto = um por núcleo de CPU que o processo pode usar)',
  CRM_PREPARED_STATEMENTS:
    '0 ou 1 (1: os apps worker preparam os comandos do CRM que repetem, só PostgreSQL; 0 atrás de um pooler em modo transação como o PgBouncer, que não guarda prepared statements por sessão)',
  JOB_LOCK_MS:
    'milissegundos de 1000 a 600000 (quanto tempo um job fica preso a um worker sem renovação; os jobs de um worker que caiu rodam de novo depois de mais ou menos esse tempo)',
  GET_LEASE_MS:
    'milissegundos de 1000 a 3600000 (quanto tempo uma execução de GET segura sua integração sem renovar; outro job de uma execução que caiu espera mais ou menos esse tempo)',
  FLOW_BLOCKED_TIMEOUT_MS:
    'milissegundos de 0 a 7776000000 (quanto tempo os dependentes de um pré-requisito que falhou esperam uma nova tentativa antes de falhar com o motivo dele)',
  FLOW_GUARD_INTERVAL_MS:
    'milissegundos de 100 a 3600000 (de quanto em quanto tempo um worker procura fluxos de dependência bloqueados há tempo demais)',
  METRICS_TOKEN: 'um token de 16 a 200 caracteres ASCII visíveis que a coleta do Prometheus envia como Authorization: Bearer <token>',
  METRICS_PORT:
    'um inteiro de 0 a 65535 (onde um worker serve GET /metrics e GET /healthz; 0 = sem servidor de métricas; o fleet dá a cada worker a porta seguinte)',
  FLEET_START_ID:
    'o id que o npm start dá aos apps de uma partida (letras, dígitos e hífens, no máximo 64; o ingress o informa em GET /healthz); deixe sem valor',
  METRICS_TENANT_LABELS:
    'um inteiro de 0 a 1000 (quantos tenants, os mais movimentados por fila e resultado, ganham um rótulo empresa_id próprio nas métricas de jobs, e os mais recusados por orçamento nas de recusas por limite; o resto conta como "outros")',
  LOG_PRETTY: '0 ou 1 (1: linhas de log legíveis pelo pino-pretty, para desenvolvimento; ele precisa estar instalado)',
  REDIS_COMMAND_TIMEOUT_MS: 'milissegundos de 100 a 60000 (quanto tempo o ingress espera o Redis antes de responder 503)',
  ENDPOINT_MAX_RECORDS:
    'um inteiro de 1 a 100000 (seed 003: uma chamada de endpoint JSON com mais registros que isso é cancelada e seu serviço marcado "falha")',
  ENDPOINT_TIMEOUT_MS:
    'milissegundos de 100 a 3600000 (seed 003: um endpoint JSON mais lento que isso é cancelado e seu serviço marcado "falha")',
  ENDPOINT_MAX_RESPONSE_BYTES:
    'bytes de 1024 a 1073741824 (uma resposta de endpoint JSON maior que isso é cancelada, para não esgotar a memória)',
  SCHEDULE_SYNC_INTERVAL_MS:
    'milissegundos de 1000 a 3600000 (de quanto em quanto tempo o worker-get acerta os agendamentos de GET no Redis com integracao.cron)',
  SCHEDULE_TIMEZONE: 'um fuso horário IANA como America/Sao_Paulo ou UTC (o fuso em que integracao.cron é lido)',
  CTI_DOMAIN: 'um domínio como crm.example.com.br: os listeners do PABX atendem EMPRESA.<domínio> (sem valor = só /t/<token>/wconnect/…)',
  CTI_TRUSTED_PROXIES: 'endereços IP ou faixas CIDR, separados por vírgula, dos proxies reversos cujo X-Forwarded-For os listeners aceitam',
  CTI_DEDUPE_WINDOW_MS: 'milissegundos de 0 a 60000 (o mesmo pedido do PABX repetido dentro dessa janela vira um só evento)',
  CTI_CALL_TIMEOUT_MS:
    'milissegundos de 1000 a 604800000 (um início de ligação sem fim é fechado como "sem fim recebido" depois desse tempo)',
  CTI_EXTENSION_CALL_TIMEOUT_MS:
    'milissegundos de 1000 a 604800000 (um click-to-call a um ramal interno ainda "em andamento" esse tempo é fechado como "ramal sem fim": o PABX não envia fim de ligações entre ramais; igual ou acima de CTI_CALL_TIMEOUT_MS nunca se aplica)',
  HTTP_REQUEST_TIMEOUT_MS:
    'milissegundos de 1000 a 600000 (quanto tempo um cliente pode levar para enviar um pedido inteiro, cabeçalhos e corpo, ao ingress ou ao dashboard; um mais lento recebe 408 e a conexão é fechada)',
  HTTP_KEEP_ALIVE_TIMEOUT_MS:
    'milissegundos de 1000 a 600000 (quanto tempo uma conexão keep-alive ociosa fica aberta entre dois pedidos; mantenha acima do tempo ocioso do balanceador de carga)',
  HTTP_IDLE_TIMEOUT_MS:
    'milissegundos de 0 a 3600000 (uma conexão sem nenhum byte em nenhum sentido por esse tempo é fechada; 0 = nunca; mantenha acima da espera mais longa de uma rota: o timeoutMs de uma conexão, até 600000)',
  SET_RETRY_ATTEMPTS: 'um inteiro de 1 a 25 (tentativas ao todo de um push SET cuja conexão não define retry)',
  SET_RETRY_BACKOFF_MS: 'milissegundos de 100 a 3600000 (a primeira espera antes de um push SET tentar de novo; cada seguinte dobra)',
  SET_RETRY_MAX_DELAY_MS: 'milissegundos de 100 a 86400000 (a maior espera entre duas tentativas de um push SET)',
  RATE_LIMIT_CTI_PER_SECOND:
    'um inteiro de 0 a 100000 (eventos de listener do PABX que uma empresa pode enviar por segundo, somando todos os ingress, antes de um 429; 0 = sem limite)',
  RATE_LIMIT_CTI_BURST:
    'um inteiro de 1 a 1000000 (eventos de listener do PABX que uma empresa pode enviar em sequência antes de valer RATE_LIMIT_CTI_PER_SECOND)',
  RATE_LIMIT_API_PER_SECOND:
    'um inteiro de 0 a 100000 (pedidos POST / PUT / PATCH / DELETE em /v1 que uma empresa pode enviar por segundo, somando todos os ingress, antes de um 429; 0 = sem limite)',
  RATE_LIMIT_API_BURST:
    'um inteiro de 1 a 1000000 (escritas em /v1 que uma empresa pode enviar em sequência antes de valer RATE_LIMIT_API_PER_SECOND)',
  CTI_RING_TIMEOUT_MS:
    'milissegundos de 1000 a 604800000 (sem valor = desligado; uma ligação ainda "tocando" esse tempo sem fim é fechada como "não atendida", atendida ou não, já que o WConnect não envia evento de atendimento; igual ou acima de CTI_CALL_TIMEOUT_MS nunca se aplica)',
  CTI_POP_TOKEN_TTL_MS:
    'milissegundos de 1000 a 86400000 (um token de screen pop expira esse tempo depois de emitido ou depois que seu último stream fechou)',
  CTI_PBX_TIMEOUT_MS:
    'milissegundos de 100 a 120000 (quanto tempo um pedido de click-to-call pode esperar o PABX antes de uma nova tentativa)',
  CTI_CLICK_TO_CALL_EXPIRY_MS:
    'milissegundos de 1000 a 3600000 (um click-to-call não discado esse tempo depois do clique falha como expirado, sem chamar o PABX)',
  CTI_SWEEP_INTERVAL_MS:
    'milissegundos de 100 a 3600000 (de quanto em quanto tempo o worker-cti indexa telefones alterados e fecha ligações passadas de CTI_RING_TIMEOUT_MS / CTI_EXTENSION_CALL_TIMEOUT_MS / CTI_CALL_TIMEOUT_MS)',
  RETENTION_JOBS_DAYS:
    'dias, 0 ou de 7 a 36500 (por quanto tempo os registros de jobs, os envios SET com suas tentativas e as execuções GET terminados são guardados; 0 = para sempre; no mínimo os 7 dias em que uma Idempotency-Key fica vinculada, para que uma repetição dela não envie nenhum registro duas vezes)',
  RETENTION_WEBHOOKS_DAYS:
    'dias, 0 ou de 7 a 36500 (por quanto tempo as entregas de webhook terminadas, com suas tentativas e mensagens, e as chaves de idempotência dos eventos de mudança são guardadas; 0 = para sempre; no mínimo os 7 dias em que uma Idempotency-Key fica vinculada, para que uma repetição dela não publique nenhuma mudança duas vezes)',
  RETENTION_AUDIT_DAYS: 'dias de 0 a 36500 (por quanto tempo a trilha de auditoria das ações dos operadores é guardada; 0 = para sempre)',
  RETENTION_CALLS_DAYS:
    'dias de 0 a 36500 (por quanto tempo as ligações encerradas do registro de chamadas do CTI são guardadas; 0 = para sempre, o padrão: o CRM as mostra)',
  RETENTION_INTERVAL_MS:
    'milissegundos de 60000 a 86400000 (de quanto em quanto tempo um worker da frota apaga o histórico passado da sua retenção)',
  WEBHOOK_SECRET_KEY:
    '32 bytes aleatórios como 64 dígitos hexadecimais ou 44 caracteres base64 (openssl rand -base64 32); ela sela em repouso os segredos de assinatura dos webhooks',
  WEBHOOK_ALLOWED_NETWORKS:
    'endereços IP ou faixas CIDR, separados por vírgula, que os webhooks podem alcançar mesmo não sendo públicos, como 10.1.2.0/24,127.0.0.1 (nunca link-local nem de metadados de nuvem)',
  WEBHOOK_HTTPS_ONLY:
    'true ou false (true: as URLs de webhook precisam ser https://; uma http:// é recusada ao salvar e, se gravada antes, também na entrega)',
  WEBHOOK_RETRY_SCHEDULE_MS:
    'esperas em milissegundos, separadas por vírgula, antes de cada nova tentativa (depois da primeira, imediata), no máximo 50',
  WEBHOOK_TIMEOUT_MS: 'milissegundos de 100 a 300000 (tempo total que uma tentativa de webhook pode levar)',
  WEBHOOK_CONNECT_TIMEOUT_MS: 'milissegundos de 100 a 60000 (tempo para abrir uma conexão com a URL de um webhook)',
  WEBHOOK_THROTTLED_DELAY_MS: 'milissegundos de 0 a 3600000 (espera mínima antes de tentar de novo depois de um 429 ou de um timeout)',
  WEBHOOK_DISABLE_AFTER_MS: 'milissegundos de 1000 a 7776000000 (um endpoint que falha sem parar por esse tempo é desativado)',
  WEBHOOK_ROTATION_GRACE_MS:
    'milissegundos de 0 a 2592000000 (por quanto tempo o segredo de assinatura anterior ainda assina depois de uma rotação)',
  WEBHOOK_BREAKER_FAILURES: 'um inteiro de 1 a 1000 (falhas seguidas que abrem o disjuntor de um endpoint)',
  WEBHOOK_MAX_PAYLOAD_BYTES: 'bytes de 1024 a 104857600 (o maior corpo de webhook que o hub envia; um maior falha sem ser enviado)',
  WEBHOOK_BREAKER_COOLDOWN_MS: 'milissegundos de 100 a 3600000 (quanto tempo um disjuntor aberto segura as entregas de um endpoint)',
  WEBHOOK_ENDPOINT_CONCURRENCY: 'um inteiro de 1 a 1000 (entregas a um endpoint em andamento ao mesmo tempo, somando todos os workers)',
  WEBHOOK_CAPTURE:
    'route (o CRM informa as mudanças em POST /v1/events/crm-change) ou triggers (o worker-webhook instala triggers de captura nas tabelas do CRM e esvazia o outbox delas)',
  WEBHOOK_OUTBOX_INTERVAL_MS: 'milissegundos de 50 a 600000 (de quanto em quanto tempo o worker-webhook esvazia o outbox de captura)',
  DASHBOARD: 'on ou off (se o ingress serve o painel dos operadores em /dashboard)',
  DASHBOARD_PORT: 'um inteiro de 1 a 65535 (onde o painel escuta quando roda sozinho)',
  DASHBOARD_SECURE_COOKIES: 'true ou false (true: o cookie de sessão só vai por HTTPS — ligue atrás de TLS)',
  DASHBOARD_VALIDATE_TIMEOUT_MS:
    'milissegundos de 100 a 600000 (quanto tempo o Validar do painel espera a URL de um tipo de evento; nunca mais que ENDPOINT_TIMEOUT_MS, que limita um valor maior; a sincronização mantém ENDPOINT_TIMEOUT_MS)',
  INTEGRADOR_LANG: 'pt-BR ou en',
};

const CONFIG_TEXTS = defineCatalogue<'INVALID_ENV' | 'SECRET_VALUE' | 'ALWAYS_REFUSED_NETWORK'>({
  INVALID_ENV: {
    'pt-BR': 'variável de ambiente {variable} inválida: esperado {expected}, recebido {got}',
    en: 'invalid environment variable {variable}: expected {expected}, got {got}',
  },
  // An allowlist entry within what the outbound guard refuses for every connection (alwaysRefusedEntry): it opens nothing.
  ALWAYS_REFUSED_NETWORK: {
    'pt-BR':
      'variável de ambiente {variable} inválida: {got} está numa faixa que o hub nunca alcança ({range}, onde as nuvens servem os metadados e as credenciais da máquina), nem para webhooks nem para conexões; tire-a da lista',
    en: "invalid environment variable {variable}: {got} lies in a range the hub never reaches ({range}, where clouds serve a machine's metadata and credentials), for webhooks and connections alike; remove it from the list",
  },
  SECRET_VALUE: { 'pt-BR': 'um valor de {characters} caracteres', en: 'a value of {characters} characters' },
});

/** A rejected value as a message may show it: its text (JSON, masked), or for a secret only its length. */
export type ShownValue = string | { characters: number };

/** What a variable expects, in a locale: the schema's sentence in English. */
function expected(locale: Locale, variable: ConfigVariable): string {
  if (locale === 'pt-BR') return EXPECTED_PT_BR[variable];
  if (variable === 'INTEGRADOR_LANG') return 'pt-BR or en';
  return (EnvSchema.properties as Record<string, { 'x-expected'?: string }>)[variable]?.['x-expected'] ?? 'a valid value';
}

/** Why a value of the right shape is refused (its expected sentence would not say it), with what the message names. */
export interface ConfigRefusalReason {
  code: 'ALWAYS_REFUSED_NETWORK';
  /** The outbound guard's range name (linkLocal, cloudMetadata), worded by @integrador/connections. */
  range: string;
}

/** A refused variable's one line in a locale. */
export function invalidEnvText(locale: Locale, variable: ConfigVariable, got: ShownValue, reason?: ConfigRefusalReason): string {
  const shown = typeof got === 'string' ? got : CONFIG_TEXTS.message(locale, 'SECRET_VALUE', got);
  if (reason) return CONFIG_TEXTS.message(locale, reason.code, { variable, got: shown, range: addressRangeText(locale, reason.range) });
  return CONFIG_TEXTS.message(locale, 'INVALID_ENV', { variable, expected: expected(locale, variable), got: shown });
}
