import { loadConfig } from '@integrador/config';
import type { QueueName } from '@integrador/jobs';
import { applyLimitChange, syncLimits, toLimitRule } from '@integrador/queue';
import { type LimiteScope, listLimites, removeLimite, upsertLimite } from '@integrador/store';
import type { Command } from 'commander';
import { type Cli, parseId, print, printJson, requireText, withDatabase } from '../cli-context';
import { CliError } from '../cli-error';
import { empresaExists, filialBelongsTo } from '../empresas.queries';
import { limitsMessages } from '../limits.messages';
import { withJobProducer } from '../queue-connection';

interface ScopeOptions {
  filial?: string;
  connection?: string;
}

interface SetOptions extends ScopeOptions {
  rate?: string;
  burst?: string;
  concurrency?: string;
}

const MAX_RATE = 100000;

/** `integrador limits set|list|remove|sync`: limites_tenant, mirrored into Redis for the running workers. */
export function registerLimitsCommand(program: Command, cli: Cli): void {
  const text = limitsMessages(cli.locale);
  const limits = program.command('limits').description(text.limits);
  const scoped = (command: Command) =>
    command.option('--filial <id>', text.filialOption).option('--connection <nome_conexao>', text.connectionOption);
  scoped(limits.command('set <empresaId>').description(text.limitsSet))
    .option('--rate <n>', text.rateOption)
    .option('--burst <n>', text.burstOption)
    .option('--concurrency <n>', text.concurrencyOption)
    .action((empresaId: string, options: SetOptions) => setLimit(cli, empresaId, options));
  limits
    .command('list')
    .description(text.limitsList)
    .option('--empresa <id>', text.empresaOption)
    .option('--json', cli.text.jsonOption)
    .action((options: { empresa?: string; json?: boolean }) => listLimits(cli, options));
  scoped(limits.command('remove <empresaId>').description(text.limitsRemove)).action((empresaId: string, options: ScopeOptions) =>
    removeLimit(cli, empresaId, options),
  );
  limits
    .command('sync')
    .description(text.limitsSync)
    .action(() => sync(cli));
}

/** A number in [0, max] (integer when asked), or a CliError naming the option. */
function parseNumber(cli: Cli, label: string, value: string | undefined, max: number, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > max || (integer && !Number.isInteger(n)))
    throw new CliError(limitsMessages(cli.locale).invalidNumber(label, value, max));
  return n;
}

function parseScope(cli: Cli, empresaIdText: string, options: ScopeOptions): LimiteScope {
  return {
    empresa_id: parseId(cli, 'empresaId', empresaIdText),
    empresa_filial_id: options.filial === undefined ? null : parseId(cli, '--filial', options.filial),
    nome_conexao: options.connection === undefined ? null : requireText(cli, '--connection', options.connection, 200),
  };
}

function label(cli: Cli, scope: LimiteScope): string {
  return limitsMessages(cli.locale).scope({
    empresaId: scope.empresa_id,
    filialId: scope.empresa_filial_id,
    connection: scope.nome_conexao,
  });
}

async function setLimit(cli: Cli, empresaIdText: string, options: SetOptions): Promise<void> {
  const text = limitsMessages(cli.locale);
  const scope = parseScope(cli, empresaIdText, options);
  const rate = parseNumber(cli, '--rate', options.rate, MAX_RATE, false) ?? 0;
  const concurrency = parseNumber(cli, '--concurrency', options.concurrency, 100000, true) ?? 0;
  const burst = parseNumber(cli, '--burst', options.burst, MAX_RATE, true) ?? Math.max(1, Math.ceil(rate));
  if (rate === 0 && concurrency === 0) throw new CliError(text.nothingToLimit);
  if (concurrency > 0 && scope.nome_conexao !== null) throw new CliError(text.concurrencyOnConnection);
  const values = { taxa_por_segundo: rate, rajada: Math.max(1, burst), concorrencia_maxima: concurrency };
  const config = loadConfig();
  await withDatabase(async (database) => {
    await requireTenant(cli, database.db, scope);
    let outcome: 'created' | 'updated' = 'created';
    const promoted = await withJobProducer(cli, config, (producer) =>
      applyLimitChange(
        database,
        producer.connection,
        config.keyPrefix,
        scope.empresa_id,
        async () => {
          outcome = await upsertLimite(database.db, scope, values);
        },
        (name) => producer.queue(name as QueueName),
      ),
    );
    print(text.saved(label(cli, scope), outcome === 'created', promoted));
  }, config);
}

async function removeLimit(cli: Cli, empresaIdText: string, options: ScopeOptions): Promise<void> {
  const text = limitsMessages(cli.locale);
  const scope = parseScope(cli, empresaIdText, options);
  const config = loadConfig();
  await withDatabase(async (database) => {
    const promoted = await withJobProducer(cli, config, (producer) =>
      applyLimitChange(
        database,
        producer.connection,
        config.keyPrefix,
        scope.empresa_id,
        async () => {
          if (!(await removeLimite(database.db, scope))) throw new CliError(text.notFound(label(cli, scope)));
        },
        (name) => producer.queue(name as QueueName),
      ),
    );
    print(text.removed(label(cli, scope), promoted));
  }, config);
}

async function listLimits(cli: Cli, options: { empresa?: string; json?: boolean }): Promise<void> {
  const text = limitsMessages(cli.locale);
  const empresaId = options.empresa === undefined ? undefined : parseId(cli, '--empresa', options.empresa);
  const rows = await withDatabase((database) => listLimites(database.db, empresaId));
  if (options.json) return printJson(rows.map(toLimitRule));
  if (!rows.length) return print(text.none);
  for (const row of rows.map(toLimitRule)) print(text.row(text.scope(row), row.ratePerSecond, row.burst, row.maxConcurrency));
}

async function sync(cli: Cli): Promise<void> {
  const config = loadConfig();
  const count = await withDatabase((database) =>
    withJobProducer(cli, config, (producer) => syncLimits(database, producer.connection, config.keyPrefix)),
  );
  print(limitsMessages(cli.locale).synced(count));
}

async function requireTenant(cli: Cli, db: Parameters<typeof empresaExists>[0], scope: LimiteScope): Promise<void> {
  if (!(await empresaExists(db, scope.empresa_id))) throw new CliError(cli.text.empresaNotFound(scope.empresa_id));
  const filial = scope.empresa_filial_id;
  if (filial !== null && !(await filialBelongsTo(db, scope.empresa_id, filial)))
    throw new CliError(cli.text.filialNotFound(filial, scope.empresa_id));
}
