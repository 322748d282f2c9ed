import { defineCatalogue, type Locale } from '@integrador/i18n';
import { ANSWERED_ELSEWHERE, type CallStatus, EXTENSION_EXPIRED, REPEATED_START, RING_EXPIRED, TRANSFERRED } from './call-log.repository';

/**
 * Why the hub, not the PBX, ended a call: the statuses its sweep writes, worded for the call log's readers (API
 * `motivo`, dashboard). The status itself stays the stored pt-BR word, as seed 002's call log has it.
 */
const REASONS = defineCatalogue({
  [RING_EXPIRED]: {
    'pt-BR':
      'encerrada pelo hub: tocou além de CTI_RING_TIMEOUT_MS sem a central enviar o fim da ligação; um fim que chegar depois é registrado como ligação à parte, sem início',
    en: 'ended by the hub: it rang past CTI_RING_TIMEOUT_MS without the PBX sending the end of the call; an end that comes later is logged as a call of its own, without a start',
  },
  [EXTENSION_EXPIRED]: {
    'pt-BR':
      'encerrada pelo hub: ligação para um ramal interno ainda em andamento após CTI_EXTENSION_CALL_TIMEOUT_MS; a central não envia o fim de ligações entre ramais',
    en: 'ended by the hub: a call to an internal extension still in progress after CTI_EXTENSION_CALL_TIMEOUT_MS; the PBX sends no end for calls between extensions',
  },
  [TRANSFERRED]: {
    'pt-BR': 'encerrada pelo hub: a ligação foi transferida — o fim chegou por outro ramal, onde a ligação está registrada',
    en: 'ended by the hub: the call was transferred — its end came from another ramal, where the call is logged',
  },
  [ANSWERED_ELSEWHERE]: {
    'pt-BR':
      'encerrada pelo hub: tocou junto com outros ramais (grupo de toque) e a ligação foi atendida em outro ramal, onde está registrada; a central não enviou o fim deste ramal',
    en: 'ended by the hub: it rang together with other ramais (a ring group) and the call was answered on another ramal, where it is logged; the PBX sent no end for this ramal',
  },
  [REPEATED_START]: {
    'pt-BR':
      'encerrada pelo hub: a central enviou um novo início do mesmo número neste ramal enquanto esta ainda tocava (início reenviado, ou o cliente ligou de novo); a ligação segue no registro mais recente',
    en: 'ended by the hub: the PBX sent a new start of the same number on this ramal while this one was still ringing (a start sent again, or the caller rang again); the call goes on in the newer row',
  },
  'sem fim recebido': {
    'pt-BR': 'encerrada pelo hub: ficou aberta além de CTI_CALL_TIMEOUT_MS sem a central enviar o fim da ligação',
    en: 'ended by the hub: it stayed open past CTI_CALL_TIMEOUT_MS without the PBX sending the end of the call',
  },
});

/** Why a call has this status, when the hub ended it (not the PBX); null for every other status. */
export function callStatusReason(locale: Locale, status: string | null): string | null {
  return status !== null && REASONS.has(status) ? REASONS.message(locale, status) : null;
}

/**
 * A failed click-to-call's reason as its tenant reads it (GET /v1/cti/calls' `motivo`), where it differs from the
 * operators' (the failure catalogue): a tenant cannot set the hub's environment, so it is told whom to ask.
 */
const TENANT_FAILURE_REASONS = defineCatalogue({
  PBX_SECRET_MISSING: {
    'pt-BR':
      'o segredo do PABX desta empresa não está definido no hub, e nada foi enviado ao PABX: peça ao operador do hub que defina {variavel}',
    en: "this empresa's PBX secret is not set on the hub, and nothing was sent to the PBX: ask the hub's operator to set {variavel}",
  },
});

/** The tenant's wording of a click-to-call failure with its values, or undefined where the operators' applies. */
export function tenantFailureReason(
  locale: Locale,
  code: string | null,
  params: Readonly<Record<string, string | number>> | null,
): string | undefined {
  if (!code || !params || !TENANT_FAILURE_REASONS.has(code)) return undefined;
  const text = TENANT_FAILURE_REASONS.message(locale, code, params);
  return /\{\w+\}/.test(text) ? undefined : text;
}

/**
 * Each stored status (pt-BR, seed 002) as a reader of each language reads it: one table per language, each keyed by
 * every CallStatus, so a status added to the type and missing from a language fails to compile. The dashboard's call
 * log and the CLI's `cti calls` both word statuses here.
 */
const CALL_STATUS_WORDS: Record<Locale, Record<CallStatus, string>> = {
  'pt-BR': {
    tocando: 'tocando',
    'em andamento': 'em andamento',
    finalizada: 'finalizada',
    'sem fim recebido': 'sem fim recebido',
    [RING_EXPIRED]: 'não atendida',
    [EXTENSION_EXPIRED]: 'ramal sem fim',
    [TRANSFERRED]: 'transferida',
    [ANSWERED_ELSEWHERE]: 'outro ramal atendeu',
    [REPEATED_START]: 'início repetido',
    discando: 'discando',
    falhou: 'falhou',
  },
  en: {
    tocando: 'ringing',
    'em andamento': 'in progress',
    finalizada: 'ended',
    'sem fim recebido': 'no end received',
    [RING_EXPIRED]: 'unanswered',
    [EXTENSION_EXPIRED]: 'extension, no end',
    [TRANSFERRED]: 'transferred',
    [ANSWERED_ELSEWHERE]: 'answered on another ramal',
    [REPEATED_START]: 'start repeated',
    discando: 'dialing',
    falhou: 'failed',
  },
};

/** A stored ligacoes.status in the reader's language; a value the hub does not write, as it is (null: empty). */
export function callStatusWord(locale: Locale, status: string | null): string {
  if (status === null) return '';
  const words: Record<string, string> = CALL_STATUS_WORDS[locale];
  return Object.hasOwn(words, status) ? (words[status] as string) : status;
}
