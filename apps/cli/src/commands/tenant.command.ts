import { loadConfig } from '@integrador/config';
import { pauseTenantWork } from '@integrador/integrador';
import { createEmpresa, createFilial, issueApiKey, migrateToLatest, revokeApiKey } from '@integrador/store';
import type { Command } from 'commander';
import { type Cli, parseId, print, printJson, requireText, withDatabase } from '../cli-context';
import { CliError } from '../cli-error';
import { empresaExists, filialBelongsTo, findEmpresaIdByDocumento } from '../empresas.queries';
import { getOpsMessages } from '../get-ops.messages';
import { keyPrefixOf, printIssuedKey } from '../issued-key';
import { withJobProducer } from '../queue-connection';
import { CLI_ACTOR } from './schedules.command';

const DEFAULT_KEY_NAME = 'cli';

interface CreateOptions {
  documento?: string;
  filial?: string;
  keyName: string;
  json?: boolean;
}

interface KeyOptions {
  filial?: string;
  keyName: string;
  json?: boolean;
}

/** `integrador tenant create|key|revoke|pause|resume`: empresas, filiais, their API keys, and pausing a whole empresa. */
export function registerTenantCommand(program: Command, cli: Cli): void {
  const tenant = program.command('tenant').description(cli.text.tenant);
  tenant
    .command('create <nome>')
    .description(cli.text.tenantCreate)
    .option('--documento <cnpj>', cli.text.documentoOption)
    .option('--filial <nome>', cli.text.filialNameOption)
    .option('--key-name <name>', cli.text.keyNameOption, DEFAULT_KEY_NAME)
    .option('--json', cli.text.jsonOption)
    .action((nome: string, options: CreateOptions) => createTenant(cli, nome, options));
  tenant
    .command('key <empresaId>')
    .description(cli.text.tenantKey)
    .option('--filial <id>', cli.text.filialIdOption)
    .option('--key-name <name>', cli.text.keyNameOption, DEFAULT_KEY_NAME)
    .option('--json', cli.text.jsonOption)
    .action((empresaId: string, options: KeyOptions) => issueKey(cli, empresaId, options));
  tenant
    .command('revoke <empresaId> <keyPrefix>')
    .description(cli.text.tenantRevoke)
    .action((empresaId: string, keyPrefix: string) => revokeKey(cli, empresaId, keyPrefix));
  const text = getOpsMessages(cli.locale);
  for (const action of ['pause', 'resume'] as const) {
    tenant
      .command(`${action} <empresaId>`)
      .description(action === 'pause' ? text.tenantPause : text.tenantResume)
      .option('--json', cli.text.jsonOption)
      .action((empresaId: string, options: { json?: boolean }) => pauseEmpresa(cli, empresaId, options, action === 'pause'));
  }
}

/** The dashboard's tenant pause/resume (the engine's pauseTenantWork), as the whole empresa. */
async function pauseEmpresa(cli: Cli, idText: string, options: { json?: boolean }, paused: boolean): Promise<void> {
  const text = getOpsMessages(cli.locale);
  const empresaId = parseId(cli, 'empresaId', idText);
  const config = loadConfig();
  const result = await withDatabase(
    (database) =>
      withJobProducer(cli, config, (producer) =>
        pauseTenantWork(
          { db: database.db, producer, keyPrefix: config.keyPrefix, scheduleTimezone: config.scheduleTimezone },
          { empresaId, filialId: null },
          CLI_ACTOR,
          paused,
        ),
      ),
    config,
  );
  if (!result) throw new CliError(cli.text.empresaNotFound(empresaId));
  if (options.json) return printJson({ empresaId, paused, ...result });
  print(paused ? text.tenantPaused(empresaId, result.schedules) : text.tenantResumed(empresaId, result.released));
}

async function createTenant(cli: Cli, nomeText: string, options: CreateOptions): Promise<void> {
  // Sizes of the columns the values go to.
  const nome = requireText(cli, 'nome', nomeText, 200);
  const documento = options.documento === undefined ? undefined : requireText(cli, '--documento', options.documento, 20);
  const filialNome = options.filial === undefined ? undefined : requireText(cli, '--filial', options.filial, 200);
  // `tenant key --filial` takes an id: a number here is that mistake far more often than a filial named "3".
  if (filialNome !== undefined && /^\d+$/.test(filialNome)) throw new CliError(cli.text.filialNameNotId(filialNome));
  const keyName = requireText(cli, '--key-name', options.keyName, 100);
  await withDatabase(async (database) => {
    // A new installation needs no separate `migrate` step before its first tenant.
    await migrateToLatest(database);
    if (documento !== undefined) {
      const existing = await findEmpresaIdByDocumento(database.db, documento);
      if (existing !== null) throw new CliError(cli.text.documentoTaken(existing, documento));
    }
    const created = await database.db.transaction().execute(async (trx) => {
      const empresaId = await createEmpresa(trx, nome, documento);
      const filialId = filialNome === undefined ? null : await createFilial(trx, empresaId, filialNome);
      return { empresaId, filialId, apiKey: await issueApiKey(trx, empresaId, filialId, keyName) };
    });
    if (options.json) return printJson(created);
    print(cli.text.empresaCreated(created.empresaId, nome));
    if (created.filialId !== null && filialNome !== undefined) print(cli.text.filialCreated(created.filialId, filialNome));
    printIssuedKey(cli, keyName, created.apiKey, created);
  });
}

async function issueKey(cli: Cli, empresaIdText: string, options: KeyOptions): Promise<void> {
  const empresaId = parseId(cli, 'empresaId', empresaIdText);
  const filialId = options.filial === undefined ? null : parseId(cli, '--filial', options.filial);
  const keyName = requireText(cli, '--key-name', options.keyName, 100);
  await withDatabase(async ({ db }) => {
    if (!(await empresaExists(db, empresaId))) throw new CliError(cli.text.empresaNotFound(empresaId));
    if (filialId !== null && !(await filialBelongsTo(db, empresaId, filialId)))
      throw new CliError(cli.text.filialNotFound(filialId, empresaId));
    const apiKey = await issueApiKey(db, empresaId, filialId, keyName);
    if (options.json) return printJson({ empresaId, filialId, apiKey });
    printIssuedKey(cli, keyName, apiKey, { empresaId, filialId });
  });
}

async function revokeKey(cli: Cli, empresaIdText: string, keyPrefixText: string): Promise<void> {
  const empresaId = parseId(cli, 'empresaId', empresaIdText);
  const prefix = keyPrefixOf(keyPrefixText);
  await withDatabase(async ({ db }) => {
    const count = await revokeApiKey(db, empresaId, prefix);
    if (count === 0) throw new CliError(cli.text.nothingRevoked(prefix, empresaId));
    print(cli.text.revoked(count, prefix, empresaId));
  });
}
