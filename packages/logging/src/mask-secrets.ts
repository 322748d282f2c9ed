import { MASK, maskUrlsInText } from './shown-url';

/**
 * Words that make a name's value a secret wherever it appears (SOAP elements, JSON keys, query strings): a name holding
 * one (`access_token`, `client_secret`, `x-api-key`, `refreshToken`, `senhaErp`, `password`), as the logger's redaction
 * reads keys — but not `secretaria` (a department) — or the bare name `pass`. The Portuguese names too: `senha`,
 * `segredo`, `credencial`/`credenciais` (not `credenciado`, `credenciadora`: an accredited partner, a card acquirer),
 * `chave_api`/`chaveDaApi`/`apiChave` and `chave_privada` (not `chave_pedido`, nor `chave_acesso`: an NF-e's public key).
 */
const SECRET_WORDS =
  'senha|passw|pwd|token|secret(?!ari)|segredo|api[-_]?key|authorization|credential|credencia(?:l|is)|chave[-_]?(?:da[-_]?)?api|api[-_]?chave|chave[-_]?privada|private[-_]?key|cookie';
/** Bounded on both sides of the word, so a long run of name characters costs linear time. */
const SECRET_NAMES = `pass|[\\w.-]{0,40}?(?:${SECRET_WORDS})[\\w.-]{0,40}`;

const SECRET_NAME = new RegExp(`^(?:${SECRET_NAMES})$`, 'i');

/** Whether a field's name makes its value a secret, by the rule the text masking reads names with (SECRET_WORDS). */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** What an operator sees in place of a secret element's or a JSON field's value. */
export const SECRET_MASK = '••••••';

// Each rule also takes a value cut by the end of the text (a message truncated to a column's size may end inside
// `{"senha":"su`): the part that is there is a secret's prefix all the same.
/**
 * A secret element's attributes end at the first '>', or at the '>' after one '<' inside them (`<senha a="x<y">`: a
 * tag cut at a '<' still has its text masked, up to the next tag): every scan stops at the next '<' or '>', so a text
 * of many unclosed `<senha a` tags costs linear time, not a scan to the end per tag.
 */
const XML_ELEMENT = new RegExp(`<((?:[\\w.-]+:)?(?:${SECRET_NAMES}))(\\s[^<>]*(?:<[^<>]*)?)?>[^<]*(</\\1>|<[^>]*$|$)`, 'gi');
const JSON_FIELD = new RegExp(`("(?:${SECRET_NAMES})"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*(?:"|\\\\?$)`, 'gi');
/**
 * The same field inside a JSON text that was itself put in a JSON string (a job log line whose error quotes the body it
 * was refused: quotes escaped once, `\\"senha\\":\\"x\\"`). The value ends at the next escaped quote that is not its own
 * escaped quote (three backslashes and a quote), or at the end of the text.
 */
const ESCAPED_JSON_FIELD = new RegExp(String.raw`(\\"(?:${SECRET_NAMES})\\"\s*:\s*)\\"(?:\\\\\\"|\\\\|[^"\\]|\\[^"\\])*(?:\\"|\\?$)`, 'gi');
/** A secret-named field of a form body or a link without a scheme, which the URL rule (maskUrlsInText) does not see. */
const QUERY_FIELD = new RegExp(`([?&](?:${SECRET_NAMES})=)[^&\\s"'<\\\\]*`, 'gi');

/**
 * Masks the secrets inside a free text (an error message, a stored request or response, a job log line): every URL as
 * maskUrlsInText shows it, then the values of secret-named XML elements, JSON fields and form fields. A receptor's
 * refusal may quote the body it was sent, password included.
 */
export function maskSecretsInText(text: string): string {
  return maskUrlsInText(text)
    .replace(
      XML_ELEMENT,
      // A closed element keeps its closing tag; a cut one ends at the mask.
      (_m, tag: string, attrs: string | undefined, end: string) => `<${tag}${attrs ?? ''}>${SECRET_MASK}${end.endsWith('>') ? end : ''}`,
    )
    .replace(JSON_FIELD, `$1"${SECRET_MASK}"`)
    .replace(ESCAPED_JSON_FIELD, `$1\\"${SECRET_MASK}\\"`)
    .replace(QUERY_FIELD, `$1${MASK}`);
}
