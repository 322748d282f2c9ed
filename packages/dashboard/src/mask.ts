import { isSecretName, maskSecretsInText, maskUrlsInText, SECRET_MASK, shownUrl } from '@integrador/logging';
import { recordParameters, withoutConnectionsFileDetail } from '@integrador/store';

/**
 * Masks secrets in a stored request or response before an operator sees it (maskSecretsInText: URLs, secret-named
 * elements and fields). The transports already redact what they store; this second pass covers older rows and
 * receptors that echo a credential back.
 */
export function maskSecrets(text: string | null | undefined): string {
  return text ? maskSecretsInText(text) : '';
}

/**
 * A value serialised with its secrets masked value by value, so it stays JSON — the one rule of the preview
 * (maskedJson) and of a stored JSON text (maskJsonText): a secret-named field's value is masked whole, whatever it is
 * (a string, a number such as `senha: 123456`, a boolean, an object or a list under the name; null stays null: there
 * is nothing to hide); any other string as a free text (a URL inside it then ends at its own end, not at a JSON
 * escape). A replacer, not a copy: a Date or a Buffer is serialised by its own toJSON first, then its strings masked.
 */
function secretsMaskedJson(value: unknown, space?: number): string {
  const shown = JSON.stringify(
    value,
    (key, item: unknown) => {
      if (key !== '' && item !== null && isSecretName(key)) return SECRET_MASK;
      return typeof item === 'string' ? maskSecrets(item) : item;
    },
    space,
  ) as string | undefined;
  return shown ?? '';
}

/** A stored value (a preview's request, a record) as indented JSON, its secrets masked (secretsMaskedJson). */
export function maskedJson(value: unknown): string {
  return secretsMaskedJson(value, 2);
}

/**
 * A stored URL as an operator sees it (shownUrl: query values masked, no userinfo or fragment). The engine stores URLs
 * that way already; rows written before it did still hold the full URL.
 */
export function maskUrl<T extends string | null | undefined>(url: T): T {
  return (url ? shownUrl(url) : url) as T;
}

/**
 * Every URL inside a stored free text (an error message, a job log line) with its secret parts masked by the same rule
 * (maskUrlsInText): a URL with nothing secret, and the text around it, stay exactly as stored.
 */
export function maskUrlsIn<T extends string | null | undefined>(text: T): T {
  return (text ? maskUrlsInText(text) : text) as T;
}

/**
 * A stored error message (registro_jobs.erro_mensagem, BullMQ's failedReason) as an operator or a key sees it: URLs
 * masked and, as in a stored request, secret-named fields (a receptor's refusal may quote the body it was sent); an
 * old connection failure without the connections file's path and other customers' names (withoutConnectionsFileDetail).
 * null stays null.
 */
export function maskMessage<T extends string | null | undefined>(text: T): T {
  return (text ? maskSecrets(withoutConnectionsFileDetail(text)) : text) as T;
}

/**
 * A stored JSON text (registro_jobs.parametros) with its secrets masked value by value (secretsMaskedJson), so it stays
 * JSON: a text rule run over the whole text could eat its closing braces (a value cut inside `<senha>…` masks to the end
 * of the text). Text that is not JSON: as a message.
 */
export function maskJsonText<T extends string | null | undefined>(text: T): T {
  if (!text) return text;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return maskMessage(text);
  }
  return secretsMaskedJson(value) as T;
}

/** A `name=value` of a search text (`nome #id k=v … erro`), its value up to the next space; the name bounded (linear). */
const SEARCH_PAIR = /(^|\s)([\w.[\]-]{1,80})=(\S+)/g;

/**
 * A stored search text (registro_jobs.busca) as the dashboard answers it. A row written before the store masked every
 * secret-named parameter whatever its type holds `senha=918273` or `token={"valor":…}`, which no text rule reads: the
 * value of each secret-named parameter the row's parametros still holds is masked as it was written (lower-cased, a
 * value with spaces whole), then every secret-named `name=value` up to the next space; then as a message.
 */
function maskSearchText(busca: string | null, parametros: string | null): string | null {
  if (!busca) return busca;
  let text = busca;
  for (const [name, value] of Object.entries(recordParameters(parametros).key)) {
    if (value === null || value === SECRET_MASK || !isSecretName(name)) continue;
    const written = `${name}=${typeof value === 'string' ? value : JSON.stringify(value)}`.toLowerCase();
    text = text.split(written).join(`${name.toLowerCase()}=${SECRET_MASK}`);
  }
  text = text.replace(SEARCH_PAIR, (pair, before: string, name: string) => (isSecretName(name) ? `${before}${name}=${SECRET_MASK}` : pair));
  return maskMessage(text);
}

/**
 * A job record as the dashboard answers it: its message masked (maskMessage), its search text (busca, the message
 * lower-cased among other things: maskSearchText) and its parameters (parametros: the job's key values and its
 * failure's, an HTTP_ERROR's detail quoting the endpoint's answer) too — the API hands them to scripts. busca and the
 * failure's values are masked when they are written (@integrador/store, @integrador/queue); rows written before that
 * are masked here.
 */
export function maskRecord<R extends { erro_mensagem: string | null; busca: string | null; parametros: string | null }>(record: R): R {
  return {
    ...record,
    erro_mensagem: maskMessage(record.erro_mensagem),
    busca: maskSearchText(record.busca, record.parametros),
    parametros: maskJsonText(record.parametros),
  };
}
