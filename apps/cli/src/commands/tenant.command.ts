import { createEmpresa, createFilial, issueApiKey, migrateToLatest, revokeApiKey } from '@integrador/store';
import type { Command } from 'commander';
import { type Cli, parseId, print, printJson, requireText, withDatabase } from '../cli-context';
import { CliError } from '../cli-error';
import { empresaExists, filialBelongsTo, findEmpresaIdByDocumento } from '../empresas.queries';
import { keyPrefixOf, printIssuedKey } from '../issued-key';

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

/** `integrador tenant create|key|revoke`: empresas, filiais and their API keys. */
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
}

async function createTenant(cli: Cli, nomeText: string, options: CreateOptions): Promise<void> {
  // Sizes of the columns the values go to.
  const nome = requireText(cli, 'nome', nomeText, 200);
  const documento = options.documento === undefined ? undefined : requireText(cli, '--documento', options.documento, 20);
  const filialNome = options.filial === undefined ? undefined : requireText(cli, '--filial', options.filial, 200);
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
    printIssuedKey(cli, keyName, created.apiKey);
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
    printIssuedKey(cli, keyName, apiKey);
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
