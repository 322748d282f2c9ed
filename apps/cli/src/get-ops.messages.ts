import { defineTexts, plural } from '@integrador/i18n';
import type { EndpointScheduleEntry, InvalidSchedule, ReconcileReport, ScheduleEntry } from '@integrador/integrador';
import { localTime } from './local-time';
import type { Locale } from './messages';

/** The texts of `schedules list|sync` and of a GET run's progress, in one locale (kept apart from messages.ts). */
export interface GetOpsMessages {
  schedules: string;
  schedulesList: string;
  schedulesSync: string;
  schedulesEmpresaOption: string;
  schedulesPause: string;
  schedulesResume: string;
  schedulesPauseEmpresaOption: string;
  schedulesPauseFilialOption: string;
  schedulePaused: (integracaoId: number, empresaId: number, paused: boolean, tz: string) => string;
  notAGetIntegration: (integracaoId: number, empresaId: number) => string;
  noSchedule: (integracaoId: number) => string;
  tenantPause: string;
  tenantResume: string;
  tenantPaused: (empresaId: number, schedules: number) => string;
  tenantResumed: (empresaId: number, released: number) => string;
  filialScope: (what: string, filialId: string) => string;
  noSchedules: string;
  scheduleLine: (entry: ScheduleEntry, timeZone: string) => string;
  endpointScheduleLine: (entry: EndpointScheduleEntry, timeZone: string) => string;
  syncSummary: (report: ReconcileReport) => string;
  invalidCron: (invalid: InvalidSchedule) => string;
  runDeduplicated: (integracaoId: number, jobId: string) => string;
  progressFormat: string;
  phase: Record<string, string>;
  getCompleted: (jobId: string, result: GetRunSummary) => string;
  skipped: (jobId: string, runningJobId: string) => string;
}

/** The counts of a finished GET run the CLI prints. */
export interface GetRunSummary {
  mode: string;
  /** A reconcile pass (absent in results of older versions). */
  reconcile?: boolean;
  rowsRead: number;
  rowsWritten: number;
  rowsSkipped: number;
  rowsMarkedDeleted: number;
  /** Rows (of the skipped) whose key a later row of the same pull also had. */
  rowsDuplicateKey?: number;
  durationMs: number;
}

// In the zone the schedules run in (SCHEDULE_TIMEZONE), as `cti calls` and the dashboard show times; --json keeps ISO UTC.
const when = (iso: string | null, none: string, timeZone: string) => (iso ? localTime(new Date(iso), timeZone) : none);
const seconds = (ms: number, locale: Locale) => (ms / 1000).toLocaleString(locale, { maximumFractionDigits: 1 });

/** A GET run's mode (the result's 'full' / 'incremental') in integracao.modo's own words. */
const MODE_PT: Readonly<Record<string, string>> = { full: 'completo', incremental: 'incremental' };
/** A GET run's status (integracao_sincronizacao_execucoes.status) as each language writes it (the dashboard's words). */
const RUN_STATUS: Readonly<Record<Locale, Readonly<Record<string, string>>>> = {
  'pt-BR': { executando: 'em execução', concluido: 'concluído', falhou: 'falhou' },
  en: { executando: 'running', concluido: 'completed', falhou: 'failed' },
};
const runStatus = (locale: Locale, status: string) => RUN_STATUS[locale][status] ?? status;

const ptBR: GetOpsMessages = {
  schedules: 'agendamentos (cron) das integrações GET e dos serviços de endpoint',
  schedulesList: 'lista as integrações GET e os serviços de endpoint com o cron, a próxima execução e a última',
  schedulesSync: 'faz os agendamentos no Redis seguirem integracao.cron agora (o worker-get também faz isso periodicamente)',
  schedulesEmpresaOption: 'só as integrações desta empresa (id)',
  schedulesPause: 'pausa o agendamento de uma integração GET (não roda pelo cron até retomar; execuções sob demanda continuam)',
  schedulesResume: 'retoma o agendamento pausado de uma integração GET',
  schedulesPauseEmpresaOption: 'a empresa da integração (id)',
  schedulesPauseFilialOption: 'agir como esta filial (id): só altera agendamentos da própria filial, como a chave de API dela',
  schedulePaused: (id, empresaId, paused, tz) =>
    paused
      ? `Agendamento da integração #${id} (empresa ${empresaId}) pausado.`
      : `Agendamento da integração #${id} (empresa ${empresaId}) retomado; volta a rodar pelo cron (${tz}).`,
  notAGetIntegration: (id, empresaId) => `a integração #${id} não existe na empresa #${empresaId} ou não é uma integração GET`,
  noSchedule: (id) =>
    `a integração #${id} não tem agendamento (sem cron, inativa ou componente): não há o que pausar; ela só roda quando alguém a executa`,
  tenantPause:
    'pausa a empresa toda: os agendamentos GET param e os jobs na fila esperam, sem gastar tentativas, até retomar (pedidos continuam sendo aceitos)',
  tenantResume: 'retoma a empresa pausada: os agendamentos voltam e os jobs retidos rodam em seguida',
  tenantPaused: (empresaId, schedules) => `Empresa #${empresaId} pausada (${schedules} agendamento(s) GET parado(s)).`,
  tenantResumed: (empresaId, released) =>
    `Empresa #${empresaId} retomada (${plural(released, 'job retido liberado', 'jobs retidos liberados')}).`,
  filialScope: (what, filial) => `${what} pertence à empresa toda ou a outra filial; como a filial #${filial} só se alteram objetos dela`,
  noSchedules: 'Nenhuma integração GET nem serviço de endpoint.',
  scheduleLine: (e, tz) => {
    const cron = e.cron ? `cron "${e.cron}"${e.tz ? ` (${e.tz})` : ''}` : 'sem cron';
    const status = {
      scheduled: 'agendada',
      pending: 'pendente (ainda não sincronizada ou cron inválido)',
      paused: 'pausada',
      not_scheduled: 'não agendada',
    }[e.status];
    const last = e.lastRun
      ? `${runStatus('pt-BR', e.lastRun.status)} em ${when(e.lastRun.finishedAt ?? e.lastRun.startedAt, '?', tz)}, ${e.lastRun.rowsRead} lidas, ${e.lastRun.rowsWritten} gravadas${e.lastRun.error ? ` — ${e.lastRun.error}` : ''}`
      : 'nenhuma';
    return `#${e.integracaoId} ${e.nome} (empresa ${e.empresaId}): ${cron}, ${status}; próxima: ${when(e.nextRunAt, '—', tz)}; última: ${last}`;
  },
  endpointScheduleLine: (e, tz) => {
    const cron = e.cron ? `cron "${e.cron}"${e.tz ? ` (${e.tz})` : ''}` : 'sem cron';
    const status = { scheduled: 'agendado', pending: 'pendente (ainda não sincronizado)', not_scheduled: 'não agendado' }[e.status];
    const last = e.lastRun ? `${e.lastRun.status} em ${when(e.lastRun.at, '?', tz)}` : 'nenhuma';
    return `serviço de endpoint #${e.servicoId} ${e.nome} (empresa ${e.empresaId}): ${cron}, ${status}; próxima: ${when(e.nextRunAt, '—', tz)}; última: ${last}`;
  },
  syncSummary: (r) =>
    `Agendamentos sincronizados: ${r.created.length} criados, ${r.updated.length} atualizados, ${r.removed.length} removidos, ${r.unchanged} sem mudança, ${r.invalid.length} com cron inválido.`,
  invalidCron: (i) =>
    `cron inválido na integração #${i.integracaoId} (${i.nome}, empresa ${i.empresaId}): "${i.cron}" — ${i.motivo}; não foi agendada`,
  runDeduplicated: (id, jobId) =>
    `A integração #${id} já está em execução ou na fila: acompanhando o job ${jobId} (nenhum novo foi criado).`,
  progressFormat: '{phase} · {rowsRead} lidas · {rowsWritten} gravadas · {rate} linhas/s · {duration_formatted}',
  phase: { lendo: 'lendo', gravando: 'gravando', reconciliando: 'reconciliando', concluido: 'concluído', aguardando: 'aguardando' },
  getCompleted: (jobId, r) =>
    `Job ${jobId} concluído (${MODE_PT[r.mode] ?? r.mode}${r.reconcile ? ', reconciliação' : ''}): ${r.rowsRead} lidas, ${r.rowsWritten} gravadas, ${r.rowsSkipped} ignoradas${r.rowsDuplicateKey ? ` (${r.rowsDuplicateKey} com chave repetida na origem: gravada a última)` : ''}, ${r.rowsMarkedDeleted} marcadas como removidas em ${seconds(r.durationMs, 'pt-BR')} s.`,
  skipped: (jobId, running) => `Job ${jobId} não rodou: o job ${running} da mesma integração já estava em execução.`,
};

const en: GetOpsMessages = {
  schedules: 'schedules (cron) of the GET integrations and endpoint services',
  schedulesList: 'lists the GET integrations and endpoint services with their cron, next run and last run',
  schedulesSync: 'makes the Redis schedulers follow integracao.cron now (worker-get also does it periodically)',
  schedulesEmpresaOption: "only this empresa's integrations (id)",
  schedulesPause: "pauses a GET integration's schedule (no cron runs until resumed; on-demand runs still work)",
  schedulesResume: "resumes a GET integration's paused schedule",
  schedulesPauseEmpresaOption: "the integration's empresa (id)",
  schedulesPauseFilialOption: "act as this filial (id): changes only the filial's own schedules, like its API key",
  schedulePaused: (id, empresaId, paused, tz) =>
    paused
      ? `Schedule of integration #${id} (empresa ${empresaId}) paused.`
      : `Schedule of integration #${id} (empresa ${empresaId}) resumed; it runs on its cron again (${tz}).`,
  notAGetIntegration: (id, empresaId) => `integration #${id} does not exist in empresa #${empresaId} or is not a GET integration`,
  noSchedule: (id) =>
    `integration #${id} has no schedule (no cron, inactive or a componente): there is nothing to pause; it runs only when someone runs it`,
  tenantPause:
    'pauses a whole empresa: its GET schedules stop and its queued jobs wait, using no attempt, until resumed (requests are still accepted)',
  tenantResume: 'resumes a paused empresa: its schedules come back and its held jobs run next',
  tenantPaused: (empresaId, schedules) => `Empresa #${empresaId} paused (${schedules} GET schedule(s) stopped).`,
  tenantResumed: (empresaId, released) => `Empresa #${empresaId} resumed (${plural(released, 'held job', 'held jobs')} released).`,
  filialScope: (what, filial) =>
    `${what} belongs to the whole empresa or to another filial; acting as filial #${filial} changes only its own objects`,
  noSchedules: 'No GET integrations and no endpoint services.',
  scheduleLine: (e, tz) => {
    const cron = e.cron ? `cron "${e.cron}"${e.tz ? ` (${e.tz})` : ''}` : 'no cron';
    const status = {
      scheduled: 'scheduled',
      pending: 'pending (not synced yet, or an invalid cron)',
      paused: 'paused',
      not_scheduled: 'not scheduled',
    }[e.status];
    const last = e.lastRun
      ? `${runStatus('en', e.lastRun.status)} at ${when(e.lastRun.finishedAt ?? e.lastRun.startedAt, '?', tz)}, ${e.lastRun.rowsRead} read, ${e.lastRun.rowsWritten} written${e.lastRun.error ? ` — ${e.lastRun.error}` : ''}`
      : 'none';
    return `#${e.integracaoId} ${e.nome} (empresa ${e.empresaId}): ${cron}, ${status}; next: ${when(e.nextRunAt, '—', tz)}; last: ${last}`;
  },
  endpointScheduleLine: (e, tz) => {
    const cron = e.cron ? `cron "${e.cron}"${e.tz ? ` (${e.tz})` : ''}` : 'no cron';
    const status = { scheduled: 'scheduled', pending: 'pending (not synced yet)', not_scheduled: 'not scheduled' }[e.status];
    const last = e.lastRun ? `${e.lastRun.status} at ${when(e.lastRun.at, '?', tz)}` : 'none';
    return `endpoint service #${e.servicoId} ${e.nome} (empresa ${e.empresaId}): ${cron}, ${status}; next: ${when(e.nextRunAt, '—', tz)}; last: ${last}`;
  },
  syncSummary: (r) =>
    `Schedules synced: ${r.created.length} created, ${r.updated.length} updated, ${r.removed.length} removed, ${r.unchanged} unchanged, ${r.invalid.length} with an invalid cron.`,
  invalidCron: (i) =>
    `invalid cron in integration #${i.integracaoId} (${i.nome}, empresa ${i.empresaId}): "${i.cron}" — ${i.reason}; not scheduled`,
  runDeduplicated: (id, jobId) => `Integration #${id} is already running or queued: following job ${jobId} (no new one was created).`,
  progressFormat: '{phase} · {rowsRead} read · {rowsWritten} written · {rate} rows/s · {duration_formatted}',
  phase: { lendo: 'reading', gravando: 'writing', reconciliando: 'reconciling', concluido: 'done', aguardando: 'waiting' },
  getCompleted: (jobId, r) =>
    `Job ${jobId} completed (${r.mode}${r.reconcile ? ', reconcile' : ''}): ${r.rowsRead} read, ${r.rowsWritten} written, ${r.rowsSkipped} skipped${r.rowsDuplicateKey ? ` (${r.rowsDuplicateKey} with a key repeated at the source: the last one written)` : ''}, ${r.rowsMarkedDeleted} marked deleted in ${seconds(r.durationMs, 'en')} s.`,
  skipped: (jobId, running) => `Job ${jobId} did not run: job ${running} of the same integration was already running.`,
};

/** The GET operations texts of a locale. */
export const getOpsMessages = defineTexts<GetOpsMessages>({ 'pt-BR': ptBR, en: en });
