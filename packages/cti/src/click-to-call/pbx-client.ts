import http from 'node:http';
import https from 'node:https';
import { isLoopbackRange, OutboundAddressError } from '@integrador/connections';
import { authorizationForms, createOutboundAgents, createSecretMasker } from '@integrador/transports';
import { CtiError } from '../cti-error';
import type { PbxRequest } from './pbx-request';

/** What the PBX answered. */
export interface PbxAnswer {
  status: number;
  body: string;
  durationMs: number;
}

const BODY_LIMIT = 2000;

/** The answer as read, before it is judged. */
type RawAnswer = { status: number; body: string; location?: string };

/** Answers that say the PBX did not take the request on (busy, throttled, timed out reading it): safe to send again. */
const NOT_TAKEN = new Set([408, 429, 503]);

/** What every failure after the request reached the PBX says: it may have dialled, so it is never sent again by itself. */
export const OUTCOME_UNKNOWN = 'outcome unknown: the PBX may have dialled; check before trying again';

/**
 * Sends the click-to-call request through the outbound guard (loopback / private addresses only when an operator
 * allowed the tenant's PBX network). 2xx = placed, even when the body is cut short after the status (a reset, no
 * more of it within the timeout); 4xx = a permanent refusal carrying the PBX's own answer.
 *
 * Only what failed before the request was sent is transient (the job retries it): connection refused, DNS, the
 * connection or TLS handshake not done within the timeout, and 408 / 429 / 503 (the PBX says it did not take the
 * request on). Anything after the request was sent — no answer within the timeout, the connection reset, any other
 * 5xx — fails for good (PBX_OUTCOME_UNKNOWN, PBX_FAILED): the PBX may have dialled, and a retry would ring the same
 * call twice. Secrets in the URL never reach an error message.
 */
export async function sendPbxRequest(
  request: PbxRequest,
  options: { allowPrivateNetwork: boolean; timeoutMs: number },
): Promise<PbxAnswer> {
  const agents = createOutboundAgents({ allowPrivateNetwork: options.allowPrivateNetwork });
  const started = performance.now();
  try {
    const target = targetOf(request);
    const client = target.protocol === 'https:' ? https : http;
    // Set once the connection (and its TLS handshake) is up: Node writes the request then, so from here the PBX may
    // have it. The agents are made for this one request, so the socket is always a new one.
    let sent = false;
    // Set once a 2xx status line is in: the PBX took the call on, so a reset or a stall in the body after it still
    // leaves the call placed, answered with the body read so far.
    let accepted: { status: number; body: string } | undefined;
    const answer = await new Promise<RawAnswer>((resolve, reject) => {
      const req = client.request(
        target,
        {
          method: request.method,
          headers: request.headers,
          agent: target.protocol === 'https:' ? agents.https : agents.http,
          timeout: options.timeoutMs,
        },
        (res) => {
          const got = { status: res.statusCode ?? 0, body: '' };
          if (got.status >= 200 && got.status < 300) accepted = got;
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            if (got.body.length < BODY_LIMIT) got.body += chunk;
          });
          res.on('end', () => resolve({ status: got.status, body: got.body.slice(0, BODY_LIMIT), location: res.headers.location }));
          res.on('error', reject);
        },
      );
      req.on('socket', (socket) => {
        socket.once(target.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
          sent = true;
        });
      });
      req.on('timeout', () => {
        const timeout = new Error(`no connection within ${options.timeoutMs} ms`);
        req.destroy(
          sent ? new CtiError('PBX_OUTCOME_UNKNOWN', true, `${OUTCOME_UNKNOWN} (no answer within ${options.timeoutMs} ms)`) : timeout,
        );
      });
      req.on('error', reject);
      req.end();
    }).catch((err: unknown): RawAnswer => {
      if (accepted) return { status: accepted.status, body: accepted.body.slice(0, BODY_LIMIT) };
      if (err instanceof CtiError) throw err;
      const error = err as NodeJS.ErrnoException;
      if (sent)
        throw new CtiError(
          'PBX_OUTCOME_UNKNOWN',
          true,
          `${OUTCOME_UNKNOWN} (the connection to ${request.shownUrl} failed after the request was sent: ${error.code ?? error.message})`,
        );
      // Its host and range go with it: the failure's reason words them in the reader's language.
      if (err instanceof OutboundAddressError)
        throw new CtiError(
          'PBX_ADDRESS_FORBIDDEN',
          true,
          isLoopbackRange(err.range)
            ? err.message
            : `${err.message} (an operator can allow the PBX's private network: integrador cti configure --private-network allow)`,
          undefined,
          err.params,
        );
      throw new CtiError('PBX_UNREACHABLE', false, `the PBX at ${request.shownUrl} could not be reached (${error.code ?? error.message})`);
    });
    const durationMs = Math.round(performance.now() - started);
    // The PBX may echo the credentials it was sent: the request's own secrets (auth mode's token, password or header
    // value) and the URL's password (Node sends it as Basic) are masked `***` in what it answered; the numbers are not.
    const password = decodeURIComponent(target.password);
    const userinfo = `${decodeURIComponent(target.username)}:${password}`;
    const echo = createSecretMasker([
      ...request.secrets,
      ...(password ? [password, ...authorizationForms(`Basic ${Buffer.from(userinfo).toString('base64')}`)] : []),
    ]);
    const answered = echo.text(answer.body);
    if (answer.status >= 200 && answer.status < 300) return { status: answer.status, body: answered, durationMs };
    const said = `the PBX answered ${answer.status}`;
    const body = answered.trim() || '(empty body)';
    if (NOT_TAKEN.has(answer.status)) throw new CtiError('PBX_BUSY', false, `${said}: ${body}`);
    // Any other 5xx: the PBX had the request and failed somewhere in handling it, maybe after dialling.
    if (answer.status >= 500) throw new CtiError('PBX_FAILED', true, `${said}: ${body}; ${OUTCOME_UNKNOWN}`);
    // Redirects are not followed (the guard judged only the first address): a 3xx is a permanent refusal to fix in the URL.
    const location = answer.location ? echo.url(answer.location) : '(no location)';
    const redirect = answer.status < 400 ? `, a redirect to ${location}; redirects are not followed` : '';
    throw new CtiError('PBX_REFUSED', true, `${said}${redirect}: ${body}`);
  } finally {
    agents.destroy();
  }
}

/** The URL to call; a template that gives no URL fails for good, named as shown (Node's own error carries the whole URL). */
function targetOf(request: PbxRequest): URL {
  try {
    return new URL(request.url);
  } catch {
    throw new CtiError(
      'PBX_URL_INVALID',
      true,
      `the PBX URL template does not give a valid URL (${request.shownUrl}): fix it with integrador cti configure --pbx-url`,
    );
  }
}
