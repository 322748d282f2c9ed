import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createEmpresa, issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { startTestIngress, type TestIngress } from '../../../test/support/test-ingress';

const PORT = 3180;
const REQUEST_TIMEOUT_MS = 1000;

interface Outcome {
  /** What the server answered before it closed the connection (empty when it only closed it). */
  answer: string;
  /** Whether the server closed the connection within the wait. */
  closed: boolean;
  seconds: number;
}

/**
 * Opens a raw socket, sends `head` at once and then one byte every 250 ms (of the body, or of `slowHead` when the headers
 * themselves trickle) until the server closes the connection or `waitMs` pass.
 */
function trickle(head: string, slowHead: string, waitMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = net.connect(PORT, '127.0.0.1');
    let answer = '';
    let i = 0;
    const finish = (closed: boolean) => {
      clearInterval(timer);
      clearTimeout(deadline);
      socket.destroy();
      resolve({ answer, closed, seconds: (Date.now() - started) / 1000 });
    };
    socket.on('data', (chunk) => {
      answer += chunk.toString();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => finish(true));
    socket.write(head);
    const timer = setInterval(() => {
      if (!socket.destroyed) socket.write(slowHead ? (slowHead[i++] ?? 'x') : ' ');
    }, 250);
    const deadline = setTimeout(() => finish(false), waitMs);
  });
}

// Red-team round 2: Fastify 5 has no request timeout by default, so a body trickled a byte at a time held its
// connection for as long as the client liked (still open after 100 s), even unauthenticated.
describe('ingress request timeout (HTTP_REQUEST_TIMEOUT_MS) over a real socket', () => {
  let database: TestDatabase;
  let ingress: TestIngress;
  let key: string;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    key = await issueApiKey(database.db, await createEmpresa(database.db, 'A'), null, 'a');
    ingress = await startTestIngress(database, {
      deps: { http: { requestTimeoutMs: REQUEST_TIMEOUT_MS, keepAliveTimeoutMs: 5000, idleTimeoutMs: 0 } },
    });
    // A handler slower than the request timeout: the timeout bounds receiving the request, not answering it.
    ingress.app.get('/slow-handler', async () => {
      await sleep(REQUEST_TIMEOUT_MS * 2.5);
      return { ok: true };
    });
    await ingress.app.listen({ host: '127.0.0.1', port: PORT });
  });

  afterAll(async () => {
    await ingress.close();
    await database.drop();
  });

  const bodyHead = (path: string, auth: string) =>
    `POST ${path} HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n`;

  it.each([
    ['an authenticated POST /v1/ping', '/v1/ping', true],
    ['an unauthenticated POST to a CTI listener', '/t/nothing/wconnect/x', false],
  ])(
    '%s whose body trickles is answered 408 REQUEST_TIMEOUT and closed',
    async (_label, path, authenticated) => {
      const outcome = await trickle(bodyHead(path, authenticated ? `Authorization: Bearer ${key}\r\n` : ''), '', 6000);
      expect(outcome.closed).toBe(true);
      expect(outcome.answer.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout');
      expect(outcome.answer).toContain('"code":"REQUEST_TIMEOUT"');
      // Cut after the timeout, within the 1.5 × timeout the half-timeout check allows (plus scheduling slack).
      expect(outcome.seconds).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS / 1000 - 0.1);
      expect(outcome.seconds).toBeLessThan(3);
    },
    10000,
  );

  it('headers that trickle are answered 408 and closed', async () => {
    const outcome = await trickle('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: ', 'a'.repeat(100), 6000);
    expect(outcome.closed).toBe(true);
    expect(outcome.answer.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout');
    expect(outcome.seconds).toBeLessThan(3);
  }, 10000);

  it('a request received in time is answered even when its handler takes longer than the timeout', async () => {
    const res = await fetch(`http://127.0.0.1:${PORT}/slow-handler`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  }, 10000);

  it('a body sent in time is processed as usual', async () => {
    const res = await fetch(`http://127.0.0.1:${PORT}/v1/ping`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ queue: 'get' }),
    });
    expect(res.status).toBe(202);
  });
});
