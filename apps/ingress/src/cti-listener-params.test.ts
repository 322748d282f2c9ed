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
    ['telefone=11987654321', 'ramal', 'parâmetro "ramal" é obrigatório (esperado: até 20 caracteres entre letras, dígitos, *, # e -)'],
    ['ramal=3501', 'telefone', 'parâmetro "telefone" é obrigatório (esperado: até 40 caracteres)'],
    [`ramal=3501&telefone=${'1'.repeat(41)}`, 'telefone', 'parâmetro "telefone" é inválido (esperado: até 40 caracteres)'],
    [
      'ramal=35%2001&telefone=11987654321',
      'ramal',
      'parâmetro "ramal" é inválido (esperado: até 20 caracteres entre letras, dígitos, *, # e -)',
    ],
    [
      `ramal=3501&telefone=11987654321&url_audio=${'a'.repeat(1001)}`,
      'url_audio',
      'parâmetro "url_audio" é inválido (esperado: opcional, até 1000 caracteres)',
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
        'parameter "ramal" is required (expected: up to 20 letters, digits, *, # or -); parameter "telefone" is required (expected: up to 40 characters); parameter "url_audio" is invalid (expected: optional, up to 1000 characters)',
    });
    // A request that is fine is taken.
    expect((await call('ramal=3501&telefone=11987654321')).statusCode).toBe(200);
  });
});
