import { defineCatalogue } from '@integrador/i18n';

/** The fleet's own words to the operator who ran `npm start` (its log lines stay English JSON). */
export const FLEET_MESSAGES = defineCatalogue<
  | 'PORT_IN_USE'
  | 'CONNECTIONS_INVALID'
  | 'CONNECTIONS_INVALID_ON_HANGUP'
  | 'READY'
  | 'READY_PARTIAL'
  | 'READY_UNCHECKED'
  | 'READY_DASHBOARD'
  | 'READY_WORKER_METRICS'
  | 'READY_WAITING'
  | 'READY_STOP'
>({
  PORT_IN_USE: {
    'pt-BR':
      'porta {port} em uso (outra frota?): {variable} {port} já está ocupada em {host}; pare o processo que a usa ou escolha outra porta ({variable}). A frota não foi iniciada.',
    en: 'port {port} in use (another fleet?): {variable} {port} is already taken on {host}; stop the process using it or choose another port ({variable}). The fleet was not started.',
  },
  // Above the file's problems, one a line in the same language (ConnectionsFileError.localized).
  CONNECTIONS_INVALID: {
    'pt-BR': 'A frota não foi iniciada: o arquivo de conexões (CONNECTIONS_FILE) tem problemas; corrija-os e inicie de novo:',
    en: 'The fleet was not started: the connections file (CONNECTIONS_FILE) has problems; fix them and start again:',
  },
  // A running fleet signalled (SIGHUP) after the file was broken: every app keeps what it read last (each logs it).
  CONNECTIONS_INVALID_ON_HANGUP: {
    'pt-BR':
      'SIGHUP: o arquivo de conexões (CONNECTIONS_FILE) tem problemas; os apps continuam com as conexões que já tinham até que ele seja corrigido e um novo SIGHUP chegue:',
    en: 'SIGHUP: the connections file (CONNECTIONS_FILE) has problems; the apps keep the connections they had until it is fixed and signalled again:',
  },
  READY: {
    'pt-BR':
      'Frota pronta: o ingress e {workers} workers no ar.\n  API:      {base} (documentação: {base}/docs)\n  métricas: {base}/metrics',
    en: 'Fleet ready: the ingress and {workers} workers are up.\n  API:      {base} (documentation: {base}/docs)\n  metrics:  {base}/metrics',
  },
  READY_PARTIAL: {
    'pt-BR':
      'Frota iniciada: o ingress e {up} de {workers} workers no ar.\n  API:      {base} (documentação: {base}/docs)\n  métricas: {base}/metrics',
    en: 'Fleet started: the ingress and {up} of {workers} workers are up.\n  API:      {base} (documentation: {base}/docs)\n  metrics:  {base}/metrics',
  },
  READY_UNCHECKED: {
    'pt-BR':
      'Frota iniciada: o ingress no ar e {workers} workers iniciados (com METRICS_PORT=0 não têm /healthz: não se verifica se estão prontos).\n  API:      {base} (documentação: {base}/docs)\n  métricas: {base}/metrics',
    en: 'Fleet started: the ingress is up and {workers} workers started (with METRICS_PORT=0 they have no /healthz: whether they are ready is not checked).\n  API:      {base} (documentation: {base}/docs)\n  metrics:  {base}/metrics',
  },
  READY_DASHBOARD: {
    'pt-BR': '  painel:   {base}/dashboard (entre com um operador: npm run integrador -- operators create admin --papel admin)',
    en: '  dashboard: {base}/dashboard (sign in as an operator: npm run integrador -- operators create admin --papel admin)',
  },
  READY_WORKER_METRICS: {
    'pt-BR': '  workers:  /metrics, /healthz e /readyz em {first} a {last}',
    en: '  workers:  /metrics, /healthz and /readyz on {first} to {last}',
  },
  READY_WAITING: {
    'pt-BR': '  ainda sem resposta em /readyz: {apps} (Redis no ar? veja os logs)',
    en: '  not answering /readyz yet: {apps} (is Redis up? see the logs)',
  },
  READY_STOP: {
    'pt-BR': '  Ctrl-C para parar; LOG_PRETTY=1 npm start mostra os logs legíveis.',
    en: '  Ctrl-C stops it; LOG_PRETTY=1 npm start shows readable logs.',
  },
});
