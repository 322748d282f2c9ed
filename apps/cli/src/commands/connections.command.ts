import { loadConfig } from '@integrador/config';
import { loadConnections } from '@integrador/connections';
import { type ConnectionTestResult, testConnection } from '@integrador/sources';
import type { Command } from 'commander';
import { type Cli, print, printError, printJson } from '../cli-context';
import { CliError } from '../cli-error';

interface TestOptions {
  json?: boolean;
}

/** `integrador connections test <name>`: seed 000's "ping and first access"; exit code 1 when the test fails. */
export function registerConnectionsCommand(program: Command, cli: Cli): void {
  const connections = program.command('connections').description(cli.text.connections);
  connections
    .command('test')
    .description(cli.text.connectionsTest)
    .argument('<name>', cli.text.connectionNameArgument)
    .option('--json', cli.text.jsonOption)
    .action((name: string, options: TestOptions) => test(cli, name, options));
}

async function test(cli: Cli, name: string, options: TestOptions): Promise<void> {
  const config = loadConfig();
  const registry = await loadConnections(config);
  if (!config.connectionsFile) printError(cli.text.noConnectionsFile);
  const connection = registry.get(name);
  if (!connection) throw new CliError(cli.text.connectionNotFound(name, registry.names()));
  const result = await testConnection(connection, { locale: cli.locale });
  if (options.json) printJson(result);
  else printResult(cli, result);
  if (!result.ok) process.exitCode = 1;
}

function printResult(cli: Cli, result: ConnectionTestResult): void {
  for (const step of result.steps) print(cli.text.connectionTestStep(step.ok, step.step, step.ms, step.message));
  print(
    result.ok
      ? cli.text.connectionTestOk(result.connection, result.serverVersion)
      : cli.text.connectionTestFailed(result.connection, result.error?.code ?? '?'),
  );
}
