import { randomUUID } from 'node:crypto';
import { ONE_LINE_TEXT_PATTERN } from '@integrador/jobs';
import type { JobProducer } from '@integrador/queue';
import type { Database } from '@integrador/store';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { storedNumber } from '../calls/call-number';
import { isWithheldCaller, type NormalizedPhone, normalizePhone, WITHHELD_TELEFONE } from '../phone/normalize-phone';
import { findCallersIfIndexed } from '../phone/phone-index';
import { callerFlags, publishPop, settleRinging } from '../pop/pop-events';
import { RAMAL_MAX_LENGTH, RAMAL_TAKES, ramalOf } from '../ramal';
import { type CtiSettings, findCtiSettingsByHostLabel, findCtiSettingsByToken } from '../settings/cti-settings.repository';
import { SettingsCache } from '../settings/settings-cache';
import { allowedBy, clientAddress, parseRanges } from './client-address';

export type CallEventKind = 'inicio' | 'fim';

export interface WConnectListenerOptions {
  db: Kysely<Database>;
  /** The producer-role connection (fails fast while Redis is down). */
  redis: Redis;
  producer: JobProducer;
  prefix: string;
  /** EMPRESA.<domain> names a tenant by its host label; undefined = only the /t/<token>/ form. */
  domain: string | undefined;
  /** Addresses / ranges of the reverse proxies whose X-Forwarded-For is believed. */
  trustedProxies: readonly string[];
  /** The same request within this window is one event. */
  dedupeWindowMs: number;
  /** How long a call stays in the replayable active state without an end (the "sem fim recebido" timeout). */
  callTimeoutMs: number;
  /** How long tenant settings are cached per process (a CLI change applies within this time). */
  settingsCacheMs?: number;
  onPublishError?: (err: unknown) => void;
}

/** A listener request, as the HTTP layer saw it. */
export interface ListenerRequest {
  kind: CallEventKind;
  host: string | undefined;
  /** The <token> of /t/<token>/wconnect/…, when the request came that way. */
  pathToken: string | undefined;
  remoteAddress: string;
  forwardedFor: string | string[] | undefined;
  /** Query string and form fields, merged. */
  params: Record<string, unknown>;
  /**
   * The tenant's admission check (the ingress's rate limit), called with the tenant the URL named once the address is
   * allowed and the parameters are valid, before the enqueue: it throws to refuse, and then nothing is enqueued.
   */
  admit?: (empresaId: number) => Promise<void>;
}

/** Why a listener request is refused. */
export type RefusedRequest =
  /**
   * Unknown tenant, bad token or an address outside the tenant's allowlist: one answer for all, revealing nothing. The
   * reason (and the tenant, for an address refused) is for the operator's log and metrics only (trial CTI 3, finding 7).
   */
  | { status: 404; reason: 'unknown-tenant' }
  | { status: 404; reason: 'address-not-allowed'; empresaId: number; address: string }
  /** Every parameter that fails, in the listener's order (ramal, telefone, url_audio). */
  | { status: 400; faults: ListenerParameterFault[]; empresaId: number };

export type ListenerOutcome = RefusedRequest | { status: 200; eventId: string; repeated: boolean };

/** A request that passed the listener's checks: its tenant and its parameters as the event takes them. */
interface CheckedRequest {
  settings: CtiSettings;
  ramal: string;
  telefone: string;
  urlAudio: string;
}

const LIMITS = { ramal: RAMAL_MAX_LENGTH, telefone: 40, url_audio: 1000 } as const;

export type ListenerParameter = keyof typeof LIMITS;

/** One parameter a listener request got wrong. */
export interface ListenerParameterFault {
  field: ListenerParameter;
  /** repeated: the field came more than once (a query string or form that repeats it). */
  problem: 'missing' | 'invalid' | 'repeated';
}

/**
 * What each listener parameter takes, for the PBX technician reading a 400: the answer names the parameters that
 * failed, each with its own rule (the others are fine and are not listed).
 */
export const LISTENER_PARAMETER_TAKES: Record<ListenerParameter, { 'pt-BR': string; en: string }> = {
  ramal: RAMAL_TAKES,
  telefone: {
    'pt-BR': `até ${LIMITS.telefone} caracteres, numa linha, sem caracteres de controle`,
    en: `up to ${LIMITS.telefone} characters on one line, no control characters`,
  },
  url_audio: {
    'pt-BR': `opcional, até ${LIMITS.url_audio} caracteres, numa linha, sem caracteres de controle`,
    en: `optional, up to ${LIMITS.url_audio} characters on one line, no control characters`,
  },
};

/** One line of text, the API's rule for its text fields (@integrador/jobs): no control character, tab or line break. */
const ONE_LINE_TEXT = new RegExp(ONE_LINE_TEXT_PATTERN);

/** A field sent more than once (an array: a query string or form repeating it, or a JSON array). */
const REPEATED = Symbol('repeated');

/**
 * A parameter's text as sent, unchanged; '' when absent; a JSON integer as its decimal text (a PBX sending
 * {"ramal":7001} does not retry a 400); REPEATED for several values; undefined for anything else (an object, a fraction).
 */
function param(params: Record<string, unknown>, name: string): string | typeof REPEATED | undefined {
  const value = params[name];
  if (value === undefined || value === null) return '';
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? String(value) : undefined;
  if (Array.isArray(value) && value.length > 1) return REPEATED;
  return typeof value === 'string' ? value : undefined;
}

/**
 * Query-string or form parameters with a telefone's '+' restored: PBXs put '+1 212…' in the URL unencoded, and URL
 * decoding reads that '+' as a space, so ' 12125551234' (a leading space before a digit, which no one writes) was a
 * number of Rio de Janeiro. Not for a JSON body, whose text is taken as sent.
 */
export function restoreTelefonePlus(params: Record<string, unknown>): Record<string, unknown> {
  const telefone = params.telefone;
  if (typeof telefone !== 'string' || !/^ \d/.test(telefone)) return params;
  return { ...params, telefone: `+${telefone.slice(1)}` };
}

/**
 * Every parameter of a request that breaks its rule (empty: all fine). The ramal is read as every entry point reads
 * it (ramalOf: surrounding spaces dropped, a PBX channel such as SIP/201 read as 201); a multi-line ramal ('201\n') is
 * not ramal 201, and a telefone or url_audio holding a control character, tab or line break is refused rather than stored.
 */
function parameterFaults(
  ramal: string | typeof REPEATED | undefined,
  telefone: string | typeof REPEATED | undefined,
  urlAudio: string | typeof REPEATED | undefined,
): ListenerParameterFault[] {
  const faults: ListenerParameterFault[] = [];
  if (ramal === REPEATED) faults.push({ field: 'ramal', problem: 'repeated' });
  else if (ramal === '') faults.push({ field: 'ramal', problem: 'missing' });
  else if (ramal === undefined || ramalOf(ramal) === undefined) faults.push({ field: 'ramal', problem: 'invalid' });
  if (telefone === REPEATED) faults.push({ field: 'telefone', problem: 'repeated' });
  // An empty or absent telefone is a withheld caller id (Asterisk's ${CALLERID(num)} of a private call): taken.
  else if (telefone !== '' && (telefone === undefined || telefone.length > LIMITS.telefone || !ONE_LINE_TEXT.test(telefone))) {
    faults.push({ field: 'telefone', problem: 'invalid' });
  }
  if (urlAudio === REPEATED) faults.push({ field: 'url_audio', problem: 'repeated' });
  else if (urlAudio === undefined || urlAudio.length > LIMITS.url_audio || !ONE_LINE_TEXT.test(urlAudio)) {
    faults.push({ field: 'url_audio', problem: 'invalid' });
  }
  return faults;
}

/**
 * At most this many caller lookups in flight per process. A lookup holds one connection at a time (its queries run
 * one after the other), so this caps the lookups' share of the ingress pool (10 by default) at under a third.
 */
const MAX_LOOKUPS = 3;

/**
 * Seed 002's WConnect listeners (ConsultaRamal = call start, FinalizaLigacao = call end): resolves the tenant from the
 * host label or the path token, checks the PBX's address, and puts the event durably on the cti queue — nothing
 * else before answering (the call log is the worker's) — so the PBX is answered in a few milliseconds. After the
 * answer, a start pops "ringing" and the caller card from here: the operator does not wait for a queue round trip.
 */
export class WConnectListener {
  private readonly cache: SettingsCache;
  /** Caller lookups of this process in flight (popCall). */
  private lookups = 0;
  private readonly proxies;

  constructor(private readonly options: WConnectListenerOptions) {
    this.proxies = parseRanges(options.trustedProxies);
    this.cache = new SettingsCache(options.db, options.settingsCacheMs ?? 5000);
  }

  private hostLabel(host: string | undefined): string | undefined {
    const domain = this.options.domain?.toLowerCase();
    if (!domain || !host) return undefined;
    const name = host.toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '');
    if (!name.endsWith(`.${domain}`)) return undefined;
    const label = name.slice(0, -(domain.length + 1));
    return /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(label) ? label : undefined;
  }

  /** The tenant a request addresses, or undefined. */
  async resolveTenant(host: string | undefined, pathToken: string | undefined): Promise<CtiSettings | undefined> {
    const { db } = this.options;
    if (pathToken !== undefined) {
      if (!/^ctk_[A-Za-z0-9_-]{20,64}$/.test(pathToken)) return undefined;
      return this.cache.through(`t:${pathToken}`, () => findCtiSettingsByToken(db, pathToken));
    }
    const label = this.hostLabel(host);
    return label ? this.cache.through(`h:${label}`, () => findCtiSettingsByHostLabel(db, label)) : undefined;
  }

  /** The tenant, address and parameter checks of a request: its refusal, or what the event takes. */
  private async check(request: ListenerRequest): Promise<RefusedRequest | CheckedRequest> {
    const settings = await this.resolveTenant(request.host, request.pathToken);
    if (!settings) return { status: 404, reason: 'unknown-tenant' };
    const address = clientAddress(request.remoteAddress, request.forwardedFor, this.proxies);
    if (!allowedBy(settings.allowlist, address))
      return { status: 404, reason: 'address-not-allowed', empresaId: settings.empresaId, address: String(address ?? '') };

    const given = param(request.params, 'ramal');
    const telefone = param(request.params, 'telefone');
    const urlAudio = param(request.params, 'url_audio');
    const faults = parameterFaults(given, telefone, urlAudio);
    const ramal = typeof given === 'string' ? ramalOf(given) : undefined;
    if (faults.length > 0 || ramal === undefined || typeof telefone !== 'string' || typeof urlAudio !== 'string') {
      return { status: 400, faults, empresaId: settings.empresaId };
    }
    return { settings, ramal, telefone: telefone || WITHHELD_TELEFONE, urlAudio };
  }

  /**
   * A HEAD on a listener URL (PBXs' health checks, uptime checkers): the status its GET would get, from the same
   * checks, with nothing enqueued, popped or counted against the tenant's rate limit — except that the bare URL (none of
   * ramal, telefone, url_audio sent) is 200 once its tenant and address are: a checker HEADs the URL as configured, and
   * a 400 read as "down". Parameters that are sent are judged as the GET judges them.
   */
  async probe(request: ListenerRequest): Promise<RefusedRequest | { status: 200 }> {
    const checked = await this.check(request);
    if (!('status' in checked)) return { status: 200 };
    const bare = checked.status === 400 && ['ramal', 'telefone', 'url_audio'].every((name) => param(request.params, name) === '');
    return bare ? { status: 200 } : checked;
  }

  /** Handles one listener request; the answer is sent only after the event is on the queue. */
  async accept(request: ListenerRequest): Promise<ListenerOutcome> {
    const receivedAt = new Date();
    const checked = await this.check(request);
    if ('status' in checked) return checked;
    const { settings, ramal, telefone, urlAudio } = checked;
    await request.admit?.(settings.empresaId);

    const { producer, dedupeWindowMs } = this.options;
    const empresaId = settings.empresaId;
    const phone = normalizePhone(telefone, { ramalLength: settings.ramalLength });
    // BullMQ's deduplication (throttle mode) makes the window one event: the first arrival's add holds the id for the
    // window; a repeat's add returns that job's id and adds nothing. Claim and enqueue are one atomic Redis call, so a
    // repeat is answered only once its event is on the queue. Under the producer's guard and deadline: Redis down is
    // a 503 (the PBX may retry), never a hang or a 500. Not for a withheld caller id: its "number" names no caller, so
    // two private calls on one ramal within the window are two calls (a PBX repeating one logs it twice: documented).
    const jobPrefix = `cti-${empresaId}-`;
    const candidate = `${jobPrefix}${randomUUID()}`;
    const job = await producer.enqueue(
      'cti',
      'cti.call-event',
      {
        tenant: { empresaId, filialId: null },
        eventId: candidate.slice(jobPrefix.length),
        kind: request.kind,
        ramal,
        telefone,
        ...(urlAudio ? { urlAudio } : {}),
        receivedAt: receivedAt.toISOString(),
      },
      {
        jobId: candidate,
        ...(dedupeWindowMs > 0 && !isWithheldCaller(telefone)
          ? { deduplication: { id: `${empresaId}:${request.kind}:${ramal}:${phone.key || telefone}`, ttl: dedupeWindowMs } }
          : {}),
      },
    );
    const repeated = job.id !== candidate;
    const eventId = String(job.id).slice(jobPrefix.length);
    if (request.kind === 'inicio' && !repeated) {
      const call = { callId: eventId, ramal, numero: telefone, recebidoEm: receivedAt.toISOString() };
      this.popCall(empresaId, call, phone).catch((err: unknown) => this.options.onPublishError?.(err));
    }
    return { status: 200, eventId, repeated };
  }

  /**
   * "Ringing from <number>" at once, then the caller card after the lookup (indexed queries, bound to the tenant the
   * listener URL named). Not awaited by the answer; if it fails or this process dies, the worker pops the card (a card
   * the call already shows is never published twice, and none is published once the call ended: pop-events.ts).
   */
  private async popCall(
    empresaId: number,
    call: { callId: string; ramal: string; numero: string; recebidoEm: string },
    phone: NormalizedPhone,
  ): Promise<void> {
    const { db, redis, prefix, callTimeoutMs } = this.options;
    const normalizado = storedNumber(phone);
    const searchable = phone.kind === 'nacional' || phone.kind === 'local';
    // Lookups in flight are capped well below the pool: a burst must never starve the listener's own reads (tenant
    // settings) of connections. Past the cap the call still rings from here, and the worker pops its card.
    const looking = searchable && this.lookups < MAX_LOOKUPS;
    // "consultando": the card follows from here, so worker-cti waits a moment for it instead of looking up too.
    const ringing = {
      type: 'ringing' as const,
      ...call,
      normalizado,
      ...(looking ? { consultando: true } : {}),
      ...callerFlags(call.numero, phone),
    };
    const ring = () => publishPop(redis, prefix, empresaId, ringing, callTimeoutMs);
    if (searchable && !looking) {
      await ring();
      return;
    }
    if (searchable) this.lookups++;
    try {
      // The lookup runs meanwhile; awaited after "ringing" so the card is never published before it (and settled
      // only once "ringing" is stored, so a settle never comes before the ringing it settles).
      const [rang, looked] = await Promise.allSettled([
        ring(),
        searchable ? findCallersIfIndexed(db, empresaId, phone) : Promise.resolve([]),
      ]);
      if (rang.status === 'rejected') {
        // No card follows a ringing that may not be stored; it may be stored all the same (a Redis timeout after the
        // write): settling is a no-op on nothing stored, so the worker never waits for a card that will not come.
        if (looking) await settleRinging(redis, prefix, empresaId, ringing, callTimeoutMs).catch(() => undefined);
        throw rang.reason;
      }
      // No card from here: the lookup failed, or it answered undefined (the index is behind noted writes, a bulk import
      // say: the worker catches it up and pops the card, not the ingress). "consultando" goes, so the worker looks the
      // caller up at once instead of waiting for this card.
      if (looked.status === 'rejected' || looked.value === undefined) {
        if (looking) await settleRinging(redis, prefix, empresaId, ringing, callTimeoutMs);
        if (looked.status === 'rejected') throw looked.reason;
        return;
      }
      await publishPop(
        redis,
        prefix,
        empresaId,
        { type: 'caller', ...call, normalizado, ...callerFlags(call.numero, phone), matches: looked.value },
        callTimeoutMs,
      );
    } finally {
      if (searchable) this.lookups--;
    }
  }
}
