import { isWithheldCaller, type NormalizedPhone, WITHHELD_TELEFONE } from '../phone/normalize-phone';

/**
 * How a call row stores its number (ligacoes.telefone_normalizado and chave_telefone), one rule for the call events,
 * click-to-call and the calls filter, which reads rows the hub never normalised (written before migration 008, or by
 * the CRM) as these would have stored them.
 */

/** telefone_normalizado: E.164 for a number with its DDD or a foreign one, else its digits (null when it has none). */
export const storedNumber = (phone: NormalizedPhone): string | null =>
  phone.kind === 'nacional' || phone.kind === 'internacional' ? phone.e164 : phone.digits || null;

/**
 * chave_telefone: the number's matching key (DDD + last 8, the last 8, an extension's `r<digits>`), WITHHELD_KEY for a
 * withheld caller id (empty, "anonymous", "Privado"… — every PBX word for it, one key), else the text.
 */
export const storedKey = (phone: NormalizedPhone, raw: string): string =>
  isWithheldCaller(raw) ? WITHHELD_KEY : (phone.key || raw).slice(0, 20);

/**
 * The chave_telefone of every withheld caller: a key no caller's number has (a number's key is digits, an extension's
 * `r<digits>`). It names no caller: two withheld calls are not one caller's, so the call log never dedupes, supersedes
 * or pairs by it (isWithheldKey).
 */
export const WITHHELD_KEY = WITHHELD_TELEFONE;

/** Whether a call row's chave_telefone is a withheld caller's (WITHHELD_KEY): not a number to match calls by. */
export const isWithheldKey = (key: string | null | undefined): boolean => key === WITHHELD_KEY;
