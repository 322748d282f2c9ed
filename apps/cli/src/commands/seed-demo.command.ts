import { loadConfig } from '@integrador/config';
import { issueApiKey, migrateToLatest } from '@integrador/store';
import type { Command } from 'commander';
import { type Cli, print, printJson, withDatabase } from '../cli-context';
import { DEMO_KEY_NAME } from '../demo/demo-data';
import { SET_WS_CONTAS } from '../demo/demo-integracoes';
import { demoGatilhoExamples, firstContaId, listDemoIntegrations, listDemoRamais, seedDemoTenant } from '../demo/seed-demo';
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
  // Loaded once, before anything is written: the database and the lint hint's CONNECTIONS_FILE come from it.
  const config = loadConfig();
  await withDatabase(async (database) => {
    await migrateToLatest(database);
    const demo = await seedDemoTenant(database);
    const apiKey = await issueApiKey(database.db, demo.empresaId, null, DEMO_KEY_NAME);
    // Read back, not taken from the insert: a reused tenant lists its integrations too, as they are now.
    const integracoes = await listDemoIntegrations(database.db, demo.empresaId);
    const gatilhos = await demoGatilhoExamples(database.db, demo.empresaId);
    const ramais = await listDemoRamais(database.db, demo.empresaId);
    if (options.json) {
      return printJson({
        empresaId: demo.empresaId,
        filialId: demo.filialId,
        apiKey,
        created: demo.created,
        integracoes,
        gatilhos,
        ramais,
      });
    }
    print(demo.created ? cli.text.demoCreated(demo) : cli.text.demoReused(demo));
    printIssuedKey(cli, DEMO_KEY_NAME, apiKey);
    if (integracoes.length > 0) print(cli.text.demoIntegrations(demo.empresaId, integracoes));
    print(cli.text.demoLintHint(demo.empresaId, config.connectionsFile));
    // Only an integration that may run is offered to try (the demo's, unless someone turned it off or made it a component).
    const contas = integracoes.find((integracao) => integracao.nome === SET_WS_CONTAS && integracao.ativa && !integracao.componente);
    const contaId = contas ? await firstContaId(database.db, demo.empresaId) : null;
    if (contas && contaId !== null) print(cli.text.demoTryHint(demo.empresaId, contas.id, contaId));
    if (gatilhos.length > 0) print(cli.text.demoWebhookHint(gatilhos));
    if (ramais.length > 0) print(cli.text.demoRamaisHint(demo.empresaId, ramais));
  }, config);
}
