import { defineTexts } from '@integrador/i18n';
import type { LimitScope } from '@integrador/queue';

/** Texts of `integrador limits` (kept apart from messages.ts, which every command shares). */
export interface LimitsMessages {
  limits: string;
  limitsSet: string;
  limitsList: string;
  limitsRemove: string;
  limitsSync: string;
  rateOption: string;
  burstOption: string;
  concurrencyOption: string;
  connectionOption: string;
  filialOption: string;
  empresaOption: string;
  invalidNumber: (label: string, value: string, max: number) => string;
  nothingToLimit: string;
  concurrencyOnConnection: string;
  saved: (scope: string, created: boolean, promoted: number) => string;
  removed: (scope: string, promoted: number) => string;
  notFound: (scope: string) => string;
  synced: (count: number) => string;
  none: string;
  row: (scope: string, rate: number, burst: number, concurrency: number) => string;
  /** A limit's scope as a user names it (never the Redis key it is stored under). */
  scope: (scope: LimitScope) => string;
}

const ptBR: LimitsMessages = {
  limits: 'limites por empresa (e por conexão): taxa, rajada e jobs simultâneos, aplicados em todos os workers',
  limitsSet: 'cria ou altera o limite de uma empresa (ou filial, ou conexão); vale para os workers em execução em ~1 s',
  limitsList: 'lista os limites configurados',
  limitsRemove: 'remove um limite (a empresa volta a não ter limite)',
  limitsSync: 'copia a tabela limites_tenant para o Redis (após restaurar o Redis)',
  rateOption: 'jobs (ou chamadas, com --connection) por segundo; 0 = sem limite de taxa',
  burstOption: 'quantos podem começar de uma vez antes de a taxa valer (padrão: a taxa arredondada para cima)',
  concurrencyOption: 'jobs da empresa ativos ao mesmo tempo em todos os workers; 0 = sem limite',
  connectionOption: 'limita as chamadas a esta conexão (nome_conexao) em vez dos jobs',
  filialOption: 'limite só desta filial',
  empresaOption: 'lista só os limites desta empresa (id)',
  invalidNumber: (label, value, max) => `${label} deve ser um número entre 0 e ${max}, recebido "${value}"`,
  nothingToLimit: 'informe --rate ou --concurrency maior que 0 (para tirar o limite use "limits remove")',
  concurrencyOnConnection: '--concurrency limita jobs da empresa; não pode ser usado com --connection',
  saved: (scope, created, promoted) =>
    `Limite ${created ? 'criado' : 'alterado'}: ${scope}.${promoted ? ` ${promoted} job(s) atrasado(s) reavaliado(s) com o novo limite.` : ''}`,
  removed: (scope, promoted) => `Limite removido: ${scope}.${promoted ? ` ${promoted} job(s) atrasado(s) liberado(s).` : ''}`,
  notFound: (scope) => `não há limite configurado para ${scope}`,
  synced: (count) => `${count} limite(s) copiado(s) para o Redis.`,
  none: 'Nenhum limite configurado: nenhuma empresa é limitada.',
  row: (scope, rate, burst, concurrency) =>
    `${scope}: ${rate > 0 ? `${rate}/s (rajada ${burst})` : 'sem limite de taxa'}, ${concurrency > 0 ? `até ${concurrency} simultâneo(s)` : 'sem limite de simultâneos'}`,
  scope: (s) =>
    `empresa ${s.empresaId}${s.filialId === null ? '' : `, filial ${s.filialId}`}${s.connection === null ? '' : `, conexão ${s.connection}`}`,
};

const en: LimitsMessages = {
  limits: 'per-tenant (and per-connection) limits: rate, burst and concurrent jobs, enforced across every worker',
  limitsSet: 'creates or changes the limit of an empresa (or filial, or connection); running workers apply it within ~1 s',
  limitsList: 'lists the configured limits',
  limitsRemove: 'removes a limit (the empresa is unlimited again)',
  limitsSync: 'copies the limites_tenant table into Redis (after a Redis restore)',
  rateOption: 'jobs (or calls, with --connection) per second; 0 = no rate limit',
  burstOption: 'how many may start at once before the rate applies (default: the rate rounded up)',
  concurrencyOption: 'jobs of the empresa active at once across every worker; 0 = no cap',
  connectionOption: 'limits the calls through this connection (nome_conexao) instead of the jobs',
  filialOption: 'a limit of this filial only',
  empresaOption: "lists only this empresa's limits (id)",
  invalidNumber: (label, value, max) => `${label} must be a number from 0 to ${max}, got "${value}"`,
  nothingToLimit: 'give --rate or --concurrency above 0 (to lift a limit use "limits remove")',
  concurrencyOnConnection: '--concurrency caps the empresa’s jobs; it cannot be used with --connection',
  saved: (scope, created, promoted) =>
    `Limit ${created ? 'created' : 'changed'}: ${scope}.${promoted ? ` ${promoted} delayed job(s) re-admitted under the new limit.` : ''}`,
  removed: (scope, promoted) => `Limit removed: ${scope}.${promoted ? ` ${promoted} delayed job(s) released.` : ''}`,
  notFound: (scope) => `no limit is configured for ${scope}`,
  synced: (count) => `${count} limit(s) copied into Redis.`,
  none: 'No limits configured: no empresa is limited.',
  row: (scope, rate, burst, concurrency) =>
    `${scope}: ${rate > 0 ? `${rate}/s (burst ${burst})` : 'no rate limit'}, ${concurrency > 0 ? `at most ${concurrency} at once` : 'no concurrency cap'}`,
  scope: (s) =>
    `empresa ${s.empresaId}${s.filialId === null ? '' : `, filial ${s.filialId}`}${s.connection === null ? '' : `, connection ${s.connection}`}`,
};

/** The limits texts of a locale. */
export const limitsMessages = defineTexts<LimitsMessages>({ 'pt-BR': ptBR, en: en });
