import type { WebServiceConnection } from '@integrador/connections';

// A web-service connection carries the credentials every Senior G5 envelope repeats (user, password, encryption), but
// no service of its own: each integration's `link` names one. Its test logs in through the customer service every G5
// install has (the one seed 001's SET-WS-CONTAS pushes to). The call itself is the receptors' SOAP transport's
// (@integrador/transports' webServiceLogin: the pushes' client, guard, timeouts and answer parser); this package only
// words what it found, so the engine hands that check in (testConnection in @integrador/integrador).

/**
 * What the ERP said to the login: accepted, refused (its words), no such service at that address (its WSDL answered 404
 * or a document that is no WSDL), or a WSDL the address would not serve (`status`: a 401/403 asking for an
 * authentication, a 5xx of a service down): then the login could not be checked, and the test fails.
 */
export type WebServiceLogin =
  | { readonly outcome: 'accepted' }
  | { readonly outcome: 'refused'; readonly detail: string }
  | { readonly outcome: 'noService'; readonly path: string }
  | { readonly outcome: 'wsdlRefused'; readonly path: string; readonly status: number };

/**
 * Logs in to a web-service connection within `timeoutMs` and says what the ERP answered; `refusal` tells a login
 * refusal's words (the pattern the pushes' RECEPTOR_LOGIN_REFUSED uses). Any other failure rejects (the guard's refusal,
 * the network's, an answer that is no login verdict).
 */
export type WebServiceLoginCheck = (connection: WebServiceConnection, timeoutMs: number, refusal: RegExp) => Promise<WebServiceLogin>;
