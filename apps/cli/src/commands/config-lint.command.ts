import { loadConfig } from '@integrador/config';
import { loadConnections } from '@integrador/connections';
import { formatFinding, type LintFinding, lintStoredConfiguration, lintStoredSoapWrappers, sortLintFindings } from '@integrador/integrador';
import { createTransportFactory } from '@integrador/transports';
import type { Command } from 'commander';
import { type Cli, parseId, print, printError, printJson, withDatabase } from '../cli-context';

interface LintOptions {
  empresa?: string;
  json?: boolean;
  wsdl?: boolean;
}

/** `integrador config lint`: checks the Integrador configuration tables; exit code 1 when any finding is an error. */
export function registerConfigCommand(program: Command, cli: Cli): void {
  const config = program.command('config').description(cli.text.config);
  config
    .command('lint')
    .description(cli.text.configLint)
    .option('--empresa <id>', cli.text.empresaOption)
    .option('--json', cli.text.jsonOption)
    .option('--wsdl', cli.text.wsdlOption)
    .action((options: LintOptions) => lint(cli, options));
}

async function lint(cli: Cli, options: LintOptions): Promise<void> {
  const empresaId = options.empresa === undefined ? null : parseId(cli, '--empresa', options.empresa);
  const config = loadConfig();
  // The connections file first: a broken file is reported without touching the database.
  const { connections } = await loadConnections(config);
  if (!config.connectionsFile) printError(cli.text.noConnectionsFile);
  const findings = await withDatabase(async (database) => {
    const offline = await lintStoredConfiguration(database, connections, empresaId);
    if (!options.wsdl) return offline;
    const transports = createTransportFactory();
    try {
      return sortLintFindings([...offline, ...(await lintStoredSoapWrappers(database, connections, transports, empresaId))]);
    } finally {
      await transports.close();
    }
  }, config);
  if (options.json) printJson(findings);
  else printFindings(cli, findings);
  if (findings.some((finding) => finding.severity === 'error')) process.exitCode = 1;
}

function printFindings(cli: Cli, findings: readonly LintFinding[]): void {
  for (const finding of findings) print(`[${cli.text.severity[finding.severity]}] ${formatFinding(finding, cli.locale)}`);
  const errors = findings.filter((finding) => finding.severity === 'error').length;
  print(findings.length === 0 ? cli.text.lintClean : cli.text.lintSummary(errors, findings.length - errors));
}
