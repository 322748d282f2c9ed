import { Secret } from '@integrador/connections';
import { type SeniorG5Server, startSeniorG5Server, WSDL_LINK } from '../../../test/fixtures/senior-g5';
import { loadSoap } from './lazy-modules';
import { SoapClientCache } from './soap-client-cache';
import { createSoapTransport } from './soap-transport';
import type { Transport, TransportRequest } from './transport';

type FindChild = (this: unknown, parent: unknown, childName: unknown, backtrace?: unknown) => unknown;

let server: SeniorG5Server;
const transports: Transport[] = [];

beforeEach(async () => {
  server = await startSeniorG5Server({ credentials: { user: 'integrador', password: 'senha' } });
});
afterEach(async () => {
  await Promise.all(transports.splice(0).map((transport) => transport.close?.()));
  await server.close();
});

function transport(): Transport {
  const created = createSoapTransport(
    {
      kind: 'webservice',
      name: 'senior_g5',
      baseUrl: server.url,
      user: 'integrador',
      password: new Secret('senha'),
      encryption: 0,
      timeoutMs: 5000,
      allowPrivateNetwork: true, // the double listens on loopback
    },
    { cache: new SoapClientCache({ max: 10 }) },
  );
  transports.push(created);
  return created;
}

function gravar(first: number, count: number): TransportRequest {
  const dados = Array.from({ length: count }, (_, i) => ({
    nomCli: `Cliente ${first + i} & Filhos`,
    apeCli: `Cliente ${first + i}`,
    tipCli: 'J',
    tipMer: 'I',
    cliCon: 'S',
    cgcCpf: String(10_000_000_000_000 + first + i),
    sitCli: 'A',
    ideExt: `crm-${first + i}`,
  }));
  return { link: WSDL_LINK, operation: 'GravarClientes', body: { dadosGeraisCliente: dados }, timeoutMs: 5000 };
}

describe('soap schema lookups remembered per client', () => {
  it('searches the schema once per element kind, not again for every customer and call; the envelope is unchanged', async () => {
    const { WSDL } = (await loadSoap()) as unknown as { WSDL: { prototype: { findChildSchemaObject: FindChild } } };
    const original = WSDL.prototype.findChildSchemaObject;
    let searches = 0;
    WSDL.prototype.findChildSchemaObject = function (this: unknown, parent, childName, backtrace) {
      // Searches from a schema object (soap also asks with no object while reading answers, which returns at once).
      if (backtrace === undefined && parent) searches += 1;
      return original.call(this, parent, childName, backtrace);
    };
    try {
      const soap = transport();
      const first = await soap.send(gravar(1, 3));
      const afterFirst = searches;
      const second = await soap.send(gravar(4, 20));
      // Every element name of the second call (20 customers) was already searched for in the first.
      expect(afterFirst).toBeGreaterThan(0);
      expect(searches).toBe(afterFirst);
      expect(second.data).toMatchObject({ tipoRetorno: 1 });
      expect(server.customers.size).toBe(23);
      // The same envelope as soap writes without the memo: elements, escaping and namespaces.
      expect(first.exchange.request).toContain('<nomCli>Cliente 1 &amp; Filhos</nomCli>');
      expect(second.exchange.request.match(/<dadosGeraisCliente>/g)).toHaveLength(20);
    } finally {
      WSDL.prototype.findChildSchemaObject = original;
    }
  });
});
