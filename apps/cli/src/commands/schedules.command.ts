import { loadConfig } from '@integrador/config';
import {
  type EndpointScheduleEntry,
  listEndpointSchedules,
  listSchedules,
  reconcileSchedules,
  type ScheduleEntry,
} from '@integrador/integrador';
import { type CrmDatabase, listGetIntegracoes } from '@integrador/store';
import type { Command } from 'commander';
import { type Cli, parseId, print, printError, printJson, withDatabase } from '../cli-context';
import { CliError } from '../cli-error';
import { findEmpresaNome } from '../empresas.queries';
import { getOpsMessages } from '../get-ops.messages';
import { withJobProducer } from '../queue-connection';

interface ListOptions {
  empresa?: string;
  json?: boolean;
}

/** `integrador schedules list [--empresa <id>] [--json]` and `integrador schedules sync [--json]`. */
export function registerSchedulesCommand(program: Command, cli: Cli): void {
  const text = getOpsMessages(cli.locale);
  const schedules = program.command('schedules').description(text.schedules);
  schedules
    .command('list')
    .description(text.schedulesList)
    .option('--empresa <id>', text.schedulesEmpresaOption)
    .option('--json', cli.text.jsonOption)
    .action((options: ListOptions) => list(cli, options));
  schedules
    .command('sync')
    .description(text.schedulesSync)
    .option('--json', cli.text.jsonOption)
    .action((options: { json?: boolean }) => sync(cli, options));
}

/** The empresas to list: the one asked for (which must exist), else every empresa with a GET integration or an endpoint service. */
async function empresasToList(cli: Cli, database: CrmDatabase, empresa: string | undefined): Promise<number[]> {
  if (empresa !== undefined) {
    const id = parseId(cli, '--empresa', empresa);
    if ((await findEmpresaNome(database.db, id)) === null) throw new CliError(cli.text.empresaNotFound(id));
    return [id];
  }
  const rows = await listGetIntegracoes(database.db, null);
  const services = await database.db.selectFrom('servicos_endpoint').select('empresa_id').distinct().execute();
  return [...new Set([...rows.map((row) => Number(row.empresa_id)), ...services.map((s) => Number(s.empresa_id))])].sort((x, y) => x - y);
}

async function list(cli: Cli, options: ListOptions): Promise<void> {
  const config = loadConfig();
  const text = getOpsMessages(cli.locale);
  // The same shape as GET /v1/schedules: GET integrations in items, JSON endpoint services in endpoints.
  const listed = await withDatabase(async (database) => {
    const empresas = await empresasToList(cli, database, options.empresa);
    return withJobProducer(cli, config, async (producer) => {
      const items: ScheduleEntry[] = [];
      const endpoints: EndpointScheduleEntry[] = [];
      for (const empresaId of empresas) {
        const nome = (await findEmpresaNome(database.db, empresaId)) ?? '';
        items.push(...(await listSchedules(database.db, producer, { empresaId, filialId: null, nome }, cli.locale)));
        endpoints.push(...(await listEndpointSchedules(database.db, producer, { empresaId, filialId: null })));
      }
      return { items, endpoints };
    });
  }, config);
  if (options.json) return printJson(listed);
  if (listed.items.length === 0 && listed.endpoints.length === 0) return print(text.noSchedules);
  for (const entry of listed.items) print(text.scheduleLine(entry));
  for (const entry of listed.endpoints) print(text.endpointScheduleLine(entry));
}

/** Reconciles now; invalid crons are printed to stderr and make the exit code 1 (the valid ones are applied). */
async function sync(cli: Cli, options: { json?: boolean }): Promise<void> {
  const config = loadConfig();
  const text = getOpsMessages(cli.locale);
  const report = await withDatabase(
    (database) => withJobProducer(cli, config, (producer) => reconcileSchedules(database.db, producer, { tz: config.scheduleTimezone })),
    config,
  );
  if (options.json) printJson(report);
  else print(text.syncSummary(report));
  for (const invalid of report.invalid) printError(text.invalidCron(invalid));
  if (report.invalid.length > 0) process.exitCode = 1;
}
