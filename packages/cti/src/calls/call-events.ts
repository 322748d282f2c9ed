import type { CtiCallEventPayload } from '@integrador/jobs';
import { type Database, timestampMs } from '@integrador/store';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { CtiError } from '../cti-error';
import { type NormalizedPhone, normalizePhone } from '../phone/normalize-phone';
import { findCallers } from '../phone/phone-index';
import { callerFlags, publishPop, shownPop } from '../pop/pop-events';
import { findCtiSettings } from '../settings/cti-settings.repository';
import type { SettingsCache, TtlCache } from '../settings/settings-cache';
import {
  type CallNumber,
  type CallRow,
  closeCall,
  closeOtherLegs,
  closeRepeatedStarts,
  closeStaleCalls,
  closeStaleExtensionCalls,
  closeUnansweredCalls,
  findCallByEndEvent,
  findCallByEvent,
  findOpenCall,
  findStartState,
  foldEndIntoCall,
  insertCall,
  insertStartThenFindLateEnd,
  OPEN_STATUSES,
  pairLateStart,
  type StartToLog,
  startsWithoutReading,
  TRANSFER_WINDOW_MS,
  usuarioOfRamal,
} from './call-log.repository';
import { storedKey, storedNumber } from './call-number';
import { logStartGrouped } from './call-start-groups';

export interface CallEventDeps {
  db: Kysely<Database>;
  redis: Redis;
  prefix: string;
  /** A start without an end is closed as "sem fim recebido" after this long. */
  callTimeoutMs: number;
  /**
   * A call still ringing (tocando, no answer known) without an end is closed as "não atendida" after this long, when
   * shorter than callTimeoutMs (CTI_RING_TIMEOUT_MS); unset (the default) = only callTimeoutMs applies. WConnect sends
   * no answer event, so its "tocando" calls include answered ones: unset, they stay open and on the operator page
   * until their end or callTimeoutMs; set, an answered call longer than this leaves the page and its end, coming after,
   * is logged as a call of its own (an end attaches only to an open call: findOpenCall).
   */
  ringTimeoutMs?: number | undefined;
  /**
   * A click-to-call to an internal extension still "em andamento" is closed as "ramal sem fim" after this long, when
   * shorter than callTimeoutMs (CTI_EXTENSION_CALL_TIMEOUT_MS, default 30 min): the PBX sends no end for extension
   * calls (seen in an operator trial), so without it they stayed open for the whole call timeout (4 h). An end that
   * comes after all is logged as a call of its own, as for any call the hub closed.
   */
  extensionCallTimeoutMs?: number | undefined;
  /** Tenant settings, cached per process (without it every event reads cti_configuracoes). */
  settings?: SettingsCache;
  /** The usuario of each (empresa, ramal), cached per process (without it every event reads usuarios). */
  usuarios?: TtlCache<number | null>;
  /** How long after the listener's receipt a start waits for the listener's card (LISTENER_CARD_WAIT_MS). */
  listenerCardWaitMs?: number;
}

/** What a processed call event did (the job's result). */
export type CallEventResult =
  | { kind: 'inicio'; ligacaoId: number; matches: number; paired: boolean }
  | { kind: 'fim'; ligacaoId: number; semInicio: boolean; duplicate?: boolean };

/** A call from an extension is internal (ramal to ramal): it is logged and popped as such, never as an unknown caller. */
const directionOf = (phone: NormalizedPhone) => (phone.kind === 'ramal' ? ('interna' as const) : ('entrada' as const));

/** The usuario whose ramal this is, through the deps' cache when there is one. */
function usuarioOf(deps: CallEventDeps, empresaId: number, ramal: string): Promise<number | null> {
  const load = () => usuarioOfRamal(deps.db, empresaId, ramal);
  return deps.usuarios ? deps.usuarios.through(`${empresaId}:${ramal}`, load) : load();
}

async function phoneOf(deps: CallEventDeps, empresaId: number, telefone: string) {
  const settings = await (deps.settings ? deps.settings.get(empresaId) : findCtiSettings(deps.db, empresaId));
  return normalizePhone(telefone, { ramalLength: settings?.ramalLength ?? 4 });
}

/**
 * How long after the listener received a call worker-cti waits for the card of a listener that is looking the caller
 * up ("consultando"), before looking up itself: a worker that keeps up takes the job before that lookup is done, and
 * looked the caller up a second time (a third of the calls in bench/README.md, CTI, 2026-12-05).
 *
 * The wait holds the job's concurrency slot, and that is bounded: it happens only while the stored "ringing" still says
 * "consultando", i.e. while a listener lookup is really in flight (at most MAX_LOOKUPS = 3 per ingress process; a
 * listener that will not publish the card takes the flag off at once: settleRinging), or its process died or lost
 * Redis mid-lookup; it never outlasts this window from the listener's receipt, and a job taken after the window (a
 * queue that is behind) does not wait at all. STYLE.md's moveToDelayed + DelayedError is for waits of a rate limit or
 * a dependency of unknown length; here the card usually comes within milliseconds, and a delayed job would cost more
 * than the wait it frees (a move to the delayed set, its promotion, a second run of the job's reads) and give the row
 * later. Polling (a dozen HGETs at most) is kept over a subscription to the ramal's channel, which would need a
 * subscriber connection per worker process.
 */
export const LISTENER_CARD_WAIT_MS = 250;
const CARD_POLL_MS = 25;

/**
 * The call's caller matches: those of the card the listener already published for this call (its lookup, bound to the
 * same tenant, is not made twice), else this worker's own lookup.
 */
async function callerMatches(deps: CallEventDeps, event: CtiCallEventPayload, phone: NormalizedPhone) {
  const empresaId = event.tenant.empresaId;
  const shown = () => shownPop(deps.redis, deps.prefix, empresaId, event.ramal, event.eventId);
  let current = await shown();
  // Measured from the listener's receipt, and never longer than the wait itself (another host's clock may be ahead).
  const until = Math.min(Date.parse(event.receivedAt), Date.now()) + (deps.listenerCardWaitMs ?? LISTENER_CARD_WAIT_MS);
  while (current?.type === 'ringing' && current.consultando && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, CARD_POLL_MS));
    current = await shown();
  }
  if (current?.type === 'caller') return { matches: current.matches, cardFrom: 'listener' as const };
  const searchable = phone.kind === 'nacional' || phone.kind === 'local';
  return { matches: searchable ? await findCallers(deps.db, empresaId, phone) : [], cardFrom: 'worker' as const };
}

/** The call row an event logged or paired, as the repeated-start rule reads it (supersedeOlderStarts); none for an end-only row. */
type LoggedCall = Pick<CallRow, 'id' | 'empresa_id' | 'ramal' | 'chave_telefone' | 'telefone_normalizado' | 'inicio' | 'direcao'>;
type Handled = [CallEventResult, LoggedCall | undefined];

/** Call start: the lookup, the caller card on the ramal's screen pop at once, then one ligacoes row (tocando). */
async function callStarted(deps: CallEventDeps, event: CtiCallEventPayload): Promise<Handled> {
  const { db } = deps;
  const empresaId = event.tenant.empresaId;
  const receivedAt = new Date(event.receivedAt);
  const phone = await phoneOf(deps, empresaId, event.telefone);
  const key = storedKey(phone, event.telefone);
  // On PostgreSQL the insert skips a row this event already opened and the read after it finds an end that came first
  // (one round trip, two statements, shared with the other starts in flight: startsWithoutReading, logStartGrouped);
  // elsewhere those two are read first, beside the card, and each start writes alone (not grouped there: MySQL returns
  // no inserted rows to tell whose is whose, and neither dialect pipelines the insert with the read after its commit).
  const readFirst = !startsWithoutReading(db);
  const [{ matches, cardFrom }, usuarioId, before] = await Promise.all([
    callerMatches(deps, event, phone),
    usuarioOf(deps, empresaId, event.ramal),
    readFirst ? findStartState(db, empresaId, event.eventId, event.ramal, key, receivedAt, deps.callTimeoutMs) : undefined,
  ]);
  const normalizado = storedNumber(phone);
  const first = matches[0];
  const call = {
    empresaId,
    ramal: event.ramal,
    usuarioId,
    telefone: event.telefone,
    normalizado,
    key,
    contaId: first?.contaId ?? null,
    contatoId: first?.tabela === 'contatos' ? first.id : null,
    direcao: directionOf(phone),
    status: 'tocando' as const,
    inicio: receivedAt,
    eventId: event.eventId,
  };
  // The listener usually popped the card already; this one is published only if it did not (its process died, its
  // lookups were all in flight, or its lookup failed), and not for a call whose end is known to have come first. Not
  // after the call log: the operator waits for the card, not for the row.
  const card = async () => {
    if (before?.endedFirst || cardFrom !== 'worker') return;
    const shown = {
      type: 'caller' as const,
      callId: event.eventId,
      ramal: event.ramal,
      numero: event.telefone,
      normalizado,
      ...callerFlags(event.telefone, phone),
    };
    await publishPop(deps.redis, deps.prefix, empresaId, { ...shown, recebidoEm: event.receivedAt, matches }, deps.callTimeoutMs);
  };
  if (!before) {
    // An end that came first is found only by the read after the insert: the card may then show for a moment, until
    // the fold takes the call off the screen pop ("ended").
    const [, { opened, ...logged }] = await Promise.all([card(), logStartInOneTrip(deps, call, phone)]);
    return [{ kind: 'inicio', ...logged, matches: matches.length }, opened];
  }
  await card();
  const { existing, endedFirst } = before;
  if (existing) {
    // A run of this job inserted the row and failed before it saw the end that came meanwhile (its end-only row): that
    // end is folded in now, not left beside an open row.
    const open = (OPEN_STATUSES as readonly (string | null)[]).includes(existing.status);
    const folded = Boolean(open && endedFirst && (await foldEndIntoCall(db, existing, endedFirst)));
    if (folded && endedFirst) await publishEnded(deps, existing, endedFirst);
    // Paired now or by that run (which may have failed before the hand-over): the hand-over is run again, guarded.
    if (folded || (existing.status === 'finalizada' && Number(existing.sem_inicio) !== 1)) await handOverFrom(deps, existing, phone);
    return [{ kind: 'inicio', ligacaoId: existing.id, matches: matches.length, paired: folded }, existing];
  }
  if (endedFirst) {
    // The end's job ran first (two workers): this start completes that row instead of opening a second one, and takes
    // the call off the screen pop (the end found no open call to take off).
    await pairLateStart(db, endedFirst, call);
    await publishEnded(deps, { ...endedFirst, evento_id: event.eventId }, endedFirst);
    await handOver(deps, empresaId, event.ramal, phone, { key, normalizado: normalizado ?? '' }, receivedAt);
    return [
      { kind: 'inicio', ligacaoId: endedFirst.id, matches: matches.length, paired: true },
      { ...loggedOf(call), id: endedFirst.id },
    ];
  }
  // The end may have been taken at the same instant by another worker, before this row existed: look once more now
  // that it does (one of the two workers always sees the other's row) and fold that end in.
  const { ligacaoId, lateEnd } = await insertStartThenFindLateEnd(db, call, deps.callTimeoutMs);
  const opened = lateEnd ? await findCallByEvent(db, empresaId, event.eventId) : undefined;
  const folded = Boolean(lateEnd && opened && (await foldEndIntoCall(db, opened, lateEnd)));
  if (folded && opened && lateEnd) {
    await publishEnded(deps, opened, lateEnd);
    await handOverFrom(deps, opened, phone);
  }
  return [
    { kind: 'inicio', ligacaoId, matches: matches.length, paired: folded },
    { ...loggedOf(call), id: ligacaoId },
  ];
}

/** The row a start logs, as the repeated-start rule reads it, from what was inserted (not read back). */
function loggedOf(call: StartToLog['call']): Omit<LoggedCall, 'id'> {
  return {
    empresa_id: call.empresaId,
    ramal: call.ramal,
    chave_telefone: call.key,
    telefone_normalizado: call.normalizado,
    inicio: call.inicio,
    direcao: call.direcao,
  };
}

/**
 * A start's row on PostgreSQL (startsWithoutReading): inserted unless its event opened one already, and the end-only row
 * of the call found by the same round trip folded in — with the starts of the other jobs in flight, in one multi-row
 * insert and one read (logStartGrouped). Only a row this event opened already (the job ran again) is read back; a new
 * one comes back whole from its insert.
 */
async function logStartInOneTrip(deps: CallEventDeps, call: StartToLog['call'], phone: NormalizedPhone) {
  const { db } = deps;
  const { inserted, lateEnd } = await logStartGrouped(db, { call, windowMs: deps.callTimeoutMs });
  const opened = inserted ?? (await findCallByEvent(db, call.empresaId, call.eventId));
  if (!opened) {
    // The insert met this event's row and the read after it did not (deleted meanwhile): another run may settle it.
    throw new CtiError('CTI_CALL_ROW_MISSING', false, `ligacoes: the row of start event ${call.eventId} was neither inserted nor found`);
  }
  const open = (OPEN_STATUSES as readonly (string | null)[]).includes(opened.status);
  const folded = Boolean(lateEnd && open && (await foldEndIntoCall(db, opened, lateEnd)));
  if (folded && lateEnd) {
    await publishEnded(deps, opened, lateEnd);
    await handOverFrom(deps, opened, phone);
  } else if (!inserted && opened.status === 'finalizada' && Number(opened.sem_inicio) !== 1) {
    // This job ran again after it paired the call (it may have failed before the hand-over): run it again, guarded.
    await handOverFrom(deps, opened, phone);
  }
  return { ligacaoId: opened.id, paired: folded, opened };
}

/** Takes a call off the ramal's screen pop once its end is logged. */
async function publishEnded(deps: CallEventDeps, call: CallRow, end: CallRow | CtiCallEventPayload): Promise<void> {
  const encerradoEm = 'receivedAt' in end ? end.receivedAt : new Date(timestampMs(end.fim) ?? Date.now()).toISOString();
  const ended = { type: 'ended' as const, callId: call.evento_id ?? '', ramal: call.ramal, numero: call.telefone };
  await publishPop(deps.redis, deps.prefix, call.empresa_id, { ...ended, encerradoEm }, deps.callTimeoutMs);
}

/**
 * Call end: closes the newest open call of (empresa, ramal, number) started by the end's time, or records a closed row
 * when none is open.
 */
/**
 * How long a leg closed as "outro ramal atendeu" stays open to its own end (findOpenCall): the ring timeout when set
 * and shorter, as the leg would have been closed as "não atendida" by then; a later end is a later call's.
 */
function legEndMs(deps: CallEventDeps): number {
  return Math.min(deps.ringTimeoutMs ?? deps.callTimeoutMs, deps.callTimeoutMs);
}

async function callEnded(deps: CallEventDeps, event: CtiCallEventPayload): Promise<Handled> {
  const { db } = deps;
  const empresaId = event.tenant.empresaId;
  const done = await findCallByEndEvent(db, empresaId, event.eventId);
  const endedAt = new Date(event.receivedAt);
  const phone = await phoneOf(deps, empresaId, event.telefone);
  const key = storedKey(phone, event.telefone);
  if (done) {
    // Run again after it closed its call (it may have failed before the hand-over): the hand-over is run again, guarded.
    if (Number(done.sem_inicio) !== 1) await handOverFrom(deps, done, phone);
    const semInicio = Number(done.sem_inicio) === 1;
    return [{ kind: 'fim', ligacaoId: done.id, semInicio, duplicate: true }, semInicio ? undefined : done];
  }
  // Only an open call is this end's (findOpenCall): one the hub closed already (ring timeout, call timeout) may as well
  // be an older call of the same number as this one's, whose start was lost; this end is then logged on its own.
  for (let attempt = 0; attempt < 3; attempt++) {
    const open = await findOpenCall(db, empresaId, event.ramal, key, endedAt, legEndMs(deps));
    if (!open) break;
    if (await closeCall(db, open, endedAt, event.urlAudio ?? null, event.eventId)) {
      const ended = { type: 'ended' as const, callId: open.evento_id ?? event.eventId, ramal: event.ramal, numero: event.telefone };
      await publishPop(deps.redis, deps.prefix, empresaId, { ...ended, encerradoEm: event.receivedAt }, deps.callTimeoutMs);
      await handOverFrom(deps, open, phone);
      return [{ kind: 'fim', ligacaoId: open.id, semInicio: false }, open];
    }
  }
  // No start of this call was logged: the caller is looked up here (bound to the tenant), so the row names its records.
  const searchable = phone.kind === 'nacional' || phone.kind === 'local';
  const first = searchable ? (await findCallers(db, empresaId, phone))[0] : undefined;
  const ligacaoId = await insertCall(db, {
    empresaId,
    ramal: event.ramal,
    usuarioId: await usuarioOf(deps, empresaId, event.ramal),
    telefone: event.telefone,
    normalizado: storedNumber(phone),
    key,
    contaId: first?.contaId ?? null,
    contatoId: first?.tabela === 'contatos' ? first.id : null,
    direcao: directionOf(phone),
    status: 'finalizada',
    inicio: endedAt,
    fim: endedAt,
    urlAudio: event.urlAudio ?? null,
    endEventId: event.eventId,
    semInicio: true,
  });
  // A start taken at the same instant by another worker may have opened its row after the look above: look once more
  // (one of the two workers always sees the other's row) and fold this end into it.
  const lateStart = await findOpenCall(db, empresaId, event.ramal, key, endedAt, legEndMs(deps));
  const logged = lateStart ? await findCallByEndEvent(db, empresaId, event.eventId) : undefined;
  if (lateStart && logged && (await foldEndIntoCall(db, lateStart, logged))) {
    await publishEnded(deps, lateStart, event);
    await handOverFrom(deps, lateStart, phone);
    return [{ kind: 'fim', ligacaoId: lateStart.id, semInicio: false }, lateStart];
  }
  // An end-only row: its start may still come, and it began at the end's time.
  return [{ kind: 'fim', ligacaoId, semInicio: true }, undefined];
}

/** How far back a ring reaches (the hand-over's and the repeated starts' window): TRANSFER_WINDOW_MS, or CTI_RING_TIMEOUT_MS when shorter. */
function ringWindowMs(deps: Pick<CallEventDeps, 'ringTimeoutMs'>): number {
  return Math.min(TRANSFER_WINDOW_MS, deps.ringTimeoutMs ?? TRANSFER_WINDOW_MS);
}

/**
 * The other legs of a call (closeOtherLegs), once the number's call on one ramal is paired with its end: that number's
 * calls still ringing on other ramais are taken off those ramais' screen pops, closed as "outro ramal atendeu" when
 * they began within the clock skew of it (legs of one ring group: the PBX often sends no end for the legs not answered)
 * or as "transferida" when they began shortly before it (reference cti.md §7: a call can end on a different ramal;
 * within TRANSFER_WINDOW_MS, or CTI_RING_TIMEOUT_MS when shorter); else they stayed "tocando" until the ring or call
 * timeout. Only for a real number (unknown callers and extensions share no caller to follow), and only for a call of
 * its own ramal paired with its end (an end-only row may be an end whose start is not logged yet: the start that pairs
 * with it runs this). Every path that pairs runs it, and a job run again runs it again (its update is guarded on
 * "tocando"). A call closed so is never reopened: its own end, after all, is logged apart.
 */
async function handOver(
  deps: CallEventDeps,
  empresaId: number,
  ramal: string,
  phone: NormalizedPhone,
  number: CallNumber,
  handedOverAt: Date,
) {
  if (phone.kind !== 'nacional' && phone.kind !== 'local') return;
  const closed = await closeOtherLegs(deps.db, empresaId, ramal, number, handedOverAt, ringWindowMs(deps));
  const encerradoEm = handedOverAt.toISOString();
  for (const call of closed) {
    const ended = { type: 'ended' as const, callId: call.evento_id ?? '', ramal: call.ramal, numero: call.telefone };
    await publishPop(deps.redis, deps.prefix, empresaId, { ...ended, encerradoEm }, deps.callTimeoutMs);
  }
}

/**
 * The hand-over of a call row paired with its end: at the time it began, from its ramal, on its number key. Only for an
 * incoming call (entrada): the end of a click-to-call (saida) is an agent calling the number, not that number's incoming
 * call taken on the agent's ramal, so the number's calls ringing elsewhere are left alone (trial CTI 3, finding 1).
 */
async function handOverFrom(deps: CallEventDeps, call: CallRow, phone: NormalizedPhone) {
  if (call.direcao !== 'entrada') return;
  const handedOverAt = new Date(timestampMs(call.inicio) ?? Date.now());
  const number = { key: call.chave_telefone ?? '', normalizado: call.telefone_normalizado ?? storedNumber(phone) ?? '' };
  return handOver(deps, call.empresa_id, call.ramal, phone, number, handedOverAt);
}

/**
 * Takes the older starts of the same number on the same ramal still ringing off the log and the screen pop, once
 * `row`'s start is logged or its end paired (closeRepeatedStarts): they would ring there until the call timeout. Only
 * starts within a ring of it (TRANSFER_WINDOW_MS, or CTI_RING_TIMEOUT_MS when shorter, as the hand-over): an older one
 * may be an answered live call.
 */
async function supersedeOlderStarts(deps: CallEventDeps, row: LoggedCall | undefined): Promise<void> {
  if (!row || row.direcao === 'saida') return;
  const closed = await closeRepeatedStarts(deps.db, row, ringWindowMs(deps));
  const encerradoEm = new Date(timestampMs(row.inicio) ?? Date.now()).toISOString();
  for (const call of closed) {
    const ended = { type: 'ended' as const, callId: call.evento_id ?? '', ramal: call.ramal, numero: call.telefone };
    await publishPop(deps.redis, deps.prefix, call.empresa_id, { ...ended, encerradoEm }, deps.callTimeoutMs);
  }
}

/** Processes one listener event (job cti.call-event); idempotent, so a job that runs twice writes nothing twice. */
export async function processCallEvent(deps: CallEventDeps, event: CtiCallEventPayload): Promise<CallEventResult> {
  // The row the event logged or paired comes back from its handling (not read again): not an end-only row.
  const [result, row] = event.kind === 'inicio' ? await callStarted(deps, event) : await callEnded(deps, event);
  await supersedeOlderStarts(deps, row);
  return result;
}

/**
 * Closes calls still ringing past the ring timeout as "não atendida", then calls open longer than the call timeout as
 * "sem fim recebido", and takes them off the screen pop; returns how many.
 */
export async function expireOpenCalls(deps: CallEventDeps, now = new Date()): Promise<number> {
  const { ringTimeoutMs, callTimeoutMs, extensionCallTimeoutMs } = deps;
  const shorter = (ms: number | undefined) => ms !== undefined && ms < callTimeoutMs;
  const unanswered = shorter(ringTimeoutMs) ? await closeUnansweredCalls(deps.db, new Date(now.getTime() - (ringTimeoutMs ?? 0))) : [];
  const extensions = shorter(extensionCallTimeoutMs)
    ? await closeStaleExtensionCalls(deps.db, new Date(now.getTime() - (extensionCallTimeoutMs ?? 0)))
    : [];
  const closed = [...unanswered, ...extensions, ...(await closeStaleCalls(deps.db, new Date(now.getTime() - callTimeoutMs)))];
  for (const call of closed) {
    if (!call.evento_id) continue;
    await publishPop(
      deps.redis,
      deps.prefix,
      call.empresa_id,
      { type: 'ended', callId: call.evento_id, ramal: call.ramal, numero: call.telefone, encerradoEm: now.toISOString() },
      deps.callTimeoutMs,
    );
  }
  return closed.length;
}
