import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '@integrador/config';
import { shownUrl } from '@integrador/connections';
import {
  admitEndpointSync,
  EndpointSyncRefusedError,
  recordErrorMessage,
  runRefusalMessage,
  type SyncReport,
  statusMessage,
  validateEndpointService,
} from '@integrador/integrador';
import {
  type Database,
  findServicoEndpoint,
  listServicosEndpoint,
  type ServicoEndpoint,
  serviceLimitOf,
  setPermitirRedePrivada,
  setServiceLimit,
  type TipoEventoEndpoint,
  withoutConnectionsFileDetail,
} from '@integrador/store';
import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import { type Cli, parseId, print, printJson, withDatabase } from '../cli-context';
import { CliError } from '../cli-error';
import { empresaExists } from '../empresas.queries';
import { type EndpointTexts, endpointTexts } from '../endpoints.messages';
import { withJobProducer } from '../queue-connection';

interface EmpresaOptions {
  empresa: string;
  json?: boolean;
}

interface SyncOptions extends EmpresaOptions {
  tipo?: string;
  wait?: boolean;
}

/** How often --wait reads the job's state. */
const POLL_MS = 250;

/** `integrador endpoints list|validate|sync|private-network` and `integrador tenant limit` (seed 003). */
export function registerEndpointsCommands(program: Command, cli: Cli): void {
  const t = endpointTexts(cli.locale);
  const endpoints = program.command('endpoints').description(t.endpoints);
  const withEmpresa = (command: Command) => command.requiredOption('--empresa <id>', t.empresaOption).option('--json', cli.text.jsonOption);
  withEmpresa(endpoints.command('list').description(t.list)).action((options: EmpresaOptions) => list(cli, t, options));
  withEmpresa(endpoints.command('validate <servicoId>').description(t.validate)).action((id: string, options: EmpresaOptions) =>
    validate(cli, t, id, options),
  );
  withEmpresa(endpoints.command('sync <servicoId>').description(t.sync))
    .option('--tipo <tipo>', t.tipoOption)
    .option('--wait', t.waitOption)
    .action((id: string, options: SyncOptions) => sync(cli, t, id, options));
  endpoints
    .command('private-network <servicoId>')
    .description(t.privateNetwork)
    .requiredOption('--empresa <id>', t.empresaOption)
    .option('--allow', t.allowOption)
    .option('--deny', t.denyOption)
    .action((id: string, options: { empresa: string; allow?: boolean; deny?: boolean }) => privateNetwork(cli, t, id, options));

  // `tenant` is registered first (main.ts); the contract limit is a tenant setting, so it lives there.
  const tenant = program.commands.find((c) => c.name() === 'tenant') ?? program.command('tenant');
  tenant
    .command('limit <empresaId>')
    .description(t.tenantLimit)
    .option('--servicos-endpoint <n>', t.servicosOption)
    .action((id: string, options: { servicosEndpoint?: string }) => limit(cli, t, id, options));
}

async function requireEmpresa(cli: Cli, db: Kysely<Database>, empresaId: number): Promise<void> {
  if (!(await empresaExists(db, empresaId))) throw new CliError(cli.text.empresaNotFound(empresaId));
}

async function requireService(cli: Cli, t: EndpointTexts, db: Kysely<Database>, empresaId: number, id: number): Promise<ServicoEndpoint> {
  await requireEmpresa(cli, db, empresaId);
  const service = await findServicoEndpoint(db, { empresaId, filialId: null }, id);
  if (!service) throw new CliError(t.serviceNotFound(id, empresaId));
  return service;
}

async function list(cli: Cli, t: EndpointTexts, options: EmpresaOptions): Promise<void> {
  const empresaId = parseId(cli, '--empresa', options.empresa);
  await withDatabase(async ({ db }) => {
    await requireEmpresa(cli, db, empresaId);
    // Event URLs shown as records show them (query values and token-looking path segments masked).
    const services = (await listServicosEndpoint(db, { empresaId, filialId: null })).map((s) => ({
      ...s,
      eventos: s.eventos.map((e) => ({ ...e, url: shownUrl(e.url) })),
    }));
    if (options.json) return printJson(services);
    if (!services.length) return print(t.noServices(empresaId));
    for (const s of services) {
      print(t.serviceLine(s.id, s.nome, s.status, s.eventos.map((e) => `${e.tipo} ${e.url}`).join(', ')));
      if (s.statusMotivo) print(t.reasonLine(statusMessage(cli.locale, s.statusMotivo.code, s.statusMotivo.params)));
    }
  });
}

async function validate(cli: Cli, t: EndpointTexts, idText: string, options: EmpresaOptions): Promise<void> {
  const id = parseId(cli, 'servicoId', idText);
  const empresaId = parseId(cli, '--empresa', options.empresa);
  const config = loadConfig();
  const result = await withDatabase(async (database) => {
    const service = await requireService(cli, t, database.db, empresaId, id);
    return validateEndpointService({ database, limits: config.endpoint, env: config.secretSource }, service);
  }, config);
  if (options.json) printJson(result);
  else {
    for (const evento of result.eventos) {
      print(t.validationLine(evento.tipo, evento.ok, statusMessage(cli.locale, evento.code, evento.params)));
      for (const error of evento.erros ?? []) print(t.recordErrorLine(recordErrorMessage(cli.locale, error)));
    }
  }
  if (!result.ok) process.exitCode = 1;
}

function parseTipo(t: EndpointTexts, value: string | undefined): TipoEventoEndpoint | undefined {
  if (value === undefined) return undefined;
  if (value !== 'contato' && value !== 'evento') throw new CliError(t.invalidTipo(value));
  return value;
}

async function sync(cli: Cli, t: EndpointTexts, idText: string, options: SyncOptions): Promise<void> {
  const id = parseId(cli, 'servicoId', idText);
  const empresaId = parseId(cli, '--empresa', options.empresa);
  const tipo = parseTipo(t, options.tipo);
  const config = loadConfig();
  await withDatabase(async ({ db }) => {
    await requireEmpresa(cli, db, empresaId);
    // The engine's rule and words (admitEndpointSync), as the API and the dashboard refuse it.
    const service = await admitEndpointSync(db, { empresaId, filialId: null }, id).catch((err: unknown) => {
      throw err instanceof EndpointSyncRefusedError ? new CliError(runRefusalMessage(cli.locale, err)) : err;
    });
    if (!service) throw new CliError(t.serviceNotFound(id, empresaId));
  }, config);
  await withJobProducer(cli, config, async (producer) => {
    const job = await producer.enqueue('get', 'endpoint.sync', {
      tenant: { empresaId, filialId: null },
      servicoId: id,
      ...(tipo ? { tipo } : {}),
      trigger: 'cli',
    });
    const jobId = String(job.id);
    if (!options.wait) return options.json ? printJson({ queue: 'get', jobId }) : print(t.enqueued(id, jobId));
    if (!options.json) print(t.enqueued(id, jobId));
    for (;;) {
      const found = await producer.getJobWithState('get', jobId);
      if (!found) throw new CliError(cli.text.jobGone(jobId));
      const { job: current, state } = found;
      if (state === 'failed') throw new CliError(t.failed(withoutConnectionsFileDetail(current.failedReason ?? '')));
      if (state === 'completed') {
        const report = current.returnvalue as SyncReport;
        if (options.json) return printJson(report);
        for (const e of report.eventos) {
          print(t.reportLine(e.tipo, e.recebidos, e.validos, e.invalidos));
          for (const error of e.erros) print(t.recordErrorLine(recordErrorMessage(cli.locale, error)));
        }
        return;
      }
      await sleep(POLL_MS);
    }
  });
}

async function privateNetwork(cli: Cli, t: EndpointTexts, idText: string, options: { empresa: string; allow?: boolean; deny?: boolean }) {
  const id = parseId(cli, 'servicoId', idText);
  const empresaId = parseId(cli, '--empresa', options.empresa);
  if (Boolean(options.allow) === Boolean(options.deny)) throw new CliError(t.allowOrDeny);
  await withDatabase(async ({ db }) => {
    await requireService(cli, t, db, empresaId, id);
    await setPermitirRedePrivada(db, empresaId, id, Boolean(options.allow));
    print(t.privateNetworkSet(id, Boolean(options.allow)));
  });
}

async function limit(cli: Cli, t: EndpointTexts, idText: string, options: { servicosEndpoint?: string }): Promise<void> {
  const empresaId = parseId(cli, 'empresaId', idText);
  const text = options.servicosEndpoint;
  if (text !== undefined && (!/^\d{1,4}$/.test(text.trim()) || Number(text) > 1000)) throw new CliError(t.invalidLimit(text));
  await withDatabase(async ({ db }) => {
    await requireEmpresa(cli, db, empresaId);
    if (text !== undefined) {
      await setServiceLimit(db, empresaId, Number(text));
      return print(t.limitSet(empresaId, Number(text)));
    }
    const used = (await listServicosEndpoint(db, { empresaId, filialId: null })).length;
    print(t.limitShown(empresaId, (await serviceLimitOf(db, empresaId)) ?? 0, used));
  });
}
