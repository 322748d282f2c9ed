import { Command, CommanderError, Option } from 'commander';
import type { Cli } from './cli-context';
import { printError } from './cli-context';
import { registerConfigCommand } from './commands/config-lint.command';
import { registerConnectionsCommand } from './commands/connections.command';
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
import { describeError } from './describe-error';
import { LOCALES, localeFromArgv, messages, translateCommanderError } from './messages';

/** The `integrador` program; texts in the locale chosen with --lang (pt-BR by default). */
function buildProgram(cli: Cli): Command {
  const program = new Command('integrador')
    .description(cli.text.program)
    .addOption(new Option('--lang <lang>', cli.text.langOption).choices(LOCALES).default('pt-BR'))
    .helpOption('-h, --help', cli.text.helpOption)
    .helpCommand('help [command]', cli.text.helpCommand)
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
  registerOperatorsCommand(program, cli);
  return program;
}

/** Runs the CLI; failures print one line to stderr and give exit code 1, never a stack trace. */
async function run(argv: string[]): Promise<void> {
  const locale = localeFromArgv(argv.slice(2));
  const cli: Cli = { locale, text: messages(locale) };
  try {
    await buildProgram(cli).parseAsync(argv);
  } catch (err) {
    // Commander already printed its message (or the help); only the exit code is left to set.
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    printError(`${cli.text.errorPrefix}: ${describeError(err, cli.text)}`);
    process.exitCode = 1;
  }
}

run(process.argv).catch((err: unknown) => {
  printError(String(err));
  process.exitCode = 1;
});
