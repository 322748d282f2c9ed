import type { Locale } from '@integrador/i18n';
import { revealedUrl, slashedPassword } from '@integrador/logging';

/** The placeholders a click-to-call URL template may hold (seed 002: origin and destination), filled by buildPbxRequest. */
export const PBX_PLACEHOLDERS = ['ramal_origem', 'numero_origem', 'numero_destino', 'ramal_destino'] as const;

/** Why a PBX URL template cannot place a call (pbxTemplateProblem). */
export type PbxTemplateProblem =
  | { problem: 'scheme' }
  | { problem: 'credentials' }
  | { problem: 'placeholder'; name: string }
  | { problem: 'no-number' };

/**
 * A placeholder: braces around a name alone (letters, digits, _ and -, so a typo such as {numero-destino} is still
 * named). Other braces are the PBX's own syntax and are sent as written: FreeSWITCH's channel variables
 * `{origination_caller_id_number={ramal_origem}}` (the inner {ramal_origem} is filled), a JSON body's braces.
 */
const BRACED = /\{([\w-]+)\}/g;

/**
 * What is wrong with a PBX URL template, or undefined: not http(s); a user:password written in it (the secret would be
 * stored in the database: basic authentication takes --pbx-auth basic and a ${NOME} secret reference; a password holding
 * a '/' too: slashedPassword, logging's rule — an '@' in the path after a host[:port], a SIP URI's or Asterisk's
 * `{ramal_origem}@from-internal`, is none); a placeholder
 * other than PBX_PLACEHOLDERS (it would be sent as written, braces and all: trial CTI 3, finding 2); none for the
 * dialled number ({numero_destino}: the PBX would be asked to call nothing). Checked when the template is saved and
 * again when it is used, so a row saved before the check fails with this reason instead of a silent wrong call.
 */
export function pbxTemplateProblem(template: string): PbxTemplateProblem | undefined {
  const authority = /^https?:\/\/([^/?#\s]*)/i.exec(template);
  if (!authority || /\s/.test(template)) return { problem: 'scheme' };
  if (authority[1]?.includes('@') || slashedPassword(template) !== undefined) return { problem: 'credentials' };
  const names = [...template.matchAll(BRACED)].map((m) => m[1] ?? '');
  const unknown = names.find((name) => !(PBX_PLACEHOLDERS as readonly string[]).includes(name));
  if (unknown !== undefined) return { problem: 'placeholder', name: `{${unknown}}` };
  if (!names.includes('numero_destino')) return { problem: 'no-number' };
  return undefined;
}

const ALLOWED = PBX_PLACEHOLDERS.map((name) => `{${name}}`).join(', ');

/** A template problem in one language, naming the allowed placeholders (or, for credentials, the secret mechanism). */
export function pbxTemplateMessage(locale: Locale, found: PbxTemplateProblem): string {
  const en = locale === 'en';
  switch (found.problem) {
    case 'scheme':
      return en
        ? 'the PBX URL template must be an http(s) URL without spaces'
        : 'o modelo de URL do PABX deve ser uma URL http(s) sem espaços';
    case 'credentials':
      return en
        ? // biome-ignore lint/suspicious/noTemplateCurlyInString: the ${NOME} reference an operator types
          "the PBX URL must not hold a user or password (it would be stored in the database): use --pbx-auth basic --pbx-user <user> --pbx-secret '${NOME}' and set CTI_SECRET_<empresaId>_NOME on worker-cti"
        : // biome-ignore lint/suspicious/noTemplateCurlyInString: the ${NOME} reference an operator types
          "a URL do PABX não pode conter usuário ou senha (ficariam gravados no banco): use --pbx-auth basic --pbx-user <usuário> --pbx-secret '${NOME}' e defina CTI_SECRET_<empresaId>_NOME no worker-cti";
    case 'placeholder':
      return en
        ? `the PBX URL template has an unknown placeholder ${found.name}; the allowed placeholders are ${ALLOWED}`
        : `o modelo de URL do PABX tem um marcador desconhecido, ${found.name}; os marcadores aceitos são ${ALLOWED}`;
    case 'no-number':
      return en
        ? `the PBX URL template has no {numero_destino} (the number to dial); the allowed placeholders are ${ALLOWED}`
        : `o modelo de URL do PABX não tem {numero_destino} (o número a discar); os marcadores aceitos são ${ALLOWED}`;
  }
}

/**
 * A PBX URL (a template, or a request's URL) as the CLI shows it to the operator who configured it: the placeholders,
 * values made of them (`endpoint=SIP/{ramal_origem}`, FreeSWITCH's `{origination_caller_id_number=…}`) and the numbers
 * as written, only secrets masked (revealedUrl, the one rule of logging without its log-line unusual-value clause: a
 * user:password — a password holding '@' too —, token-looking path segments, the values of secret-named or
 * token-looking query parameters) and any of `secrets` (the token of token_url). shownUrl, which masks every query value, stays for logs and errors: it hid
 * a wrong template from the one person who could fix it (trial CTI 3, finding 2).
 */
export function revealedPbxUrl(url: string, secrets: readonly string[] = []): string {
  return revealedUrl(url, { secrets, keep: (value) => /^\{\w+\}$/.test(value) });
}
