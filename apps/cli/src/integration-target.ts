import type { ConnectionsRegistry } from '@integrador/connections';
import {
  type AdmittedRun,
  admitRun,
  isPermanent,
  type RunPurpose,
  RunRefusedError,
  runRefusalMessage,
  runRefusalOf,
} from '@integrador/integrador';
import type { Database, Tenant } from '@integrador/store';
import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import { type Cli, parseId } from './cli-context';
import { CliError } from './cli-error';
import { filialBelongsTo, findEmpresaNome } from './empresas.queries';
import { collect, type Parametros, parseParameters } from './run-parameters';

/** The options shared by run, preview and info. */
export interface TargetOptions {
  empresa: string;
  filial?: string;
  param?: string[];
  json?: boolean;
}

/** The arguments of run, preview and info, checked before anything is opened. */
export interface TargetArgs {
  integracaoId: number;
  empresaId: number;
  filialId: number | null;
  parametros: Parametros;
}

/** Adds `--empresa <id> [--filial <id>] [-p name=value ...] [--json]` to a command. */
export function addTargetOptions(command: Command, cli: Cli): Command {
  return command
    .requiredOption('--empresa <id>', cli.text.targetEmpresaOption)
    .option('--filial <id>', cli.text.targetFilialOption)
    .option('-p, --param <name=value>', cli.text.paramOption, collect)
    .option('--json', cli.text.jsonOption);
}

/** Parses `<integracaoId> --empresa <id> [--filial <id>] [-p name=value ...]`. */
export function parseTargetArgs(cli: Cli, integracaoIdText: string, options: TargetOptions): TargetArgs {
  return {
    integracaoId: parseId(cli, 'integracaoId', integracaoIdText),
    empresaId: parseId(cli, '--empresa', options.empresa),
    filialId: options.filial === undefined ? null : parseId(cli, '--filial', options.filial),
    parametros: parseParameters(cli, options.param ?? []),
  };
}

/** The tenant the command acts as (what an API key of that empresa, or of that filial, would be). */
export async function loadTenant(cli: Cli, db: Kysely<Database>, args: TargetArgs): Promise<Tenant> {
  const nome = await findEmpresaNome(db, args.empresaId);
  if (nome === null) throw new CliError(cli.text.empresaNotFound(args.empresaId));
  if (args.filialId !== null && !(await filialBelongsTo(db, args.empresaId, args.filialId))) {
    throw new CliError(cli.text.filialNotFound(args.filialId, args.empresaId));
  }
  return { empresaId: args.empresaId, filialId: args.filialId, nome };
}

/**
 * The engine's admission of the run (admitRun), its refusals as one CliError line in the CLI's words: a row of another
 * empresa (or filial) does not exist for the tenant; inactive, componente, another tipo, missing parameters, a broken
 * dependency graph or a foreign conexao_integracao are named.
 */
export async function admitOrExplain(
  cli: Cli,
  db: Kysely<Database>,
  tenant: Tenant,
  args: TargetArgs,
  purpose: RunPurpose,
  connections?: ConnectionsRegistry,
): Promise<AdmittedRun> {
  try {
    const request = { tenant, integracaoId: args.integracaoId, parametros: args.parametros, purpose };
    return await admitRun(db, connections ? { ...request, connections } : request);
  } catch (err) {
    if (!(err instanceof RunRefusedError)) {
      if (isPermanent(err)) throw new CliError(cli.text.runRefused((err as Error).message), { cause: err });
      throw err;
    }
    const label = `#${args.integracaoId}${err.params.nome ? ` (${err.params.nome})` : ''}`;
    if (err.code === 'NOT_FOUND') throw new CliError(cli.text.integracaoNotFound(args.integracaoId, tenant.empresaId));
    if (err.code === 'MISSING_PARAMETERS') throw new CliError(cli.text.missingParameters((err.params.names ?? '').split(', ')));
    if (err.code === 'INVALID_PARAMETER')
      throw new CliError(cli.text.invalidRunParameter(err.params.name ?? '', err.params.expected ?? '', err.params.value ?? ''));
    if (err.code === 'CONNECTION_FORBIDDEN') throw new CliError(cli.text.connectionForbidden(label, err.params.connection ?? ''));
    if (err.code === 'INTEGRATION_INACTIVE') throw new CliError(cli.text.integracaoInactive(label));
    // A GET or SET whose configuration its run would refuse: the engine's words, the problem in the CLI's language.
    if (err.code === 'GET_CONFIG' || err.code === 'SET_CONFIG')
      throw new CliError(runRefusalMessage(cli.locale, { code: err.code, params: runRefusalOf(err)?.params ?? {} }));
    if (err.code === 'UNKNOWN_SERVICE_TYPE') throw new CliError(cli.text.unknownServiceType(label, err.params.tipo ?? ''));
    if (err.code === 'NOT_RUNNABLE' && err.params.reason === 'componente') throw new CliError(cli.text.integracaoIsComponent(label));
    if (err.code === 'NOT_RUNNABLE' && purpose === 'info') throw new CliError(cli.text.integracaoNotInfo(label, err.params.tipo ?? ''));
    if (err.code === 'NOT_RUNNABLE') throw new CliError(cli.text.integracaoNotSet(label, err.params.tipo ?? ''));
    throw new CliError(cli.text.runRefused(err.message), { cause: err });
  }
}
