import { issueApiKey, migrateToLatest } from '@integrador/store';
import type { Command } from 'commander';
import { type Cli, print, printJson, withDatabase } from '../cli-context';
import { DEMO_KEY_NAME } from '../demo/demo-data';
import { seedDemoTenant } from '../demo/seed-demo';
import { printIssuedKey } from '../issued-key';

/** `integrador seed-demo`: the demo tenant (created once, reused after) and a new API key for it. */
export function registerSeedDemoCommand(program: Command, cli: Cli): void {
  program
    .command('seed-demo')
    .description(cli.text.seedDemo)
    .option('--json', cli.text.jsonOption)
    .action((options: { json?: boolean }) => seedDemo(cli, options));
}

async function seedDemo(cli: Cli, options: { json?: boolean }): Promise<void> {
  await withDatabase(async (database) => {
    await migrateToLatest(database);
    const demo = await seedDemoTenant(database.db);
    const apiKey = await issueApiKey(database.db, demo.empresaId, null, DEMO_KEY_NAME);
    if (options.json) return printJson({ empresaId: demo.empresaId, filialId: demo.filialId, apiKey, created: demo.created });
    print(demo.created ? cli.text.demoCreated(demo) : cli.text.demoReused(demo.empresaId));
    printIssuedKey(cli, DEMO_KEY_NAME, apiKey);
    print(cli.text.demoLintHint(demo.empresaId));
  });
}
