import { Command, Option } from 'commander';
import type { Cli } from './cli-context';
import { registerConfigCommand } from './commands/config-lint.command';
import { registerConnectionsCommand } from './commands/connections.command';
import { registerCtiCommand } from './commands/cti.command';
import { registerEndpointsCommands } from './commands/endpoints.command';
import { registerJobCommand } from './commands/job.command';
import { registerLimitsCommand } from './commands/limits.command';
import { registerMigrateCommand } from './commands/migrate.command';
import { registerOperatorsCommand } from './commands/operators.command';
import { registerReceptorCommands } from './commands/receptor.command';
import { registerRunCommand } from './commands/run.command';
import { registerSchedulesCommand } from './commands/schedules.command';
import { registerSeedDemoCommand } from './commands/seed-demo.command';
import { registerTenantCommand } from './commands/tenant.command';
import { registerWebhooksCommand } from './commands/webhooks.command';
import { helpConfiguration, LOCALES, translateCommanderError } from './messages';

/** The version `--version` prints: the CLI package's. */
const CLI_VERSION: string = require('../package.json').version;

/** The `integrador` program; texts in the locale chosen with --lang (pt-BR by default). */
export function buildProgram(cli: Cli): Command {
  const program = new Command('integrador')
    .description(cli.text.program)
    .addOption(new Option('--lang <lang>', cli.text.langOption).choices(LOCALES).default('pt-BR'))
    .version(CLI_VERSION, '-V, --version', cli.text.versionOption)
    .helpOption('-h, --help', cli.text.helpOption)
    .helpCommand('help [command]', cli.text.helpCommand)
    .configureHelp(helpConfiguration(cli.locale))
    .showSuggestionAfterError()
    // Parse errors come back as CommanderError instead of process.exit, so run() decides the exit code.
    .exitOverride()
    .configureOutput({ outputError: (message, write) => write(translateCommanderError(message, cli.locale)) });
  // Subcommands made with .command() inherit the settings above (output, exitOverride, help).
  registerMigrateCommand(program, cli);
  registerTenantCommand(program, cli);
  registerConfigCommand(program, cli);
  registerSeedDemoCommand(program, cli);
  registerRunCommand(program, cli);
  registerReceptorCommands(program, cli);
  registerEndpointsCommands(program, cli);
  registerSchedulesCommand(program, cli);
  registerConnectionsCommand(program, cli);
  registerJobCommand(program, cli);
  registerLimitsCommand(program, cli);
  registerWebhooksCommand(program, cli);
  registerCtiCommand(program, cli);
  registerOperatorsCommand(program, cli);
  return program;
}
