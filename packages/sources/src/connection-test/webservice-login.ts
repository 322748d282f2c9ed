import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { assertAllowedAddress, createGuardedLookup, type WebServiceConnection } from '@integrador/connections';

// A web-service connection carries the credentials every Senior G5 envelope repeats (user, password, encryption), but
// no service of its own: each integration's `link` names one. The test asks the customer service every G5 install
// has (the one seed 001's SET-WS-CONTAS pushes to) for customer 0 through obterCliente: a read, nothing is written,
// and the ERP checks the login before it looks the customer up. A server without that service is said so, not passed.

/** The Senior G5 customer service's path, appended to the connection's baseUrl (an integration's link without ?wsdl). */
export const SENIOR_CUSTOMER_SERVICE_PATH = '/g5-senior-services/sapiens_Synccom_senior_g5_co_ger_cad_clientes';

/** The largest answer read: a login refusal or a "customer not found" is a few hundred bytes. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** What the ERP said to the login: accepted, refused (its words), or no such service at that address (no SOAP answer). */
export type WebServiceLogin =
  | { readonly outcome: 'accepted' }
  | { readonly outcome: 'refused'; readonly detail: string }
  | { readonly outcome: 'noService'; readonly path: string };

/** A SOAP answer that is no login verdict (a fault about something else): the step fails with its words. */
export class WebServiceAnswerError extends Error {
  override name = 'WebServiceAnswerError';
}

const escapeXml = (text: string) =>
  text.replace(/[<>&'"]/g, (char) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[char] ?? char);

function envelope(connection: WebServiceConnection): string {
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ser="http://services.senior.com.br">',
    '<soap:Body><ser:obterCliente>',
    `<user>${escapeXml(connection.user)}</user><password>${escapeXml(connection.password.reveal())}</password>`,
    `<encryption>${connection.encryption}</encryption><parameters><codCli>0</codCli></parameters>`,
    '</ser:obterCliente></soap:Body></soap:Envelope>',
  ].join('');
}

/** The text of the answer's error elements (erroExecucao, mensagemRetorno, faultstring), or its first 300 characters. */
function answerText(body: string): string {
  const texts = [...body.matchAll(/<(?:\w+:)?(erroExecucao|mensagemRetorno|faultstring)>([^<]*)</g)].map((match) => match[2]?.trim());
  const said = texts.filter((text): text is string => Boolean(text));
  return (said.length > 0 ? [...new Set(said)].join('; ') : body.replace(/\s+/g, ' ')).slice(0, 300);
}

function post(url: URL, body: string, connection: WebServiceConnection, timeoutMs: number): Promise<{ status: number; body: string }> {
  const allowPrivateNetwork = connection.allowPrivateNetwork ?? false;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // A literal IP skips the lookup: checked here, as the transports' guarded agent does; a name is checked after DNS.
  if (net.isIP(host) !== 0) assertAllowedAddress(host, url.hostname, { allowPrivateNetwork });
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(
      url,
      {
        method: 'POST',
        lookup: createGuardedLookup([], allowPrivateNetwork),
        headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""', 'content-length': Buffer.byteLength(body) },
        timeout: timeoutMs,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_ANSWER_BYTES) chunks.push(chunk);
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    request.on('error', reject);
    request.end(body);
  });
}

/**
 * Logs in to the connection's Senior G5 through obterCliente of customer 0 (changes nothing) and says what the ERP
 * answered; `refusal` tells a login refusal's words (the pattern the pushes' RECEPTOR_LOGIN_REFUSED uses).
 */
export async function webServiceLogin(connection: WebServiceConnection, timeoutMs: number, refusal: RegExp): Promise<WebServiceLogin> {
  const url = new URL(`${connection.baseUrl.replace(/\/+$/, '')}${SENIOR_CUSTOMER_SERVICE_PATH}`);
  const answer = await post(url, envelope(connection), connection, timeoutMs);
  const text = answerText(answer.body);
  // Each text the answer holds on its own (answerText joins them with '; '): the refusal is a whole answer.
  if (text.split('; ').some((part) => refusal.test(part))) return { outcome: 'refused', detail: text };
  // No SOAP answer at all (a 404, a web page): no G5 service there to log in to.
  if (answer.status === 404 || !/<(?:\w+:)?Envelope\b/.test(answer.body))
    return { outcome: 'noService', path: SENIOR_CUSTOMER_SERVICE_PATH };
  if (answer.status === 200 && /obterClienteResponse/.test(answer.body)) return { outcome: 'accepted' };
  throw new WebServiceAnswerError(`HTTP ${answer.status}: ${text}`);
}
