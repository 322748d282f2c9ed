import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { channelExtension } from '../ramal';

/** What a PBX's or a CRM record's phone text turned out to be. */
export type NormalizedPhone =
  /** As short as a ramal: an internal extension, kept as its digits. */
  | { kind: 'ramal'; digits: string; key: string }
  /** A Brazilian number with its DDD: E.164, DDD and the matching keys. */
  | { kind: 'nacional'; digits: string; e164: string; ddd: string; national: string; keyDdd: string; key8: string; key: string }
  /** A valid number of another country (its +, 00 + country code, or 00 + carrier code + country code): E.164, matched as is. */
  | { kind: 'internacional'; digits: string; e164: string; key: string }
  /** 8 or 9 digits without a DDD: only the last-8 key matches. */
  | { kind: 'local'; digits: string; key8: string; key: string }
  /** Nothing a phone index can use (empty, too short to be a number but longer than a ramal, a foreign number…). */
  | { kind: 'invalido'; digits: string; key: string };

/** A tenant's ramal length when its CTI settings set none (cti_configuracoes.tamanho_ramal's default). */
export const DEFAULT_RAMAL_LENGTH = 4;

/**
 * The words PBXs and carriers send for a withheld caller id (Asterisk's "anonymous", SIP's "Anonymous", "private",
 * "restricted", "unknown", "unavailable", Brazilian "Privado", "Restrito", "Desconhecido"…): with an empty telefone,
 * the caller is "número privado" on the screen pop. Accents and case are ignored.
 */
const WITHHELD = new Set([
  'anonymous',
  'anonimo',
  'private',
  'privado',
  'numero privado',
  'restricted',
  'restrito',
  'unknown',
  'desconhecido',
  'unavailable',
  'indisponivel',
  'withheld',
]);

/** What the call log keeps as the telefone of a call whose PBX sent it empty or left it out (Asterisk's own word). */
export const WITHHELD_TELEFONE = 'anonymous';

/** True when a PBX's telefone says the caller id was withheld: empty, or one of the WITHHELD words. */
export function isWithheldCaller(raw: string | null | undefined): boolean {
  const text = String(raw ?? '')
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .trim()
    .toLowerCase();
  return text === '' || WITHHELD.has(text);
}

export interface NormalizeOptions {
  /** Numbers with at most this many digits are extensions (the tenant's ramal length; default DEFAULT_RAMAL_LENGTH). */
  ramalLength?: number;
}

/** The text of an extension: digits, spaces and the signs a dial string holds (click-to-call's number reads it too). */
export const EXTENSION_TEXT = /^[\d\s().*#-]+$/;

const last8 = (national: string) => national.slice(-8);

/**
 * The number a PBX's caller id names: Asterisk sends a display name before it ('"Recepcao" <3502>', 'Recepcao <3502>',
 * '<sip:3502@pbx>') or the channel ('SIP/3502', 'PJSIP/3502-0000001a'); the text itself otherwise.
 */
function dialled(text: string): string {
  const inner = /^(?:"[^"]*"|[^"<>]*)\s*<([^<>]+)>$/.exec(text)?.[1]?.trim() ?? text;
  const uri = /^sips?:([^@;]+)(?:[@;].*)?$/i.exec(inner)?.[1] ?? inner;
  return channelExtension(uri);
}

/**
 * '00' + a country code other than Brazil's, read as that country's '+': the international prefix of most of the world,
 * as PBXs write an incoming foreign caller id. Brazil itself dials abroad with 00 + a carrier code (CSP: 21 Embratel,
 * 14, 15, 31, 41, 43…) + the country code, which libphonenumber-js's BR metadata reads (parseForeign with region BR).
 */
const INTERNATIONAL_PREFIX = /^00(?!55)[1-9]/;

function fromNational(digits: string, national: string): NormalizedPhone {
  const ddd = national.slice(0, 2);
  const keyDdd = `${ddd}${last8(national)}`;
  return { kind: 'nacional', digits, e164: `+55${national}`, ddd, national, keyDdd, key8: last8(national), key: keyDdd };
}

/** libphonenumber-js with full metadata: a valid Brazilian number, or undefined. */
function parseBrazilian(text: string): string | undefined {
  const parsed = parsePhoneNumberFromString(text, 'BR');
  if (!parsed?.isValid() || parsed.countryCallingCode !== '55') return undefined;
  return parsed.nationalNumber;
}

/**
 * A valid number of a country other than Brazil in E.164, or undefined. With region BR, libphonenumber-js strips
 * Brazil's international prefix, carrier code included (00 + CSP), and keeps no carrier code in the number.
 */
function parseForeign(text: string, region?: 'BR'): string | undefined {
  const parsed = parsePhoneNumberFromString(text, region);
  return parsed?.isValid() && parsed.countryCallingCode !== '55' ? parsed.number : undefined;
}

/**
 * A number of another country, in E.164, that no Brazilian reading can take: written with its '+', or dialled the
 * Brazilian way, '00' + carrier code + country code ('0021 1 212 555 0100'). When that and the '00' + country code
 * reading are both valid ('0043 1 212 555 0100': Vienna, or New York through Sercomtel's 43), the carrier-code one wins:
 * a Brazilian PBX user dials abroad with a carrier code, and a country's number that stays valid behind two more digits
 * is rare, while open numbering plans (Austria's, Finland's…) read many a carrier-coded number as their own.
 */
function international(text: string, digits: string): string | undefined {
  if (text.startsWith('+')) return parseForeign(`+${digits}`);
  return digits.startsWith('00') ? parseForeign(digits, 'BR') : undefined;
}

/**
 * '00' + a country code, read as that country's '+' ('0041 44 668 1800' is Switzerland's), once the national readings
 * failed: for a Brazilian company domestic calls dominate, and PBXs present a national caller id as outside-line 0 +
 * trunk 0 + DDD, whose DDD is often a country code too ('0047 3322 9900': Joinville's, not Norway's).
 */
function internationalPlain(text: string, digits: string): string | undefined {
  return !text.startsWith('+') && INTERNATIONAL_PREFIX.test(digits) ? parseForeign(`+${digits.slice(2)}`) : undefined;
}

/** 10 digits whose subscriber part starts 6–9: a mobile written before the ninth digit (2012–2016) — insert it. */
function legacyMobile(national: string): string | undefined {
  if (national.length !== 10 || !/^[1-9][1-9][6-9]/.test(national)) return undefined;
  return `${national.slice(0, 2)}9${national.slice(2)}`;
}

/**
 * Normalises a phone as PBXs send it and CRMs store it (seed 002: "DDD + número", but also +55, 0 + carrier code,
 * a leading outside-line digit, punctuation, pre-2016 8-digit mobiles). Keys: DDD + last 8 digits, or the last 8
 * alone when there is no DDD — the ninth digit was prepended, so the last 8 are the same in old and new forms.
 */
export function normalizePhone(raw: string | null | undefined, options: NormalizeOptions = {}): NormalizedPhone {
  const text = dialled(String(raw ?? '').trim());
  let digits = text.replace(/\D/g, '');
  const ramalLength = options.ramalLength ?? DEFAULT_RAMAL_LENGTH;
  if (digits.length === 0) return { kind: 'invalido', digits, key: '' };
  if (digits.length <= ramalLength && !text.startsWith('+')) {
    // An extension is written with digits (and dialling signs) only: words or markup holding a digit or two
    // ('<script>1</script>', a broken escape '%E0%A4%A') are no number at all, not extension 1.
    return EXTENSION_TEXT.test(text) ? { kind: 'ramal', digits, key: `r${digits}` } : { kind: 'invalido', digits, key: digits };
  }
  // "00 55 …" / "0 55 …" (international prefix to Brazil): libphonenumber would read the 55 as a carrier code.
  if (/^0{1,2}55\d{10,11}$/.test(digits)) digits = digits.replace(/^0{1,2}55/, '');
  // '+1 212 555 1234', '0021 1 212 555 1234': a valid number of another country keeps its + (E.164), so it can be
  // shown and dialled as such; before the local rule: '+376 312 345' (Andorra) has 9 digits but is no number without
  // a DDD.
  const foreign = international(text, digits);
  if (foreign) return { kind: 'internacional', digits, e164: foreign, key: foreign };
  const national = nationalReading(text, digits);
  if (national) return national;
  // '00' + country code only after the national readings: '00' + DDD (outside-line 0 + trunk 0) is national when valid.
  const plain = internationalPlain(text, digits);
  if (plain) return { kind: 'internacional', digits, e164: plain, key: plain };
  if (digits.length === 8 || digits.length === 9) return { kind: 'local', digits, key8: last8(digits), key: last8(digits) };
  return { kind: 'invalido', digits, key: digits };
}

/** The Brazilian number the digits name: as sent, without an outside-line digit, or a pre-2016 mobile. */
function nationalReading(text: string, digits: string): NormalizedPhone | undefined {
  const candidates = [text.startsWith('+') ? `+${digits}` : digits];
  // A leading outside-line digit (0 or 9 on most PBXs) before a number that is complete without it.
  if (!text.startsWith('+') && digits.length >= 11) candidates.push(digits.slice(1));
  for (const candidate of candidates) {
    const national = parseBrazilian(candidate);
    if (national) return fromNational(digits, national);
  }
  for (const candidate of candidates) {
    const plain = candidate.replace(/^\+?55(?=\d{10}$)/, '').replace(/^0(?=\d{10}$)/, '');
    const mobile = legacyMobile(plain);
    if (mobile && parseBrazilian(mobile)) return fromNational(digits, mobile);
  }
  return undefined;
}
