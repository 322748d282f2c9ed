import { catchUpPhoneIndex, saveCtiSettings } from '@integrador/cti';
import { createEmpresa, createFilial, issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { startTestIngress, type TestIngress } from '../../../test/support/test-ingress';

// A read-only caller lookup (trial 3, finding 3): how the hub reads a PBX's caller-id forms, before going live, without
// writing test calls into the customer's call log.
describe('GET /v1/cti/lookup', () => {
  let database: TestDatabase;
  let ingress: TestIngress;
  let key: string;
  let keyOutra: string;
  let keyFilial1: string;
  let keyFilial2: string;
  let acme: number;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    acme = await createEmpresa(database.db, 'Acme');
    const outra = await createEmpresa(database.db, 'Outra');
    await saveCtiSettings(database.db, acme, { hostLabel: 'acme', allowAnyOrigin: true });
    key = await issueApiKey(database.db, acme, null, 'test');
    keyOutra = await issueApiKey(database.db, outra, null, 'test');
    const filial1 = await createFilial(database.db, acme, 'Filial 1');
    const filial2 = await createFilial(database.db, acme, 'Filial 2');
    keyFilial1 = await issueApiKey(database.db, acme, filial1, 'filial 1');
    keyFilial2 = await issueApiKey(database.db, acme, filial2, 'filial 2');
    const contas = await database.db
      .insertInto('contas')
      .values([
        { empresa_id: acme, nome: 'Padaria Pão Quente', telefone: '(11) 98765-4301' },
        { empresa_id: acme, nome: 'Decoy RJ', telefone: '(21) 98765-4301' },
        { empresa_id: outra, nome: 'Conta da Outra', telefone: '11 98765-4301' },
        // One number in both filiais of acme and in the whole empresa's conta (no filial).
        { empresa_id: acme, empresa_filial_id: filial1, nome: 'Conta da Filial 1', telefone: '(47) 3322-1100' },
        { empresa_id: acme, empresa_filial_id: filial2, nome: 'Conta da Filial 2', telefone: '(47) 3322-1100' },
        { empresa_id: acme, empresa_filial_id: null, nome: 'Conta da Empresa', telefone: '47 3322 1100' },
      ])
      .returning(['id', 'nome'])
      .execute();
    const contaFilial2 = contas.find((conta) => conta.nome === 'Conta da Filial 2') as { id: number };
    await database.db
      .insertInto('contatos')
      .values([
        { empresa_id: acme, empresa_filial_id: filial2, conta_id: contaFilial2.id, nome: 'Contato da Filial 2', celular: '(47) 3322-1100' },
        { empresa_id: acme, empresa_filial_id: filial1, conta_id: contaFilial2.id, nome: 'Contato da Filial 1', celular: '(47) 3322-1100' },
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

  it('is bound to a filial key’s filial: its own and the whole empresa’s records, never another filial’s (review: fixcti 2)', async () => {
    const names = async (k: string) => (await lookup(k, '(47) 3322-1100')).json().matches.map((m: { nome: string }) => m.nome);
    expect(await names(key)).toEqual([
      'Conta da Filial 1',
      'Conta da Filial 2',
      'Conta da Empresa',
      'Contato da Filial 2',
      'Contato da Filial 1',
    ]);
    expect(await names(keyFilial1)).toEqual(['Conta da Filial 1', 'Conta da Empresa', 'Contato da Filial 1']);
    expect(await names(keyFilial2)).toEqual(['Conta da Filial 2', 'Conta da Empresa', 'Contato da Filial 2']);
    // Nothing of the other filial anywhere in the answer (names, phones).
    expect(JSON.stringify((await lookup(keyFilial1, '47 3322-1100')).json())).not.toMatch(/Filial 2/);
    expect(await names(keyOutra)).toEqual([]);
  });

  it('never catches the phone index up: while writes are noted it answers 503 with Retry-After and leaves them to worker-cti (review: fixcti 1)', async () => {
    await database.db.insertInto('contas').values({ empresa_id: acme, nome: 'Importada', telefone: '(51) 3555-0101' }).execute();
    const index = async () => ({
      notes: (await database.db.selectFrom('cti_telefones_pendentes').select('id').orderBy('id').execute()).map((r) => r.id),
      entries: (await database.db.selectFrom('cti_telefones').select(['id', 'registro_id', 'campo']).orderBy('id').execute()).map((r) =>
        JSON.stringify(r),
      ),
    });
    const before = await index();
    expect(before.notes).not.toHaveLength(0);
    const busy = await lookup(key, '(51) 3555-0101');
    expect(busy.statusCode).toBe(503);
    expect(busy.headers['retry-after']).toBe('10');
    expect(busy.json().error).toEqual({
      code: 'CTI_PHONE_INDEX_CATCHING_UP',
      message: expect.stringMatching(/índice de telefones.*tente de novo/),
    });
    const en = await ingress.app.inject({
      url: '/v1/cti/lookup?telefone=5135550101',
      headers: { authorization: `Bearer ${key}`, 'accept-language': 'en' },
    });
    expect(en.statusCode).toBe(503);
    expect(en.json().error.message).toMatch(/phone index is being updated.*try again/);
    // Any number, any key of the empresa (a filial's too): the notes are the empresa's; nothing written.
    expect((await lookup(keyFilial1, '(11) 98765-4301')).statusCode).toBe(503);
    expect(await index()).toEqual(before);
    // Another empresa's lookups are not held up by acme's notes.
    expect((await lookup(keyOutra, '(11) 98765-4301')).statusCode).toBe(200);
    // worker-cti's sweep indexes them; then the lookup answers.
    await catchUpPhoneIndex(database.db);
    const done = await lookup(key, '(51) 3555-0101');
    expect(done.statusCode).toBe(200);
    expect(done.json().matches).toEqual([expect.objectContaining({ nome: 'Importada' })]);
  });

  it('needs a key and a telefone of one line', async () => {
    expect((await ingress.app.inject({ url: '/v1/cti/lookup?telefone=11987654301' })).statusCode).toBe(401);
    expect((await lookup(key, '119\n87')).statusCode).toBe(400);
    const none = await ingress.app.inject({ url: '/v1/cti/lookup', headers: { authorization: `Bearer ${key}` } });
    expect(none.statusCode).toBe(400);
    expect(none.json().error).toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
