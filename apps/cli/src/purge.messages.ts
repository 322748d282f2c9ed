import { defineTexts } from '@integrador/i18n';

/** Texts of `integrador purge` (kept apart from messages.ts, which every command shares). */
export interface PurgeMessages {
  purge: string;
  dryRunOption: string;
  empresaOption: string;
  retention: (jobs: number, webhooks: number, audit: number, calls: number) => string;
  row: (table: string, rows: number, dryRun: boolean) => string;
  nothing: (dryRun: boolean) => string;
  keptForJobs: (rows: number) => string;
  total: (rows: number, dryRun: boolean) => string;
}

const days = (n: number, forever: string, unit: string) => (n === 0 ? forever : `${n} ${unit}`);

const ptBR: PurgeMessages = {
  purge:
    'apaga o histórico passado da retenção (RETENTION_*_DAYS) que o motor não usa mais; os workers já fazem isso a cada RETENTION_INTERVAL_MS (1 h por padrão), um de cada vez',
  dryRunOption: 'só conta o que seria apagado, sem apagar nada',
  empresaOption: 'só o histórico desta empresa (id)',
  retention: (jobs, webhooks, audit, calls) =>
    `Retenção: jobs ${days(jobs, 'para sempre', 'dias')}, webhooks ${days(webhooks, 'para sempre', 'dias')}, auditoria ${days(audit, 'para sempre', 'dias')}, ligações ${days(calls, 'para sempre', 'dias')}.`,
  row: (table, rows, dryRun) => `${table}: ${rows} linha(s) ${dryRun ? 'seriam apagadas' : 'apagada(s)'}`,
  nothing: (dryRun) => (dryRun ? 'Nada seria apagado.' : 'Nada a apagar.'),
  keptForJobs: (rows) => `${rows} linha(s) antiga(s) mantida(s): o job delas ainda está no Redis (sai numa próxima limpeza).`,
  total: (rows, dryRun) => `Total: ${rows} linha(s) ${dryRun ? 'seriam apagadas (nada foi apagado)' : 'apagada(s)'}.`,
};

const en: PurgeMessages = {
  purge:
    'deletes the history past its retention (RETENTION_*_DAYS) the engine no longer needs; the workers already do it every RETENTION_INTERVAL_MS (1 h by default), one at a time',
  dryRunOption: 'only count what would be deleted, delete nothing',
  empresaOption: "only this empresa's history (id)",
  retention: (jobs, webhooks, audit, calls) =>
    `Retention: jobs ${days(jobs, 'forever', 'days')}, webhooks ${days(webhooks, 'forever', 'days')}, audit ${days(audit, 'forever', 'days')}, calls ${days(calls, 'forever', 'days')}.`,
  row: (table, rows, dryRun) => `${table}: ${rows} row(s) ${dryRun ? 'would be deleted' : 'deleted'}`,
  nothing: (dryRun) => (dryRun ? 'Nothing would be deleted.' : 'Nothing to delete.'),
  keptForJobs: (rows) => `${rows} old row(s) kept: their job is still in Redis (a later purge removes them).`,
  total: (rows, dryRun) => `Total: ${rows} row(s) ${dryRun ? 'would be deleted (nothing was deleted)' : 'deleted'}.`,
};

export const purgeMessages = defineTexts<PurgeMessages>({ 'pt-BR': ptBR, en });
