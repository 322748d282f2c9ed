import { catchUpPhoneIndex, saveCtiSettings } from '@integrador/cti';
import { createEmpresa, issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { startTestIngress, type TestIngress } from '../../../test/support/test-ingress';

// A read-only caller lookup (trial 3, finding 3): how the hub reads a PBX's caller-id forms, before going live, without
// writing test calls into the customer's call log.
describe('GET /v1/cti/lookup', () => {
  let database: TestDatabase;
  let ingress: TestIngress;
  let key: string;
  let keyOutra: string;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    const acme = await createEmpresa(database.db, 'Acme');
    const outra = await createEmpresa(database.db, 'Outra');
    await saveCtiSettings(database.db, acme, { hostLabel: 'acme', allowAnyOrigin: true });
    key = await issueApiKey(database.db, acme, null, 'test');
    keyOutra = await issueApiKey(database.db, outra, null, 'test');
    await database.db
      .insertInto('contas')
      .values([
        { empresa_id: acme, nome: 'Padaria Pão Quente', telefone: '(11) 98765-4301' },
        { empresa_id: acme, nome: 'Decoy RJ', telefone: '(21) 98765-4301' },
        { empresa_id: outra, nome: 'Conta da Outra', telefone: '11 98765-4301' },
      ])
      .execute();
    await catchUpPhoneIndex(database.db);
    ingress = await startTestIngress(database, {
      deps: { cti: { domain: 'crm.test', trustedProxies: [], dedupeWindowMs: 0, callTimeoutMs: 60000, popTokenTtlMs: 60000 } },
    });
  });

  afterAll(async () => {
    await ingress.close();
    await database.drop();
  });

  const lookup = (k: string, telefone: string) =>
    ingress.app.inject({
      url: `/v1/cti/lookup?telefone=${encodeURIComponent(telefone)}`,
      headers: { authorization: `Bearer ${k}` },
    });
  const counts = async () => ({
    ligacoes: (
      await database.db
        .selectFrom('ligacoes')
        .select(({ fn }) => fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  });

  it('answers the reading and the ranked matches of the key’s empresa, writing no call', async () => {
    const before = await counts();
    const res = await lookup(key, '0 15 11 98765 4301');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      telefone: '0 15 11 98765 4301',
      tipo: 'nacional',
      normalizado: '+5511987654301',
      privado: false,
      matches: [expect.objectContaining({ tabela: 'contas', nome: 'Padaria Pão Quente', campo: 'telefone', exato: true })],
    });
    // No DDD: both of acme's contas, the ranking the screen pop uses; never the other empresa's.
    const local = (await lookup(key, '98765-4301')).json();
    expect(local).toMatchObject({ tipo: 'local', normalizado: '987654301' });
    expect(local.matches.map((m: { nome: string }) => m.nome).sort()).toEqual(['Decoy RJ', 'Padaria Pão Quente']);
    expect((await lookup(key, 'anonymous')).json()).toMatchObject({ privado: true, normalizado: null, matches: [] });
    expect(await counts()).toEqual(before);
  });

  it('is bound to the key’s empresa: another empresa’s key sees only its own records', async () => {
    const theirs = (await lookup(keyOutra, '(11) 98765-4301')).json();
    expect(theirs.matches).toEqual([expect.objectContaining({ nome: 'Conta da Outra' })]);
    expect((await lookup(keyOutra, '(21) 98765-4301')).json().matches).toEqual([]);
  });

  it('needs a key and a telefone of one line', async () => {
    expect((await ingress.app.inject({ url: '/v1/cti/lookup?telefone=11987654301' })).statusCode).toBe(401);
    expect((await lookup(key, '119\n87')).statusCode).toBe(400);
    const none = await ingress.app.inject({ url: '/v1/cti/lookup', headers: { authorization: `Bearer ${key}` } });
    expect(none.statusCode).toBe(400);
    expect(none.json().error).toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
