import http from 'node:http';
import https from 'node:https';
import { shownUrl } from '@integrador/connections';
import { createOutboundAgents } from '@integrador/transports';
import { CtiError } from '../cti-error';
import type { PbxRequest } from './pbx-request';

/** What the PBX answered. */
export interface PbxAnswer {
  status: number;
  body: string;
  durationMs: number;
}

const BODY_LIMIT = 2000;

/**
 * Sends the click-to-call request through the outbound guard (loopback / private addresses only when an operator
 * allowed the tenant's PBX network). 2xx = placed; 4xx = a permanent refusal carrying the PBX's own answer; 5xx,
 * timeouts and connection errors are transient. Secrets in the URL never reach an error message.
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
    const answer = await new Promise<{ status: number; body: string; location?: string }>((resolve, reject) => {
      const req = client.request(
        target,
        {
          method: request.method,
          headers: request.headers,
          agent: target.protocol === 'https:' ? agents.https : agents.http,
          timeout: options.timeoutMs,
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            if (body.length < BODY_LIMIT) body += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body.slice(0, BODY_LIMIT), location: res.headers.location }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new CtiError('PBX_TIMEOUT', false, `the PBX did not answer within ${options.timeoutMs} ms`)));
      req.on('error', reject);
      req.end();
    }).catch((err: unknown) => {
      if (err instanceof CtiError) throw err;
      const error = err as NodeJS.ErrnoException;
      if (error.name === 'OutboundAddressError')
        throw new CtiError(
          'PBX_ADDRESS_FORBIDDEN',
          true,
          `${error.message} (an operator can allow the PBX's private network: integrador cti configure --private-network allow)`,
        );
      throw new CtiError('PBX_UNREACHABLE', false, `the PBX at ${request.shownUrl} could not be reached (${error.code ?? error.message})`);
    });
    const durationMs = Math.round(performance.now() - started);
    if (answer.status >= 200 && answer.status < 300) return { status: answer.status, body: answer.body, durationMs };
    // Redirects are not followed (the guard judged only the first address): a 3xx is a permanent refusal to fix in the URL.
    const permanent = answer.status >= 300 && answer.status < 500 && answer.status !== 408 && answer.status !== 429;
    const location = answer.location ? shownUrl(answer.location) : '(no location)';
    const redirect = answer.status < 400 ? `, a redirect to ${location}; redirects are not followed` : '';
    throw new CtiError(
      permanent ? 'PBX_REFUSED' : 'PBX_FAILED',
      permanent,
      `the PBX answered ${answer.status}${redirect}: ${answer.body.trim() || '(empty body)'}`,
    );
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
