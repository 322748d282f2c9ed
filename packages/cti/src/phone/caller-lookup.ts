import type { Database } from '@integrador/store';
import type { Kysely } from 'kysely';
import { storedNumber } from '../calls/call-number';
import { findCtiSettings } from '../settings/cti-settings.repository';
import { DEFAULT_RAMAL_LENGTH, isWithheldCaller, type NormalizedPhone, normalizePhone } from './normalize-phone';
import { type CallerMatch, findCallers } from './phone-index';

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

/**
 * A caller lookup of one empresa, as worker-cti does it for a ringing call (its ramal length, the phone index, the same
 * ranking), writing no call, job or pop — to check how the hub reads a PBX's caller-id forms before going live. Like the
 * worker, it first indexes the empresa's CRM writes noted and not yet indexed.
 */
export async function lookUpCaller(db: Kysely<Database>, empresaId: number, telefone: string): Promise<CallerLookup> {
  const settings = await findCtiSettings(db, empresaId);
  const phone = normalizePhone(telefone, { ramalLength: settings?.ramalLength ?? DEFAULT_RAMAL_LENGTH });
  const matches = await findCallers(db, empresaId, phone);
  return { tipo: phone.kind, normalizado: storedNumber(phone), privado: isWithheldCaller(telefone), matches };
}
