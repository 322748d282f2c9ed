import { migrateDownAll, migrateToLatest } from '@integrador/store';
import type { Command } from 'commander';
import { type Cli, print, withDatabase } from '../cli-context';
import { CliError } from '../cli-error';

interface MigrateOptions {
  down?: boolean;
  yes?: boolean;
}

/** `integrador migrate [--down --yes]`: brings the CRM database to the latest schema, or rolls everything back. */
export function registerMigrateCommand(program: Command, cli: Cli): void {
  program
    .command('migrate')
    .description(cli.text.migrate)
    .option('--down', cli.text.migrateDown)
    .option('--yes', cli.text.migrateYes)
    .action((options: MigrateOptions) => migrate(cli, options));
}

async function migrate(cli: Cli, options: MigrateOptions): Promise<void> {
  // Checked before touching the database: a refused --down must not even connect.
  if (options.down && !options.yes) throw new CliError(cli.text.downNeedsYes);
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
