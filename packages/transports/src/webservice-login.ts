import type { WebServiceConnection } from '@integrador/connections';
import type { WebServiceLogin } from '@integrador/sources';
import { ReceptorError, TransientTransportError } from './errors';
import type { SoapClientCache } from './soap-client-cache';
import { createSoapTransport } from './soap-transport';

// A web-service connection's login test goes out the way its pushes do: the receptors' SOAP transport (its guarded
// dispatcher, connect and call deadlines, TLS, WSDL cache and soap's parsing of the answer), asking the customer
// service every Senior G5 install has (the one seed 001's SET-WS-CONTAS pushes to) for customer 0 through obterCliente:
// a read, nothing is written, and the ERP checks the login before it looks the customer up.

/** The Senior G5 customer service's path, appended to the connection's baseUrl (an integration's link without ?wsdl). */
export const SENIOR_CUSTOMER_SERVICE_PATH = '/g5-senior-services/sapiens_Synccom_senior_g5_co_ger_cad_clientes';
const LOGIN_OPERATION = 'obterCliente';
/** The WSDL answers that say the address has no such service: nothing there (404), gone (410). */
const NO_SERVICE_STATUSES: ReadonlySet<number> = new Set([404, 410]);

/**
 * What a failed WSDL load says of the service: `noService` for a 404/410 or a document that is no WSDL (a web page: no
 * status, or a 2xx); the status of any other answer (a 401/403, a 5xx, a redirect: the service may be there, the test
 * could not see it); undefined for a failure with no answer (the guard, the network, a timeout), rejected as it came.
 */
function wsdlLoadFailure(error: unknown): 'noService' | number | undefined {
  if (!(error instanceof ReceptorError) && !(error instanceof TransientTransportError)) return undefined;
  const status = error.exchange?.statusCode ?? null;
  if (status === null || (status >= 200 && status < 300)) return error instanceof ReceptorError ? 'noService' : undefined;
  return NO_SERVICE_STATUSES.has(status) ? 'noService' : status;
}

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
 * address whose service the WSDL load does not find (a 404, a web page, no obterCliente) is `noService`; a WSDL answered
 * with another status (a 401/403, a 5xx) is `wsdlRefused` with that status; the guard's refusal and a network failure
 * reject as the transport gives them, as does an answer that is no login verdict.
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
      // Refused as a document (a 404, a web page, not a WSDL): no G5 customer service at that address. Another status
      // (a 401/403, a 5xx) is no verdict on the service: said with its status, never a pass.
      const found = wsdlLoadFailure(error);
      if (found === 'noService') return noService;
      if (found !== undefined) return { outcome: 'wsdlRefused', path: SENIOR_CUSTOMER_SERVICE_PATH, status: found };
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
