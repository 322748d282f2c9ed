import { isSecretName } from './mask-secrets';
import { isMaskedName, looksLikeToken, MASK, percentDecoded, slashedPassword } from './shown-url';

/**
 * Query names that carry a credential in URLs though they are no secret word in a field's name (isSecretName): a PBX's
 * or a receiver's `?key=`, `?chave=`, `?auth=`, `?sig=`, `?hash=`. Matched on the whole name and on its last `-`/`_`
 * word (isSecretParameter): `x-key`, `pbx_auth` are credentials, `chave_pedido` and `keyword` stay readable.
 */
const URL_CREDENTIAL_NAME = /^(?:key|chave|auth|sig|signature|hash|hmac|access[-_]?key)$/i;
/** What a form or a PHP array adds after a name (`key[]`, `key[0]`, `key+` read as `key `): trimmed before it is judged. */
const NAME_SUFFIX = /(?:\[[^\]]*\]|\s)+$/;
/** A template's `{placeholder}`, removed before a value is judged: `SIP/{ramal_origem}` reads as `SIP/`. */
const PLACEHOLDER = /\{\w+\}/g;
/** A value that is itself an absolute URL (a callback): its authority and the rest after it. */
const NESTED_URL = /^[a-z][a-z0-9+.-]{0,31}:\/\/([^/?#]*)[^?#]*(?:[?#](.*))?$/is;
/**
 * Query names that carry a person's phone or document (CPF/CNPJ): a CTI listener's `telefone`, an API's `?numero=`,
 * `?cpf=`, `?cnpj=`, `?celular=`, `?cgcCpf=`. Words inside a name: `numero_destino`, `telefone2` are read alike.
 */
const PERSONAL_NAME = /telefone|fone|celular|phone|n[uú]mero|cpf|cnpj|cgc|documento/i;
/**
 * A value that reads as a phone or a CPF/CNPJ whatever its name (a search box's `?q=`): 10 to 14 digits, alone or with
 * a phone's or a document's punctuation (`123.456.789-09`, `11.222.333/0001-81`, `(11) 98765-4321`, `+55 11 …`). A
 * 10-digit timestamp reads so too: a landline with DDD 17 is written alike, and the log keeps its last digits.
 */
const PERSONAL_VALUE = /^\+?[\d\s()./-]+$/;
const PERSONAL_VALUE_DIGITS = { min: 10, max: 14 };
/** How many of a personal value's digits a request log keeps: the last ones, enough to tell two numbers apart. */
const PERSONAL_DIGITS_KEPT = 4;
/** A value a log line shows as is: a plain word, number or list of them (`en`, `1`, `set,get`, `json`), read decoded (strict). */
const PLAIN_VALUE = /^[\w.,-]{0,64}$/;

/** What a caller adds to the rule: values it knows are secrets, and values shown as written whatever they hold. */
export interface SecretQueryOptions {
  /** Decoded values masked wherever they appear (a token the caller put in the URL itself). */
  secrets?: readonly string[];
  /** Values shown as written, not judged (a template's `{placeholder}`). */
  keep?: (value: string) => boolean;
  /**
   * Personal data hidden too (request logs): the value of a phone- or document-named parameter (PERSONAL_NAME), and a
   * value of any name that reads as a phone or a CPF/CNPJ (PERSONAL_VALUE: a search box's `?q=123.456.789-09`), shows
   * *** and at most its last PERSONAL_DIGITS_KEPT digits. Off where the number is the point (the CLI's PBX URL).
   */
  personal?: boolean;
  /**
   * Log lines (request logs): a value that is no plain word or number (PLAIN_VALUE: `João`, `a b`, a callback URL) is
   * masked too, whatever its name. Off where the operator reads their own URL (the CLI's PBX template: `SIP/{ramal}`)
   * and for the values masked out of a PBX's or a receiver's answer: only names and token looks decide there.
   */
  strict?: boolean;
}

/** Whether a decoded query value reads as a phone or a CPF/CNPJ (PERSONAL_VALUE), whatever the parameter's name. */
function looksPersonal(decoded: string): boolean {
  if (!PERSONAL_VALUE.test(decoded)) return false;
  const digits = decoded.replace(/\D/g, '').length;
  return digits >= PERSONAL_VALUE_DIGITS.min && digits <= PERSONAL_VALUE_DIGITS.max;
}

/** A personal value as a request log shows it: *** and its last digits, or as written when it holds no more than those. */
function shownPersonalValue(value: string): string {
  const digits = (decodedQueryText(value) ?? value).replace(/\D/g, '');
  return digits.length <= PERSONAL_DIGITS_KEPT ? value : `${MASK}${digits.slice(-PERSONAL_DIGITS_KEPT)}`;
}

/** A query name or value decoded as a form sends it (`+` is a space); undefined when its escapes are malformed. */
function decodedQueryText(text: string): string | undefined {
  return percentDecoded(text.replace(/\+/g, ' '));
}

/**
 * Whether a query (or `;param`) name makes its value a secret whatever it holds: isSecretName's words, or
 * URL_CREDENTIAL_NAME as the whole name or its last `-`/`_` word; read decoded, a trailing `[]` and spaces trimmed
 * (`key[]`, `key+`, `x-key`, `api-key`).
 */
function isSecretParameter(name: string): boolean {
  const plain = (decodedQueryText(name) ?? name).replace(NAME_SUFFIX, '').trim();
  const lastWord = plain.slice(Math.max(plain.lastIndexOf('-'), plain.lastIndexOf('_')) + 1);
  return isSecretName(plain) || URL_CREDENTIAL_NAME.test(plain) || URL_CREDENTIAL_NAME.test(lastWord);
}

/**
 * Whether a value that is itself an absolute URL (`cb=https://…`, decoded) holds a secret of its own: a userinfo, or a
 * query or fragment pair the same rule masks (`?token=…`). A plain callback URL does not.
 */
function holdsSecretUrl(decoded: string, options: SecretQueryOptions): boolean {
  const nested = NESTED_URL.exec(decoded);
  if (!nested) return false;
  if ((nested[1] ?? '').includes('@') || slashedPassword(decoded) !== undefined) return true;
  return (nested[2] ?? '').split(/[&#]/).some((pair) => {
    const eq = pair.indexOf('=');
    return eq !== -1 && isSecretPairValue(pair.slice(0, eq), pair.slice(eq + 1), options);
  });
}

/**
 * Whether the value of `name=value` (both as written) is masked: never an empty one; always under a masked name
 * (isMaskedName); never a kept one; always under a secret or credential name (isSecretParameter); otherwise when its
 * escapes are malformed, it looks like a token with its `{placeholders}` removed, it is a URL holding a secret
 * (holdsSecretUrl), it is one of the caller's secrets or — log lines only (strict) — it is no plain word or number.
 */
function isSecretPairValue(name: string, value: string, options: SecretQueryOptions): boolean {
  if (value === '') return false;
  if (isMaskedName(name)) return true;
  if (options.keep?.(value)) return false;
  if (isSecretParameter(name)) return true;
  const decoded = decodedQueryText(value);
  if (decoded === undefined) return true;
  if (looksLikeToken(decoded.replace(PLACEHOLDER, '')) || (options.secrets ?? []).includes(decoded)) return true;
  // A phone or CPF/CNPJ written with its punctuation is no unusual value where personal data keeps its last digits.
  if (options.strict === true) return !PLAIN_VALUE.test(decoded) && !(options.personal === true && looksPersonal(decoded));
  return holdsSecretUrl(decoded, options);
}

/**
 * One `name=value` of a query (or a `;param`) with only its secrets masked — the one rule of every view that shows a
 * URL's plain values (request log lines, the CLI's PBX URL, a webhook's echoed secrets): a token-looking or '@' name is
 * *** with its value; the value of a credential-named parameter (`key`, `chave`, `sig`, `hash`, `token`, `senha`,
 * `api_key`…) is ***, whatever it holds; so is a token-looking value, whatever its name, and — log lines only (strict) —
 * an unusual one. `page=2` stays; so does a template's `endpoint=SIP/{ramal_origem}` outside log lines.
 * With `personal` (request logs) a phone or CPF/CNPJ keeps only its last digits, under any name: `telefone=***4321`,
 * `q=***8909`.
 */
export function shownSecretPair(pair: string, options: SecretQueryOptions = {}): string {
  const eq = pair.indexOf('=');
  const name = eq === -1 ? pair : pair.slice(0, eq);
  const shownName = isMaskedName(name) ? MASK : name;
  if (eq === -1) return shownName;
  const value = pair.slice(eq + 1);
  if (isSecretPairValue(name, value, options)) return `${shownName}=${MASK}`;
  const personal =
    options.personal === true && (PERSONAL_NAME.test(decodedQueryText(name) ?? name) || looksPersonal(decodedQueryText(value) ?? value));
  return `${shownName}=${personal ? shownPersonalValue(value) : value}`;
}

/** A query (without its '?') with only its secrets masked, pair by pair (shownSecretPair). */
export function shownSecretQuery(query: string, options: SecretQueryOptions = {}): string {
  return query
    .split('&')
    .map((pair) => shownSecretPair(pair, options))
    .join('&');
}

/**
 * What shownSecretQuery masks in a query (without its '?'), decoded, as a receiver may echo it: the values it masks
 * (not strict: a static `João` or callback URL is no secret, and masking it would cut it out of the answer) and the
 * token-looking names.
 */
export function secretQueryValues(query: string): string[] {
  const found: string[] = [];
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    const name = eq === -1 ? pair : pair.slice(0, eq);
    const value = eq === -1 ? '' : pair.slice(eq + 1);
    if (name !== '' && looksLikeToken(name)) found.push(decodedQueryText(name) ?? name);
    if (isSecretPairValue(name, value, {})) found.push(decodedQueryText(value) ?? value);
  }
  return found;
}
