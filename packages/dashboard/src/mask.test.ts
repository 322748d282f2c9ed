import { maskedJson, maskMessage, maskRecord, maskSecrets, maskUrl, maskUrlsIn } from './mask';

// Rows written before the engine stored URLs as shownUrl gives them hold the full URL: masked when shown.
describe('masking stored URLs for the operator', () => {
  it('shows a stored attempt URL without query values or userinfo', () => {
    expect(maskUrl('http://user:pass@erp.example:8080/svc?wsdl&token=s3cr3t')).toBe('http://erp.example:8080/svc?wsdl&token=***');
    expect(maskUrl(null)).toBeNull();
  });

  it('masks every URL inside a message or a job log line, keeping the text around it', () => {
    expect(maskUrlsIn('could not reach http://u:pass@erp.example/svc?apikey=s3cr3t (ECONNREFUSED).')).toBe(
      'could not reach http://erp.example/svc?apikey=*** (ECONNREFUSED).',
    );
    expect(maskUrlsIn('{"recordKey":"42","url":"https://u:pass@h.example/x?token=s3cr3t#f","error":null}')).toBe(
      '{"recordKey":"42","url":"https://h.example/x?token=***#f","error":null}',
    );
    expect(maskUrlsIn('no address here')).toBe('no address here');
    expect(maskUrlsIn(null)).toBeNull();
  });

  it("masks a job record's message and search text: URLs and the secret-named fields a receptor's refusal quoted", () => {
    const message =
      'receptor rejected the request: {"erro":"login inválido","senha":"abc123"} at http://u:pass@erp.example/g5?token=s3cr3t';
    // An HTTP_ERROR's detail (the endpoint's answer, quoted in a JSON string) among the failure's values.
    const parametros = JSON.stringify({ servicoId: 3, $erro: { status: 500, detail: '{"erro":"x","senha":"abc123"}' } });
    const record = { id: 1, erro_mensagem: message, busca: `integration.run ${message.toLowerCase()}`, parametros };
    const shown = maskRecord(record);
    expect(JSON.parse(shown.parametros).$erro.detail).toBe('{"erro":"x","senha":"••••••"}');
    expect(shown.erro_mensagem).toBe(
      'receptor rejected the request: {"erro":"login inválido","senha":"••••••"} at http://erp.example/g5?token=***',
    );
    expect(shown.busca).not.toMatch(/abc123|pass@|s3cr3t/);
    expect(shown.id).toBe(1);
    expect(maskMessage(null)).toBeNull();
  });

  it('masks a secret cut by the end of the text (a search text written before it was masked, cut at 1000 characters)', () => {
    const record = {
      erro_mensagem: null,
      parametros: null,
      busca: 'integration.run receptor rejected the request: {"erro":"login","senha":"su',
    };
    expect(maskRecord(record).busca).toBe('integration.run receptor rejected the request: {"erro":"login","senha":"••••••"');
    expect(maskSecrets('{"token":"ab\\')).toBe('{"token":"••••••"');
    expect(maskSecrets('<soap:Body><senha>segr')).toBe('<soap:Body><senha>••••••');
    expect(maskSecrets('<senha>segredo</sen')).toBe('<senha>••••••');
    expect(maskSecrets('<senha>segredo</senha><login>ana</login>')).toBe('<senha>••••••</senha><login>ana</login>');
  });

  it('masks a name that holds a secret word, not only the exact names, and leaves the other names alone', () => {
    expect(maskSecrets('{"access_token":"eyJx","client_secret":"c1","x-api-key":"k2","refreshToken":"r3"}')).toBe(
      '{"access_token":"••••••","client_secret":"••••••","x-api-key":"••••••","refreshToken":"••••••"}',
    );
    expect(maskSecrets('<ns1:senhaUsuario>s3</ns1:senhaUsuario><pass>p4</pass>')).toBe(
      '<ns1:senhaUsuario>••••••</ns1:senhaUsuario><pass>••••••</pass>',
    );
    expect(maskSecrets('grant_type=password&client_secret=c5&scope=x')).toBe('grant_type=password&client_secret=***&scope=x');
    const plain = '{"secretaria":"Financeira","passageiro":"Ana","login":"ana","contaId":"42"}';
    expect(maskSecrets(plain)).toBe(plain);
    // A job log line: the attempt as JSON, its error quoting the refused body (quotes escaped once).
    const logLine = JSON.stringify({ recordKey: '42', error: 'receptor rejected: {"senha":"s3\\"x","login":"ana"}' });
    expect(maskSecrets(logLine)).toBe('{"recordKey":"42","error":"receptor rejected: {\\"senha\\":\\"••••••\\",\\"login\\":\\"ana\\"}"}');
    // A long run of name characters (names are bounded: no catastrophic backtracking, which would time this test out).
    const long = `{"${'a'.repeat(200_000)}":"x"}`;
    expect(maskSecrets(long)).toBe(long);
  });

  it('masks the URL line of a stored REST request with the other secrets', () => {
    const shown = maskSecrets('POST https://u:pass@api.example/clientes?chave=s3cr3t\nauthorization: [REDACTED]\n\n{"senha":"x"}');
    expect(shown).toBe('POST https://api.example/clientes?chave=***\nauthorization: [REDACTED]\n\n{"senha":"••••••"}');
  });

  it('leaves what operators read intact: a REST preview, a SOAP envelope with namespaces and &amp;, a database receptor url', () => {
    const preview = {
      url: 'http://erp/api/clientes',
      request: 'POST http://erp/api/clientes\ncontent-type: application/json\n\n{"nome":"Ana"}',
    };
    expect(maskedJson(preview)).toBe(JSON.stringify(preview, null, 2));
    const envelope =
      '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ser="http://services.senior.com.br"><ser:link>http://erp/x?a=1&amp;b=2</ser:link></soapenv:Envelope>';
    expect(maskSecrets(envelope)).toBe(envelope.replace('a=1&amp;b=2', 'a=***&amp;b=***'));
    expect(maskUrl('postgres://crm.internal/crm#clientes')).toBe('postgres://crm.internal/crm#clientes');
    expect(maskUrlsIn('insert failed at postgres://crm.internal/crm#clientes: duplicate key')).toBe(
      'insert failed at postgres://crm.internal/crm#clientes: duplicate key',
    );
  });

  it('masks a secret inside a preview string without swallowing the text after it', () => {
    const shown = maskedJson({ request: 'POST http://u:p@erp/api/clientes?token=s3cr3t\n\n{"senha":"x"}' });
    expect(shown).toBe(JSON.stringify({ request: 'POST http://erp/api/clientes?token=***\n\n{"senha":"••••••"}' }, null, 2));
  });

  // fixrev11a's note: the preview masked only string values of secret-named fields (the text rule reads "…":"…").
  it('masks a secret-named value whole whatever it is (number, boolean, object, list), as a stored parametros JSON does', () => {
    const preview = { consulta: { senha: 123456, token: true, apiKey: { id: 'k' }, segredos: ['a'], password: null, ids: [1, 2] } };
    const masked = { senha: '••••••', token: '••••••', apiKey: '••••••', segredos: '••••••', password: null, ids: [1, 2] };
    expect(maskedJson(preview)).toBe(JSON.stringify({ consulta: masked }, null, 2));
    expect(JSON.parse(maskRecord({ erro_mensagem: null, busca: null, parametros: JSON.stringify(preview) }).parametros)).toEqual({
      consulta: masked,
    });
    expect(maskedJson(undefined)).toBe('');
  });

  it('shows a Date and a Buffer as JSON does, not as {} or an index map', () => {
    const when = new Date('2026-12-05T08:00:00.000Z');
    const value = { when, bytes: Buffer.from('ab'), link: '/api/x?token=s3cr3t' };
    expect(maskedJson(value)).toBe(JSON.stringify({ ...value, link: '/api/x?token=***' }, null, 2));
    expect(maskedJson(value)).toContain('"when": "2026-12-05T08:00:00.000Z"');
  });
});

describe('masking a stored parametros JSON', () => {
  it('stays JSON when a value was cut inside a secret element, and masks secret-named fields whole', () => {
    // An HTTP_ERROR's detail keeps the answer's first 300 characters: it may end inside <senha>…
    const parametros = JSON.stringify({ servicoId: 4, $erro: { status: 500, detail: 'HTTP 500 <erro><senha>s3cr3t' }, apiKey: 'k-123' });
    const shown = maskRecord({ erro_mensagem: null, busca: null, parametros });
    const parsed = JSON.parse(shown.parametros) as { servicoId: number; $erro: { detail: string }; apiKey: string };
    expect(parsed).toEqual({ servicoId: 4, $erro: { status: 500, detail: 'HTTP 500 <erro><senha>••••••' }, apiKey: '••••••' });
    expect(maskRecord({ erro_mensagem: null, busca: null, parametros: 'not json {"senha":"x"}' }).parametros).toBe(
      'not json {"senha":"••••••"}',
    );
  });
});
