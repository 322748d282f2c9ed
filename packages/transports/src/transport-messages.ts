import { DEFAULT_LOCALE, defineCatalogue, type Locale, type MessageParams } from '@integrador/i18n';

/** Keys of the transports' own user-facing texts (what the receptor said is shown as it said it). */
export type TransportMessageKey = 'RESPONSE_TOO_LARGE';

const MESSAGES = defineCatalogue<TransportMessageKey>({
  RESPONSE_TOO_LARGE: {
    'pt-BR':
      'a resposta de {url} passa do limite de {limit} (já descompactada): cada nova tentativa receberia a mesma resposta, por isso o envio não é repetido; confira no ERP por que esta operação devolve tanto conteúdo',
    en: 'the answer from {url} is over the {limit} limit (once decoded): every retry would get the same answer, so the request is not sent again; check in the ERP why this operation returns so much',
  },
});

/** A transport text in the locale (pt-BR, the product's language, unless asked otherwise). */
export function transportMessage(key: TransportMessageKey, params: MessageParams, locale: Locale = DEFAULT_LOCALE): string {
  return MESSAGES.message(locale, key, params);
}

/** A byte limit as a person reads it: 16 MiB rather than 16777216. */
export function byteLimit(bytes: number): string {
  return bytes % 1_048_576 === 0 ? `${bytes / 1_048_576} MiB` : `${bytes} bytes`;
}
