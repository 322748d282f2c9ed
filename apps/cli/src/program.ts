import { HUB_VERSION } from '@integrador/config';
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
import { registerPurgeCommand } from './commands/purge.command';
import { registerReceptorCommands } from './commands/receptor.command';
import { registerRunCommand } from './commands/run.command';
import { registerSchedulesCommand } from './commands/schedules.command';
import { registerSeedDemoCommand } from './commands/seed-demo.command';
import { registerTenantCommand } from './commands/tenant.command';
import { registerWebhooksCommand } from './commands/webhooks.command';
import { helpConfiguration, LOCALES, translateCommanderError } from './messages';

/** The `integrador` program; texts in the locale chosen with --lang (pt-BR by default). */
export function buildProgram(cli: Cli): Command {
  const program = new Command('integrador')
    .description(cli.text.program)
    .addOption(new Option('--lang <lang>', cli.text.langOption).choices(LOCALES))
    .version(HUB_VERSION, '-V, --version', cli.text.versionOption)
    .helpOption('-h, --help', cli.text.helpOption)
    .helpCommand(cli.text.helpCommandUsage, cli.text.helpCommand)
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
  registerPurgeCommand(program, cli);
  checkRequiredOptionsAfterArguments(program);
  return program;
}

/** Every command below `command`, depth first. */
function descendants(command: Command): Command[] {
  return command.commands.flatMap((sub) => [sub, ...descendants(sub)]);
}

/**
 * Commander checks required options before arguments, so `integrador run` alone complained about --empresa without
 * naming the missing <integracaoId>. The required options are checked here instead, once the arguments passed
 * (a preAction hook runs after them), with commander's own message and code.
 */
function checkRequiredOptionsAfterArguments(program: Command): void {
  const required = new Map<Command, Option[]>();
  for (const command of descendants(program)) {
    const options = command.options.filter((option) => option.mandatory);
    for (const option of options) option.makeOptionMandatory(false);
    if (options.length > 0) required.set(command, options);
  }
  program.hook('preAction', (_program, command) => {
    for (const option of required.get(command) ?? []) {
      if (command.getOptionValue(option.attributeName()) === undefined) {
        command.error(`error: required option '${option.flags}' not specified`, { code: 'commander.missingMandatoryOptionValue' });
      }
    }
  });
}
