import type { CtiClickToCallPayload } from '@integrador/jobs';
import type { Database } from '@integrador/store';
import type { Kysely } from 'kysely';
import { findCallByEvent, insertCall, setCallCustomer, setOutboundOutcome, usuarioOfRamal } from '../calls/call-log.repository';
import { storedKey, storedNumber } from '../calls/call-number';
import { CtiError } from '../cti-error';
import { EXTENSION_TEXT, type NormalizedPhone, normalizePhone } from '../phone/normalize-phone';
import { findCallers, findCallersIfIndexed } from '../phone/phone-index';
import { type CtiSettings, findCtiSettings } from '../settings/cti-settings.repository';
import { sendPbxRequest } from './pbx-client';
import { buildPbxRequest, checkPbxTemplate } from './pbx-request';
import type { ClickToCallResult, PbxSendRecord } from './pbx-send-record';

export interface ClickToCallDeps {
  db: Kysely<Database>;
  /** Where CTI_SECRET_<empresaId>_<NOME> secrets resolve from. */
  env: Readonly<Record<string, string | undefined>>;
  pbxTimeoutMs: number;
  /** CTI_CLICK_TO_CALL_EXPIRY_MS: past this long after the click the call is not placed (60 s when not given). */
  expiryMs?: number;
}

export const DEFAULT_CLICK_TO_CALL_EXPIRY_MS = 60_000;

/**
 * A click-to-call held past its expiry (a tenant pause, a rate limit, a PBX down) must not ring an agent's phone for a
 * click nobody remembers: it fails for good, recorded, and the PBX is not called.
 */
function checkNotExpired(call: CtiClickToCallPayload, expiryMs: number, now = Date.now()): void {
  const ageMs = now - Date.parse(call.requestedAt);
  if (ageMs <= expiryMs) return;
  const seconds = String(Math.round(ageMs / 1000));
  const limit = String(Math.round(expiryMs / 1000));
  throw new CtiError(
    'CTI_CALL_EXPIRED',
    true,
    `click-to-call expired: requested ${seconds} s ago, over the ${limit} s limit (CTI_CLICK_TO_CALL_EXPIRY_MS); the PBX was not called`,
    undefined,
    { seconds, limit },
  );
}

export interface ClickToCallHooks {
  /** Takes a token of the tenant's rate limit for its PBX (connection "cti-pbx") before the call. */
  acquire?: () => Promise<void>;
  /** True when this attempt is the job's last: a transient failure then marks the row falhou too. */
  lastAttempt: boolean;
  /** Where the attempt records, just before the request, that it may be leaving (pbx-send-record.ts). */
  sendRecord?: PbxSendRecord;
  /** Told when the customer lookup after the dial failed (the call stands; its row stays without a customer). */
  onLinkFailed?: (err: unknown) => void;
}

/** The name tenant rate limits use for the PBX (integrador limits set <empresa> --connection cti-pbx …). */
export const PBX_CONNECTION = 'cti-pbx';

export type { ClickToCallResult } from './pbx-send-record';

/**
 * The ramal must be an active usuario's of this empresa (another empresa's ramal is as unknown as one nobody has):
 * click-to-call (the PBX would ring a phone the caller has no claim to) and pop tokens (a mistyped ramal would wait for
 * pops forever, with no error) refuse it alike, as CTI_UNKNOWN_RAMAL on body.ramal.
 */
export async function checkUsuarioRamal(db: Kysely<Database>, empresaId: number, ramal: string): Promise<void> {
  if ((await usuarioOfRamal(db, empresaId, ramal)) === null) {
    throw new CtiError('CTI_UNKNOWN_RAMAL', true, `ramal "${ramal}" is no active usuario's of this empresa`, undefined, {
      field: 'body.ramal',
      value: ramal,
    });
  }
}

/**
 * May this empresa place this call? The route's check before enqueueing: a PBX template is configured, the ramal is
 * an active usuario's of this empresa (another empresa's ramal is as unknown as one nobody has: the PBX would ring a
 * phone the caller has no claim to) and the number can be dialled. Returns the settings.
 */
export async function admitClickToCall(
  db: Kysely<Database>,
  empresaId: number,
  call: { ramal: string; numero: string },
): Promise<CtiSettings> {
  const { ramal, numero } = call;
  const settings = await findCtiSettings(db, empresaId);
  if (!settings?.pbx.urlTemplate) {
    throw new CtiError('CTI_NOT_CONFIGURED', true, 'click-to-call is not configured for this empresa (no PBX URL template)');
  }
  checkPbxTemplate(settings.pbx.urlTemplate);
  await checkUsuarioRamal(db, empresaId, ramal);
  const phone = normalizePhone(numero, { ramalLength: settings.ramalLength });
  if (phone.kind !== 'invalido') return settings;
  const params = { field: 'body.numero', value: numero };
  // More digits than the tenant's extensions, fewer than a number without its DDD: an extension longer than the ramal
  // length (PBXs do use 5-digit extensions; the default is 4) — said so, with the setting that takes it.
  if (EXTENSION_TEXT.test(numero) && phone.digits.length > settings.ramalLength && phone.digits.length < 8) {
    const digits = String(phone.digits.length);
    throw new CtiError(
      'CTI_NUMBER_TOO_SHORT',
      true,
      `"${numero}" has ${digits} digits: longer than this empresa's extensions (${settings.ramalLength}), shorter than a phone number`,
      undefined,
      { ...params, digits, ramalLength: String(settings.ramalLength) },
    );
  }
  throw new CtiError('CTI_INVALID_NUMBER', true, `"${numero}" is not a number that can be dialled`, undefined, params);
}

/**
 * Click-to-call (seed 002): logs the outbound call in ligacoes (discando, with the conta / contato of the number),
 * asks the tenant's PBX to dial and records the outcome (em andamento, or falhou with the PBX's answer). A retried job
 * reuses its row.
 *
 * Nothing waits on the phone index before the dial: the row takes the customer the index holds now (one lookup, never a
 * catch-up), and when writes of the empresa are noted and not indexed yet (a bulk import's backlog, which a catch-up
 * would work through first, past the click's expiry) the customer is looked up, and the row linked, after the dial.
 */
export async function placeCall(deps: ClickToCallDeps, call: CtiClickToCallPayload, hooks: ClickToCallHooks): Promise<ClickToCallResult> {
  const { db } = deps;
  const empresaId = call.tenant.empresaId;
  const expiryMs = deps.expiryMs ?? DEFAULT_CLICK_TO_CALL_EXPIRY_MS;
  const settings = await findCtiSettings(db, empresaId);
  if (!settings?.pbx.urlTemplate)
    throw new CtiError('CTI_NOT_CONFIGURED', true, 'click-to-call is not configured for this empresa (no PBX URL template)');
  const phone = normalizePhone(call.numero, { ramalLength: settings.ramalLength });
  const existing = await findCallByEvent(db, empresaId, call.callId);
  // The conta / contato the dialled number belongs to, as an inbound call from it finds it (the same lookup, bound to
  // the job's empresa): the call log shows the customer either way. An extension has none. undefined: not indexed yet.
  const indexed = existing ? undefined : await findCallersIfIndexed(db, empresaId, phone);
  const customer = indexed?.[0];
  const ligacaoId =
    existing?.id ??
    (await insertCall(db, {
      empresaId,
      ramal: call.ramal,
      usuarioId: await usuarioOfRamal(db, empresaId, call.ramal),
      telefone: call.numero,
      normalizado: storedNumber(phone),
      key: storedKey(phone, call.numero),
      contaId: customer?.contaId ?? null,
      contatoId: customer?.tabela === 'contatos' ? customer.id : null,
      direcao: 'saida',
      status: 'discando',
      inicio: new Date(call.requestedAt),
      eventId: call.callId,
    }));
  const linkAfter = existing ? existing.conta_id === null && existing.contato_id === null : indexed === undefined;
  try {
    checkNotExpired(call, expiryMs);
    const request = buildPbxRequest(settings, call, deps.env);
    await hooks.acquire?.();
    // The limit's token may have been a long wait.
    checkNotExpired(call, expiryMs);
    // Recorded first: a retake of this job after its worker died must not send it again (pbx-send-record.ts).
    await hooks.sendRecord?.mark();
    const answer = await sendPbxRequest(request, { allowPrivateNetwork: settings.allowPrivateNetwork, timeoutMs: deps.pbxTimeoutMs });
    await setOutboundOutcome(db, empresaId, call.callId, 'em andamento');
    const result: ClickToCallResult = {
      ligacaoId,
      status: answer.status,
      dialled: request.dialled,
      interno: request.interno,
      url: request.shownUrl,
      pbxAnswer: answer.body,
    };
    // Recorded before the link (a catch-up may be long): a retake of this job completes it, the PBX not called again.
    // Not recorded (Redis away): the call stands all the same, and a retake fails it as PBX_OUTCOME_UNKNOWN, unsent.
    await hooks.sendRecord?.placed(result).catch(() => undefined);
    if (linkAfter) await linkCustomer(db, empresaId, ligacaoId, phone, hooks);
    return result;
  } catch (err) {
    // Transient = the PBX did not get the request (unreachable, or it said it did not take it on): the retry sends it.
    if (err instanceof CtiError && !err.permanent) await hooks.sendRecord?.clear().catch(() => undefined); // kept: the retake fails, unsent
    const final = (err instanceof CtiError && err.permanent) || hooks.lastAttempt;
    if (final && err instanceof CtiError) {
      await setOutboundOutcome(db, empresaId, call.callId, 'falhou', err.message);
      if (linkAfter) await linkCustomer(db, empresaId, ligacaoId, phone, hooks);
    }
    throw err;
  }
}

/**
 * A retake of a job whose earlier attempt recorded that the PBX took the call on (PbxSendRecord.placed), its worker
 * stopped before the job completed (while the customer was being linked): completes with the recorded result, the PBX
 * not called again, and links the row to its customer when it has none yet. Never fails for the link (onLinkFailed).
 */
export async function completePlacedCall(
  deps: Pick<ClickToCallDeps, 'db'>,
  call: CtiClickToCallPayload,
  placed: ClickToCallResult,
  hooks: Pick<ClickToCallHooks, 'onLinkFailed'>,
): Promise<ClickToCallResult> {
  const { db } = deps;
  const empresaId = call.tenant.empresaId;
  try {
    const row = await findCallByEvent(db, empresaId, call.callId);
    if (row && row.conta_id === null && row.contato_id === null) {
      const settings = await findCtiSettings(db, empresaId);
      const phone = normalizePhone(call.numero, { ramalLength: settings?.ramalLength });
      await linkCustomer(db, empresaId, row.id, phone, hooks);
    }
  } catch (err) {
    hooks.onLinkFailed?.(err);
  }
  return placed;
}

/**
 * Links the row to its customer after the dial, catching the phone index up first. Never throws: the PBX was asked
 * already, and a job failed here would be retried and ring the same call again; the row then stays without a customer.
 */
async function linkCustomer(
  db: Kysely<Database>,
  empresaId: number,
  ligacaoId: number,
  phone: NormalizedPhone,
  hooks: Pick<ClickToCallHooks, 'onLinkFailed'>,
): Promise<void> {
  try {
    const customer = (await findCallers(db, empresaId, phone))[0];
    if (customer) await setCallCustomer(db, empresaId, ligacaoId, customer.contaId, customer.tabela === 'contatos' ? customer.id : null);
  } catch (err) {
    hooks.onLinkFailed?.(err);
  }
}
