import type { Database, FilialCaller } from '@integrador/store';
import type { Kysely } from 'kysely';
import { storedNumber } from '../calls/call-number';
import { findCtiSettings } from '../settings/cti-settings.repository';
import { DEFAULT_RAMAL_LENGTH, isWithheldCaller, type NormalizedPhone, normalizePhone } from './normalize-phone';
import { type CallerMatch, findCallers, findCallersIfIndexed } from './phone-index';

/** What a call from this number would find, without a call: the reading, the E.164 or digits kept, the ranked matches. */
export interface CallerLookup {
  /** How the number was read: nacional, internacional, local (no DDD), ramal (an extension), invalido. */
  tipo: NormalizedPhone['kind'];
  /** The number the call log would keep (E.164, or the digits of an extension / a number with no DDD), else null. */
  normalizado: string | null;
  /** True: the PBX's words for a withheld caller id (empty, "anonymous", "Privado"…): "número privado". */
  privado: boolean;
  /** Ranked as the screen pop ranks them (DDD + last 8 first, then last 8 only); empty for an unknown caller. */
  matches: CallerMatch[];
}

/** The number as the empresa's calls read it (its ramal length), and what the answer says of it beside the matches. */
async function readingOf(db: Kysely<Database>, empresaId: number, telefone: string) {
  const settings = await findCtiSettings(db, empresaId);
  const phone = normalizePhone(telefone, { ramalLength: settings?.ramalLength ?? DEFAULT_RAMAL_LENGTH });
  return { phone, shown: { tipo: phone.kind, normalizado: storedNumber(phone), privado: isWithheldCaller(telefone) } };
}

/**
 * A caller lookup of one empresa, as worker-cti does it for a ringing call (its ramal length, the phone index, the same
 * ranking), writing no call, job or pop — to check how the hub reads a PBX's caller-id forms before going live. Like the
 * worker, it first indexes the empresa's CRM writes noted and not yet indexed: the CLI's (`integrador cti lookup`), an
 * operator's command run apart from the ingress.
 */
export async function lookUpCaller(db: Kysely<Database>, empresaId: number, telefone: string): Promise<CallerLookup> {
  const { phone, shown } = await readingOf(db, empresaId, telefone);
  return { ...shown, matches: await findCallers(db, empresaId, phone) };
}

/**
 * lookUpCaller for the API (GET /v1/cti/lookup): read-only, as the listener's lookup — it never catches the phone index
 * up (after a bulk import or `cti reindex` that would run the whole catch-up inside one HTTP request): undefined while
 * writes of the empresa are noted and not yet indexed (worker-cti's sweep indexes them). Bound to the caller's filial
 * too: a filial key finds only the records its filial reads (its own and the empresa-wide ones), as its runs and
 * change events do.
 */
export async function lookUpIndexedCaller(db: Kysely<Database>, caller: FilialCaller, telefone: string): Promise<CallerLookup | undefined> {
  const { phone, shown } = await readingOf(db, caller.empresaId, telefone);
  const matches = await findCallersIfIndexed(db, caller.empresaId, phone, { filialId: caller.filialId });
  return matches === undefined ? undefined : { ...shown, matches };
}
