import { RAMAL_MAX_LENGTH, RAMAL_PATTERN } from '@integrador/jobs';

/**
 * What a ramal (extension) may be — one rule for the PBX listeners, the API (pop tokens, click-to-call, the call-log
 * filter), the CLI, the dashboard and the cti job payloads: digits, and the letters and signs some PBXs put in extension
 * names, up to usuarios.ramal's 20. Written in @integrador/jobs (its payload schemas check it; cti depends on jobs),
 * exported here. Every entry point reads what it was given with `ramalOf` first.
 */
export { RAMAL_MAX_LENGTH, RAMAL_PATTERN };

const RAMAL = new RegExp(RAMAL_PATTERN);

/** Whether a value is a ramal as stored and compared (`ramalOf`'s result): nothing to trim, no channel form. */
function isRamal(value: string): boolean {
  return RAMAL.test(value);
}

/**
 * An Asterisk channel naming an extension, as a dialplan passes ${CHANNEL} or a dial string where a bare extension is
 * expected (and the caller id form normalizePhone reads). Only Asterisk's own suffix is dropped, so an extension name
 * holding a `-` (`SIP-200`, which the ramal rule allows) stays whole:
 * - `SIP/201-0000001a`, `PJSIP/201-0000001a`: chan_sip and chan_pjsip name a channel `<tech>/<peer>-%08x`, a `-` and
 *   8 hex digits (docs.asterisk.org: `SIP/george-0000003b`); `SIP/201` (a dial string) has none;
 * - `IAX2/201-5`, `DAHDI/201-1`: a `-` and a decimal call number (`IAX2/%s-%d`), so an IAX2 or DAHDI peer whose own
 *   name ends in `-` and digits cannot be told from its suffix and loses it;
 * - `Local/201@from-internal-00000001;1`: the extension before `@context` (and `;n`, the half of the pair);
 * - `SIP/201@pbx` (a dial string naming the host): the part before `@`.
 */
const CHANNEL = /^(?:(?:PJSIP|SIP)\/([^@;/\s]+?)(?:-[0-9a-f]{8})?|(?:IAX2|DAHDI)\/([^@;/\s]+?)(?:-\d+)?|Local\/([^@;/\s]+))(?:[@;].*)?$/i;

/** The extension a channel names (`SIP/3502` → `3502`), or the text itself when it is not a channel. */
export function channelExtension(text: string): string {
  const channel = CHANNEL.exec(text);
  return channel ? (channel[1] ?? channel[2] ?? channel[3] ?? text) : text;
}

/**
 * The ramal a value given by a PBX, an agent or an operator names, or undefined when it names none: surrounding spaces
 * are dropped (`'201 '`, a padded form field or a `+` left in a URL) and a channel is read for its extension
 * (`PJSIP/201-0000001a` → `201`, `PJSIP/SIP-200-0000001a` → `SIP-200`); what remains must be a ramal (`isRamal`). Without this, `'201 '` or `SIP/201` was
 * refused at the listener (the PBX's call event lost: PBXs do not retry a 400) while the agent's ramal was 201.
 */
export function ramalOf(value: string): string | undefined {
  const ramal = channelExtension(value.replace(/^ +| +$/g, ''));
  return isRamal(ramal) ? ramal : undefined;
}

/** What a ramal takes, for a message naming a refused one. */
export const RAMAL_TAKES = {
  'pt-BR': `até ${RAMAL_MAX_LENGTH} caracteres entre letras, dígitos, *, # e - (o canal do PABX também serve: SIP/201 ou PJSIP/201-0000001a é o ramal 201)`,
  en: `up to ${RAMAL_MAX_LENGTH} letters, digits, *, # or - (the PBX channel will do too: SIP/201 or PJSIP/201-0000001a is extension 201)`,
} as const;
