import { loadConfig } from '@integrador/config';
import { emptyConnections, loadValidConnections, problemDetail } from '@integrador/connections';
import { testConnection } from '@integrador/integrador';
import type { ConnectionTestResult } from '@integrador/sources';
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
  // The valid entries: one bad entry does not keep the others from being tested (the workers refuse the whole file).
  const { registry, skipped } = config.connectionsFile
    ? await loadValidConnections(config.connectionsFile, config.secretSource)
    : { registry: emptyConnections(), skipped: [] };
  if (!config.connectionsFile) printError(cli.text.noConnectionsFile);
  const own = skipped.filter((problem) => problem.entry === name);
  if (own.length > 0)
    throw new CliError(
      own.map((problem) => cli.text.connectionInvalid(config.connectionsFile ?? '', problemDetail(problem, cli.locale))).join('\n'),
    );
  const others = skipped.filter((problem) => problem.entry !== name);
  for (const problem of others) printError(cli.text.connectionSkipped(problemDetail(problem, cli.locale)));
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
