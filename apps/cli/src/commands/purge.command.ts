import { loadConfig } from '@integrador/config';
import { purgeHistory } from '@integrador/queue';
import type { Command } from 'commander';
import { type Cli, parseId, print, withDatabase } from '../cli-context';
import { CliError } from '../cli-error';
import { empresaExists } from '../empresas.queries';
import { purgeMessages } from '../purge.messages';
import { withRedis } from '../queue-connection';

/** `integrador purge [--dry-run] [--empresa N]`: the workers' retention sweep, run by hand (or only counted). */
export function registerPurgeCommand(program: Command, cli: Cli): void {
  const text = purgeMessages(cli.locale);
  program
    .command('purge')
    .description(text.purge)
    .option('--dry-run', text.dryRunOption)
    .option('--empresa <id>', text.empresaOption)
    .action((options: { dryRun?: boolean; empresa?: string }) => purge(cli, options));
}

async function purge(cli: Cli, options: { dryRun?: boolean; empresa?: string }): Promise<void> {
  const text = purgeMessages(cli.locale);
  const empresaId = options.empresa === undefined ? undefined : parseId(cli, '--empresa', options.empresa);
  const dryRun = options.dryRun === true;
  const config = loadConfig();
  const { jobsDays, webhooksDays, auditDays, callsDays } = config.retention;
  await withDatabase(async (database) => {
    if (empresaId !== undefined && !(await empresaExists(database.db, empresaId))) throw new CliError(cli.text.empresaNotFound(empresaId));
    const report = await withRedis(cli, config, (redis) =>
      purgeHistory({ database, redis, prefix: config.keyPrefix, retention: config.retention, empresaId, dryRun }),
    );
    print(text.retention(jobsDays, webhooksDays, auditDays, callsDays));
    const rows = Object.entries(report.removed).filter(([, count]) => count > 0);
    for (const [table, count] of rows) print(text.row(table, count, dryRun));
    if (report.keptForJobs > 0) print(text.keptForJobs(report.keptForJobs));
    const total = rows.reduce((sum, [, count]) => sum + count, 0);
    print(total === 0 ? text.nothing(dryRun) : text.total(total, dryRun));
  }, config);
}
