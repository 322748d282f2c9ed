import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Secret, type WebServiceConnection } from '@integrador/connections';
import { redactSecrets } from '@integrador/logging';
import { type StallingListener, startStallingListener } from '@integrador/test-support/stalling-listener';
import {
  CLIENT_FAULT,
  FAULT_NAME,
  INVALID_CREDENTIALS,
  MAINTENANCE_FAULT,
  type SeniorG5Server,
  SLOW_NAME,
  startSeniorG5Server,
  WSDL_LINK,
  WSDL_XML,
} from '../../../test/fixtures/senior-g5';
import { InvalidIntegrationError, OutboundAddressError, ReceptorError, ResponseTooLargeError, TransientTransportError } from './errors';
import { SoapClientCache } from './soap-client-cache';
import { createSoapTransport } from './soap-transport';
import type { Transport, TransportRequest } from './transport';

// XML specials on purpose: the redaction must find the password as soap escapes it.
const PASSWORD = `s3nha<&>"'do-erp`;
const ESCAPED_PASSWORD = 's3nha&lt;&amp;&gt;&quot;&apos;do-erp';

let server: SeniorG5Server;
let cache: SoapClientCache;
const transports: Transport[] = [];

beforeEach(async () => {
  server = await startSeniorG5Server({ credentials: { user: 'integrador', password: PASSWORD }, latencyMs: 3000 });
  cache = new SoapClientCache({ max: 10 });
});
afterEach(async () => {
  await Promise.all(transports.splice(0).map((transport) => transport.close?.()));
  await server.close();
});

function transportFor(overrides: Partial<WebServiceConnection> = {}, clients = cache): Transport {
  const connection: WebServiceConnection = {
    kind: 'webservice',
    name: 'senior_g5',
    baseUrl: server.url,
    user: 'integrador',
    password: new Secret(PASSWORD),
    encryption: 0,
    timeoutMs: 5000,
    allowPrivateNetwork: true, // the double listens on loopback
    ...overrides,
  };
  const transport = createSoapTransport(connection, { cache: clients });
  transports.push(transport);
  return transport;
}

function cliente(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    nomCli: 'Padaria Pão Quente Ltda',
    apeCli: 'Pão Quente',
    tipCli: 'J',
    tipMer: 'I',
    cliCon: 'S',
    cgcCpf: '12.345.678/0001-95',
    sitCli: 'A',
    ideExt: 'crm-1',
    ...overrides,
  };
}

function gravar(dados: Record<string, unknown>[], extra: Partial<TransportRequest> = {}): TransportRequest {
  return { link: WSDL_LINK, operation: 'GravarClientes', body: { dadosGeraisCliente: dados }, timeoutMs: 5000, ...extra };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

describe('SOAP transport against the Senior G5 double', () => {
  it('creates a customer and hands back the result object as soap parsed it', async () => {
    const { data, exchange } = await transportFor().send(gravar([cliente()]));

    expect(data).toEqual({
      tipoRetorno: 1,
      mensagemRetorno: 'Processado com sucesso',
      retornosClientes: [{ codCli: 1001, cgcCpf: '12345678000195', ideExt: 'crm-1', retorno: 'OK' }],
    });
    expect(server.customers.get(1001)).toMatchObject({ nomCli: 'Padaria Pão Quente Ltda', cgcCpf: '12345678000195' });
    expect(exchange).toMatchObject({
      url: `${server.url}/g5-senior-services/sapiens_Synccom_senior_g5_co_ger_cad_clientes`,
      statusCode: 200,
    });
    expect(exchange.request).toContain('<nomCli>Padaria Pão Quente Ltda</nomCli>');
    expect(exchange.response).toContain('<retorno>OK</retorno>');
    expect(exchange.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('updates the customer with the same cgcCpf (or ideExt) instead of creating another', async () => {
    const transport = transportFor();
    await transport.send(gravar([cliente()]));
    const again = await transport.send(gravar([cliente({ nomCli: 'Padaria Pão Quente S.A.', cgcCpf: '12345678000195' })]));
    const byIdeExt = await transport.send(
      gravar([cliente({ cgcCpf: undefined, nomCli: 'Padaria Pão Quente S.A.', apeCli: 'Pão Quente SA' })]),
    );

    expect(again.data).toMatchObject({ tipoRetorno: 1, retornosClientes: [{ codCli: 1001, retorno: 'OK' }] });
    expect(byIdeExt.data).toMatchObject({ retornosClientes: [{ codCli: 1001 }] });
    expect(server.customers.size).toBe(1);
    expect(server.customers.get(1001)).toMatchObject({ nomCli: 'Padaria Pão Quente S.A.', apeCli: 'Pão Quente SA' });
  });

  it('sends repeated nested elements (delivery addresses) and reads them back with obterCliente', async () => {
    const transport = transportFor();
    const enderecosEntrega = [
      { seqEnt: 1, endEnt: 'Rua A', nenEnt: '10', cidEnt: 'Blumenau', sigUfs: 'SC' },
      { seqEnt: 2, endEnt: 'Rua B', nenEnt: '20', cidEnt: 'Joinville', sigUfs: 'SC' },
    ];
    await transport.send(gravar([cliente({ enderecosEntrega })]));
    const { data } = await transport.send({
      link: WSDL_LINK,
      operation: 'obterCliente',
      body: { cgcCpf: '12345678000195' },
      timeoutMs: 5000,
    });

    expect(data).toEqual({
      cliente: expect.objectContaining({ codCli: 1001, nomCli: 'Padaria Pão Quente Ltda', sitCli: 'A', enderecosEntrega }),
    });
  });

  it('returns business errors as data, like the ERP: wrong credentials, a missing required field', async () => {
    const wrong = await transportFor({ password: new Secret('not-it') }).send(gravar([cliente()]));
    expect(wrong.data).toMatchObject({ tipoRetorno: 2, erroExecucao: INVALID_CREDENTIALS });
    expect(server.customers.size).toBe(0);

    const mixed = await transportFor().send(gravar([cliente({ apeCli: '' }), cliente({ cgcCpf: '98765432000110', ideExt: 'crm-2' })]));
    expect(mixed.data).toEqual({
      tipoRetorno: 2,
      mensagemRetorno: '1 de 2 cliente(s) com erro',
      erroExecucao: 'Campo obrigatório não informado: apeCli',
      retornosClientes: [
        { cgcCpf: '12345678000195', ideExt: 'crm-1', retorno: 'Campo obrigatório não informado: apeCli' },
        { codCli: 1001, cgcCpf: '98765432000110', ideExt: 'crm-2', retorno: 'OK' },
      ],
    });
  });

  it('turns a soap:Client fault into a ReceptorError carrying the faultstring', async () => {
    const error = await rejection(transportFor().send(gravar([cliente({ nomCli: FAULT_NAME })])));

    expect(error).toBeInstanceOf(ReceptorError);
    expect(error).toMatchObject({
      code: 'RECEPTOR_REJECTED',
      permanent: true,
      receptorMessage: CLIENT_FAULT,
      exchange: { statusCode: 500 },
    });
    const { exchange } = error as ReceptorError;
    expect(exchange?.request).toContain(`<nomCli>${FAULT_NAME}</nomCli>`);
    expect(exchange?.response).toContain('<faultstring>');
  });

  it('retries a soap:Server fault (a maintenance window answering 503): transient, not the receptor refusing', async () => {
    const transport = transportFor();
    await transport.send(gravar([cliente()])); // the WSDL is loaded: what fails is the call
    server.setMode('maintenance');
    try {
      const error = await rejection(transport.send(gravar([cliente()])));
      expect(error).toBeInstanceOf(TransientTransportError);
      expect(error).toMatchObject({ permanent: false, exchange: { statusCode: 503 } });
      expect((error as Error).message).toContain(MAINTENANCE_FAULT);
    } finally {
      server.setMode('normal');
    }
  });

  it('gives up after the request timeout with a TransientTransportError', async () => {
    const transport = transportFor();
    await transport.send(gravar([cliente()])); // the WSDL is loaded: what times out is the call
    const started = Date.now();
    const error = await rejection(transport.send(gravar([cliente({ nomCli: SLOW_NAME })], { timeoutMs: 300 })));

    expect(error).toBeInstanceOf(TransientTransportError);
    expect(error).toMatchObject({ code: 'TRANSPORT_TRANSIENT', permanent: false });
    expect(error.message).toContain('within 300 ms');
    expect((error as TransientTransportError).exchange?.request).toContain(SLOW_NAME);
    expect(Date.now() - started).toBeLessThan(2500);
  });

  describe('a connect that never completes (a firewall dropping packets)', () => {
    let listener: StallingListener | undefined;
    afterEach(async () => {
      await listener?.close();
      listener = undefined;
    });

    /** A transport whose WSDL is loaded through the listener, which then stalls: its next call connects anew, for ever. */
    async function stalledTransport(connectionTimeoutMs: number): Promise<Transport> {
      listener = await startStallingListener(Number(new URL(server.url).port));
      const transport = transportFor({ baseUrl: `http://127.0.0.1:${listener.port}`, timeoutMs: connectionTimeoutMs });
      await transport.send(gravar([cliente()]));
      await listener.stall();
      return transport;
    }

    // The WSDL load has no deadline of its own: headersTimeout starts once the request is written, so on a stalled connect
    // it is the Agent's connect timeout (the connection's timeoutMs) that ends it.
    it("ends a WSDL load waiting on a connect at the connection's timeoutMs", async () => {
      listener = await startStallingListener();
      await listener.stall();
      const transport = transportFor({ baseUrl: `http://127.0.0.1:${listener.port}`, timeoutMs: 1500 });
      const started = Date.now();
      const error = await rejection(transport.send(gravar([cliente()])));
      const elapsed = Date.now() - started;
      expect(error).toBeInstanceOf(TransientTransportError);
      expect(error.message).toMatch(/connect|timeout/i);
      expect(elapsed).toBeGreaterThanOrEqual(1400);
      expect(elapsed).toBeLessThan(5000);
    });

    it('closes at once after a call was given up while it waited on a connect', async () => {
      // A connect timeout far past the call's: undici keeps the abandoned request queued until the connect ends.
      const transport = await stalledTransport(15_000);
      await rejection(transport.send(gravar([cliente()], { timeoutMs: 500 })));
      const started = Date.now();
      await transport.close?.();
      expect(Date.now() - started).toBeLessThan(5000);
    }, 30_000);

    it("ends a call waiting on a connect at the integration's timeout, not at undici's 10 s connect timeout", async () => {
      // The connection's timeout is long: only the integration's (the call's) can end this call in time.
      const transport = await stalledTransport(30_000);
      const started = Date.now();
      const error = await rejection(transport.send(gravar([cliente()], { timeoutMs: 1000 })));
      expect(error).toBeInstanceOf(TransientTransportError);
      expect(error.message).toContain('within 1000 ms');
      expect(Date.now() - started).toBeLessThan(5000);
    });

    it('waits for a connect as long as a call timeout past 10 s allows (no hidden 10 s connect timeout)', async () => {
      const transport = await stalledTransport(11_000);
      const error = await rejection(transport.send(gravar([cliente()], { timeoutMs: 11_000 })));
      expect(error).toBeInstanceOf(TransientTransportError);
      expect(error.message).toContain('within 11000 ms');
    }, 30_000);
  });

  it("stops when the caller's signal aborts, as a transient failure", async () => {
    const controller = new AbortController();
    const sending = transportFor().send(gravar([cliente({ nomCli: SLOW_NAME })], { signal: controller.signal }));
    setTimeout(() => controller.abort(), 200);
    const error = await rejection(sending);
    expect(error).toBeInstanceOf(TransientTransportError);
    expect(error.message).toContain('aborted');
  });

  it('reports a server that is down, or answers 503/429 without a fault, as transient', async () => {
    const transport = transportFor();
    server.setMode('unavailable');
    const wsdlDown = await rejection(transport.send(gravar([cliente()])));
    expect(wsdlDown).toBeInstanceOf(TransientTransportError);
    expect(wsdlDown).toMatchObject({ exchange: { statusCode: 503 } });

    server.setMode('normal');
    await transport.send(gravar([cliente()])); // a failed WSDL load was not cached: this one loads it
    server.setMode('unavailable');
    const callDown = await rejection(transport.send(gravar([cliente()])));
    expect(callDown).toMatchObject({ name: 'TransientTransportError', exchange: { statusCode: 503 } });
    server.setMode('rate-limited');
    const limited = await rejection(transport.send(gravar([cliente()])));
    expect(limited).toMatchObject({ name: 'TransientTransportError', retryAfterMs: 30_000, exchange: { statusCode: 429 } });

    await server.close();
    // a kept-alive socket the server just closed gives ECONNRESET, a new one ECONNREFUSED: transient both
    const down = await rejection(transport.send(gravar([cliente()])));
    expect(down).toBeInstanceOf(TransientTransportError);
    expect(down.message).toMatch(/ECONNRESET|ECONNREFUSED/);
    expect((down as TransientTransportError).exchange?.request).toContain('<nomCli>');
    const refused = await rejection(transport.send(gravar([cliente()])));
    expect(refused.message).toContain('ECONNREFUSED');
    // the network's own words, no wrapping: what a worded failure adds to its reason (M3 of the trial)
    expect((refused as TransientTransportError).params?.rawDetail).toMatch(/^connect ECONNREFUSED /);

    const neverLoaded = await rejection(transportFor({ baseUrl: server.url.replace(/:\d+$/, ':1') }).send(gravar([cliente()])));
    expect(neverLoaded).toBeInstanceOf(TransientTransportError);
    expect(neverLoaded).toMatchObject({ exchange: { request: expect.stringMatching(/^GET http/) } });
  });

  it("honours a 429's Retry-After on the WSDL fetch, in seconds or as an HTTP date, then loads the WSDL", async () => {
    const transport = transportFor();
    server.setMode('rate-limited'); // the double answers 429 with Retry-After: 30
    const limited = await rejection(transport.send(gravar([cliente()])));
    expect(limited).toMatchObject({ name: 'TransientTransportError', retryAfterMs: 30_000, exchange: { statusCode: 429 } });
    expect(server.requests).toMatchObject({ wsdlFetches: 1, count: 0 });
    server.setMode('normal');
    await expect(transport.send(gravar([cliente()]))).resolves.toMatchObject({ exchange: { statusCode: 200 } });

    // A bare HTTP server: the first WSDL fetch gets 429 with a date two minutes ahead, the next one the WSDL.
    let fetches = 0;
    const dated = http.createServer((_req, res) => {
      fetches++;
      if (fetches === 1) res.writeHead(429, { 'retry-after': new Date(Date.now() + 120_000).toUTCString() }).end('slow down');
      else res.writeHead(200, { 'content-type': 'text/xml' }).end(WSDL_XML);
    });
    await new Promise<void>((resolve) => dated.listen(0, '127.0.0.1', resolve));
    try {
      const other = transportFor({ baseUrl: `http://127.0.0.1:${(dated.address() as AddressInfo).port}` });
      const byDate = (await rejection(other.send(gravar([cliente()])))) as TransientTransportError;
      expect(byDate).toBeInstanceOf(TransientTransportError);
      // The date has a one-second resolution: 119–120 s from now.
      expect(byDate.retryAfterMs).toBeGreaterThan(118_000);
      expect(byDate.retryAfterMs).toBeLessThanOrEqual(120_000);
      await expect(other.preview(gravar([cliente()]))).resolves.toMatchObject({ request: expect.stringContaining('<nomCli>') });
      expect(fetches).toBe(2);
    } finally {
      await new Promise<void>((resolve) => dated.close(() => resolve()));
    }
  });

  it('fails for good (not retried) on an answer small compressed but past 16 MiB once decoded; a call may have been processed, the WSDL fetch not', async () => {
    const transport = transportFor();
    server.setMode('gzip-bomb');
    const wsdl = await rejection(transport.send(gravar([cliente()])));
    // Permanent: every retry would get the same answer (the worker turns `permanent` into UnrecoverableError).
    expect(wsdl).toBeInstanceOf(ResponseTooLargeError);
    expect(wsdl).not.toBeInstanceOf(ReceptorError);
    expect(wsdl).toMatchObject({
      code: 'RESPONSE_TOO_LARGE',
      permanent: true,
      mayHaveBeenProcessed: false,
    });
    // The URL as shownUrl gives it (the query's names, never a value: a token could ride there); one language each.
    const wsdlUrl = `${server.url}${WSDL_LINK}`;
    expect(wsdlUrl).toMatch(/\?wsdl$/);
    expect((wsdl as ResponseTooLargeError).receptorMessage).toBe(
      `a resposta de ${wsdlUrl} passa do limite de 16 MiB (como recebida ou depois de descompactada): cada nova tentativa receberia a mesma resposta, por isso o pedido não é repetido; confira no ERP por que esta operação devolve tanto conteúdo`,
    );
    expect(wsdl.message).toBe(
      `the answer from ${wsdlUrl} is over the 16 MiB limit (as received or once decoded): every retry would get the same answer, so the request is not made again; check in the ERP why this operation returns so much`,
    );
    expect(wsdl.cause).toMatchObject({ code: 'ERR_RESPONSE_TOO_LARGE', limitBytes: 16 * 1024 * 1024 });

    server.setMode('normal');
    await transport.send(gravar([cliente()])); // the WSDL is loaded: what meets the bomb now is the call
    server.setMode('gzip-bomb');
    const call = await rejection(transport.send(gravar([cliente()])));
    expect(call).toBeInstanceOf(ResponseTooLargeError);
    expect(call).toMatchObject({ permanent: true, mayHaveBeenProcessed: true });
    expect((call as ResponseTooLargeError).receptorMessage).toMatch(
      /^a resposta de http:\/\/127\.0\.0\.1:\d+\/[^?\s]+ passa do limite de 16 MiB \(como recebida ou depois de descompactada\) e não pôde ser lida: o ERP pode ter executado a operação;/,
    );
    expect(call.message).toMatch(
      /^the answer from http:\/\/127\.0\.0\.1:\d+\/\S+ is over the 16 MiB limit .* the ERP may have carried out the operation;/,
    );
    expect((call as ResponseTooLargeError).exchange?.request).toContain('<nomCli>');
  });

  it('keeps each call its own raw request under 50 concurrent calls', async () => {
    const transport = transportFor();
    const names = Array.from({ length: 50 }, (_, index) => `Cliente numero ${String(index).padStart(2, '0')} Ltda`);
    const results = await Promise.all(
      names.map((nomCli, index) =>
        transport.send(gravar([cliente({ nomCli, cgcCpf: String(10_000_000_000_000 + index), ideExt: `crm-${index}` })])),
      ),
    );

    results.forEach(({ exchange, data }, index) => {
      expect(exchange.request).toContain(`<nomCli>${names[index]}</nomCli>`);
      for (const other of names) if (other !== names[index]) expect(exchange.request).not.toContain(other);
      expect(exchange.response).toContain(`<ideExt>crm-${index}</ideExt>`);
      expect(data).toMatchObject({ retornosClientes: [{ ideExt: `crm-${index}`, retorno: 'OK' }] });
    });
    expect(new Set(results.map(({ data }) => (data as { retornosClientes: { codCli: number }[] }).retornosClientes[0]?.codCli)).size).toBe(
      50,
    );
    expect(server.customers.size).toBe(50);
  });

  it('never lets the password reach the exchange, the preview or an error', async () => {
    const transport = transportFor();
    const sent = await transport.send(gravar([cliente()]));
    const preview = await transport.preview(gravar([cliente()]));
    const fault = (await rejection(transport.send(gravar([cliente({ nomCli: FAULT_NAME })])))) as ReceptorError;

    // the ERP did get it
    expect(server.requests.bodies.at(-1)).toContain(`<password>${ESCAPED_PASSWORD}</password>`);
    for (const text of [
      sent.exchange.request,
      sent.exchange.response,
      preview.request,
      fault.exchange?.request,
      fault.message,
      JSON.stringify(fault),
    ]) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(ESCAPED_PASSWORD);
    }
    expect(sent.exchange.request).toContain('<password>[REDACTED]</password>');
    expect(preview.request).toContain('<password>[REDACTED]</password>');
  });

  it('previews exactly the envelope send() sends, without sending it', async () => {
    const transport = transportFor();
    const request = gravar([cliente({ enderecosEntrega: [{ seqEnt: 1, endEnt: 'Rua A' }] })]);
    const preview = await transport.preview(request);
    expect(server.requests.count).toBe(0);
    expect(server.requests.wsdlFetches).toBe(1);

    const { exchange } = await transport.send(request);
    expect(preview).toEqual({ url: exchange.url, request: exchange.request });
    expect(server.requests.bodies).toEqual([preview.request.replace('[REDACTED]', ESCAPED_PASSWORD)]);
  });

  it('loads each WSDL once for concurrent first calls, forgets failed loads, and keeps at most `max` clients', async () => {
    const small = new SoapClientCache({ max: 2 });
    const [one, two] = [transportFor({}, small), transportFor({}, small)] as [Transport, Transport];

    await Promise.all(
      Array.from({ length: 10 }, (_, index) => (index % 2 ? one : two).send(gravar([cliente({ ideExt: `crm-${index}` })]))),
    );
    expect(server.requests.wsdlFetches).toBe(1);
    expect(small.size).toBe(1);

    await one.send(gravar([cliente()], { link: `${WSDL_LINK}&v=2` }));
    await one.send(gravar([cliente()], { link: `${WSDL_LINK}&v=3` }));
    expect(small.size).toBe(2);
    expect(server.requests.wsdlFetches).toBe(3);
    await two.send(gravar([cliente()])); // the first WSDL was the least recently used: evicted, so loaded again
    expect(server.requests.wsdlFetches).toBe(4);

    const missing = await rejection(one.send(gravar([cliente()], { link: '/g5-senior-services/nao_existe?wsdl' })));
    expect(missing).toBeInstanceOf(ReceptorError);
    expect(missing).toMatchObject({ exchange: { statusCode: 404 } });
    expect(small.size).toBe(2);
  });

  it('names a missing WSDL as shown: the library\'s "Invalid WSDL URL" text quotes the link with its token', async () => {
    const missing = (await rejection(
      transportFor().send(gravar([cliente()], { link: '/g5-senior-services/nao_existe?wsdl&token=S3CRET' })),
    )) as ReceptorError;
    expect(missing).toBeInstanceOf(ReceptorError);
    const texts = JSON.stringify([missing.message, missing.receptorMessage, missing.exchange]);
    expect(texts).toContain('/g5-senior-services/nao_existe?wsdl&token=***');
    expect(texts).not.toContain('S3CRET');
    // The library's error, kept as the cause, still quotes the full link: the logger masks it wherever it is logged.
    expect(JSON.stringify(redactSecrets(missing))).toContain('the WSDL at http://');
    expect(JSON.stringify(redactSecrets(missing))).not.toContain('S3CRET');
  });

  it('refuses an unknown operation and a link that is not a path on the connection', async () => {
    const transport = transportFor();
    const operation = await rejection(transport.send({ ...gravar([cliente()]), operation: 'clearSoapHeaders' }));
    expect(operation).toBeInstanceOf(InvalidIntegrationError);
    expect(operation.message).toContain('GravarClientes, obterCliente');
    const link = await rejection(transport.send({ ...gravar([cliente()]), link: '@evil.example/x?wsdl' }));
    expect(link).toMatchObject({ name: 'InvalidIntegrationError', field: 'link', permanent: true });
    expect(server.requests.count).toBe(0);
    // A link carrying a token in its query is named as shown, in the message and in the error's value alike.
    const withToken = await rejection(transport.send({ ...gravar([cliente()], { link: `${WSDL_LINK}&token=s3cr3t` }), operation: 'Nada' }));
    expect(withToken.message).toContain(`the web service at ${WSDL_LINK}&token=***:`);
    const outside = await rejection(transport.send({ ...gravar([cliente()]), link: '/x/../..//evil.example/y?token=s3cr3t' }));
    for (const error of [withToken, outside]) expect(JSON.stringify({ ...error, message: error.message })).not.toContain('s3cr3t');
  });

  it('refuses loopback unless the connection allows private networks, before any byte is sent', async () => {
    for (const baseUrl of [server.url, server.url.replace('127.0.0.1', 'localhost')]) {
      const error = await rejection(transportFor({ baseUrl, allowPrivateNetwork: false }).send(gravar([cliente()])));
      expect(error).toBeInstanceOf(OutboundAddressError);
      expect(error).toMatchObject({ code: 'OUTBOUND_ADDRESS_FORBIDDEN', permanent: true });
    }
    expect(server.requests).toMatchObject({ count: 0, wsdlFetches: 0 });
  });

  it('checks every call, not only the WSDL load: a client cached by a connection that allows private networks does not help one that does not', async () => {
    await transportFor({ allowPrivateNetwork: true }).send(gravar([cliente()]));
    const before = server.requests.count;
    const error = await rejection(transportFor({ allowPrivateNetwork: false }).send(gravar([cliente()])));
    expect(error).toBeInstanceOf(OutboundAddressError);
    expect(server.requests.count).toBe(before);
  });
});
