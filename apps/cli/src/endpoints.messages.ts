import { defineTexts } from '@integrador/i18n';

/** The texts of `integrador endpoints …` and `integrador tenant limit` (kept apart from messages.ts to ease merges). */
export interface EndpointTexts {
  endpoints: string;
  list: string;
  validate: string;
  sync: string;
  privateNetwork: string;
  tenantLimit: string;
  empresaOption: string;
  tipoOption: string;
  waitOption: string;
  allowOption: string;
  denyOption: string;
  servicosOption: string;
  allowOrDeny: string;
  invalidTipo: (value: string) => string;
  invalidLimit: (value: string) => string;
  serviceNotFound: (id: number, empresaId: number) => string;
  noServices: (empresaId: number) => string;
  serviceLine: (id: number, nome: string, status: string, eventos: string) => string;
  reasonLine: (reason: string) => string;
  validationLine: (tipo: string, ok: boolean, message: string) => string;
  recordErrorLine: (message: string) => string;
  enqueued: (id: number, jobId: string) => string;
  reportLine: (tipo: string, recebidos: number, validos: number, invalidos: number) => string;
  failed: (reason: string) => string;
  privateNetworkSet: (id: number, allowed: boolean) => string;
  limitShown: (empresaId: number, limit: number, used: number) => string;
  limitSet: (empresaId: number, limit: number) => string;
}

const ptBR: EndpointTexts = {
  endpoints: 'serviços de endpoint JSON (contatos e eventos buscados de uma URL da empresa): listar, validar, sincronizar',
  empresaOption: 'empresa (tenant) dona do serviço (id)',
  list: 'lista os serviços de endpoint de uma empresa com o status de cada um',
  validate: 'valida o endpoint de cada tipo de evento (busca e confere os registros, sem gravar nada)',
  sync: 'enfileira uma sincronização do serviço na fila get (como POST /v1/endpoints/:id/sync)',
  privateNetwork:
    'permite (ou proíbe) que o serviço acesse endereços da rede privada (o loopback só com OUTBOUND_ALLOW_LOOPBACK=true): decisão do operador',
  tenantLimit: 'mostra ou define o limite de serviços de endpoint do contrato da empresa',
  tipoOption: 'sincroniza só este tipo de evento (contato ou evento)',
  waitOption: 'espera a sincronização terminar e mostra o relatório',
  allowOption: 'permite endereços internos',
  denyOption: 'proíbe endereços internos (o padrão)',
  servicosOption: 'quantos serviços de endpoint a empresa pode criar',
  allowOrDeny: 'informe --allow ou --deny',
  invalidTipo: (value) => `--tipo deve ser contato ou evento, recebido "${value}"`,
  invalidLimit: (value) => `--servicos-endpoint deve ser um número inteiro de 0 a 1000, recebido "${value}"`,
  serviceNotFound: (id, empresaId) => `o serviço de endpoint #${id} não existe na empresa #${empresaId}`,
  noServices: (empresaId) => `A empresa #${empresaId} não tem serviços de endpoint.`,
  serviceLine: (id, nome, status, eventos) => `#${id} ${nome} — ${status} — ${eventos}`,
  reasonLine: (reason) => `  motivo: ${reason}`,
  validationLine: (tipo, ok, message) => `${ok ? 'OK' : 'ERRO'} ${tipo}: ${message}`,
  recordErrorLine: (message) => `  - ${message}`,
  enqueued: (id, jobId) => `Sincronização do serviço #${id} enfileirada: job ${jobId} na fila get.`,
  reportLine: (tipo, recebidos, validos, invalidos) => `${tipo}: ${recebidos} recebidos, ${validos} gravados, ${invalidos} inválidos`,
  failed: (reason) => `a sincronização falhou: ${reason}`,
  privateNetworkSet: (id, allowed) => `Serviço #${id}: endereços internos ${allowed ? 'permitidos' : 'proibidos'}.`,
  limitShown: (empresaId, limit, used) => `Empresa #${empresaId}: ${used} de ${limit} serviços de endpoint em uso.`,
  limitSet: (empresaId, limit) => `Empresa #${empresaId}: limite de serviços de endpoint definido em ${limit}.`,
};

const en: EndpointTexts = {
  endpoints: "JSON endpoint services (contatos and eventos fetched from the empresa's URL): list, validate, sync",
  empresaOption: 'the empresa (tenant) the service belongs to (id)',
  list: "lists an empresa's endpoint services with each one's status",
  validate: "validates each event type's endpoint (fetches and checks the records, writes nothing)",
  sync: 'enqueues a sync of the service on the get queue (like POST /v1/endpoints/:id/sync)',
  privateNetwork:
    "allows (or forbids) the service to reach private network addresses (loopback only with OUTBOUND_ALLOW_LOOPBACK=true): the operator's decision",
  tenantLimit: "shows or sets the empresa's contract limit of endpoint services",
  tipoOption: 'syncs only this event type (contato or evento)',
  waitOption: 'waits for the sync to finish and prints the report',
  allowOption: 'allows internal addresses',
  denyOption: 'forbids internal addresses (the default)',
  servicosOption: 'how many endpoint services the empresa may create',
  allowOrDeny: 'give --allow or --deny',
  invalidTipo: (value) => `--tipo must be contato or evento, got "${value}"`,
  invalidLimit: (value) => `--servicos-endpoint must be an integer from 0 to 1000, got "${value}"`,
  serviceNotFound: (id, empresaId) => `endpoint service #${id} does not exist in empresa #${empresaId}`,
  noServices: (empresaId) => `Empresa #${empresaId} has no endpoint services.`,
  serviceLine: (id, nome, status, eventos) => `#${id} ${nome} — ${status} — ${eventos}`,
  reasonLine: (reason) => `  reason: ${reason}`,
  validationLine: (tipo, ok, message) => `${ok ? 'OK' : 'ERROR'} ${tipo}: ${message}`,
  recordErrorLine: (message) => `  - ${message}`,
  enqueued: (id, jobId) => `Sync of service #${id} enqueued: job ${jobId} on the get queue.`,
  reportLine: (tipo, recebidos, validos, invalidos) => `${tipo}: ${recebidos} received, ${validos} written, ${invalidos} invalid`,
  failed: (reason) => `the sync failed: ${reason}`,
  privateNetworkSet: (id, allowed) => `Service #${id}: internal addresses ${allowed ? 'allowed' : 'forbidden'}.`,
  limitShown: (empresaId, limit, used) => `Empresa #${empresaId}: ${used} of ${limit} endpoint services in use.`,
  limitSet: (empresaId, limit) => `Empresa #${empresaId}: endpoint service limit set to ${limit}.`,
};

/** The endpoint commands' texts in a locale. */
export const endpointTexts = defineTexts<EndpointTexts>({ 'pt-BR': ptBR, en: en });
