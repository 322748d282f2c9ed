import { loadConfig } from '@integrador/config';
import { shownUrl } from '@integrador/connections';
import { RedisConfigurationError } from '@integrador/queue';
import type { Database } from '@integrador/store';
import {
  circuitStates,
  createEndpoint,
  createWebhookHttpClient,
  ENTREGA_STATUSES,
  endpointOfDeliveries,
  installCaptureTriggers,
  isRedisUnusable,
  listWebhookEndpoints,
  presentEndpoint,
  presentEntregas,
  recoverDeliveries,
  removeCaptureTriggers,
  requeueOrphanedDeliveries,
  requireChangeableEndpoint,
  resealPlainSecrets,
  resendDelivery,
  rotateSecret,
  testWebhookEndpoint,
  WebhookError,
  webhookMessage,
  webhookSettingsFrom,
} from '@integrador/webhooks';
import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import { type Cli, parseId, print, printJson, withDatabase } from '../cli-context';
import { CliError } from '../cli-error';
import { connectionErrorText } from '../describe-error';
import { empresaExists } from '../empresas.queries';
import { localTime } from '../local-time';
import { withJobProducer, withRedis } from '../queue-connection';
import { webhookTexts } from '../webhooks.messages';

interface EmpresaOptions {
  empresa: string;
  json?: boolean;
}

interface CreateOptions extends EmpresaOptions {
  nome: string;
  url: string;
  gatilho: string[];
  header?: string[];
  rate?: string;
}

interface RotateOptions extends EmpresaOptions {
  revogarAnterior?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `integrador webhooks create|list|rotate-secret|test|deliveries|resend|recover|requeue-pending|capture|reseal` (seed 004). */
export function registerWebhooksCommand(program: Command, cli: Cli): void {
  const t = webhookTexts(cli.locale);
  const webhooks = program.command('webhooks').description(t.webhooks);
  const withEmpresa = (command: Command) => command.requiredOption('--empresa <id>', t.empresaOption).option('--json', cli.text.jsonOption);
  withEmpresa(webhooks.command('create').description(t.create))
    .requiredOption('--nome <nome>', t.nomeOption)
    .requiredOption('--url <url>', t.urlOption)
    .requiredOption('--gatilho <gatilho>', t.gatilhoOption, collect)
    .option('--header <nome:valor>', t.headerOption, collect)
    .option('--rate <n>', t.rateOption)
    .action((options: CreateOptions) => guarded(cli, () => create(cli, t, options)));
  withEmpresa(webhooks.command('list').description(t.list)).action((options: EmpresaOptions) => guarded(cli, () => list(cli, t, options)));
  withEmpresa(webhooks.command('rotate-secret <webhookId>').description(t.rotate))
    .option('--revogar-anterior', t.revokeOption)
    .action((id: string, options: RotateOptions) => guarded(cli, () => rotate(cli, t, id, options)));
  withEmpresa(webhooks.command('test <webhookId>').description(t.test)).action((id: string, options: EmpresaOptions) =>
    guarded(cli, () => test(cli, id, options)),
  );
  withEmpresa(webhooks.command('deliveries <webhookId>').description(t.deliveries))
    .option('--status <status>', t.statusOption)
    .action((id: string, options: EmpresaOptions & { status?: string }) => guarded(cli, () => deliveries(cli, id, options)));
  withEmpresa(webhooks.command('resend <webhookId> <entregaId>').description(t.resend)).action(
    (id: string, entregaId: string, options: EmpresaOptions) => guarded(cli, () => resend(cli, t, id, entregaId, options)),
  );
  withEmpresa(webhooks.command('recover <webhookId>').description(t.recover))
    .requiredOption('--since <iso>', t.sinceOption)
    .action((id: string, options: EmpresaOptions & { since: string }) => guarded(cli, () => recover(cli, t, id, options)));
  withEmpresa(webhooks.command('requeue-pending').description(t.requeuePending)).action((options: EmpresaOptions) =>
    guarded(cli, () => requeuePending(cli, t, options)),
  );
  webhooks
    .command('capture <acao>')
    .description(t.capture)
    .action((acao: string) => guarded(cli, () => capture(t, acao)));
  webhooks
    .command('reseal')
    .description(t.reseal)
    .action(() => guarded(cli, () => reseal(t)));
}

/** Seals the secrets written before WEBHOOK_SECRET_KEY was set (they stay readable plain otherwise). */
async function reseal(t: Texts): Promise<void> {
  const config = loadConfig();
  const key = webhookSettingsFrom(config.webhooks).secretKey;
  if (!key) throw new CliError(t.resealNoKey);
  await withDatabase(async ({ db }) => print(t.resealed(await resealPlainSecrets(db, key))), config);
}

/** The engine's refusals as one CLI line in the chosen language. */
async function guarded(cli: Cli, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (err instanceof WebhookError) throw new CliError(webhookMessage(cli.locale, err.wording, err.params));
    throw err;
  }
}

async function requireEmpresa(cli: Cli, db: Kysely<Database>, empresaId: number): Promise<void> {
  if (!(await empresaExists(db, empresaId))) throw new CliError(cli.text.empresaNotFound(empresaId));
}

function parseHeaders(cli: Cli, entries: string[] = []): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const entry of entries) {
    const at = entry.indexOf(':');
    if (at < 1) throw new CliError(webhookMessage(cli.locale, 'WEBHOOK_HEADER_INVALID', { name: entry }));
    headers[entry.slice(0, at).trim()] = entry.slice(at + 1).trim();
  }
  return headers;
}

type Texts = ReturnType<typeof webhookTexts>;

/** The CLI is the operator's: it acts for the whole empresa (no filial). */
const operator = (empresaId: number) => ({ empresaId, filialId: null });

async function create(cli: Cli, t: Texts, options: CreateOptions): Promise<void> {
  const empresaId = parseId(cli, '--empresa', options.empresa);
  const config = loadConfig();
  const settings = webhookSettingsFrom(config.webhooks);
  await withDatabase(async ({ db }) => {
    await requireEmpresa(cli, db, empresaId);
    const { id, secret } = await createEndpoint(db, settings, operator(empresaId), {
      nome: options.nome,
      url: options.url,
      gatilhos: options.gatilho,
      cabecalhos: parseHeaders(cli, options.header),
      limitePorSegundo: options.rate === undefined ? null : parseId(cli, '--rate', options.rate),
    });
    if (options.json) return printJson({ id, segredo: secret });
    print(t.created(id));
    print(t.secretOnce(secret));
  }, config);
}

async function list(cli: Cli, t: Texts, options: EmpresaOptions): Promise<void> {
  const empresaId = parseId(cli, '--empresa', options.empresa);
  await withDatabase(async ({ db }) => {
    await requireEmpresa(cli, db, empresaId);
    // Shown as records show URLs (query values and token-looking path segments masked); the full value is in the configuration.
    const config = loadConfig();
    const settings = { httpsOnly: config.webhooks.httpsOnly };
    const listed = (await listWebhookEndpoints(db, empresaId)).map((e) => ({
      ...presentEndpoint(e, cli.locale, settings),
      url: shownUrl(e.url),
    }));
    // The breakers, as the API and the dashboard read them (one round trip); without Redis the list is shown without them.
    const breakerFailures = webhookSettingsFrom(config.webhooks).breakerFailures;
    const ids = listed.map((e) => e.id);
    const circuits = ids.length
      ? await withRedis(cli, config, (redis) => circuitStates(redis, config.keyPrefix, ids, breakerFailures)).catch(() => null)
      : null;
    const endpoints = listed.map((e, i) => ({ ...e, circuito: circuits?.[i] ?? null }));
    if (options.json) return printJson(endpoints);
    if (!endpoints.length) return print(t.none(empresaId));
    const local = (iso: string) => localTime(new Date(iso), config.scheduleTimezone);
    for (const e of endpoints) {
      print(t.line(e.id, e.nome, e.url, e.gatilhos.join(','), e.ativo));
      // The same words the dashboard uses: an open breaker with its end, and since when deliveries fail (local time).
      if (e.circuito?.estado === 'aberto') print(`  ${t.circuitOpen(e.circuito.ate && local(e.circuito.ate), e.circuito.falhasSeguidas)}`);
      if (e.circuito?.estado === 'meio_aberto') print(`  ${t.circuitHalfOpen}`);
      if (e.falhandoDesde) print(`  ${t.failingSince(local(e.falhandoDesde))}`);
      if (e.desativado) print(`  ${e.desativado.message}`);
      // Active and never failing, yet nothing goes out (WEBHOOK_HTTPS_ONLY and an http:// URL): said under it.
      if (e.bloqueado) print(`  ${e.bloqueado.message}`);
    }
  });
}

async function rotate(cli: Cli, t: Texts, idText: string, options: RotateOptions): Promise<void> {
  const id = parseId(cli, 'webhookId', idText);
  const empresaId = parseId(cli, '--empresa', options.empresa);
  const config = loadConfig();
  await withDatabase(async ({ db }) => {
    const rotated = await rotateSecret(db, webhookSettingsFrom(config.webhooks), operator(empresaId), id, {
      revokePrevious: options.revogarAnterior === true,
    });
    if (options.json) return printJson({ segredo: rotated.secret, anteriorValidoAte: rotated.previousValidUntil });
    print(t.secretOnce(rotated.secret));
    print(rotated.previousValidUntil === null ? t.previousRevoked : t.previousUntil(rotated.previousValidUntil));
  }, config);
}

async function test(cli: Cli, idText: string, options: EmpresaOptions): Promise<void> {
  const id = parseId(cli, 'webhookId', idText);
  const empresaId = parseId(cli, '--empresa', options.empresa);
  const config = loadConfig();
  const settings = webhookSettingsFrom(config.webhooks);
  const http = createWebhookHttpClient(settings);
  try {
    const result = await withDatabase(async ({ db }) => {
      const endpoint = await requireChangeableEndpoint(db, operator(empresaId), id);
      return testWebhookEndpoint(http, settings, endpoint, cli.locale);
    }, config);
    if (options.json) printJson(result);
    else print(result.message);
    if (!result.ok) process.exitCode = 1;
  } finally {
    await http.close();
  }
}

async function deliveries(cli: Cli, idText: string, options: EmpresaOptions & { status?: string }): Promise<void> {
  // An unknown status would list nothing and exit 0 (the API refuses it with a 400): refused here the same way.
  if (options.status !== undefined && !(ENTREGA_STATUSES as readonly string[]).includes(options.status))
    throw new CliError(webhookTexts(cli.locale).invalidStatus(options.status));
  const id = parseId(cli, 'webhookId', idText);
  const empresaId = parseId(cli, '--empresa', options.empresa);
  const config = loadConfig();
  await withDatabase(async ({ db }) => {
    // A deleted endpoint's deliveries are still read (until the retention purge), said so above them.
    const { deleted } = await endpointOfDeliveries(db, empresaId, id);
    // The endpoint's breaker, as the API reads it: a pending delivery it holds is shown due when it lets it go (not a
    // time gone by). Without Redis the rows are shown as stored.
    const breakerFailures = webhookSettingsFrom(config.webhooks).breakerFailures;
    const circuit = deleted
      ? null
      : await withRedis(cli, config, (redis) => circuitStates(redis, config.keyPrefix, [id], breakerFailures))
          .then(([state]) => state ?? null)
          .catch(() => null);
    const rows = await presentEntregas(db, empresaId, id, options.status ? { status: options.status } : {}, cli.locale, circuit);
    if (options.json) return printJson(rows);
    const t = webhookTexts(cli.locale);
    if (deleted) print(t.deletedEndpoint(id));
    if (!rows.length) return print(t.noDeliveries(id));
    const cells = rows.map((r) => [
      `#${r.id}`,
      r.gatilho,
      r.registro_id,
      r.status,
      String(r.tentativas),
      r.ultimo_status_http === null ? '-' : String(r.ultimo_status_http),
      // Local time with its offset, as `cti calls` and the dashboard show times (SCHEDULE_TIMEZONE); --json keeps ISO UTC.
      r.proxima_tentativa_em ? localTime(new Date(r.proxima_tentativa_em), config.scheduleTimezone) : '-',
      r.ultimo_erro ?? '',
    ]);
    // Labelled, aligned columns: "#16 contato.alterado 1 entregue 1 200" left the reader guessing which 1 was which.
    for (const line of alignedColumns([t.deliveryColumns, ...cells])) print(line);
  }, config);
}

/** Rows padded to their columns' widths (the last column, free text, unpadded). */
function alignedColumns(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

async function resend(cli: Cli, t: Texts, idText: string, entregaText: string, options: EmpresaOptions): Promise<void> {
  const id = parseId(cli, 'webhookId', idText);
  const entregaId = parseId(cli, 'entregaId', entregaText);
  const empresaId = parseId(cli, '--empresa', options.empresa);
  const config = loadConfig();
  await withDatabase(
    ({ db }) =>
      withJobProducer(cli, config, async (producer) => {
        const jobId = await resendDelivery(db, producer, operator(empresaId), id, entregaId);
        if (options.json) printJson({ queue: 'webhook', jobId });
        else print(t.resent(entregaId, jobId));
      }),
    config,
  );
}

async function recover(cli: Cli, t: Texts, idText: string, options: EmpresaOptions & { since: string }): Promise<void> {
  const id = parseId(cli, 'webhookId', idText);
  const empresaId = parseId(cli, '--empresa', options.empresa);
  const since = parseSince(options.since);
  if (!since) throw new CliError(t.invalidSince(options.since));
  const config = loadConfig();
  await withDatabase(
    ({ db }) =>
      withJobProducer(cli, config, async (producer) => {
        const recovered = await recoverDeliveries(db, producer, operator(empresaId), id, since);
        if (options.json) printJson(recovered);
        else print(t.recovered(recovered.recovered, recovered.falhou, recovered.cancelada));
      }),
    config,
  );
}

/**
 * A recover's `--since`: an ISO 8601 time with its zone (Z or an offset), or a date alone (midnight UTC, as ISO reads
 * it); undefined for anything else — a zone-less time would be read in whatever zone the machine has, Date's own parser
 * takes texts such as "1" (the year 2001), and a day that does not exist (2026-02-30) would roll over to March.
 */
function parseSince(value: string): Date | undefined {
  const text = value.trim();
  const form = /^(\d{4})-(\d{2})-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|z|[+-]\d{2}:?\d{2}))?$/.exec(text);
  if (!form) return undefined;
  const [y, m, d] = [Number(form[1]), Number(form[2]), Number(form[3])];
  const day = new Date(Date.UTC(y, m - 1, d));
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== m - 1 || day.getUTCDate() !== d) return undefined;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** The tenant's pending deliveries no live job owns, enqueued again under their own job ids (requeueOrphanedDeliveries). */
async function requeuePending(cli: Cli, t: Texts, options: EmpresaOptions): Promise<void> {
  const empresaId = parseId(cli, '--empresa', options.empresa);
  const config = loadConfig();
  await withDatabase(
    ({ db }) =>
      withJobProducer(cli, config, async (producer) => {
        // Every batch of the tenant's pending rows, not only the first (the command is run once, by hand).
        const requeued: number[] = [];
        const skipped: number[] = [];
        let afterId = 0;
        try {
          do {
            const batch = await requeueOrphanedDeliveries(db, producer, { empresaId, afterId });
            requeued.push(...batch.requeued);
            skipped.push(...batch.skipped);
            afterId = batch.resumeAfter;
          } while (afterId > 0);
        } catch (err) {
          // Redis down, frozen or unsafe midway: the rest was not judged, which "0 requeued" would hide.
          if (!isRedisUnusable(err)) throw err;
          const detail = err instanceof RedisConfigurationError ? t.redisMisconfigured : connectionErrorText(err, cli.locale);
          throw new CliError(t.requeueStopped(requeued.length, detail), { cause: err });
        }
        if (options.json) printJson({ requeued, skipped });
        else {
          print(t.requeued(requeued.length));
          if (skipped.length) print(t.requeueSkipped(skipped));
        }
        // Rows left unjudged: the operator runs it again.
        if (skipped.length) process.exitCode = 1;
      }),
    config,
  );
}

async function capture(t: Texts, acao: string): Promise<void> {
  if (acao !== 'install' && acao !== 'remove') throw new CliError(t.invalidCapture(acao));
  await withDatabase(async (database) => {
    if (acao === 'install') await installCaptureTriggers(database);
    else await removeCaptureTriggers(database);
    print(acao === 'install' ? t.captureInstalled : t.captureRemoved);
  });
}
