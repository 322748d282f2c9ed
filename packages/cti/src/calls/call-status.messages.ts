import { defineCatalogue, type Locale } from '@integrador/i18n';
import { EXTENSION_EXPIRED, RING_EXPIRED } from './call-log.repository';

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
  'sem fim recebido': {
    'pt-BR': 'encerrada pelo hub: ficou aberta além de CTI_CALL_TIMEOUT_MS sem a central enviar o fim da ligação',
    en: 'ended by the hub: it stayed open past CTI_CALL_TIMEOUT_MS without the PBX sending the end of the call',
  },
});

/** Why a call has this status, when the hub ended it (not the PBX); null for every other status. */
export function callStatusReason(locale: Locale, status: string | null): string | null {
  return status !== null && REASONS.has(status) ? REASONS.message(locale, status) : null;
}
