import { DEFAULT_LOCALE, defineCatalogue, type Locale, type MessageParams } from '@integrador/i18n';

/** Keys of the transports' own user-facing texts (what the receptor said is shown as it said it). */
export type TransportMessageKey =
  | 'RESPONSE_TOO_LARGE'
  | 'RESPONSE_TOO_LARGE_AFTER_CALL'
  | 'RESPONSE_TOO_LARGE_IN_BATCH'
  | 'CONNECTION_REPLACED'
  | 'TRANSPORTS_CLOSED';

const MESSAGES = defineCatalogue<TransportMessageKey>({
  // Nothing was sent (the WSDL fetch): the receptor has done nothing.
  RESPONSE_TOO_LARGE: {
    'pt-BR':
      'a resposta de {url} passa do limite de {limit} (como recebida ou depois de descompactada): cada nova tentativa receberia a mesma resposta, por isso o pedido não é repetido; confira no ERP por que esta operação devolve tanto conteúdo',
    en: 'the answer from {url} is over the {limit} limit (as received or once decoded): every retry would get the same answer, so the request is not made again; check in the ERP why this operation returns so much',
  },
  // A call the receptor answered: it may have done what was asked, we could not read its answer.
  RESPONSE_TOO_LARGE_AFTER_CALL: {
    'pt-BR':
      'a resposta de {url} passa do limite de {limit} (como recebida ou depois de descompactada) e não pôde ser lida: o ERP pode ter executado a operação; cada nova tentativa receberia a mesma resposta, por isso o envio não é repetido; confira no ERP se a operação foi feita e por que ela devolve tanto conteúdo',
    en: 'the answer from {url} is over the {limit} limit (as received or once decoded) and could not be read: the ERP may have carried out the operation; every retry would get the same answer, so the request is not sent again; check in the ERP whether it was done and why it returns so much',
  },
  // A batched call's answer: too large for the batch says nothing of the record's own call, so it may be retried; the
  // next attempt sends it again only when that cannot duplicate it (run-set's reconcileUnknownOutcome), and this is also
  // the record's final message once the attempts run out.
  RESPONSE_TOO_LARGE_IN_BATCH: {
    'pt-BR':
      'a resposta de {url} a um envio em lote de {records} registros passa do limite de {limit} e não pôde ser lida: o ERP pode ter executado a operação; a próxima tentativa confere o registro antes de enviá-lo de novo; se não restarem tentativas, confira no ERP se a operação foi feita e por que ela devolve tanto conteúdo',
    en: 'the answer from {url} to a batched call of {records} records is over the {limit} limit and could not be read: the ERP may have carried out the operation; the next attempt checks the record before sending it again; if no attempts remain, check in the ERP whether it was done and why it returns so much',
  },
  // A refused login (or a push resolved before the connections file was read again) of a definition the file has
  // replaced since: nothing was sent, and the next attempt logs in with what the file says now.
  CONNECTION_REPLACED: {
    'pt-BR':
      'a conexão {connection} mudou no arquivo de conexões (o login antigo foi recusado ou já tinha sido substituído): nada foi enviado; a próxima tentativa usa a definição nova',
    en: 'connection {connection} changed in the connections file (the old login was refused or had already been replaced): nothing was sent; the next attempt uses the new definition',
  },
  // A push that reached a process shutting down (its transports closed): nothing was sent, another attempt sends it.
  TRANSPORTS_CLOSED: {
    'pt-BR':
      'a conexão {connection} não foi usada porque este processo está encerrando: nada foi enviado; a próxima tentativa envia o registro',
    en: 'connection {connection} was not used because this process is shutting down: nothing was sent; the next attempt sends the record',
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
