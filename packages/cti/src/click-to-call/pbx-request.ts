import { shownUrl } from '@integrador/connections';
import { urlSecretValues } from '@integrador/logging';
import { authorizationForms } from '@integrador/transports';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { CtiError } from '../cti-error';
import { type NormalizedPhone, normalizePhone } from '../phone/normalize-phone';
import type { CtiSettings } from '../settings/cti-settings.repository';
import { PBX_PLACEHOLDERS, pbxTemplateMessage, pbxTemplateProblem, revealedPbxUrl } from './pbx-template';

/** The request that asks the tenant's PBX to place a call. */
export interface PbxRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  /**
   * The URL as shownUrl gives it (every query value ***, the token_url secret and the numbers too; no userinfo): what
   * logs, errors, the job's result and the CLI may show. The numbers are shown apart (`dialled`).
   */
  shownUrl: string;
  /** The URL as the CLI shows it to the operator (revealedPbxUrl of the template, then filled: the numbers as sent, only secrets masked). */
  revealedUrl: string;
  /** What is dialled: the prefix + DDD + number for an external number, the digits of an extension. */
  dialled: string;
  interno: boolean;
  /**
   * The secret forms this request carries, which the PBX's answer may echo: the token of token_url, the Basic header with
   * its base64, user:password and password, the auth header's value, and every query value the template writes out
   * itself (a static ?senha= or ?key=; the numbers it fills in are not secret).
   */
  secrets: string[];
}

const SECRET_REF = /^\$\{([A-Z][A-Z0-9_]{0,63})\}$/;

/** The environment variable a tenant's PBX secret reference names: CTI_SECRET_<empresaId>_<NOME> (a tenant reaches only its own). */
export function pbxSecretVariable(empresaId: number, ref: string | null): string | undefined {
  const name = SECRET_REF.exec(ref ?? '')?.[1];
  return name ? `CTI_SECRET_${empresaId}_${name}` : undefined;
}

function resolveSecret(settings: CtiSettings, env: Readonly<Record<string, string | undefined>>): string {
  const variable = pbxSecretVariable(settings.empresaId, settings.pbx.secretRef);
  if (!variable)
    throw new CtiError(
      'PBX_SECRET_REF_INVALID',
      true,
      `the PBX secret must be a \${NOME} reference, got "${settings.pbx.secretRef ?? ''}"`,
    );
  const secret = env[variable];
  // The variable's name travels as a value: the failure catalogue words it in the reader's language (never the secret).
  if (!secret) {
    throw new CtiError('PBX_SECRET_MISSING', true, `the PBX secret is not set: define the environment variable ${variable}`, undefined, {
      variavel: variable,
    });
  }
  return secret;
}

/** Non-geographic numbers dialled with their leading 0 inside Brazil: 0800 (toll free), 0300 (shared cost), 0500 / 0900. */
const DIALLED_WITH_ZERO = new Set(['TOLL_FREE', 'SHARED_COST', 'PREMIUM_RATE']);

/**
 * The number as it is dialled inside Brazil, before the prefix: DDD + number for a geographic or mobile number (its
 * national number), but 0800 / 0300 / 0500 / 0900 numbers keep their 0 — their national number (800…) dialled without
 * it is no number at all (seed 002: the prefix goes before every number except internal extensions, as they are
 * dialled). 4004 / 3003 numbers have no 0 and stay as they are.
 */
function nationalDialling(e164: string, national: string): string {
  const parsed = parsePhoneNumberFromString(e164, 'BR');
  const type = parsed?.getType();
  return parsed && type && DIALLED_WITH_ZERO.has(type) ? parsed.format('NATIONAL').replace(/\D/g, '') : national;
}

/**
 * A number of another country as it is dialled from Brazil, before the prefix: the international prefix 00, then the
 * country code and the number (E.164 without its +). The carrier code (CSP) that Brazilian carriers put between 00
 * and the country code is the PBX's outbound route's to add, as for national long-distance calls.
 */
function internationalDialling(e164: string): string {
  return `00${e164.slice(1)}`;
}

/**
 * The number as the PBX is asked to dial it, before the dial prefix: DDD + number (0800… with its 0) for a Brazilian
 * number, 00 + country code + number for another country's, the digits of an extension or of a local number. Two texts
 * of one number give one string ("(11) 3456-7890" and "1134567890"); a landline and a mobile that share the caller
 * lookup key (DDD + last 8 digits: 11 3456-7890, 11 9 3456-7890) give two. Click-to-call dedupes on it.
 */
export function dialledNumber(phone: NormalizedPhone): string {
  if (phone.kind === 'nacional') return nationalDialling(phone.e164, phone.national);
  if (phone.kind === 'internacional') return internationalDialling(phone.e164);
  return phone.digits;
}

/**
 * Builds the click-to-call request from the tenant's template (seed 002: the integrator's listener URL with origin
 * and destination parameters). The dial prefix goes before every number except internal extensions.
 */
export function buildPbxRequest(
  settings: CtiSettings,
  call: { ramal: string; numero: string },
  env: Readonly<Record<string, string | undefined>>,
): PbxRequest {
  const template = settings.pbx.urlTemplate;
  if (!template) throw new CtiError('CTI_NOT_CONFIGURED', true, 'click-to-call is not configured for this empresa (no PBX URL template)');
  checkPbxTemplate(template);
  const phone = normalizePhone(call.numero, { ramalLength: settings.ramalLength });
  if (phone.kind === 'invalido') throw new CtiError('CTI_INVALID_NUMBER', true, `"${call.numero}" is not a number that can be dialled`);
  const interno = phone.kind === 'ramal';
  const number = dialledNumber(phone);
  const dialled = interno ? number : `${settings.dialPrefix}${number}`;
  const values: Record<string, string> = {
    ramal_origem: call.ramal,
    numero_origem: call.ramal,
    numero_destino: dialled,
    ramal_destino: interno ? number : '',
  };
  // A key or password written in the template's own query (?senha=…, ?token=…) is a secret the PBX may echo too.
  const secrets: string[] = staticSecretValues(template);
  const fill = (text: string) => text.replace(new RegExp(PLACEHOLDER.source, 'g'), (_, k: string) => encodeURIComponent(values[k] ?? ''));
  // The template as sent (with token_url's pair): revealed, then filled, so the numbers are shown as dialled and never
  // judged as part of a value (`3501}user/3501 04732100123 XML default` would look like a token).
  let sentTemplate = template;
  const headers: Record<string, string> = {};
  const { auth, user, paramName } = settings.pbx;
  if (auth === 'basic') {
    headers.authorization = `Basic ${Buffer.from(`${user ?? ''}:${resolveSecret(settings, env)}`).toString('base64')}`;
    secrets.push(...authorizationForms(headers.authorization));
  }
  if (auth === 'header') {
    const value = resolveSecret(settings, env);
    headers[(paramName || 'token_auth').toLowerCase()] = value;
    secrets.push(...authorizationForms(value));
  }
  if (auth === 'token_url') {
    const name = encodeURIComponent(paramName || 'token');
    const joiner = template.includes('?') ? '&' : '?';
    const token = resolveSecret(settings, env);
    sentTemplate = `${template}${joiner}${name}=${encodeURIComponent(token)}`;
    secrets.push(token);
  }
  const url = fill(sentTemplate);
  const revealedUrl = fill(revealedPbxUrl(sentTemplate, secrets));
  return { method: settings.pbx.method || 'GET', url, headers, shownUrl: shownUrl(url), revealedUrl, dialled, interno, secrets };
}

const PLACEHOLDER = new RegExp(`\\{(${PBX_PLACEHOLDERS.join('|')})\\}`);

/**
 * Refuses a stored template that cannot place the call it is asked for (pbxTemplateProblem: saved before the check, or
 * written to the table by hand), permanently: PBX_TEMPLATE_INVALID (the failure catalogue words it), the problem in
 * the message. A user:password in a stored URL is not refused here: it places the right call (the transport sends it
 * and masks it), and refusing it would stop a working PBX on upgrade; only saving a new one is refused.
 */
export function checkPbxTemplate(template: string): void {
  const found = pbxTemplateProblem(template);
  if (found && found.problem !== 'credentials') throw new CtiError('PBX_TEMPLATE_INVALID', true, pbxTemplateMessage('en', found));
}

/**
 * The secrets a template writes out itself (no placeholder in them), decoded: its password, token-looking path segments
 * and the values of secret-named or token-looking query parameters (urlSecretValues, the rule the CLI's revealed URL
 * masks by: senha=, token=, key=, a Rubeus-style path token…). Only those: masking every static value (tronco=100)
 * would cut it out of the dialled number and the PBX's answer.
 */
function staticSecretValues(template: string): string[] {
  return urlSecretValues(template).filter((value) => !PLACEHOLDER.test(value));
}
