import { loadConfig } from '@integrador/config';
import { loadConnections } from '@integrador/connections';
import {
  givenParametros,
  isPermanent,
  MissingVariableError,
  type PrepareContext,
  previewSetWithoutReceptor,
  resolveSetTarget,
  runInfo,
  upstreamNames,
} from '@integrador/integrador';
import { jobFailureText } from '@integrador/queue';
import { type Database, type DialectName, type Integracao, listIntegracoes, type Tenant } from '@integrador/store';
import {
  createTransportFactory,
  SoapClientCache,
  TransientTransportError,
  type Transport,
  type TransportPreview,
} from '@integrador/transports';
import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import { type Cli, print, printError, printJson, withDatabase } from '../cli-context';
import { CliError } from '../cli-error';
import { addTargetOptions, admitOrExplain, loadTenant, parseTargetArgs, type TargetArgs, type TargetOptions } from '../integration-target';

type ReceptorContext = PrepareContext & { transport: Transport; timeoutMs: number; connectionName: string };
type Preview = Awaited<ReturnType<typeof previewSetWithoutReceptor>>;

/** `integrador preview` (dry run of a SET or INFO) and `integrador info` (INFO lookup): the CLI side of the ingress's receptor routes. */
export function registerReceptorCommands(program: Command, cli: Cli): void {
  addTargetOptions(program.command('preview <integracaoId>').description(cli.text.preview), cli).action(
    (integracaoId: string, options: TargetOptions) => preview(cli, integracaoId, options),
  );
  addTargetOptions(program.command('info <integracaoId>').description(cli.text.info), cli).action(
    (integracaoId: string, options: TargetOptions) => info(cli, integracaoId, options),
  );
}

const labelOf = (integracao: Integracao) => `#${integracao.id} (${integracao.nome})`;

/**
 * Loads the tenant's integracao (checked by `check`), resolves its connection and transport, runs `work` with them and
 * always closes the transport. Engine and transport failures become one CliError line.
 */
async function throughReceptor<T>(
  cli: Cli,
  args: TargetArgs,
  purpose: 'preview' | 'info',
  work: (context: ReceptorContext, integracao: Integracao) => Promise<T>,
): Promise<T> {
  const config = loadConfig();
  // The connections file first: a broken file is reported without touching the database.
  const { connections } = await loadConnections(config);
  if (!config.connectionsFile) printError(cli.text.noConnectionsFile);
  return withDatabase(async (database) => {
    const tenant = await loadTenant(cli, database.db, args);
    const { integracao, runTenant } = await admitOrExplain(cli, database.db, tenant, args, purpose, connections);
    // One command, one WSDL at most: the cache only has to hold that one client.
    const transports = createTransportFactory(new SoapClientCache({ max: 1 }));
    try {
      const target = await resolveSetTarget(database, connections, transports, tenant, args.integracaoId);
      const context = {
        db: database.db,
        dialect: database.dialect,
        empresaId: runTenant.empresaId,
        filialId: runTenant.filialId,
        definition: target.definition,
        parametros: args.parametros,
        transport: target.transport,
        timeoutMs: target.timeoutMs,
        connectionName: target.connection.name,
      };
      return await work(context, integracao);
    } catch (err) {
      if (err instanceof MissingVariableError) throw await missingVariable(cli, database.db, tenant, integracao, err);
      if (err instanceof TransientTransportError) throw new CliError(cli.text.receptorUnavailable(err.message), { cause: err });
      if ((err as { code?: unknown }).code === 'NO_RECORDS') {
        throw new CliError(cli.text.noRecords(labelOf(integracao), givenParametros(args.parametros), runTenant.empresaId), { cause: err });
      }
      if (isPermanent(err)) throw new CliError(cli.text.integrationFailed(labelOf(integracao), (err as Error).message), { cause: err });
      throw err;
    } finally {
      await transports.close();
    }
  }, config);
}

/** A #var# without a value, in the CLI's words; when a step before it in its flow hands it down, says which. */
async function missingVariable(
  cli: Cli,
  db: Kysely<Database>,
  tenant: Tenant,
  integracao: Integracao,
  err: MissingVariableError,
): Promise<CliError> {
  // A variable near a value's name (#fantazia# for the column fantasia) is a typo in the column named: no -p to advise.
  if (err.params?.sugestao) return new CliError(jobFailureText(cli.locale, err.code, err.message, err.params), { cause: err });
  const upstream = upstreamNames(await listIntegracoes(db, tenant), integracao.id).find((u) => u.name === err.variable);
  const from = upstream ? `#${upstream.integracaoId} (${upstream.nome})` : null;
  return new CliError(cli.text.missingVariable(labelOf(integracao), err.variable, from), { cause: err });
}

async function preview(cli: Cli, integracaoIdText: string, options: TargetOptions): Promise<void> {
  const args = parseTargetArgs(cli, integracaoIdText, options);
  await throughReceptor(cli, args, 'preview', async (context) => {
    // A dry run shows what it can without the receptor: the consulta and each record's values need only the CRM
    // database; a SOAP request needs the WSDL, so an unreachable receptor is said after them, where it is.
    let unreachable: TransientTransportError | undefined;
    const watched: Transport = {
      send: (request) => context.transport.send(request),
      preview: (request) =>
        context.transport.preview(request).catch((err: unknown) => {
          if (err instanceof TransientTransportError) unreachable ??= err;
          throw err;
        }),
    };
    const result = await previewSetWithoutReceptor({ ...context, transport: watched });
    if (unreachable) {
      if (options.json) printJson(result);
      else printPreview(cli, result, context.dialect, context.definition.integracao.porta_ws ?? '');
      const where = unreachable.exchange?.url ?? unreachable.message;
      throw new CliError(cli.text.previewReceptorUnreachable(where, context.connectionName), {
        cause: unreachable,
      });
    }
    const complete = { consulta: result.consulta, records: result.records.map(({ requestUnavailable: _, ...record }) => record) };
    if (options.json) printJson(complete);
    else printPreview(cli, result, context.dialect, context.definition.integracao.porta_ws ?? '');
  });
}

/** The consulta's placeholder for the bound value at `index` (PostgreSQL numbers them; MySQL and SQLite use `?`). */
function placeholder(dialect: DialectName, index: number): string {
  return dialect === 'postgres' ? `$${index + 1}` : `?${index + 1}`;
}

function printPreview(cli: Cli, result: Preview, dialect: DialectName, porta: string): void {
  if (result.consulta) {
    print(cli.text.consultaHeader);
    print(result.consulta.sql);
    for (const [index, value] of result.consulta.parameters.entries()) {
      print(`  ${placeholder(dialect, index)} = ${value === undefined ? 'undefined' : JSON.stringify(value)}`);
    }
  } else {
    print(cli.text.noConsulta);
  }
  for (const [index, record] of result.records.entries()) {
    print('');
    const request = record.request as TransportPreview | null;
    if (request) {
      print(cli.text.previewRecord(record.key, index + 1, result.records.length, request.url));
      print(request.request);
    } else {
      print(cli.text.previewRecordBody(record.key, index + 1, result.records.length));
      print(JSON.stringify(record.body, null, 2));
    }
  }
  // A mapping that misses the WSDL's wrapper misses it in every record: said once, after the requests.
  const missing = result.records
    .map((record) => (record.request as TransportPreview | null)?.missingWrapper)
    .find((wrapper) => wrapper !== undefined);
  if (missing) {
    print('');
    print(cli.text.missingWrapper(porta, missing));
  }
  print('');
  print(cli.text.nothingSent(result.records.length));
}

async function info(cli: Cli, integracaoIdText: string, options: TargetOptions): Promise<void> {
  const args = parseTargetArgs(cli, integracaoIdText, options);
  await throughReceptor(cli, args, 'info', async (context, integracao) => {
    const answer = await runInfo(context);
    if (options.json) return printJson(answer);
    print(cli.text.infoValues(integracao.nome));
    printJson(answer[integracao.nome]);
  });
}
