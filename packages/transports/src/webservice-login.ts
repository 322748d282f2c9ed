import type { WebServiceConnection } from '@integrador/connections';
import type { WebServiceLogin } from '@integrador/sources';
import { ReceptorError } from './errors';
import type { SoapClientCache } from './soap-client-cache';
import { createSoapTransport } from './soap-transport';

// A web-service connection's login test goes out the way its pushes do: the receptors' SOAP transport (its guarded
// dispatcher, connect and call deadlines, TLS, WSDL cache and soap's parsing of the answer), asking the customer
// service every Senior G5 install has (the one seed 001's SET-WS-CONTAS pushes to) for customer 0 through obterCliente:
// a read, nothing is written, and the ERP checks the login before it looks the customer up.

/** The Senior G5 customer service's path, appended to the connection's baseUrl (an integration's link without ?wsdl). */
export const SENIOR_CUSTOMER_SERVICE_PATH = '/g5-senior-services/sapiens_Synccom_senior_g5_co_ger_cad_clientes';
const LOGIN_OPERATION = 'obterCliente';

/** The texts of an answer's error fields (Senior G5's result: erroExecucao, mensagemRetorno), each once. */
function answerTexts(data: unknown): string[] {
  if (data === null || typeof data !== 'object') return typeof data === 'string' && data.trim() !== '' ? [data.trim()] : [];
  const fields = data as Record<string, unknown>;
  const texts = [fields.erroExecucao, fields.mensagemRetorno].filter((text): text is string => typeof text === 'string');
  return [...new Set(texts.map((text) => text.trim()).filter((text) => text !== ''))];
}

/**
 * Logs in to the connection's Senior G5 through obterCliente of customer 0 (changes nothing) and says what the ERP
 * answered; `refusal` tells a login refusal's words (packages/queue's RECEPTOR_LOGIN_REFUSAL, the pushes'
 * RECEPTOR_LOGIN_REFUSED). Each request is bounded by `timeoutMs` (or the connection's own timeoutMs when shorter). An
 * address whose service the WSDL load does not find (a 404, a web page, no obterCliente) is `noService`; the guard's
 * refusal and a network failure reject as the transport gives them, as does an answer that is no login verdict.
 */
export async function webServiceLogin(
  connection: WebServiceConnection,
  timeoutMs: number,
  refusal: RegExp,
  options: { cache?: SoapClientCache } = {},
): Promise<WebServiceLogin> {
  const transport = createSoapTransport({ ...connection, timeoutMs: Math.min(connection.timeoutMs, timeoutMs) }, options);
  const link = `${SENIOR_CUSTOMER_SERVICE_PATH}?wsdl`;
  const noService = { outcome: 'noService', path: SENIOR_CUSTOMER_SERVICE_PATH } as const;
  try {
    try {
      // The WSDL first: what the address serves there decides whether there is a service to log in to.
      if ((await transport.describeParameters?.(link, LOGIN_OPERATION)) === undefined) return noService;
    } catch (error) {
      // Refused as a document (a 404, a login page, not a WSDL): no G5 customer service at that address.
      if (error instanceof ReceptorError) return noService;
      throw error;
    }
    try {
      const answer = await transport.send({ link, operation: LOGIN_OPERATION, body: { codCli: 0 }, timeoutMs });
      const texts = answerTexts(answer.data);
      // Each text on its own: the refusal is a whole answer (a record-level error that mentions a password is not one).
      return texts.some((text) => refusal.test(text)) ? { outcome: 'refused', detail: texts.join('; ') } : { outcome: 'accepted' };
    } catch (error) {
      // A SOAP fault whose words are the login refusal (an ERP that refuses it as a fault rather than in its result).
      if (error instanceof ReceptorError && refusal.test(error.receptorMessage))
        return { outcome: 'refused', detail: error.receptorMessage };
      throw error;
    }
  } finally {
    await transport.close?.();
  }
}
