import { randomUUID } from 'node:crypto';
import { urlSecretValues } from '@integrador/logging';
import type { JobProducer } from '@integrador/queue';
import type { Database } from '@integrador/store';
import { authorizationForms, createSecretMasker } from '@integrador/transports';
import type { Kysely } from 'kysely';
import { cancelEntrega, type Entrega, type EntregaStatus, type TentativaRecord } from './deliveries.repository';
import type { DeliveryStore } from './delivery-store';
import { cachedEndpoint, endpointAsLoaded, forgetEndpoint, freshEndpoint, type SigningEndpoint } from './endpoint-cache';
import { plainHttpRefused } from './endpoint-input';
import { clearEndpointFailure, type WebhookEndpoint } from './endpoints.repository';
import { WebhookError } from './errors';
import { type DeliveryFailureCode, failureCodeOfClass } from './failure-codes';
import type { EndpointFlowControl, FlowRefusal } from './flow-control';
import { maskHeaders } from './header-mask';
import type { SendResult, WebhookHttpClient } from './http-client';
import { webhookMessage } from './messages';
import { nextRetryDelay, retryAfterMs } from './retry-schedule';
import { openHeaders, openSecret } from './secret-box';
import type { WebhookSettings } from './settings';
import { signingKey, standardWebhookHeaders } from './signing';

export type { SigningEndpoint };
export { maskHeaders };

/** What one delivery job needs; built once per worker process. */
export interface DeliveryDeps {
  db: Kysely<Database>;
  /** The per-job reads and writes, batched across the process's concurrent jobs. */
  store: DeliveryStore;
  http: WebhookHttpClient;
  flow: EndpointFlowControl;
  settings: WebhookSettings;
  /**
   * Where a breaker update that failed after its attempt was recorded is reported (the delivery goes on), and a breaker
   * that opens or an endpoint disabled, for the operator.
   */
  logger?: { warn(context: object, message: string): void };
  /** The worker's metrics of what deliveries led to (bounded labels: no endpoint, no URL). */
  events?: DeliveryEvents;
  /**
   * Where an operator's retry of a given-up delivery's job enqueues its resend (runDeliveryJob); without it such a
   * retry finds the delivery not pending and does nothing.
   */
  producer?: JobProducer;
}

/** What the worker counts for the operator (its metrics). */
export interface DeliveryEvents {
  /** One run of a delivery job ended so. */
  outcome(outcome: DeliveryOutcome): void;
  /** An endpoint's breaker opened (its failures in a row reached WEBHOOK_BREAKER_FAILURES). */
  breakerOpened(): void;
  /** An endpoint was disabled: it answered 410, or every delivery failed for WEBHOOK_DISABLE_AFTER_MS. */
  endpointDisabled(reason: DisableReason['code']): void;
}

/** What became of one run of a delivery job. */
export type DeliveryOutcome =
  | { kind: 'skipped'; reason: 'not_found' | 'already_done' | 'endpoint_inactive' | 'other_recover' | 'resent' }
  | { kind: 'delivered'; attempt: number; status: number }
  /** `attempt`: a resend's hand-over waits for the delivery's attempt in flight (resend-pending.ts). */
  | { kind: 'wait'; untilMs: number; reason: 'breaker' | 'concurrency' | 'rate' | 'attempt' }
  | { kind: 'retry'; untilMs: number; attempt: number; maxAttempts: number; errorClass: string | null }
  | {
      kind: 'failed';
      attempt: number;
      reason: string;
      /** The actual cause (the job failure's code) and the values it is worded with (HTTP status, attempts). */
      code: DeliveryFailureCode;
      params: Record<string, string | number>;
      /** Its attempts ran out on the retry schedule (the row says "desistiu depois de n tentativas"). */
      gaveUp?: boolean;
    };

/** How many attempts the delivery's current cycle allows: the first, then one per delay of the retry schedule. */
function maxAttemptsOf(settings: Pick<WebhookSettings, 'retryScheduleMs'>, entrega: Pick<Entrega, 'ciclo_inicio'>): number {
  return entrega.ciclo_inicio + settings.retryScheduleMs.length + 1;
}

/**
 * The masker of what a receiver may echo: the endpoint's custom header values, as sent (and the credential inside an
 * Authorization one), and its URL's secret parts (urlSecretValues: a `?token=` or token-looking value, a token path
 * segment, a password). Only those: masking every query value (`format=json`, `lote=100`) cut `json` and `100` out of
 * the stored answer an operator debugs with.
 */
function echoMasker(custom: Record<string, string>, url: string) {
  return createSecretMasker([...Object.values(custom).flatMap(authorizationForms), ...urlSecretValues(url)]);
}

/**
 * The endpoint's stored secrets that sign now: the current one, and the previous one during its grace period only. An
 * expired one is never opened: it may be sealed under a retired WEBHOOK_SECRET_KEY, and its bytes have no use.
 */
function liveSecrets(endpoint: WebhookEndpoint, now: number): { current: string; previous?: string } {
  const graceUntil = endpoint.segredoAnteriorExpiraEm?.getTime() ?? 0;
  return endpoint.segredoAnterior && graceUntil > now
    ? { current: endpoint.segredo, previous: endpoint.segredoAnterior }
    : { current: endpoint.segredo };
}

/** The endpoint's signing secrets now, opened: the current one, and the previous one during its grace period. */
export function signingSecrets(endpoint: WebhookEndpoint, settings: Pick<WebhookSettings, 'secretKey'>, now = Date.now()): string[] {
  const { current, previous } = liveSecrets(endpoint, now);
  return [current, ...(previous ? [previous] : [])].map((secret) => openSecret(secret, settings.secretKey));
}

/**
 * The endpoint's custom headers as sent: sealed values opened (WEBHOOK_SECRET_KEY_MISSING without the key), once per
 * endpoint row, kept on it as signingKeys keeps its keys (not enumerable: out of logs, JSON and spreads of the row).
 */
export function customHeaders(endpoint: SigningEndpoint, settings: Pick<WebhookSettings, 'secretKey'>): Record<string, string> {
  if (endpoint.openedHeaders) return endpoint.openedHeaders;
  const opened = openHeaders(endpoint.cabecalhos, settings.secretKey);
  Object.defineProperty(endpoint, 'openedHeaders', { value: opened, enumerable: false, configurable: true });
  return opened;
}

/** The endpoint's signing keys now (signingSecrets, decoded); derived once per endpoint row. */
export function signingKeys(endpoint: SigningEndpoint, settings: Pick<WebhookSettings, 'secretKey'>, now = Date.now()): Buffer[] {
  const live = liveSecrets(endpoint, now);
  let keys = endpoint.decodedKeys;
  if (!keys) {
    keys = { current: signingKey(openSecret(live.current, settings.secretKey)) };
    // Not enumerable: a log or JSON of the row never prints the key bytes.
    Object.defineProperty(endpoint, 'decodedKeys', { value: keys, enumerable: false, configurable: true });
  }
  if (!live.previous) {
    // The grace period ended while the row was cached: its key bytes go.
    delete keys.previous;
    return [keys.current];
  }
  keys.previous ??= signingKey(openSecret(live.previous, settings.secretKey));
  return [keys.current, keys.previous];
}

/**
 * The header naming the gatilho that fired: the body is seed 004's bare array, with no room for Standard Webhooks'
 * `type`, so an endpoint of several gatilhos tells them apart by this header. Named under the spec's `webhook-` prefix
 * (custom headers cannot use it: endpoint-input.ts), its value the spec's dotted event type (`contato.alterado`). Not
 * covered by the signature, which signs id, timestamp and body only.
 */
export const GATILHO_HEADER = 'webhook-gatilho';

/**
 * The headers of one attempt: the endpoint's own first, then Standard Webhooks' and the gatilho's (which they cannot
 * override).
 */
export function attemptHeaders(
  custom: Record<string, string>,
  secrets: readonly (string | Buffer)[],
  webhookId: string,
  body: string,
  gatilho: string,
): Record<string, string> {
  return { ...custom, ...standardWebhookHeaders(secrets, webhookId, body), [GATILHO_HEADER]: gatilho };
}

/** Why an endpoint was disabled, stored as JSON and worded by messages.ts in the reader's language. */
export interface DisableReason {
  code: 'GONE' | 'FAILING_TOO_LONG';
  since?: string;
  status?: number;
}

type Decision = { disable?: DisableReason; startsClock: boolean; reasonText: string; outcome: DeliveryOutcome };

/**
 * What a failed attempt leads to, decided before anything is written (so that its record, its delivery's new state and
 * its endpoint's clock or disabling commit together, in one group with the other failures of the moment): 410 disables
 * the endpoint; a failure clock running for disableAfterMs disables it too (the clock as the cached endpoint row shows
 * it: a clock this failure starts began now; the write disables only if the row's clock still says so, and `otherwise`
 * is then what the failure leads to); otherwise a retry on the schedule, unless the delivery gives up.
 */
function failureDecision(
  settings: WebhookSettings,
  entrega: Entrega,
  endpoint: WebhookEndpoint,
  result: SendResult,
  attempt: number,
  manual: boolean,
  now: Date,
): Decision & { otherwise?: DeliveryOutcome } {
  const reasonText = result.error ?? `HTTP ${result.status}`;
  const params = { tentativas: attempt, ...(result.status === null ? {} : { status: result.status }) };
  const failed = (reason: string, code = failureCodeOfClass(result.errorClass, result.status), gaveUp = false): DeliveryOutcome => ({
    kind: 'failed',
    attempt,
    reason,
    code,
    params,
    ...(gaveUp ? { gaveUp } : {}),
  });
  if (result.errorClass === 'gone') {
    const disable: DisableReason = { code: 'GONE', status: 410 };
    return { disable, startsClock: false, reasonText, outcome: failed('endpoint answered 410 Gone: disabled') };
  }
  const since = endpoint.primeiraFalhaEm ?? now;
  const startsClock = !endpoint.primeiraFalhaEm;
  const otherwise = ((): DeliveryOutcome => {
    // A refused address would be refused again (the guard's verdict only changes with the operator's allowlist).
    if (manual || result.errorClass === 'address_forbidden') return failed(reasonText);
    const delay = nextRetryDelay(settings, attempt - entrega.ciclo_inicio, result.errorClass, retryAfterMs(result.headers['retry-after']));
    // "gave up after 4 attempts: HTTP 500": the row's ultimo_erro too (outcome-wording.ts words it).
    if (delay === undefined) return failed(`gave up after ${attempt} attempts: ${reasonText}`, undefined, true);
    return {
      kind: 'retry',
      untilMs: now.getTime() + delay,
      attempt,
      maxAttempts: maxAttemptsOf(settings, entrega),
      errorClass: result.errorClass,
    };
  })();
  if (now.getTime() - since.getTime() >= settings.disableAfterMs) {
    const disable: DisableReason = { code: 'FAILING_TOO_LONG', since: since.toISOString() };
    const outcome = failed(`endpoint failing since ${since.toISOString()}: disabled`, 'WEBHOOK_ENDPOINT_FAILING');
    return { disable, startsClock, reasonText, outcome, otherwise };
  }
  return { startsClock, reasonText, outcome: otherwise };
}

/**
 * The delivery's state after a failure with this outcome: one that reached its receiver before (a resend of a delivered
 * delivery, claimed pending for its attempt) stays delivered.
 */
function failedState(entrega: Entrega, outcome: DeliveryOutcome): { status: EntregaStatus; proximaEm: Date | null } {
  if (outcome.kind === 'retry') return { status: 'pendente', proximaEm: new Date(outcome.untilMs) };
  const delivered = entrega.status === 'entregue' || (entrega.entregue_em !== null && entrega.entregue_em !== undefined);
  return { status: delivered ? 'entregue' : 'falhou', proximaEm: null };
}

/** Who made an attempt: the operator (a resend's job, or the attempt a resend of a pending delivery asked for), or the schedule. */
function originOf(manual: boolean, attempt: number, tentativaManual: number | undefined): TentativaRecord['origem'] {
  return manual || attempt === tentativaManual ? 'manual' : 'automatica';
}

async function afterFailure(
  deps: DeliveryDeps,
  entrega: Entrega,
  endpoint: WebhookEndpoint,
  result: SendResult,
  tentativa: TentativaRecord,
  manual: boolean,
  member: string,
): Promise<DeliveryOutcome> {
  const now = new Date();
  const { disable, startsClock, reasonText, outcome, otherwise } = failureDecision(
    deps.settings,
    entrega,
    endpoint,
    result,
    tentativa.numero,
    manual,
    now,
  );
  const tooLong = disable?.code === 'FAILING_TOO_LONG';
  // A delivery that gave up says so in its row (ultimo_erro, worded "desistiu depois de n tentativas" when shown),
  // not only in its job's failure; a disable for failing too long may not happen, so its row keeps the attempt's error.
  const erro = !tooLong && outcome.kind === 'failed' && outcome.gaveUp ? outcome.reason : reasonText;
  // Both settle before either error reaches the job: a job retried while its record is still being written would
  // attempt again with a stale row. The record's error first.
  const [recorded, breaker] = await Promise.allSettled([
    // One write for the attempt, the delivery and the endpoint, grouped with the other failures that ended meanwhile.
    deps.store.failed({
      attempt: tentativa,
      ...failedState(entrega, outcome),
      erro,
      endpoint: {
        empresaId: endpoint.empresaId,
        id: endpoint.id,
        // A disable for failing too long that does not happen (the clock was stopped meanwhile) starts it again.
        since: startsClock || tooLong ? now : null,
        motivo: disable ? JSON.stringify(disable) : null,
        clockBefore: tooLong ? new Date(now.getTime() - deps.settings.disableAfterMs) : null,
      },
      ...(tooLong && otherwise ? { ifNotDisabled: failedState(entrega, otherwise) } : {}),
    }),
    // Grouped with the process's other flow-control calls; named by the attempt's member, so a call sent again after a
    // lost reply counts it once.
    deps.flow.failed(endpoint.id, member),
  ]);
  if (recorded.status === 'rejected') throw recorded.reason;
  // The cached row is stale once its clock started or it was disabled (or was to be): the next delivery reads it again.
  if (startsClock || disable) forgetEndpoint(deps.db, endpoint);
  // Recorded: the outcome stands. Throwing now would have BullMQ retry the job at once, before proxima_tentativa_em;
  // a breaker that missed one failure only opens a little later.
  // The logger redacts a Redis error's command arguments (redactSecrets).
  if (breaker.status === 'rejected') deps.logger?.warn({ endpointId: endpoint.id, err: breaker.reason }, 'webhook breaker update failed');
  const where = { empresaId: endpoint.empresaId, endpointId: endpoint.id };
  // Said once, when the failures in a row reach the threshold (a half-open probe's failure re-opens it, unsaid).
  if (breaker.status === 'fulfilled' && breaker.value === deps.settings.breakerFailures) {
    deps.logger?.warn({ ...where, failures: breaker.value, cooldownMs: deps.settings.breakerCooldownMs }, 'webhook circuit breaker opened');
    deps.events?.breakerOpened();
  }
  if (disable && (!tooLong || recorded.value)) {
    deps.logger?.warn({ ...where, reason: disable.code, ...(disable.since ? { since: disable.since } : {}) }, 'webhook endpoint disabled');
    deps.events?.endpointDisabled(disable.code);
  }
  return tooLong && !recorded.value && otherwise ? otherwise : outcome;
}

/**
 * Why the hub itself refused to send (the receiver did nothing wrong): an endpoint's secret sealed while this host has no
 * WEBHOOK_SECRET_KEY (retried on the schedule: a restart with the key delivers it), an http:// endpoint while the
 * operator requires HTTPS (WEBHOOK_HTTPS_ONLY; permanent: the same URL is refused again until the tenant changes it),
 * or a body larger than WEBHOOK_MAX_PAYLOAD_BYTES.
 */
const HUB_REFUSALS = {
  secret_key_missing: { code: 'WEBHOOK_SECRET_KEY_MISSING', retries: true, failure: 'WEBHOOK_SECRET_KEY_MISSING' },
  https_required: { code: 'HTTPS_REQUIRED', retries: false, failure: 'WEBHOOK_HTTPS_REQUIRED' },
  // Over WEBHOOK_MAX_PAYLOAD_BYTES: the same body is too large again (permanent).
  payload_too_large: { code: 'PAYLOAD_TOO_LARGE', retries: false, failure: 'WEBHOOK_PAYLOAD_TOO_LARGE' },
} as const;

/**
 * A delivery the hub refused to send (HUB_REFUSALS): nothing is sent, but the attempt is recorded (no HTTP status, the
 * refusal's class, the reason worded in pt-BR, the product's language) so that the deliveries listing shows why. The
 * endpoint's failure clock and breaker are left alone.
 */
async function refusedByHub(
  deps: DeliveryDeps,
  entrega: Entrega,
  endpoint: WebhookEndpoint,
  manual: boolean,
  classeErro: keyof typeof HUB_REFUSALS,
  params: Record<string, string | number> = {},
  tentativaManual?: number,
): Promise<DeliveryOutcome> {
  const { code, retries, failure } = HUB_REFUSALS[classeErro];
  const attempt = entrega.tentativas + 1;
  const reason = webhookMessage('pt-BR', code, params);
  const delay = manual || !retries ? undefined : nextRetryDelay(deps.settings, attempt - entrega.ciclo_inicio, null, undefined);
  const outcome: DeliveryOutcome =
    delay === undefined
      ? { kind: 'failed', attempt, reason, code: failure, params: { tentativas: attempt, ...params } }
      : { kind: 'retry', untilMs: Date.now() + delay, attempt, maxAttempts: maxAttemptsOf(deps.settings, entrega), errorClass: null };
  await deps.store.failed({
    attempt: {
      empresaId: endpoint.empresaId,
      entregaId: entrega.id,
      numero: attempt,
      origem: originOf(manual, attempt, tentativaManual),
      cabecalhos: {},
      statusHttp: null,
      resposta: null,
      duracaoMs: 0,
      classeErro,
      erro: reason,
    },
    ...failedState(entrega, outcome),
    erro: reason,
    endpoint: { empresaId: endpoint.empresaId, id: endpoint.id, since: null, motivo: null, clockBefore: null },
  });
  return outcome;
}

/**
 * How long a refused delivery waits: jittered so a crowd of refused deliveries does not come back in the same
 * millisecond; a delivery refused for concurrency waits 0.5–1.5 s (a slot frees when an attempt ends).
 */
function spread(refusal: FlowRefusal): number {
  // Slots are held by attempts in flight (up to the timeout): coming back much sooner only churns the queue.
  if (refusal.reason === 'concurrency') return 500 + Math.floor(Math.random() * 1000);
  return refusal.waitMs + Math.floor(Math.random() * Math.max(100, refusal.waitMs / 4));
}

/**
 * Runs one delivery attempt of a (change, endpoint): checks the endpoint's flow control (a refusal waits without using
 * an attempt), signs and POSTs the stored payload, records the attempt and decides what comes next. `manual` (a resend)
 * makes one attempt with no automatic retries after it; a resend's job carries the claim it restarted the row under
 * (`recoverId`) and, as any claimed job, runs only while the row is pending and names it (so a recover and a resend of
 * one delivery make one attempt between them). `tentativaManual`: the attempt of that number is recorded `manual` (a
 * resend of a pending delivery runs its own job now, its schedule kept).
 */
export async function deliverOnce(
  deps: DeliveryDeps,
  empresaId: number,
  entregaId: number,
  manual = false,
  endpointHint?: number,
  // The recover a recover's job was added by: it runs only while the row names that recover (recoverDeliveries).
  recoverId?: string,
  tentativaManual?: number,
): Promise<DeliveryOutcome> {
  const { db, settings } = deps;
  const member = `${entregaId}:${randomUUID()}`;
  // The endpoint whose slot this delivery holds, if any: given back once, on every path (a throw included).
  let held: number | undefined;
  const admit = async (target: WebhookEndpoint) => {
    const admission = await deps.flow.admit(target.id, target.limitePorSegundo, member);
    if (!admission.refused) held = target.id;
    return admission;
  };
  const giveBack = async () => {
    const endpointId = held;
    held = undefined;
    if (endpointId !== undefined) await deps.flow.release(endpointId, member);
  };
  try {
    // With the endpoint known from the job, its flow control comes first: a refused delivery (a dead or slow endpoint's
    // backlog coming back) costs one Redis call and no database read.
    let endpointRead = endpointHint === undefined ? undefined : cachedEndpoint(db, empresaId, endpointHint);
    let endpoint = await endpointRead;
    let admission = endpoint?.ativo ? await admit(endpoint) : undefined;
    if (admission?.refused) return { kind: 'wait', untilMs: Date.now() + spread(admission.refused), reason: admission.refused.reason };
    const entrega = await deps.store.load(empresaId, entregaId);
    // Only a resend job of before the claims (manual, no recover id) sends whatever the row's status.
    if (!entrega || ((!manual || recoverId !== undefined) && entrega.status !== 'pendente')) {
      await giveBack();
      return { kind: 'skipped', reason: entrega ? 'already_done' : 'not_found' };
    }
    if (recoverId !== undefined && entrega.recuperacao !== recoverId) {
      await giveBack();
      return { kind: 'skipped', reason: 'other_recover' };
    }
    if (endpoint?.id !== entrega.endpoint_id) {
      await giveBack();
      admission = undefined;
      endpointRead = cachedEndpoint(db, empresaId, entrega.endpoint_id);
      endpoint = await endpointRead;
    }
    // A change the API answered before this job began (a rotated or revoked secret, a disabling, a new URL) is in the
    // delivery's own row, read after that: a cached endpoint row of another mark is read again.
    if (endpointRead) endpoint = await endpointAsLoaded(db, entrega, endpointRead);
    if (!endpoint?.ativo && endpointRead) {
      // Inactive or gone by the cache (so no slot was taken): checked against the database before a cancel for it.
      endpoint = await freshEndpoint(db, empresaId, entrega.endpoint_id, endpointRead);
    }
    if (!endpoint?.ativo) {
      await giveBack();
      // A claimed job (a recover's, or a resend's: it restarted the row pending) settles the row it claimed, as an
      // automatic one does; only a resend job of before the claims leaves the row as it found it.
      if (!manual || recoverId !== undefined)
        await cancelEntrega(db, empresaId, entrega.id, endpoint ? 'ENDPOINT_DISABLED' : 'ENDPOINT_DELETED');
      return { kind: 'skipped', reason: 'endpoint_inactive' };
    }
    // An endpoint saved as http:// before the operator required HTTPS: refused here too, not only when saved.
    if (plainHttpRefused(endpoint.url, settings.httpsOnly)) {
      await giveBack();
      return await refusedByHub(deps, entrega, endpoint, manual, 'https_required', {}, tentativaManual);
    }
    // A body over the cap is not sent (receivers commonly refuse large bodies, or time out reading them).
    const size = Buffer.byteLength(entrega.payload);
    if (size > settings.maxPayloadBytes) {
      await giveBack();
      const kb = (bytes: number) => Math.ceil(bytes / 1024);
      const params = { kb: kb(size), max: kb(settings.maxPayloadBytes) };
      return await refusedByHub(deps, entrega, endpoint, manual, 'payload_too_large', params, tentativaManual);
    }
    if (!admission) {
      admission = await admit(endpoint);
      if (admission.refused) return { kind: 'wait', untilMs: Date.now() + spread(admission.refused), reason: admission.refused.reason };
    }
    const failuresBefore = admission.failures;
    let keys: Buffer[];
    let custom: Record<string, string>;
    try {
      keys = signingKeys(endpoint, settings);
      custom = customHeaders(endpoint, settings);
    } catch (err) {
      if (!(err instanceof WebhookError)) throw err;
      await giveBack();
      deps.logger?.warn({ endpointId: endpoint.id, entregaId: entrega.id }, 'webhook secret sealed but WEBHOOK_SECRET_KEY is not set');
      return await refusedByHub(deps, entrega, endpoint, manual, 'secret_key_missing', {}, tentativaManual);
    }
    const headers = attemptHeaders(custom, keys, entrega.webhook_id, entrega.payload, entrega.gatilho);
    const result = await deps.http.send(endpoint.url, headers, entrega.payload);
    const attempt = entrega.tentativas + 1;
    // The writes after an attempt are independent: run together, so a delivery's latency holds one round trip, not four.
    // Once the POST is made its outcome is recorded whatever becomes of the release: a release Redis refuses leaves the
    // slot to its lease (leaseMs), and never skips the attempt's record, the breaker or the retry schedule.
    const released = giveBack().catch(() => undefined);
    const tentativa: TentativaRecord = {
      empresaId,
      entregaId,
      numero: attempt,
      origem: originOf(manual, attempt, tentativaManual),
      cabecalhos: maskHeaders({ 'content-type': 'application/json', ...headers }, Object.keys(endpoint.cabecalhos)),
      statusHttp: result.status,
      // The receiver's answer may echo the custom headers' values it got (write-only, never shown) or the URL's query
      // token: masked there too.
      resposta: result.body === null ? null : echoMasker(custom, endpoint.url).text(result.body),
      duracaoMs: result.durationMs,
      classeErro: result.errorClass,
      erro: result.error,
    };
    if (!result.ok) {
      const [, outcome] = await Promise.all([released, afterFailure(deps, entrega, endpoint, result, tentativa, manual, member)]);
      return outcome;
    }
    if (endpoint.primeiraFalhaEm) forgetEndpoint(db, endpoint);
    await Promise.all([
      released,
      // The attempt and the delivery's new state, committed with the other deliveries that ended meanwhile.
      deps.store.delivered(tentativa),
      // Delivered and recorded: a breaker update that fails is logged, never a retry of a delivered job.
      failuresBefore > 0
        ? deps.flow
            .succeeded(endpoint.id)
            .catch((err: unknown) => deps.logger?.warn({ endpointId: endpoint.id, err }, 'webhook breaker update failed'))
        : undefined,
      clearEndpointFailure(db, endpoint),
    ]);
    return { kind: 'delivered', attempt, status: result.status as number };
  } catch (err) {
    // A throw while the slot is held (the database down for a moment in store.load, the send itself) gives it back
    // at once rather than after its lease; the job sees the original error, even if the release fails too.
    await giveBack().catch(() => undefined);
    throw err;
  }
}
