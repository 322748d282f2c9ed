import type { Locale } from '@integrador/i18n';
import { addressRangeText, isAlwaysRefusedRangeName } from './address-ranges';
import { isLoopbackRange } from './outbound-address';

// A refusal of the outbound guard is a configuration fault on the hub's side, not the receiver's: what the operator
// reads must name the setting that opens the address (or say none does), for the range the guard refused.
const OPENINGS = {
  loopback: {
    'pt-BR':
      'um endereço da própria máquina do hub só é alcançado com allowPrivateNetwork: true na conexão (ou permitir_rede_privada do serviço) e OUTBOUND_ALLOW_LOOPBACK=true nos workers (o caminho previsto para um sidecar, túnel ou PgBouncer local)',
    en: "an address of the hub's own machine is reached only with allowPrivateNetwork: true on the connection (or the service's permitir_rede_privada) and OUTBOUND_ALLOW_LOOPBACK=true on the workers (the sanctioned way for a local sidecar, tunnel or PgBouncer)",
  },
  never: {
    'pt-BR': 'nenhuma configuração abre esse endereço (é onde nuvens servem metadados e credenciais da máquina)',
    en: "no setting opens it (it is where clouds serve a machine's metadata and credentials)",
  },
  private: {
    'pt-BR': 'ele é alcançado com allowPrivateNetwork: true na conexão (ou permitir_rede_privada do serviço)',
    en: "it is reached with allowPrivateNetwork: true on the connection (or the service's permitir_rede_privada)",
  },
} as const satisfies Record<string, Record<Locale, string>>;

/** Which setting opens an address of this range (OutboundAddressError's `range`) to a connection, in the reader's words. */
export function guardOpeningText(locale: Locale, range: string): string {
  const kind = isAlwaysRefusedRangeName(range) ? 'never' : isLoopbackRange(range) ? 'loopback' : 'private';
  return OPENINGS[kind][locale];
}

/** A guard refusal's `range` as a message names it: the range in the reader's words and the setting that opens it. */
export function guardRefusalValues(locale: Locale, range: string): { range: string; opening: string } {
  return { range: addressRangeText(locale, range), opening: guardOpeningText(locale, range) };
}
