import { Secret } from '@integrador/connections';
import { DEFAULT_CREDENTIALS, type SeniorG5Server, startSeniorG5Server, WSDL_LINK } from '../../../test/fixtures/senior-g5';
import { batchingTransport, ownElement } from './batching-transport';
import { ResponseTooLargeError, TransientTransportError } from './errors';
import { createSoapTransport } from './soap-transport';
import type { Transport, TransportRequest, TransportResult } from './transport';

describe("a batched call's exchange as one record's attempt keeps it", () => {
  const request =
    '<soap:Envelope><soap:Body><ns:GravarClientes><parameters>' +
    '<dadosGeraisCliente><nomCli>A</nomCli></dadosGeraisCliente>' +
    '<dadosGeraisCliente><nomCli>B</nomCli></dadosGeraisCliente>' +
    '<dadosGeraisCliente><nomCli>C</nomCli></dadosGeraisCliente>' +
    '</parameters></ns:GravarClientes></soap:Body></soap:Envelope>';

  it('keeps the envelope and only its own record, by position', () => {
    expect(ownElement(request, 'dadosGeraisCliente', 1, 3)).toBe(
      '<soap:Envelope><soap:Body><ns:GravarClientes><parameters>' +
        '<dadosGeraisCliente><nomCli>B</nomCli></dadosGeraisCliente>' +
        '</parameters></ns:GravarClientes></soap:Body></soap:Envelope>',
    );
  });

  it('reads namespace prefixes and attributes', () => {
    const answer =
      '<r><x:retornosClientes a="1"><codCli>1</codCli></x:retornosClientes><x:retornosClientes><codCli>2</codCli></x:retornosClientes></r>';
    expect(ownElement(answer, 'retornosClientes', 0, 2)).toBe('<r><x:retornosClientes a="1"><codCli>1</codCli></x:retornosClientes></r>');
  });

  it('keeps the whole text when the elements do not match the records', () => {
    expect(ownElement(request, 'dadosGeraisCliente', 0, 2)).toBe(request);
    expect(ownElement(request, 'outraLista', 0, 3)).toBe(request);
  });
});

describe('micro-batches against the Senior G5 double (real SOAP on loopback)', () => {
  let server: SeniorG5Server;
  const transports: Transport[] = [];
  beforeEach(async () => {
    // Every call takes a second at the ERP: longer than a batch waits for the call before it, with room for a busy
    // machine's stalls (the pushes made 50 ms into a call must still find it under way, their batch sent within it).
    server = await startSeniorG5Server({ callLatencyMs: 1000 });
  });
  afterEach(async () => {
    await Promise.all(transports.splice(0).map((transport) => transport.close?.()));
    await server.close();
  });

  const soap = () => {
    const transport = createSoapTransport({
      kind: 'webservice',
      name: 'senior_g5',
      baseUrl: server.url,
      user: DEFAULT_CREDENTIALS.user,
      password: new Secret(DEFAULT_CREDENTIALS.password),
      encryption: 0,
      timeoutMs: 5000,
      allowPrivateNetwork: true, // the double listens on loopback
    });
    transports.push(transport);
    return transport;
  };
  const push = (n: number): TransportRequest => ({
    link: WSDL_LINK,
    operation: 'GravarClientes',
    body: {
      dadosGeraisCliente: {
        nomCli: `Cliente ${n}`,
        apeCli: `C${n}`,
        tipCli: 'J',
        tipMer: 'I',
        cliCon: 'S',
        cgcCpf: `12.345.678/0001-${String(n).padStart(2, '0')}`,
        sitCli: 'A',
        ideExt: `crm-${n}`,
      },
    },
    timeoutMs: 5000,
  });
  const ownIdeExt = (result: TransportResult) =>
    ((result.data as Record<string, unknown[]>).retornosClientes?.[0] as { ideExt?: string } | undefined)?.ideExt;

  /** One push, then three more while its call is under way; resolves with each push's own ideExt. */
  async function pushes(batcher: Transport): Promise<(string | undefined)[]> {
    const first = batcher.send(push(1));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const rest = [2, 3, 4].map((n) => batcher.send(push(n)));
    return (await Promise.all([first, ...rest])).map(ownIdeExt);
  }

  it('sends a batch that opened during a slow call after gatherMs, without waiting for that call', async () => {
    const answers = await pushes(batchingTransport(soap(), { max: 50, answerList: 'retornosClientes', gatherMs: 20 }));
    expect(answers).toEqual(['crm-1', 'crm-2', 'crm-3', 'crm-4']);
    expect(server.requests.count).toBe(2);
    expect(server.requests.maxInFlight).toBe(2);
  });

  it('waits for the call under way when that call returns within gatherMs', async () => {
    const answers = await pushes(batchingTransport(soap(), { max: 50, answerList: 'retornosClientes', gatherMs: 10_000 }));
    expect(answers).toEqual(['crm-1', 'crm-2', 'crm-3', 'crm-4']);
    expect(server.requests.count).toBe(2);
    expect(server.requests.maxInFlight).toBe(1);
  });

  it('fails each push of a batch for good when the WSDL is too large (nothing was sent)', async () => {
    server.setMode('gzip-bomb');
    const batcher = batchingTransport(soap(), { max: 50, answerList: 'retornosClientes', gatherMs: 20 });
    const batched = await Promise.allSettled([1, 2, 3].map((n) => batcher.send(push(n))));
    for (const outcome of batched) {
      const reason = (outcome as PromiseRejectedResult).reason as ResponseTooLargeError;
      expect(reason).toBeInstanceOf(ResponseTooLargeError);
      expect(reason).toMatchObject({ permanent: true, mayHaveBeenProcessed: false });
    }
  });

  it('fails each push of a batch whose answer is too large as transient (alone it may fit), a lone push for good', async () => {
    const inner = soap();
    await inner.send(push(0)); // the WSDL is loaded: what meets the bomb now is the call
    server.setMode('gzip-bomb');
    const batcher = batchingTransport(inner, { max: 50, answerList: 'retornosClientes', gatherMs: 20 });
    const alone = await batcher.send(push(1)).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(alone).toBeInstanceOf(ResponseTooLargeError);
    const batched = await Promise.allSettled([2, 3, 4].map((n) => batcher.send(push(n))));
    // One call (the bomb answers before the double counts a call): the three share its one failure.
    expect(new Set(batched.map((outcome) => ((outcome as PromiseRejectedResult).reason as Error).cause)).size).toBe(1);
    for (const outcome of batched) {
      expect(outcome.status).toBe('rejected');
      const reason = (outcome as PromiseRejectedResult).reason as TransientTransportError;
      expect(reason).toBeInstanceOf(TransientTransportError);
      expect(reason.permanent).toBe(false);
      expect(reason.cause).toBeInstanceOf(ResponseTooLargeError);
      expect(reason.message).toContain('a batched call of 3 records');
      // The user's text, in pt-BR, for the run to record: the limit, and no promise of a resend (the next attempt checks
      // the record first; it is also the final text once no attempts remain).
      expect(reason.receptorMessage).toMatch(
        /^a resposta de http:\/\/127\.0\.0\.1:\d+\/\S+ a um envio em lote de 3 registros passa do limite de 16 MiB /,
      );
      expect(reason.receptorMessage).toContain('a próxima tentativa confere o registro antes de enviá-lo de novo');
      expect(reason.receptorMessage).toContain('se não restarem tentativas, confira no ERP');
      expect(reason.message).toContain('over the 16 MiB limit');
    }
  });
});
