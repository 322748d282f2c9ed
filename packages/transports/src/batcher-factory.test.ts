import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBatcherFactory } from './batcher-factory';
import { createRestTransport } from './rest-transport';
import type { Transport, TransportRequest } from './transport';

// The SET worker's batchers (lote_maximo > 1) over a real REST transport and a receptor on loopback.
describe('batcher factory: bounded, and closed after the calls under way', () => {
  let server: http.Server;
  let inner: Transport;
  /** Bodies the receptor received, one per call. */
  let calls: Record<string, unknown>[];
  /** Held answers: the receptor answers a call only when the test releases it. */
  let held: (() => void)[];

  beforeEach(async () => {
    calls = [];
    held = [];
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { clientes: { ideExt: string }[] };
        calls.push(body);
        const answer = { retornosClientes: body.clientes.map((c) => ({ ideExt: c.ideExt, retorno: 'OK' })) };
        held.push(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer)));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    inner = createRestTransport({
      kind: 'api',
      name: 'erp',
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      auth: { type: 'none' },
      headers: {},
      timeoutMs: 5000,
      allowPrivateNetwork: true, // the receptor listens on loopback
    });
  });
  afterEach(async () => {
    await inner.close?.();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const push = (ideExt: string): TransportRequest => ({
    link: '/clientes',
    operation: null,
    body: { clientes: [{ ideExt }] },
    timeoutMs: 5000,
  });
  const options = { max: 10, answerList: 'retornosClientes' };

  /** Waits until the receptor has received `count` calls (a deadline, not a sleep). */
  async function receptorHas(count: number): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (calls.length < count) {
      if (Date.now() > deadline) throw new Error(`expected ${count} calls, received ${calls.length}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  it('keeps one batcher per key, a new one when the options change, and at most `max` keys', async () => {
    const batchers = createBatcherFactory({ max: 2 });
    const a = batchers.batcherFor('a', inner, options);
    expect(batchers.batcherFor('a', inner, options)).toBe(a);
    expect(batchers.batcherFor('a', inner, { ...options, max: 5 })).not.toBe(a);
    const a5 = batchers.batcherFor('a', inner, { ...options, max: 5 });
    batchers.batcherFor('b', inner, options);
    batchers.batcherFor('c', inner, options);
    // 'a' was the least recently used of three keys: evicted, so asking again makes a new batcher.
    expect(batchers.batcherFor('a', inner, { ...options, max: 5 })).not.toBe(a5);
    await batchers.close();
  });

  it('merges pushes of one key into one call, and close() waits for it without closing the transport', async () => {
    const batchers = createBatcherFactory();
    const batcher = batchers.batcherFor('e1:i19', inner, options);
    const answers = Promise.all([batcher.send(push('1')), batcher.send(push('2'))]);
    await receptorHas(1);
    expect(calls[0]).toEqual({ clientes: [{ ideExt: '1' }, { ideExt: '2' }] });
    let closed = false;
    const closing = batchers.close().then(() => {
      closed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closed).toBe(false);
    for (const answer of held) answer();
    await closing;
    expect((await answers).map((r) => (r.data as { mensagemRetorno: string }).mensagemRetorno)).toEqual(['OK', 'OK']);
    // The inner transport is the transport factory's: still usable after the batchers closed.
    const alone = inner.send(push('3'));
    await receptorHas(2);
    held[1]?.();
    await expect(alone).resolves.toMatchObject({ data: { retornosClientes: [{ ideExt: '3' }] } });
  });

  it('an evicted batcher still sends what it holds, and close() waits for it', async () => {
    const batchers = createBatcherFactory({ max: 1 });
    const first = batchers.batcherFor('first', inner, options);
    const sent = first.send(push('9'));
    batchers.batcherFor('second', inner, options); // evicts 'first' while its push waits
    await receptorHas(1);
    let closed = false;
    const closing = batchers.close().then(() => {
      closed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closed).toBe(false);
    held[0]?.();
    await closing;
    await expect(sent).resolves.toMatchObject({ data: { mensagemRetorno: 'OK' } });
  });
});
