import { guardRefusalValues } from '@integrador/connections';
import type { Locale } from '@integrador/i18n';
import { jobFailureLabel, jobFailureText } from '@integrador/queue';
import type { FailureParams } from '@integrador/store';
import { endpointFailureText } from './endpoint/endpoint-messages';
import { getConfigFailureText } from './get/get-config-messages';
import { placedFindingText } from './lint-finding';

// A job's failure as a user reads it, in their language. Most codes are worded by the failure catalogue of
// @integrador/queue, the error's message (technical) following as the detail. An endpoint sync's message is the
// engine's own wording, in pt-BR, with the URL and the limit: its record keeps the values (registro_jobs.parametros,
// recordParameters), so the engine words it again in the reader's language. A GET configuration failure (GET_CONFIG)
// keeps its problem and values the same way (get-config-messages.ts): worded whole, no English message after it.

/** The engine's own wording of a failure from its values (an endpoint sync's, a GET or SET configuration's), if it has one. */
function engineWording(locale: Locale, code: string | null | undefined, params: FailureParams | null | undefined): string | undefined {
  if (!code || !params) return undefined;
  return (
    endpointFailureText(locale, code, params) ?? getConfigFailureText(locale, code, params) ?? lintConfigFailureText(locale, code, params)
  );
}

/**
 * A configuration refusal of a lint finding as its record keeps it (admitRun's values: the finding's row, column, code
 * and words in each language): SET_CONFIG, and GET_CONFIG for a GET's key or connection (its settings' refusals keep
 * the GET catalogue's problem instead, worded by getConfigFailureText).
 */
function lintConfigFailureText(locale: Locale, code: string, params: FailureParams): string | undefined {
  const reason = params[locale === 'pt-BR' ? 'motivo' : 'reason'];
  const label = jobFailureLabel(locale, code);
  if ((code !== 'SET_CONFIG' && code !== 'GET_CONFIG') || params.codigo === undefined) return undefined;
  if (typeof reason !== 'string' || label === undefined) return undefined;
  return `${label}: ${placedFindingText(locale, params, reason)}`;
}

/**
 * The failure's values as its reason names them: an outbound-guard range (OUTBOUND_ADDRESS_FORBIDDEN's,
 * PBX_ADDRESS_FORBIDDEN's `range`) in the reader's words, by the one owner of that wording (guardRefusalValues), with the
 * setting that opens it.
 */
function wordedValues(locale: Locale, params: FailureParams | null | undefined): FailureParams | null | undefined {
  return params && typeof params.range === 'string' ? { ...params, ...guardRefusalValues(locale, params.range) } : params;
}

/** The failure's reason in the locale (the dashboard's "motivo"), or undefined for a code nobody words. */
export function failureReason(
  locale: Locale,
  code: string | null | undefined,
  params: FailureParams | null | undefined,
): string | undefined {
  return engineWording(locale, code, params) ?? jobFailureLabel(locale, code, wordedValues(locale, params));
}

/** The failure in one line (the job status, the CLI): the engine's own text, else the catalogue's reason and the message. */
export function failureText(
  locale: Locale,
  code: string | null | undefined,
  params: FailureParams | null | undefined,
  message: string,
): string {
  return engineWording(locale, code, params) ?? jobFailureText(locale, code, message, wordedValues(locale, params));
}
