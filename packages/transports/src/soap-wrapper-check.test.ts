import { describedParameters, missingSoapWrapper } from './soap-wrapper-check';

// As node-soap's client.describe() gives Senior G5's GravarClientes (test/fixtures/senior-g5's WSDL), shortened.
const DESCRIBED = {
  Service: {
    Port: {
      GravarClientes: {
        input: {
          user: 'xsd:string',
          password: 'xsd:string',
          encryption: 'xsd:int',
          parameters: {
            'dadosGeraisCliente[]': {
              codCli: 'xsd:int',
              nomCli: 'xsd:string',
              cgcCpf: 'xsd:string',
              'enderecosEntrega[]': { endEnt: 'xsd:string', targetNSAlias: 'tns', targetNamespace: 'http://services.senior.com.br' },
              targetNSAlias: 'tns',
              targetNamespace: 'http://services.senior.com.br',
            },
            targetNSAlias: 'tns',
            targetNamespace: 'http://services.senior.com.br',
          },
        },
      },
      obterCliente: { input: { parameters: { codCli: 'xsd:int', cgcCpf: 'xsd:string' } } },
    },
  },
};

describe('a SOAP mapping that misses the WSDL wrapper', () => {
  const gravar = describedParameters(DESCRIBED, 'GravarClientes') ?? {};

  it('names the element the fields belong in, and which fields', () => {
    expect(missingSoapWrapper(gravar, { nomCli: 'Ana', cgcCpf: '1', codCli: 3 })).toEqual({
      wrapper: 'dadosGeraisCliente',
      fields: ['nomCli', 'cgcCpf', 'codCli'],
    });
  });

  it('says nothing for a body inside its wrapper, an operation with flat parameters, or fields no element has', () => {
    expect(missingSoapWrapper(gravar, { dadosGeraisCliente: { nomCli: 'Ana' } })).toBeUndefined();
    expect(missingSoapWrapper(describedParameters(DESCRIBED, 'obterCliente') ?? {}, { codCli: 3 })).toBeUndefined();
    expect(missingSoapWrapper(gravar, { campoInventado: 1 })).toBeUndefined();
    expect(describedParameters(DESCRIBED, 'Inexistente')).toBeUndefined();
  });
});
