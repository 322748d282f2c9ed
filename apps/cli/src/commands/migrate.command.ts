import { loadConfig } from '@integrador/config';
import { migrateDownAll, migrateToLatest, migrationStatus } from '@integrador/store';
import type { Command } from 'commander';
import { type Cli, print, withDatabase } from '../cli-context';
import { CliError } from '../cli-error';
import { localTime } from '../local-time';

interface MigrateOptions {
  down?: boolean;
  yes?: boolean;
  status?: boolean;
}

/**
 * `integrador migrate [--status | --down --yes]`: brings the CRM database to the latest schema, shows what it would
 * apply (before a maintenance window), or rolls everything back.
 */
export function registerMigrateCommand(program: Command, cli: Cli): void {
  program
    .command('migrate')
    .description(cli.text.migrate)
    .option('--down', cli.text.migrateDown)
    .option('--yes', cli.text.migrateYes)
    .option('--status', cli.text.migrateStatus)
    .action((options: MigrateOptions) => migrate(cli, options));
}

async function migrate(cli: Cli, options: MigrateOptions): Promise<void> {
  // Checked before touching the database: a refused --down must not even connect.
  if (options.down && options.status) throw new CliError(cli.text.statusWithDown);
  if (options.down && !options.yes) throw new CliError(cli.text.downNeedsYes);
  if (options.status) return migrateStatus(cli);
  await withDatabase(async (database) => {
    if (options.down) {
      await migrateDownAll(database);
      print(cli.text.downDone);
      return;
    }
    const applied = await migrateToLatest(database);
    print(applied.length > 0 ? cli.text.migrated(applied) : cli.text.upToDate);
  });
}

/** One line per migration (applied with when, pending, unknown to this version), then what to do. Applies nothing. */
async function migrateStatus(cli: Cli): Promise<void> {
  const config = loadConfig();
  await withDatabase(async (database) => {
    const status = await migrationStatus(database);
    for (const m of status.applied) print(cli.text.migrationApplied(m.name, localTime(m.executedAt, config.scheduleTimezone)));
    for (const name of status.pending) print(cli.text.migrationPending(name));
    for (const name of status.unknown) print(cli.text.migrationUnknown(name));
    if (status.unknown[0] !== undefined) print(cli.text.newerSchema(status.unknown[0]));
    else print(status.pending.length > 0 ? cli.text.migrationsPending(status.pending.length) : cli.text.upToDate);
  }, config);
}
