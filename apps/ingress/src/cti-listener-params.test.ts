import { saveCtiSettings } from '@integrador/cti';
import { createEmpresa } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { startTestIngress, type TestIngress } from '../../../test/support/test-ingress';

// The PBX listeners' 400, as the PBX technician reads it: the parameters that failed, each with what it takes — not
// a list of every parameter.
describe('CTI listener parameters refused', () => {
  let database: TestDatabase;
  let ingress: TestIngress;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    const empresaId = await createEmpresa(database.db, 'Acme');
    await saveCtiSettings(database.db, empresaId, { hostLabel: 'acme', allowAnyOrigin: true });
    ingress = await startTestIngress(database, {
      deps: { cti: { domain: 'crm.test', trustedProxies: [], dedupeWindowMs: 2000, callTimeoutMs: 60000, popTokenTtlMs: 60000 } },
    });
  });

  afterAll(async () => {
    await ingress.close();
    await database.drop();
  });

  const call = (query: string, lang?: string) =>
    ingress.app.inject({
      url: `/wconnect/WConnect_WSDL_FinalizaLigacao.php?${query}`,
      headers: { host: 'acme.crm.test', ...(lang ? { 'accept-language': lang } : {}) },
    });

  it.each([
    [
      'telefone=11987654321',
      'ramal',
      'parâmetro "ramal" é obrigatório (esperado: até 20 caracteres entre letras, dígitos, *, # e - (o canal do PABX também serve: SIP/201 ou PJSIP/201-0000001a é o ramal 201))',
    ],
    [
      `ramal=3501&telefone=${'1'.repeat(41)}`,
      'telefone',
      'parâmetro "telefone" é inválido (esperado: até 40 caracteres, numa linha, sem caracteres de controle)',
    ],
    [
      'ramal=35%2001&telefone=11987654321',
      'ramal',
      'parâmetro "ramal" é inválido (esperado: até 20 caracteres entre letras, dígitos, *, # e - (o canal do PABX também serve: SIP/201 ou PJSIP/201-0000001a é o ramal 201))',
    ],
    [
      `ramal=3501&telefone=11987654321&url_audio=${'a'.repeat(1001)}`,
      'url_audio',
      'parâmetro "url_audio" é inválido (esperado: opcional, até 1000 caracteres, numa linha, sem caracteres de controle)',
    ],
  ])('%#: names only the failing parameter and what it takes', async (query, field, text) => {
    const res = await call(query);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toEqual({ code: 'VALIDATION_FAILED', field, message: text });
  });

  it('names every failing parameter when several fail, in English too', async () => {
    const both = await call(`url_audio=${'a'.repeat(1001)}`, 'en');
    expect(both.json().error).toEqual({
      code: 'VALIDATION_FAILED',
      field: 'ramal',
      message:
        'parameter "ramal" is required (expected: up to 20 letters, digits, *, # or - (the PBX channel will do too: SIP/201 or PJSIP/201-0000001a is extension 201)); parameter "url_audio" is invalid (expected: optional, up to 1000 characters on one line, no control characters)',
    });
    // A request that is fine is taken; so is one with no telefone (a withheld caller id: trial 3, finding 2).
    expect((await call('ramal=3501&telefone=11987654321')).statusCode).toBe(200);
    expect((await call('ramal=3502&telefone=')).statusCode).toBe(200);
  });

  const TELEFONE_TAKES = 'até 40 caracteres, numa linha, sem caracteres de controle';
  const RAMAL_TAKES =
    'até 20 caracteres entre letras, dígitos, *, # e - (o canal do PABX também serve: SIP/201 ou PJSIP/201-0000001a é o ramal 201)';

  it.each([
    ['ramal=201%0A&telefone=11987654321', 'ramal', `parâmetro "ramal" é inválido (esperado: ${RAMAL_TAKES})`],
    ['ramal=20%091&telefone=11987654321', 'ramal', `parâmetro "ramal" é inválido (esperado: ${RAMAL_TAKES})`],
    ['ramal=%09201&telefone=11987654321', 'ramal', `parâmetro "ramal" é inválido (esperado: ${RAMAL_TAKES})`],
    ['ramal=201&telefone=119%0A8765%004321', 'telefone', `parâmetro "telefone" é inválido (esperado: ${TELEFONE_TAKES})`],
  ])(
    '%#: refuses control characters (a tab, a line break) as the API does; surrounding spaces are dropped (ramalOf)',
    async (query, field, text) => {
      const res = await call(query);
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toEqual({ code: 'VALIDATION_FAILED', field, message: text });
    },
  );

  const post = (payload: string, contentType: string) =>
    ingress.app.inject({
      method: 'POST',
      url: '/wconnect/WConnect_WSDL_FinalizaLigacao.php',
      headers: { host: 'acme.crm.test', 'content-type': contentType },
      payload,
    });

  it('takes strings only from a JSON body; a form and a JSON body of strings still work', async () => {
    const objects = await post(JSON.stringify({ ramal: ['7001'], telefone: { a: 1 } }), 'application/json');
    expect(objects.statusCode).toBe(400);
    expect(objects.json().error.message).toBe(
      `parâmetro "ramal" é inválido (esperado: ${RAMAL_TAKES}); parâmetro "telefone" é inválido (esperado: ${TELEFONE_TAKES})`,
    );
    const fraction = await post(JSON.stringify({ ramal: 7001.5, telefone: '11987654321' }), 'application/json');
    expect(fraction.json().error).toMatchObject({ field: 'ramal' });
    expect((await post(JSON.stringify({ ramal: '7001', telefone: '11987654321' }), 'application/json')).statusCode).toBe(200);
    expect(
      (await post('ramal=7001&telefone=11987654321&url_audio=http%3A%2F%2Fpbx%2Fa.wav', 'application/x-www-form-urlencoded')).statusCode,
    ).toBe(200);
  });

  const jobsOf = async (ramal: string) =>
    (await ingress.producer.queue('cti').getJobs(['waiting', 'delayed', 'prioritized'])).filter((job) => job.data.ramal === ramal);

  it('takes JSON integers as their decimal text (a PBX does not retry a 400), a fraction or a negative not', async () => {
    const number = await post(JSON.stringify({ ramal: 7011, telefone: 11987654321 }), 'application/json');
    expect(number.statusCode).toBe(200);
    expect((await jobsOf('7011')).map((job) => job.data.telefone)).toEqual(['11987654321']);
    const negative = await post(JSON.stringify({ ramal: '7011', telefone: -11987654321 }), 'application/json');
    expect(negative.json().error).toMatchObject({ field: 'telefone' });
  });

  it('says a repeated field is to be sent once, in the query, a form or a JSON array', async () => {
    const query = await call('ramal=201&ramal=202&telefone=11987654321');
    expect(query.json().error).toEqual({
      code: 'VALIDATION_FAILED',
      field: 'ramal',
      message: `parâmetro "ramal" veio mais de uma vez; envie uma vez (esperado: ${RAMAL_TAKES})`,
    });
    const form = await post('ramal=201&telefone=1&telefone=2', 'application/x-www-form-urlencoded');
    expect(form.json().error).toMatchObject({ field: 'telefone', message: expect.stringContaining('envie uma vez') });
    const json = await post(JSON.stringify({ ramal: '201', telefone: ['1', '2'] }), 'application/json');
    expect(json.json().error).toMatchObject({ field: 'telefone', message: expect.stringContaining('envie uma vez') });
  });

  it("reads a telefone's unencoded + (a space once URL-decoded) as +, in the query, a form and a text/plain form; JSON is taken as sent", async () => {
    expect((await call('ramal=7012&telefone=+12125551234')).statusCode).toBe(200);
    expect((await post('ramal=7013&telefone=+376312345', 'application/x-www-form-urlencoded')).statusCode).toBe(200);
    expect((await post(JSON.stringify({ ramal: '7014', telefone: ' 11987654321' }), 'application/json')).statusCode).toBe(200);
    expect((await post('ramal=7015&telefone=+442071234567', 'text/plain; charset=utf-8')).statusCode).toBe(200);
    const sent = async (ramal: string) => (await jobsOf(ramal)).map((job) => job.data.telefone);
    expect([await sent('7012'), await sent('7013'), await sent('7014'), await sent('7015')]).toEqual([
      ['+12125551234'],
      ['+376312345'],
      [' 11987654321'],
      ['+442071234567'],
    ]);
  });

  it('answers HEAD as GET would, with no body, and records nothing (a HEAD is a health check, not a call)', async () => {
    const queue = ingress.producer.queue('cti');
    const before = await queue.getJobCounts();
    for (const url of [
      '/wconnect/WConnect_WSDL_ConsultaRamal.php?ramal=7002&telefone=11987654321',
      '/wconnect/WConnect_WSDL_FinalizaLigacao.php?ramal=7002&telefone=11987654321',
    ]) {
      const res = await ingress.app.inject({ method: 'HEAD', url, headers: { host: 'acme.crm.test' } });
      expect([res.statusCode, res.body]).toEqual([200, '']);
    }
    expect(await queue.getJobCounts()).toEqual(before);
  });

  it('answers a text body without the parameters with a 415 saying what the listener takes (trial F9)', async () => {
    for (const [type, body] of [
      ['text/xml', 'ramal=7001&telefone=11987654321'],
      ['text/plain', 'uma ligação'],
    ] as const) {
      const res = await post(body, type);
      expect({ type, status: res.statusCode, error: res.json().error }).toEqual({
        type,
        status: 415,
        error: {
          code: 'UNSUPPORTED_MEDIA_TYPE',
          message: `tipo de conteúdo não suportado: ${type}; envie ramal, telefone e url_audio na query string ou no corpo como formulário (content-type: application/x-www-form-urlencoded ou text/plain) ou JSON (content-type: application/json)`,
        },
      });
    }
  });

  it('takes a text/plain POST (what fetch sends for an empty body) with the parameters in the query string, and records the call', async () => {
    const queue = ingress.producer.queue('cti');
    const waiting = async () => (await queue.getJobCounts()).waiting ?? 0;
    const before = await waiting();
    for (const [query, body, type] of [
      ['ramal=7003&telefone=11987654321', '', 'text/plain;charset=UTF-8'],
      ['ramal=7004&telefone=11987654322', '<xml/>', 'text/xml'],
      ['', 'ramal=7005&telefone=11987654323', 'text/plain'],
    ] as const) {
      const res = await ingress.app.inject({
        method: 'POST',
        url: `/wconnect/WConnect_WSDL_ConsultaRamal.php?${query}`,
        headers: { host: 'acme.crm.test', 'content-type': type },
        payload: body,
      });
      expect({ query, type, status: res.statusCode, body: res.body }).toEqual({ query, type, status: 200, body: 'OK' });
    }
    expect(await waiting()).toBe(before + 3);
    // An invalid parameter is still named (400), whatever the content type.
    const invalid = await ingress.app.inject({
      method: 'POST',
      url: '/wconnect/WConnect_WSDL_ConsultaRamal.php?ramal=35%2001&telefone=11987654321',
      headers: { host: 'acme.crm.test', 'content-type': 'text/plain' },
      payload: '',
    });
    expect([invalid.statusCode, invalid.json().error.field]).toEqual([400, 'ramal']);
  });
});
