import type { NormalizedPhone } from '../phone/normalize-phone';

/**
 * How a call row stores its number (ligacoes.telefone_normalizado and chave_telefone), one rule for the call events,
 * click-to-call and the calls filter, which reads rows the hub never normalised (written before migration 008, or by
 * the CRM) as these would have stored them.
 */

/** telefone_normalizado: E.164 for a number with its DDD or a foreign one, else its digits (null when it has none). */
export const storedNumber = (phone: NormalizedPhone): string | null =>
  phone.kind === 'nacional' || phone.kind === 'internacional' ? phone.e164 : phone.digits || null;

/** chave_telefone: the number's matching key (DDD + last 8, the last 8, an extension's `r<digits>`), else the text. */
export const storedKey = (phone: NormalizedPhone, raw: string): string => (phone.key || raw).slice(0, 20);
