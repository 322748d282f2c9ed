import { randomUUID } from 'node:crypto';
import type { JobProducer } from '@integrador/queue';
import { assertChangeableBy, type Database, type FilialCaller } from '@integrador/store';
import type { Kysely } from 'kysely';
import {
  type Entrega,
  hasEntregasOfEndpoint,
  listEntregas,
  listTentativas,
  loadEntrega,
  type ResendableEntrega,
  recoverableEntregasSince,
} from './deliveries.repository';
import { checkGatilhos, checkHeaders, checkWebhookUrl, plainHttpRefused } from './endpoint-input';
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  findWebhookEndpoint,
  replaceWebhookSecret,
  rotateWebhookSecret,
  updateWebhookEndpoint,
  type WebhookEndpoint,
  type WebhookEndpointInput,
  type WebhookEndpointUpdate,
} from './endpoints.repository';
import { WebhookError } from './errors';
import type { CircuitState } from './flow-control';
import { disabledReasonMessage, type Locale, webhookMessage } from './messages';
import { deliveryErrorMessage, deliveryReasonCode } from './outcome-wording';
import { resendEntrega } from './resend-entrega';
import { enqueueHandOver, handPendingResend } from './resend-pending';
import { generateSigningSecret, isSealed, sealHeaders, sealSecret } from './secret-box';
import type { WebhookSettings } from './settings';

type Db = Kysely<Database>;

/** An endpoint as a tenant writes it (API body, CLI flags). */
export interface EndpointSettingsInput {
  nome: string;
  url: string;
  gatilhos: string[];
  /** Omitted on a replace: the endpoint stays enabled or disabled as it is (true on a create). */
  ativo?: boolean | undefined;
  /** Omitted on a replace: the stored headers stay (their values are write-only); `{}` removes them. */
  cabecalhos?: Record<string, string> | undefined;
  limitePorSegundo?: number | null | undefined;
}

/** A tenant's settings checked, as stored: custom header values sealed under WEBHOOK_SECRET_KEY when it is set. */
function checked(
  input: EndpointSettingsInput,
  settings: Pick<WebhookSettings, 'allowlist' | 'httpsOnly' | 'secretKey'>,
): WebhookEndpointInput {
  return {
    nome: input.nome.trim(),
    url: checkWebhookUrl(input.url, settings),
    gatilhos: checkGatilhos(input.gatilhos),
    ativo: input.ativo ?? true,
    cabecalhos: storedHeaders(input.cabecalhos ?? {}, settings),
    limitePorSegundo: input.limitePorSegundo ?? null,
  };
}

/** Custom headers checked and sealed (their values are secrets the receiver checks: an Authorization, an API key). */
function storedHeaders(headers: Record<string, string>, settings: Pick<WebhookSettings, 'secretKey'>) {
  return sealHeaders(checkHeaders(headers), settings.secretKey);
}

/**
 * Webhook endpoints belong to the whole empresa (they have no filial): a caller bound to a filial reads them but
 * changes none, by the filial rule of packages/store (403 FILIAL_SCOPE).
 */
function assertChangesEndpoints(caller: FilialCaller, what: string): void {
  assertChangeableBy(caller, null, what);
}

/**
 * Creates an endpoint; the signing secret is answered here, once, and never again. A URL whose host the outbound guard
 * refuses without DNS (an IP literal or localhost outside `settings.allowlist`) is a 400 WEBHOOK_URL_FORBIDDEN.
 */
export async function createEndpoint(
  db: Db,
  settings: Pick<WebhookSettings, 'secretKey' | 'allowlist' | 'httpsOnly'>,
  caller: FilialCaller,
  input: EndpointSettingsInput,
) {
  assertChangesEndpoints(caller, 'webhook');
  const secret = generateSigningSecret();
  const id = await createWebhookEndpoint(db, caller.empresaId, checked(input, settings), sealSecret(secret, settings.secretKey));
  return { id, secret };
}

/** Scheme, host and port: where a URL's requests (and the headers sent with them) go. */
const originOf = (url: string) => new URL(url).origin;

/**
 * Replaces an endpoint's settings (404 for another tenant's id; a URL the outbound guard refuses as on create). What
 * is omitted keeps its stored value:
 * - `cabecalhos`: their values are never shown, so a caller re-enabling an endpoint could not send them back. They
 *   stay only while the URL keeps its origin: stored secrets (Authorization…) never follow the URL to another
 *   receiver unseen; a URL moved to another origin without `cabecalhos` is refused (400 WEBHOOK_HEADERS_REQUIRED).
 * - `ativo`: a PUT that renames a disabled endpoint does not re-enable it (only `"ativo": true` does, clearing why
 *   it was disabled), and one that renames an active endpoint keeps its failure clock.
 */
export async function replaceEndpoint(
  db: Db,
  options: Pick<WebhookSettings, 'allowlist' | 'httpsOnly' | 'secretKey'>,
  caller: FilialCaller,
  id: number,
  input: EndpointSettingsInput,
): Promise<void> {
  const stored = await requireChangeableEndpoint(db, caller, id);
  const settings = checked(input, options);
  if (input.cabecalhos === undefined) assertHeadersStay(stored, settings.url);
  const update = { ...settings, ativo: input.ativo, cabecalhos: input.cabecalhos === undefined ? undefined : settings.cabecalhos };
  if (!(await updateWebhookEndpoint(db, caller.empresaId, id, update))) throw new WebhookError('WEBHOOK_NOT_FOUND', 404);
}

/** Stored headers kept with a URL moved to another origin: refused (400 WEBHOOK_HEADERS_REQUIRED), see replaceEndpoint. */
function assertHeadersStay(stored: WebhookEndpoint, url: string): void {
  const storedNames = Object.keys(stored.cabecalhos);
  if (storedNames.length > 0 && originOf(url) !== originOf(stored.url)) {
    throw new WebhookError('WEBHOOK_HEADERS_REQUIRED', 400, {
      from: originOf(stored.url),
      to: originOf(url),
      names: storedNames.join(', '),
    });
  }
}

/** A partial change of an endpoint: only the settings given (at least one; the API's schema requires it). */
export type EndpointPatchInput = Partial<EndpointSettingsInput>;

/**
 * Changes only the settings given (PATCH), each checked as on a create or replace: `{"ativo": true}` re-enables an
 * endpoint without sending the rest again. Only the given columns are written, so a setting changed meanwhile by
 * another caller, or a disabling by the engine, is not undone. 404 for another tenant's id, 403 for a filial key; a
 * `url` moved to another origin without `cabecalhos` while headers are stored is refused as on PUT.
 */
export async function patchEndpoint(
  db: Db,
  options: Pick<WebhookSettings, 'allowlist' | 'httpsOnly' | 'secretKey'>,
  caller: FilialCaller,
  id: number,
  input: EndpointPatchInput,
): Promise<void> {
  const stored = await requireChangeableEndpoint(db, caller, id);
  const update: WebhookEndpointUpdate = {
    nome: input.nome?.trim(),
    url: input.url === undefined ? undefined : checkWebhookUrl(input.url, options),
    gatilhos: input.gatilhos === undefined ? undefined : checkGatilhos(input.gatilhos),
    ativo: input.ativo,
    cabecalhos: input.cabecalhos === undefined ? undefined : storedHeaders(input.cabecalhos, options),
    limitePorSegundo: input.limitePorSegundo,
  };
  if (update.url !== undefined && input.cabecalhos === undefined) assertHeadersStay(stored, update.url);
  if (!(await updateWebhookEndpoint(db, caller.empresaId, id, update))) throw new WebhookError('WEBHOOK_NOT_FOUND', 404);
}

/** Deletes an endpoint (404 for another tenant's id). */
export async function removeEndpoint(db: Db, caller: FilialCaller, id: number): Promise<void> {
  await requireChangeableEndpoint(db, caller, id);
  if (!(await deleteWebhookEndpoint(db, caller.empresaId, id))) throw new WebhookError('WEBHOOK_NOT_FOUND', 404);
}

/**
 * A new secret, answered once; the old one keeps signing beside it for the grace period. Refused (503) on a host
 * without WEBHOOK_SECRET_KEY when the current secret is sealed: the new one would be stored plain while the sealed one,
 * kept as the previous for the grace period, still could not be opened, so every delivery would keep failing.
 * With `revokePrevious` (a leaked secret) the previous secrets are dropped now, no grace, even inside a running one:
 * nothing sealed is kept, so no key is needed; `previousValidUntil` is then null.
 */
export async function rotateSecret(
  db: Db,
  settings: Pick<WebhookSettings, 'secretKey' | 'rotationGraceMs'>,
  caller: FilialCaller,
  id: number,
  options: { revokePrevious?: boolean } = {},
): Promise<{ secret: string; previousValidUntil: string | null }> {
  const endpoint = await requireChangeableEndpoint(db, caller, id);
  const secret = generateSigningSecret();
  const now = new Date();
  if (options.revokePrevious) {
    if (!(await replaceWebhookSecret(db, caller.empresaId, id, sealSecret(secret, settings.secretKey), now)))
      throw new WebhookError('WEBHOOK_NOT_FOUND', 404);
    return { secret, previousValidUntil: null };
  }
  if (!settings.secretKey && isSealed(endpoint.segredo)) throw new WebhookError('WEBHOOK_SECRET_KEY_MISSING', 503);
  const graceUntil = new Date(now.getTime() + settings.rotationGraceMs);
  if (!(await rotateWebhookSecret(db, caller.empresaId, id, sealSecret(secret, settings.secretKey), graceUntil, now))) {
    // Refused while the previous secret is inside its grace period (it may be the one the receiver verifies with).
    const current = await requireEndpoint(db, caller.empresaId, id);
    throw new WebhookError('WEBHOOK_ROTATION_IN_GRACE', 409, { ate: current.segredoAnteriorExpiraEm?.toISOString() ?? '?' });
  }
  return { secret, previousValidUntil: graceUntil.toISOString() };
}

/** The endpoint or a 404 (another tenant's id included). */
export async function requireEndpoint(db: Db, empresaId: number, id: number): Promise<WebhookEndpoint> {
  const endpoint = await findWebhookEndpoint(db, empresaId, id);
  if (!endpoint) throw new WebhookError('WEBHOOK_NOT_FOUND', 404);
  return endpoint;
}

/**
 * The endpoint for an action that changes it or acts on its behalf (replace, delete, rotate, test, resend, recover):
 * 404 for another tenant's id, then 403 FILIAL_SCOPE for a caller bound to a filial.
 */
export async function requireChangeableEndpoint(db: Db, caller: FilialCaller, id: number): Promise<WebhookEndpoint> {
  const endpoint = await requireEndpoint(db, caller.empresaId, id);
  assertChangesEndpoints(caller, `webhook #${id}`);
  return endpoint;
}

/**
 * The endpoint a resend or recover sends to: 404 for an id the tenant never had; 409 WEBHOOK_DELETED for one deleted
 * whose deliveries the tenant still reads (nothing would be sent: said, rather than "not found" beside a listed
 * delivery); then 403 FILIAL_SCOPE for a caller bound to a filial.
 */
async function requireLiveEndpoint(db: Db, caller: FilialCaller, id: number): Promise<WebhookEndpoint> {
  const { endpoint } = await endpointOfDeliveries(db, caller.empresaId, id);
  assertChangesEndpoints(caller, `webhook #${id}`);
  if (!endpoint) throw new WebhookError('WEBHOOK_DELETED', 409, { id: String(id) });
  return endpoint;
}

/**
 * The endpoint whose deliveries are read: the tenant's endpoint, or `deleted` for one deleted whose deliveries the
 * tenant still has (kept until the retention purge); 404 for an id the tenant never had (another tenant's included).
 */
export async function endpointOfDeliveries(
  db: Db,
  empresaId: number,
  id: number,
): Promise<{ endpoint: WebhookEndpoint; deleted: false } | { endpoint: null; deleted: true }> {
  const endpoint = await findWebhookEndpoint(db, empresaId, id);
  if (endpoint) return { endpoint, deleted: false };
  if (await hasEntregasOfEndpoint(db, empresaId, id)) return { endpoint: null, deleted: true };
  throw new WebhookError('WEBHOOK_NOT_FOUND', 404);
}

/** A disabled endpoint sends nothing: a resend or recover on it is refused (409) rather than queued to be skipped. */
function requireActive(endpoint: WebhookEndpoint): void {
  if (!endpoint.ativo) throw new WebhookError('WEBHOOK_DISABLED', 409, { id: String(endpoint.id) });
}

/**
 * An endpoint as the API and CLI show it: never its secrets; the reason it was disabled in the reader's language; and
 * `bloqueado` when the hub refuses every delivery to it as it is (an http:// URL saved before WEBHOOK_HTTPS_ONLY was
 * set: active, never failing, and nothing goes out), so a list of endpoints says so.
 */
export function presentEndpoint(endpoint: WebhookEndpoint, locale: Locale, settings: Pick<WebhookSettings, 'httpsOnly'>) {
  const blocked = plainHttpRefused(endpoint.url, settings.httpsOnly);
  return {
    id: endpoint.id,
    nome: endpoint.nome,
    url: endpoint.url,
    gatilhos: endpoint.gatilhos,
    ativo: endpoint.ativo,
    cabecalhos: Object.keys(endpoint.cabecalhos),
    limitePorSegundo: endpoint.limitePorSegundo,
    falhandoDesde: endpoint.primeiraFalhaEm?.toISOString() ?? null,
    desativado: disabledReasonMessage(locale, endpoint.desativadoMotivo),
    bloqueado: blocked ? { code: 'HTTPS_REQUIRED', message: webhookMessage(locale, 'HTTPS_REQUIRED') } : null,
    rotacaoAte: endpoint.segredoAnterior ? (endpoint.segredoAnteriorExpiraEm?.toISOString() ?? null) : null,
    criadoEm: endpoint.criadoEm.toISOString(),
  };
}

/** The states a resend claims its delivery from (restartEntrega): any but pending. */
const isResendable = (status: string): status is ResendableEntrega['status'] =>
  status === 'falhou' || status === 'entregue' || status === 'cancelada';

/** How many times a resend reads its delivery again when the row changed under its claim (a recover, another resend). */
const RESEND_CLAIMS = 3;

/**
 * Sends one delivery again now; answers the job id. 409 when disabled. Every attempt it leads to is recorded `manual`.
 * - A pending one is sent by its own job, run now (its retry schedule kept; its next attempt is the operator's):
 *   never a second job that would POST the same webhook-id beside it. One mid-attempt makes that attempt as it began
 *   it (automatic) and then one more, the operator's, right after it (resend-pending.ts).
 * - Any other (failed, delivered, cancelled by the disabling) makes one attempt, with no automatic retries after it:
 *   the row is claimed first, as a recover claims it (resendEntrega: a conditional UPDATE to pending naming this resend,
 *   then a job that runs only while the row names it). So a resend racing a recover, or another resend, of the same
 *   delivery leads to one attempt: whichever claims the row sends it; the other finds it pending and runs the owner's
 *   job now (its attempt the operator's), or skips its held job. A delivered one that fails its resend stays delivered.
 */
export async function resendDelivery(
  db: Db,
  producer: JobProducer,
  caller: FilialCaller,
  endpointId: number,
  entregaId: number,
): Promise<string> {
  const { empresaId } = caller;
  const endpoint = await requireLiveEndpoint(db, caller, endpointId);
  let entrega: Entrega | undefined = await loadEntrega(db, empresaId, entregaId);
  if (!entrega || entrega.endpoint_id !== endpointId) throw new WebhookError('DELIVERY_NOT_FOUND', 404);
  requireActive(endpoint);
  for (let claims = 0; entrega && claims < RESEND_CLAIMS; claims += 1) {
    // A pending delivery has a job that owns it (or the sweep gives it one): that one runs now, its next attempt marked;
    // one mid-attempt is handed the resend once that attempt is recorded (resend-pending.ts).
    if (entrega.status === 'pendente') {
      const { jobId, busy } = await handPendingResend(db, producer, entrega);
      if (busy) await enqueueHandOver(producer, entrega, entrega.tentativas + 1);
      return jobId;
    }
    const status: string = entrega.status;
    if (!isResendable(status)) break;
    const claim = randomUUID().replaceAll('-', '');
    const resendable = { id: entrega.id, status, ultimoErro: null };
    if (await resendEntrega(db, producer, empresaId, endpointId, resendable, claim, { manual: true })) return `whv-${entrega.id}-${claim}`;
    // Claimed by someone else meanwhile (a recover, another resend) or no longer in that state: as it is now.
    const again = await loadEntrega(db, empresaId, entregaId);
    // Unchanged: the claim does not take it — the endpoint disabled (or deleted) meanwhile, refused as before the
    // claim (409, 404), or a cancellation for another reason (the fallback below).
    if (again?.status === status && again.recuperacao === entrega.recuperacao && again.tentativas === entrega.tentativas) {
      requireActive(await requireLiveEndpoint(db, caller, endpointId));
      break;
    }
    entrega = again;
  }
  if (!entrega) throw new WebhookError('DELIVERY_NOT_FOUND', 404);
  // A state no claim takes (a cancellation for another reason): one manual job, as before the claims.
  const job = await producer.enqueue(
    'webhook',
    'webhook.deliver',
    { tenant: { empresaId, filialId: null }, entregaId, endpointId, manual: true },
    { jobId: `whr-${entregaId}-${Date.now()}` },
  );
  return String(job.id);
}

/** What a recover sent again: in all, and how many of them had failed or had been cancelled by the disabling. */
export interface Recovered {
  recovered: number;
  falhou: number;
  cancelada: number;
}

/**
 * Re-sends the endpoint's failed deliveries created since `since`, and the ones cancelled because it was disabled
 * (they were pending when it was disabled, or came due while it was, or are changes made while it was: publishChange
 * records those cancelled), each with a fresh retry schedule. 409 while it is disabled: re-enable it
 * first. A deleted endpoint's cancelled deliveries have no endpoint left to recover on.
 * Row by row (resendEntrega), in an order that no failure leaves a row pending without a job: its job is added first, held
 * (RECOVER_HOLD_MS); then the row is restarted only if it is still failed or disable-cancelled (a resend may have
 * delivered it meanwhile; if not, the job is removed); then the job is promoted to run now. A queue that refuses the add
 * (503) has changed nothing: the rows before it are queued, it and the rest untouched, and the same recover again picks
 * them up. A database that fails on the restart leaves the held job unless the row, read back, is not pending: held,
 * it sends a row whose restart did commit, and does nothing on one that was not restarted. A failed promotion leaves the job held: it runs when the hold ends. The job ids
 * are unique per recover: a delivery recovered twice (failed again in between) gets a job each time.
 */
export async function recoverDeliveries(
  db: Db,
  producer: JobProducer,
  caller: FilialCaller,
  endpointId: number,
  since: Date,
): Promise<Recovered> {
  const { empresaId } = caller;
  requireActive(await requireLiveEndpoint(db, caller, endpointId));
  const rows = await recoverableEntregasSince(db, empresaId, endpointId, since);
  const recoverId = randomUUID().replaceAll('-', '');
  const recovered: Recovered = { recovered: 0, falhou: 0, cancelada: 0 };
  for (const entrega of rows) {
    if (!(await resendEntrega(db, producer, empresaId, endpointId, entrega, recoverId))) continue;
    recovered.recovered += 1;
    recovered[entrega.status] += 1;
  }
  return recovered;
}

/**
 * A pending delivery due while its endpoint's breaker is open waits for the breaker (each refusal costs no attempt): its
 * next attempt is shown as the breaker's end, `aguardando: "circuito"`, not a time gone by with nothing tried.
 */
export function heldByBreaker<T extends { status: string; proxima_tentativa_em: string | null }>(
  row: T,
  circuit: Pick<CircuitState, 'ate'> | null | undefined,
): T & { aguardando: 'circuito' | null } {
  const ate = circuit?.ate;
  const due = row.proxima_tentativa_em;
  if (row.status !== 'pendente' || !ate || (due !== null && Date.parse(due) >= Date.parse(ate))) return { ...row, aguardando: null };
  return { ...row, proxima_tentativa_em: ate, aguardando: 'circuito' };
}

/**
 * An endpoint's deliveries as shown (newest first): the last error in the reader's language (`ultimo_erro`), the
 * reason as a code (`motivo`: deliveryReasonCode), and a pending one held by the endpoint's open breaker (`circuit`,
 * when read) due when the breaker lets it go (heldByBreaker). A deleted endpoint's deliveries are still shown, each
 * marked `endpoint_excluido` (404 only for an id the tenant never had).
 */
export async function presentEntregas(
  db: Db,
  empresaId: number,
  endpointId: number,
  options: { status?: string; limit?: number },
  locale: Locale,
  circuit?: Pick<CircuitState, 'ate'> | null,
) {
  const { deleted } = await endpointOfDeliveries(db, empresaId, endpointId);
  const rows = await listEntregas(db, empresaId, endpointId, options);
  return rows.map(({ ultima_classe, ultima_duracao_ms, ...row }) =>
    heldByBreaker(
      {
        ...row,
        ultimo_erro: deliveryErrorMessage(locale, { ...row, ultima_classe, ultima_duracao_ms }),
        motivo: deliveryReasonCode({ ...row, ultima_classe }),
        endpoint_excluido: deleted,
      },
      deleted ? null : circuit,
    ),
  );
}

/**
 * The attempts of one delivery of the endpoint, a deleted one's included (404 unless both are the tenant's and belong
 * together).
 */
export async function deliveryAttempts(db: Db, empresaId: number, endpointId: number, entregaId: number) {
  await endpointOfDeliveries(db, empresaId, endpointId);
  const entrega = await loadEntrega(db, empresaId, entregaId);
  if (!entrega || entrega.endpoint_id !== endpointId) throw new WebhookError('DELIVERY_NOT_FOUND', 404);
  return listTentativas(db, empresaId, entregaId);
}
