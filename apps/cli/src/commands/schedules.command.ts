import { loadConfig } from '@integrador/config';
import {
  type EndpointScheduleEntry,
  listEndpointSchedules,
  listSchedules,
  NoScheduleError,
  pauseGetSchedule,
  reconcileSchedules,
  type ScheduleEntry,
} from '@integrador/integrador';
import { type CrmDatabase, FilialScopeError, listGetIntegracoes } from '@integrador/store';
import type { Command } from 'commander';
import { type Cli, parseId, print, printError, printJson, withDatabase } from '../cli-context';
import { CliError } from '../cli-error';
import { filialBelongsTo, findEmpresaNome } from '../empresas.queries';
import { getOpsMessages } from '../get-ops.messages';
import { withJobProducer } from '../queue-connection';

interface ListOptions {
  empresa?: string;
  json?: boolean;
}

interface PauseOptions {
  empresa: string;
  filial?: string;
  json?: boolean;
}

/** Who the CLI's pauses are recorded as (pause row and audit). */
export const CLI_ACTOR = { autor: 'cli', operadorId: null };

/**
 * `integrador schedules list [--empresa <id>] [--json]`, `integrador schedules sync [--json]` and
 * `integrador schedules pause|resume <integracaoId> --empresa <id> [--filial <id>] [--json]`.
 */
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
  for (const action of ['pause', 'resume'] as const) {
    schedules
      .command(`${action} <integracaoId>`)
      .description(action === 'pause' ? text.schedulesPause : text.schedulesResume)
      .requiredOption('--empresa <id>', text.schedulesPauseEmpresaOption)
      .option('--filial <id>', text.schedulesPauseFilialOption)
      .option('--json', cli.text.jsonOption)
      .action((id: string, options: PauseOptions) => pause(cli, id, options, action === 'pause'));
  }
}

/** The dashboard's pause/resume (the engine's pauseGetSchedule), bound to --empresa and, with --filial, to that filial's rule. */
async function pause(cli: Cli, idText: string, options: PauseOptions, paused: boolean): Promise<void> {
  const text = getOpsMessages(cli.locale);
  const integracaoId = parseId(cli, 'integracaoId', idText);
  const empresaId = parseId(cli, '--empresa', options.empresa);
  const filialId = options.filial === undefined ? null : parseId(cli, '--filial', options.filial);
  const config = loadConfig();
  await withDatabase(async (database) => {
    if ((await findEmpresaNome(database.db, empresaId)) === null) throw new CliError(cli.text.empresaNotFound(empresaId));
    if (filialId !== null && !(await filialBelongsTo(database.db, empresaId, filialId)))
      throw new CliError(cli.text.filialNotFound(filialId, empresaId));
    const done = await withJobProducer(cli, config, (producer) =>
      pauseGetSchedule(
        { db: database.db, producer, scheduleTimezone: config.scheduleTimezone },
        { empresaId, filialId },
        CLI_ACTOR,
        integracaoId,
        paused,
      ),
    ).catch((err: unknown) => {
      if (err instanceof FilialScopeError)
        throw new CliError(text.filialScope(err.params.what ?? '', err.params.filial ?? ''), { cause: err });
      if (err instanceof NoScheduleError) throw new CliError(text.noSchedule(err.integracaoId), { cause: err });
      throw err;
    });
    if (!done) throw new CliError(text.notAGetIntegration(integracaoId, empresaId));
  }, config);
  if (options.json) return printJson({ integracaoId, empresaId, paused });
  print(text.schedulePaused(integracaoId, empresaId, paused, config.scheduleTimezone));
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
        items.push(
          ...(await listSchedules(
            database.db,
            producer,
            { empresaId, filialId: null, nome },
            { tz: config.scheduleTimezone, locale: cli.locale },
          )),
        );
        endpoints.push(...(await listEndpointSchedules(database.db, producer, { empresaId, filialId: null })));
      }
      return { items, endpoints };
    });
  }, config);
  if (options.json) return printJson(listed);
  if (listed.items.length === 0 && listed.endpoints.length === 0) return print(text.noSchedules);
  for (const entry of listed.items) print(text.scheduleLine(entry, config.scheduleTimezone));
  for (const entry of listed.endpoints) print(text.endpointScheduleLine(entry, config.scheduleTimezone));
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
