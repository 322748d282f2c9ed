import { type Config, loadConfig } from '@integrador/config';
import {
  AddressListError,
  buildPbxRequest,
  type ClickToCallFailure,
  CtiError,
  type CtiSettings,
  type CtiSettingsPatch,
  clickToCallFailures,
  findCtiSettings,
  issueListenerToken,
  listCalls,
  lookUpCaller,
  PBX_AUTH_MODES,
  type PbxAuth,
  parseRanges,
  pbxTemplateMessage,
  pbxTemplateProblem,
  ramalOf,
  rebuildPhoneIndex,
  revealedPbxUrl,
  saveCtiSettings,
  sendPbxRequest,
} from '@integrador/cti';
import { failureReason, readDate, zonedInstant } from '@integrador/integrador';
import type { Command } from 'commander';
import { type Cli, parseId, print, printJson, withDatabase } from '../cli-context';
import { CliError } from '../cli-error';
import { type CtiMessages, ctiMessages } from '../cti.messages';
import { empresaExists } from '../empresas.queries';
import { localTime } from '../local-time';

interface ConfigureOptions {
  hostLabel?: string | false;
  newToken?: boolean;
  allow?: string;
  allowAny?: boolean;
  pbxUrl?: string;
  pbxMethod?: string;
  pbxAuth?: string;
  pbxUser?: string;
  pbxSecret?: string;
  pbxParam?: string;
  prefix?: string;
  ramalLength?: string;
  privateNetwork?: string;
  publicUrl?: string;
  json?: boolean;
}

/** `integrador cti configure|show|test-pbx|calls|reindex`: a tenant's CTI (seed 002) from the command line. */
export function registerCtiCommand(program: Command, cli: Cli): void {
  const text = ctiMessages(cli.locale);
  const cti = program.command('cti').description(text.cti);
  cti
    .command('configure <empresaId>')
    .description(text.configure)
    .option('--host-label <label>', text.hostLabelOption)
    .option('--no-host-label', text.noHostLabelOption)
    .option('--new-token', text.newTokenOption)
    .option('--allow <list>', text.allowOption)
    .option('--allow-any', text.allowAnyOption)
    .option('--pbx-url <template>', text.pbxUrlOption)
    .option('--pbx-method <method>', text.pbxMethodOption)
    .option('--pbx-auth <mode>', text.pbxAuthOption)
    .option('--pbx-user <user>', text.pbxUserOption)
    .option('--pbx-secret <ref>', text.pbxSecretOption)
    .option('--pbx-param <name>', text.pbxParamOption)
    .option('--prefix <digits>', text.prefixOption)
    .option('--ramal-length <n>', text.ramalLengthOption)
    .option('--private-network <allow|deny>', text.privateNetworkOption)
    .option('--public-url <url>', text.publicUrlOption)
    .option('--json', cli.text.jsonOption)
    .action((empresaId: string, options: ConfigureOptions) => configure(cli, empresaId, options));
  cti
    .command('show <empresaId>')
    .description(text.show)
    .option('--json', cli.text.jsonOption)
    .action((empresaId: string, options: { json?: boolean }) => show(cli, empresaId, options));
  cti
    .command('test-pbx <empresaId>')
    .description(text.testPbx)
    .requiredOption('--ramal <ramal>', text.ramalOption)
    .requiredOption('--numero <numero>', text.numeroOption)
    .option('--send', text.sendOption)
    .action((empresaId: string, options: { ramal: string; numero: string; send?: boolean }) => testPbx(cli, empresaId, options));
  cti
    .command('calls')
    .description(text.calls)
    .requiredOption('--empresa <id>', text.callsEmpresaOption)
    .option('--ramal <ramal>', text.ramalOption)
    .option('--from <iso>', text.fromOption)
    .option('--to <iso>', text.toOption)
    .option('--limit <n>', text.limitOption)
    .option('--json', cli.text.jsonOption)
    .action((options: { empresa: string; ramal?: string; from?: string; to?: string; limit?: string; json?: boolean }) =>
      calls(cli, options),
    );
  cti
    .command('lookup')
    .description(text.lookup)
    .requiredOption('--empresa <id>', text.lookupEmpresaOption)
    .requiredOption('--numero <numero>', text.lookupNumeroOption)
    .option('--json', cli.text.jsonOption)
    .action((options: { empresa: string; numero: string; json?: boolean }) => lookup(cli, options));
  cti
    .command('reindex')
    .description(text.reindex)
    .requiredOption('--empresa <id>', text.reindexEmpresaOption)
    .action((options: { empresa: string }) => reindex(cli, options));
}

function check(text: CtiMessages, ok: boolean, label: string, value: string, expected: string): void {
  if (!ok) throw new CliError(text.invalid(label, value, expected));
}

/** `--ramal` read as every entry point reads a ramal (ramalOf: `SIP/201` or `'201 '` is 201); refused naming the rule. */
function ramalOption(text: CtiMessages, value: string): string {
  const ramal = ramalOf(value);
  if (ramal === undefined) throw new CliError(text.invalid('--ramal', value, text.expected.ramal));
  return ramal;
}

/** The patch the options describe, each value checked (the message names the option and what it expects). */
function patchOf(cli: Cli, text: CtiMessages, o: ConfigureOptions): CtiSettingsPatch {
  const patch: CtiSettingsPatch = o.allowAny ? { allowAnyOrigin: true } : {};
  if (o.hostLabel === false) patch.hostLabel = null;
  else if (o.hostLabel !== undefined) {
    check(text, /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i.test(o.hostLabel), '--host-label', o.hostLabel, text.expected.hostLabel);
    patch.hostLabel = o.hostLabel.toLowerCase();
  }
  if (o.allow !== undefined) {
    const list = o.allow
      .split(',')
      .map((a) => a.trim())
      .filter(Boolean);
    try {
      parseRanges(list);
    } catch (err) {
      // Worded in the CLI's language, as every other option's refusal (the error's own message is English).
      if (err instanceof AddressListError) throw new CliError(text.invalid('--allow', err.entry, text.expected.allow));
      throw err;
    }
    patch.allowlist = list;
  }
  if (o.pbxUrl !== undefined) {
    // The template's own problems (unknown placeholder, no number, a password in it) named with the allowed placeholders.
    const problem = pbxTemplateProblem(o.pbxUrl);
    if (problem) throw new CliError(`--pbx-url: ${pbxTemplateMessage(cli.locale, problem)}`);
    patch.pbxUrlTemplate = o.pbxUrl;
  }
  if (o.pbxMethod !== undefined) {
    check(text, /^(GET|POST)$/i.test(o.pbxMethod), '--pbx-method', o.pbxMethod, text.expected.pbxMethod);
    patch.pbxMethod = o.pbxMethod.toUpperCase();
  }
  if (o.pbxAuth !== undefined) {
    check(text, (PBX_AUTH_MODES as readonly string[]).includes(o.pbxAuth), '--pbx-auth', o.pbxAuth, text.expected.pbxAuth);
    patch.pbxAuth = o.pbxAuth as PbxAuth;
  }
  if (o.pbxUser !== undefined) patch.pbxUser = o.pbxUser;
  if (o.pbxSecret !== undefined) {
    check(text, /^\$\{[A-Z][A-Z0-9_]{0,63}\}$/.test(o.pbxSecret), '--pbx-secret', o.pbxSecret, text.expected.pbxSecret);
    patch.pbxSecretRef = o.pbxSecret;
  }
  if (o.pbxParam !== undefined) {
    check(text, /^[A-Za-z0-9_-]{1,100}$/.test(o.pbxParam), '--pbx-param', o.pbxParam, text.expected.pbxParam);
    patch.pbxParamName = o.pbxParam;
  }
  if (o.prefix !== undefined) {
    check(text, /^[0-9*#,]{0,10}$/.test(o.prefix), '--prefix', o.prefix, text.expected.prefix);
    patch.dialPrefix = o.prefix;
  }
  if (o.ramalLength !== undefined) {
    check(text, /^([1-9]|1[0-2])$/.test(o.ramalLength), '--ramal-length', o.ramalLength, text.expected.ramalLength);
    patch.ramalLength = Number(o.ramalLength);
  }
  if (o.privateNetwork !== undefined) {
    check(text, /^(allow|deny)$/.test(o.privateNetwork), '--private-network', o.privateNetwork, text.expected.privateNetwork);
    patch.allowPrivateNetwork = o.privateNetwork === 'allow';
  }
  return patch;
}

/**
 * The settings as printed: the PBX URL template as revealedPbxUrl gives it (its placeholders as written, so a wrong one
 * shows; a key or password in it is never printed).
 */
function printSettings(text: CtiMessages, settings: CtiSettings, json: boolean | undefined): void {
  const { urlTemplate } = settings.pbx;
  const shown = { ...settings, pbx: { ...settings.pbx, urlTemplate: urlTemplate ? revealedPbxUrl(urlTemplate) : urlTemplate } };
  if (json) printJson(shown);
  else for (const line of text.settings(shown)) print(line);
}

/** `--public-url`, PUBLIC_URL's shape (packages/config checks the variable the same way): http(s), no query or credentials. */
const PUBLIC_URL_SHAPE = /^https?:\/\/[^\s/?#@]+(\/[^\s?#]*)?$/i;

/**
 * Where a PBX calls the listeners: the public address given (`--public-url`, else PUBLIC_URL — a proxy's, say), or
 * else this host's ingress (HOST and PORT; a wildcard HOST as 127.0.0.1), what a trial on this machine uses.
 */
function listenerBase(text: CtiMessages, config: Config, publicUrl: string | undefined): { url: string; public: boolean } {
  if (publicUrl !== undefined) {
    check(text, PUBLIC_URL_SHAPE.test(publicUrl), '--public-url', publicUrl, text.expected.publicUrl);
    return { url: publicUrl.replace(/\/+$/, ''), public: true };
  }
  if (config.publicUrl !== undefined) return { url: config.publicUrl, public: true };
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${config.port}`, public: false };
}

/**
 * The listener base of the host-label form: <label>.<CTI_DOMAIN>, with the scheme and port of the public address when
 * one is given (a proxy's), else this host's ingress port; undefined without a label or without CTI_DOMAIN.
 */
function hostLabelBase(config: Config, base: { url: string; public: boolean }, label: string | null): string | undefined {
  const domain = config.cti.domain;
  if (!label || !domain) return undefined;
  const address = new URL(base.url);
  return `${address.protocol}//${label}.${domain}${address.port ? `:${address.port}` : ''}`;
}

/** The host-label form's listener URLs (or the warning that CTI_DOMAIN is missing), when the empresa has a label. */
function printHostLabelUrls(text: CtiMessages, config: Config, base: { url: string; public: boolean }, settings: CtiSettings): void {
  if (!settings.hostLabel) return;
  const labelBase = hostLabelBase(config, base, settings.hostLabel);
  print(labelBase ? text.hostLabelUrls(labelBase, base.public) : text.hostLabelNoDomain(settings.hostLabel));
}

async function configure(cli: Cli, empresaIdText: string, options: ConfigureOptions): Promise<void> {
  const text = ctiMessages(cli.locale);
  const empresaId = parseId(cli, 'empresaId', empresaIdText);
  const patch = patchOf(cli, text, options);
  const config = loadConfig();
  const base = listenerBase(text, config, options.publicUrl);
  await withDatabase(async ({ db }) => {
    if (!(await empresaExists(db, empresaId))) throw new CliError(cli.text.empresaNotFound(empresaId));
    let settings = await saveCtiSettings(db, empresaId, patch).catch((err: unknown) => {
      if (err instanceof CtiError && err.code === 'HOST_LABEL_TAKEN') throw new CliError(text.hostLabelTaken(err.params.label ?? ''));
      if (err instanceof CtiError && err.code === 'HOST_LABEL_OPEN') throw new CliError(text.hostLabelOpen(err.params.label ?? ''));
      throw err;
    });
    if (options.newToken) {
      print(text.tokenIssued(await issueListenerToken(db, empresaId), base.url, base.public));
      settings = (await findCtiSettings(db, empresaId)) as CtiSettings;
    }
    if (!options.json) print(text.saved(empresaId));
    printSettings(text, settings, options.json);
    // Setting the label: the URLs to give the PBX, as --new-token prints the token's (trial CTI 3, finding 9).
    if (!options.json && typeof options.hostLabel === 'string') printHostLabelUrls(text, config, base, settings);
  }, config);
}

async function settingsOf(cli: Cli, empresaIdText: string): Promise<CtiSettings> {
  const empresaId = parseId(cli, 'empresaId', empresaIdText);
  const settings = await withDatabase(({ db }) => findCtiSettings(db, empresaId));
  if (!settings) throw new CliError(ctiMessages(cli.locale).notConfigured(empresaId));
  return settings;
}

async function show(cli: Cli, empresaIdText: string, options: { json?: boolean }): Promise<void> {
  const text = ctiMessages(cli.locale);
  const settings = await settingsOf(cli, empresaIdText);
  printSettings(text, settings, options.json);
  if (!options.json) {
    const config = loadConfig();
    printHostLabelUrls(text, config, listenerBase(text, config, undefined), settings);
  }
}

/**
 * The request test-pbx shows or sends. A refusal of the settings (no template, a number that cannot be dialled) is
 * worded in the user's language by the failure catalogue, as the dashboard words the same failure of a click-to-call;
 * the PBX secret not set gets the CLI's own text: this command reads its own environment, so the catalogue's "set it
 * on worker-cti and restart it" would not help it.
 */
function pbxRequestOf(cli: Cli, ...args: Parameters<typeof buildPbxRequest>) {
  try {
    return buildPbxRequest(...args);
  } catch (err) {
    const variable = err instanceof CtiError && err.code === 'PBX_SECRET_MISSING' ? err.params?.variavel : undefined;
    if (typeof variable === 'string') throw new CliError(ctiMessages(cli.locale).secretMissing(variable), { cause: err });
    const problem =
      err instanceof CtiError && err.code === 'PBX_TEMPLATE_INVALID' ? pbxTemplateProblem(args[0].pbx.urlTemplate ?? '') : undefined;
    if (problem) throw new CliError(pbxTemplateMessage(cli.locale, problem), { cause: err });
    const worded = err instanceof CtiError ? failureReason(cli.locale, err.code, err.params) : undefined;
    if (worded) throw new CliError(worded, { cause: err });
    throw err;
  }
}

async function testPbx(cli: Cli, empresaIdText: string, options: { ramal: string; numero: string; send?: boolean }): Promise<void> {
  const text = ctiMessages(cli.locale);
  const ramal = ramalOption(text, options.ramal);
  const settings = await settingsOf(cli, empresaIdText);
  const config = loadConfig();
  // Without --send the secret need not be set: the request is shown with *** in its place.
  const env = options.send ? config.secretSource : new Proxy({}, { get: () => '***' });
  const request = pbxRequestOf(cli, settings, { ramal, numero: options.numero }, env);
  print(text.request(request.method, request.revealedUrl, request.dialled, request.interno));
  if (!options.send) return;
  const answer = await sendPbxRequest(request, { allowPrivateNetwork: settings.allowPrivateNetwork, timeoutMs: config.cti.pbxTimeoutMs });
  print(text.answered(answer.status, answer.durationMs, answer.body.trim()));
}

async function calls(cli: Cli, options: { empresa: string; ramal?: string; from?: string; to?: string; limit?: string; json?: boolean }) {
  const text = ctiMessages(cli.locale);
  const empresaId = parseId(cli, '--empresa', options.empresa);
  // Read in the zone the listing prints (SCHEDULE_TIMEZONE): a time pasted from it, zone-less, means the same instant
  // on a UTC server. A value with its offset (Z, -03:00, the listing's own "GMT-3") keeps it.
  const timeZone = loadConfig().scheduleTimezone;
  const date = (label: string, value: string | undefined) => {
    if (value === undefined) return undefined;
    const parts = readDate(value, timeZone);
    const parsed = parts ? zonedInstant(parts, timeZone) : new Date(value);
    check(text, !Number.isNaN(parsed.getTime()), label, value, text.expected.dateTime);
    return parsed;
  };
  const ramal = options.ramal === undefined ? undefined : ramalOption(text, options.ramal);
  const limit = options.limit === undefined ? 50 : Number(options.limit);
  check(text, Number.isInteger(limit) && limit >= 1 && limit <= 200, '--limit', String(options.limit), text.expected.limit);
  const from = date('--from', options.from);
  const to = date('--to', options.to);
  const { page, failures } = await withDatabase(async ({ db }) => {
    // An empresa that does not exist is said so (exit 1), not "no calls": a typo in --empresa would look like silence.
    if (!(await empresaExists(db, empresaId))) throw new CliError(cli.text.empresaNotFound(empresaId));
    const listed = await listCalls(db, empresaId, {
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
      ...(ramal ? { ramal } : {}),
      limit,
    });
    // Why each failed click-to-call failed (its job record's code), as the dashboard and the API's motivo word it.
    return { page: listed, failures: await clickToCallFailures(db, empresaId, listed.calls) };
  });
  if (options.json) {
    printJson(page);
    return;
  }
  if (!page.calls.length) {
    print(text.noCalls);
    return;
  }
  // Local time with its offset, as the dashboard shows calls (SCHEDULE_TIMEZONE, São Paulo by default); --json keeps ISO UTC.
  for (const c of page.calls) {
    const when = localTime(new Date(c.inicio as Date | string), timeZone);
    print(
      text.callLine({
        id: c.id,
        when,
        direcao: c.direcao,
        ramal: c.ramal,
        telefone: String(c.telefone_normalizado ?? c.telefone),
        status: String(c.status),
        duracao: String(c.duracao_segundos ?? '-'),
        conta: String(c.conta_id ?? '-'),
        motivo: c.status === 'falhou' ? failedReason(cli, failures.get(c.evento_id ?? ''), c.erro) : undefined,
      }),
    );
  }
}

/** A failed click-to-call's reason: its code worded in the CLI's language, else the row's technical message. */
function failedReason(cli: Cli, failure: ClickToCallFailure | undefined, erro: string | null): string | undefined {
  return (failure ? failureReason(cli.locale, failure.code, failure.params) : undefined) ?? erro ?? undefined;
}

/** `cti lookup`: what a call from this number would find in the empresa (the worker's lookup), writing no call. */
async function lookup(cli: Cli, options: { empresa: string; numero: string; json?: boolean }): Promise<void> {
  const empresaId = parseId(cli, '--empresa', options.empresa);
  const found = await withDatabase(async ({ db }) => {
    if (!(await empresaExists(db, empresaId))) throw new CliError(cli.text.empresaNotFound(empresaId));
    return lookUpCaller(db, empresaId, options.numero);
  });
  if (options.json) printJson(found);
  else print(ctiMessages(cli.locale).lookedUp(found));
}

async function reindex(cli: Cli, options: { empresa: string }): Promise<void> {
  const empresaId = parseId(cli, '--empresa', options.empresa);
  const count = await withDatabase(({ db }) => rebuildPhoneIndex(db, empresaId));
  print(ctiMessages(cli.locale).reindexed(count));
}
