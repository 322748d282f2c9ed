import { missingParameters } from '@integrador/integrador';
import { type Database, findIntegracao, type Integracao, type Tenant } from '@integrador/store';
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

/** The tenant's integracao, or a CliError (a row of another empresa, or of another filial, does not exist for it). */
export async function requireIntegracao(cli: Cli, db: Kysely<Database>, tenant: Tenant, integracaoId: number): Promise<Integracao> {
  const integracao = await findIntegracao(db, tenant, integracaoId);
  if (!integracao) throw new CliError(cli.text.integracaoNotFound(integracaoId, tenant.empresaId));
  return integracao;
}

/** Refuses a run whose parametros_obrigatorios are not all given, naming the missing ones. */
export function assertParameters(cli: Cli, integracao: Integracao, parametros: Parametros): void {
  const missing = missingParameters(integracao, parametros);
  if (missing.length > 0) throw new CliError(cli.text.missingParameters(missing));
}

/** Refuses what `run` cannot enqueue: an inactive row, a componente, or a tipo other than SET (queue set) and GET (queue get). */
export function assertRunnable(cli: Cli, integracao: Integracao): void {
  const label = `#${integracao.id} (${integracao.nome})`;
  if (Number(integracao.ativo) !== 1) throw new CliError(cli.text.integracaoInactive(label));
  if ((integracao.link ?? '').trim().toLowerCase() === 'componente') throw new CliError(cli.text.integracaoIsComponent(label));
  if (integracao.tipo_servico !== 'SET' && integracao.tipo_servico !== 'GET')
    throw new CliError(cli.text.integracaoNotSet(label, integracao.tipo_servico));
}
