import { createDatabase, createEmpresa, hotStatementsOf } from '@integrador/store';
import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { type RootOperationNode, SelectQueryNode, sql, TableNode } from 'kysely';
import { insertConta } from '../test/contas';
import { normalizePhone } from './normalize-phone';
import { catchUpPhoneIndex, findCallers, findCallersIfIndexed, rebuildPhoneIndex } from './phone-index';

/**
 * Whether a statement is a catch-up's read of the notes it consumes, inside its transaction (locked, FOR UPDATE, on
 * PostgreSQL and MySQL): a read of cti_telefones_pendentes by id, without the batch limit of the read before it.
 */
function isNoteLockRead(node: RootOperationNode): boolean {
  if (!SelectQueryNode.is(node) || node.limit) return false;
  const from = node.from?.froms[0];
  return from !== undefined && TableNode.is(from) && from.table.identifier.name === 'cti_telefones_pendentes';
}

/** One mobile, as PBXs send it and people type it (seed 002 says "DDD + número"; the field says otherwise). */
const MOBILE_FORMS = [
  '11987654321', // the seed's DDD + número
  '011987654321', // trunk 0
  '(11) 98765-4321', // punctuation
  '+55 11 98765-4321', // E.164 with spaces
  '5511987654321', // country code without +
  '005511987654321', // international prefix to Brazil
  '01511987654321', // 0 + carrier code (CSP 15)
  '0 41 11 98765 4321', // 0 + carrier code 41, spaced
  '0011987654321', // outside-line 0 + trunk 0
  '911987654321', // outside-line 9
  '1187654321', // before the ninth digit (8-digit mobile)
  '11.98765.4321', // dots
  '+55 (11) 9 8765 4321', // the ninth digit apart
  '98765-4321', // no DDD: last 8 only
];

describe.each(ALL_DIALECTS)('CTI phone index on %s', (dialect) => {
  let database: TestDatabase;
  let empresaId: number;
  let other: number;
  let contaId: number;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    empresaId = await createEmpresa(database.db, 'Acme');
    other = await createEmpresa(database.db, 'Outra');
    contaId = await insertConta(database.db, empresaId, 'Conta Exemplo', { telefone: '(47) 3210-0123', celular: '(11) 98765-4321' });
    // Same last 8 digits in another DDD: not the caller.
    await insertConta(database.db, empresaId, 'Outro DDD', { telefone: '(21) 98765-4321' });
    // Another tenant's conta with the very same number: never seen by this tenant.
    await insertConta(database.db, other, 'Conta de outra empresa', { celular: '11987654321' });
  });

  afterAll(() => database.drop());

  it.each(MOBILE_FORMS)('finds the conta for %s (and only in its own empresa)', async (form) => {
    const matches = await findCallers(database.db, empresaId, normalizePhone(form));
    const names = matches.map((m) => m.nome);
    expect(names).toContain('Conta Exemplo');
    expect(names).not.toContain('Conta de outra empresa');
    expect(matches[0]).toMatchObject({ tabela: 'contas', id: contaId, campo: 'celular' });
    if (form !== '98765-4321') expect(names).not.toContain('Outro DDD');
  });

  it('ranks DDD matches above last-8 matches and follows every write, whoever makes it', async () => {
    // A write the hub never sees (raw SQL, as the CRM application would do it): the triggers note it.
    await sql`INSERT INTO contatos (empresa_id, nome, celular, conta_id) VALUES (${empresaId}, ${'Maria'}, ${'3210-0123'}, ${contaId})`.execute(
      database.db,
    );
    const fixed = await findCallers(database.db, empresaId, normalizePhone('4732100123'));
    expect(fixed.map((m) => [m.tabela, m.nome, m.exato])).toEqual([
      ['contas', 'Conta Exemplo', true],
      ['contatos', 'Maria', false],
    ]);
    expect(fixed[1]?.contaId).toBe(contaId);

    await sql`UPDATE contas SET telefone = ${'(47) 3333-0000'} WHERE id = ${contaId}`.execute(database.db);
    expect((await findCallers(database.db, empresaId, normalizePhone('4732100123'))).map((m) => m.nome)).toEqual(['Maria']);
    expect((await findCallers(database.db, empresaId, normalizePhone('4733330000'))).map((m) => m.nome)).toEqual(['Conta Exemplo']);

    await sql`DELETE FROM contatos WHERE nome = ${'Maria'}`.execute(database.db);
    expect(await findCallers(database.db, empresaId, normalizePhone('4732100123'))).toEqual([]);
  });

  it('the ingress’s lookup never catches up: it answers nothing while writes are noted, and the same after the worker’s', async () => {
    await sql`INSERT INTO contatos (empresa_id, nome, celular) VALUES (${empresaId}, ${'Joana'}, ${'(48) 3222-1111'})`.execute(database.db);
    const pending = () => database.db.selectFrom('cti_telefones_pendentes').select('id').where('empresa_id', '=', empresaId).execute();
    expect(await findCallersIfIndexed(database.db, empresaId, normalizePhone('4832221111'))).toBeUndefined();
    expect(await pending()).not.toHaveLength(0);
    expect((await findCallers(database.db, empresaId, normalizePhone('4832221111'))).map((m) => m.nome)).toEqual(['Joana']);
    expect(await pending()).toHaveLength(0);
    expect((await findCallersIfIndexed(database.db, empresaId, normalizePhone('4832221111')))?.map((m) => m.nome)).toEqual(['Joana']);
    await sql`DELETE FROM contatos WHERE nome = ${'Joana'}`.execute(database.db);
    expect(await findCallers(database.db, empresaId, normalizePhone('4832221111'))).toEqual([]);
  });

  it('lookups taken at once on several workers, just after writes of two empresas, all find them; each indexed once', async () => {
    const novas = new Map<number, number>();
    for (const empresa of [empresaId, other]) {
      novas.set(empresa, await insertConta(database.db, empresa, 'Conta Simultânea', { telefone: '(31) 3444-5555' }));
    }
    // Each lookup on a handle of its own, as on separate worker processes (a process runs one catch-up of an empresa
    // at a time): every one finds the notes and catches the index up beside the others.
    const worker = () => database.db.withPlugin({ transformQuery: ({ node }) => node, transformResult: async ({ result }) => result });
    const lookups = [empresaId, other].flatMap((empresa) =>
      Array.from({ length: 6 }, async () => [
        empresa,
        (await findCallers(worker(), empresa, normalizePhone('3134445555'))).map((m) => m.id),
      ]),
    );
    const expected = [empresaId, other].flatMap((empresa) => Array.from({ length: 6 }, () => [empresa, [novas.get(empresa)]]));
    expect(await Promise.all(lookups)).toEqual(expected);
    const indexed = await database.db
      .selectFrom('cti_telefones')
      .select(['empresa_id', 'registro_id'])
      .where('tabela', '=', 'contas')
      .where('registro_id', 'in', [...novas.values()])
      .orderBy('registro_id')
      .execute();
    expect(indexed.map((r) => [Number(r.empresa_id), Number(r.registro_id)])).toEqual([...novas.entries()]);
  });

  it('lookups taken at once on one handle while notes are pending share its catch-ups; a failed one fails only its callers', async () => {
    let noteReads = 0;
    let failing: (() => void) | undefined;
    // One handle, as one worker process: every lookup of the burst goes through its per-empresa lane.
    const handle = database.db.withPlugin({
      transformQuery({ node }) {
        if (!isNoteLockRead(node)) return node;
        noteReads++;
        if (failing) {
          const fail = failing;
          failing = undefined;
          fail();
          throw new Error('catch-up failed');
        }
        return node;
      },
      transformResult: async ({ result }) => result,
    });
    await sql`INSERT INTO contas (empresa_id, nome, telefone) VALUES (${empresaId}, ${'Conta da Rajada'}, ${'(51) 3555-6666'})`.execute(
      database.db,
    );
    const burst = await Promise.all(Array.from({ length: 10 }, () => findCallers(handle, empresaId, normalizePhone('5135556666'))));
    expect(burst.map((matches) => matches.map((m) => m.nome))).toEqual(Array.from({ length: 10 }, () => ['Conta da Rajada']));
    // The first caller's catch-up, and at most one queued behind it for all the others (which finds nothing left).
    expect(noteReads).toBeGreaterThan(0);
    expect(noteReads).toBeLessThanOrEqual(2);

    await sql`UPDATE contas SET telefone = ${'(51) 3555-7777'} WHERE nome = ${'Conta da Rajada'}`.execute(database.db);
    // The first run fails at its note read; a caller arriving meanwhile queues the run behind it, which succeeds.
    let behind: Promise<number> | undefined;
    failing = () => {
      behind = catchUpPhoneIndex(handle, empresaId);
    };
    const first = catchUpPhoneIndex(handle, empresaId);
    const joined = catchUpPhoneIndex(handle, empresaId);
    await expect(first).rejects.toThrow('catch-up failed');
    await expect(joined).rejects.toThrow('catch-up failed');
    expect(await behind).toBeGreaterThan(0);
    expect((await findCallers(handle, empresaId, normalizePhone('5135557777'))).map((m) => m.nome)).toEqual(['Conta da Rajada']);
    await sql`DELETE FROM contas WHERE nome = ${'Conta da Rajada'}`.execute(database.db);
  });

  it('binds a filial caller’s lookup to its filial: its own and the empresa-wide records, never another filial’s (review: fixcti 2)', async () => {
    const { db } = database;
    const filial = async (nome: string) => {
      await db.insertInto('empresa_filiais').values({ empresa_id: empresaId, nome }).execute();
      return (await db.selectFrom('empresa_filiais').select('id').where('nome', '=', nome).executeTakeFirstOrThrow()).id;
    };
    const [f1, f2] = [await filial('Filial Um'), await filial('Filial Dois')];
    const conta = await insertConta(db, empresaId, 'Da Filial Dois', { telefone: '(48) 3555-0202' });
    await db.updateTable('contas').set({ empresa_filial_id: f2 }).where('id', '=', conta).execute();
    await db
      .insertInto('contatos')
      .values([
        { empresa_id: empresaId, empresa_filial_id: f1, conta_id: conta, nome: 'Contato Um', celular: '(48) 3555-0202' },
        { empresa_id: empresaId, empresa_filial_id: null, conta_id: conta, nome: 'Contato da Empresa', celular: '48 3555 0202' },
      ])
      .execute();
    await catchUpPhoneIndex(db, empresaId);
    const phone = normalizePhone('4835550202');
    const names = (found: { nome: string }[] | undefined) => found?.map((m) => m.nome);
    expect(names(await findCallers(db, empresaId, phone))).toEqual(['Da Filial Dois', 'Contato Um', 'Contato da Empresa']);
    expect(names(await findCallersIfIndexed(db, empresaId, phone, { filialId: f1 }))).toEqual(['Contato Um', 'Contato da Empresa']);
    expect(names(await findCallers(db, empresaId, phone, { filialId: f2 }))).toEqual(['Da Filial Dois', 'Contato da Empresa']);
    expect(await findCallers(db, other, phone, { filialId: f1 })).toEqual([]);
  });

  it('rebuilds the index of one empresa from scratch', async () => {
    await database.db.deleteFrom('cti_telefones').execute();
    expect(await findCallers(database.db, empresaId, normalizePhone('11987654321'))).toEqual([]);
    await rebuildPhoneIndex(database.db, empresaId);
    expect((await findCallers(database.db, empresaId, normalizePhone('11987654321')))[0]?.nome).toBe('Conta Exemplo');
  });
});

describe('the ingress’s lookup on a pool that names only admitted texts', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('postgres');
  });
  afterAll(() => database.drop());

  it('stays named after more other texts were admitted than the pool’s admission budget', async () => {
    const ingress = createDatabase(database.url, { poolSize: 1, prepareHotStatements: 'admitted' });
    try {
      const hot = hotStatementsOf(ingress.db);
      if (!hot) throw new Error('the pool names its admitted statements');
      const empresaId = await createEmpresa(database.db, 'Acme');
      const phone = normalizePhone('11987654321');
      await findCallersIfIndexed(ingress.db, empresaId, phone);
      // The receptor's previews and INFO lookups admit their texts on the same pool between two call starts: more of
      // them than the pool's admission budget (MAX_GROUPED = 100).
      for (let n = 0; n < 105; n++) hot.admit(`SELECT $1::int AS outro_${n}`);
      // Named once sent PREPARE_AFTER (3) times.
      for (let i = 0; i < 3; i++) await findCallersIfIndexed(ingress.db, empresaId, phone);
      // One connection: the statements its backend keeps are the pool's.
      const { rows } = await sql<{ statement: string }>`SELECT statement FROM pg_prepared_statements`.execute(ingress.db);
      expect(rows.map((r) => r.statement)).toEqual([expect.stringContaining('cti_telefones_pendentes')]);
    } finally {
      await ingress.destroy();
    }
  });
});

describe('normalizePhone', () => {
  it('keeps extensions, fixed lines and unusable text apart', () => {
    expect(normalizePhone('3501')).toMatchObject({ kind: 'ramal', digits: '3501' });
    expect(normalizePhone('35012', { ramalLength: 5 })).toMatchObject({ kind: 'ramal' });
    expect(normalizePhone('04732100123')).toMatchObject({ kind: 'nacional', e164: '+554732100123', keyDdd: '4732100123' });
    expect(normalizePhone('0214732100123')).toMatchObject({ kind: 'nacional', e164: '+554732100123' });
    expect(normalizePhone('')).toMatchObject({ kind: 'invalido' });
    expect(normalizePhone('123456')).toMatchObject({ kind: 'invalido' });
    // Words or markup with a digit in them are no extension (trial F5).
    expect(normalizePhone('<script>1</script>')).toMatchObject({ kind: 'invalido' });
    expect(normalizePhone('%E0%A4%A')).toMatchObject({ kind: 'invalido' });
    expect(normalizePhone('*31#')).toMatchObject({ kind: 'ramal', digits: '31' });
    expect(normalizePhone('20-1')).toMatchObject({ kind: 'ramal', digits: '201' });
    // A number of another country keeps its + (E.164); without the + or valid digits it is no number (trial F8).
    expect(normalizePhone('+1 212 555 1234')).toEqual({
      kind: 'internacional',
      digits: '12125551234',
      e164: '+12125551234',
      key: '+12125551234',
    });
    expect(normalizePhone('+1 000')).toMatchObject({ kind: 'invalido' });
    expect(normalizePhone('+55 11 98765-4321')).toMatchObject({ kind: 'nacional', e164: '+5511987654321' });
  });

  it("reads '00' + a country code as international, and a foreign number before the 8–9 digit local rule", () => {
    expect(normalizePhone('0012125551234')).toMatchObject({ kind: 'internacional', e164: '+12125551234' });
    expect(normalizePhone('00 1 212 555 1234')).toMatchObject({ kind: 'internacional', e164: '+12125551234' });
    expect(normalizePhone('+376 312 345')).toMatchObject({ kind: 'internacional', e164: '+376312345' });
    // Brazil's own stay national, with or without the international prefix; without a + 9 digits are still local.
    expect(normalizePhone('0055 11 98765 4321')).toMatchObject({ kind: 'nacional', e164: '+5511987654321' });
    expect(normalizePhone('376312345')).toMatchObject({ kind: 'local' });
  });

  it("reads a number dialled abroad the Brazilian way, '00' + carrier code + country code, without the carrier code", () => {
    for (const [text, e164] of [
      ['0021 1 212 555 0100', '+12125550100'], // Embratel
      ['0014 44 20 7946 0018', '+442079460018'],
      ['0015 351 21 345 6789', '+351213456789'],
      ['0031 49 89 1234567', '+49891234567'],
      ['(00) 41 1 212-555-0100', '+12125550100'],
    ] as const) {
      expect({ text, phone: normalizePhone(text) }).toEqual({
        text,
        phone: { kind: 'internacional', digits: text.replace(/\D/g, ''), e164, key: e164 },
      });
    }
    // '00' + a country code valid as such keeps that reading (41 is Switzerland's, not TIM's carrier code here).
    expect(normalizePhone('0041 44 668 1800')).toMatchObject({ kind: 'internacional', e164: '+41446681800' });
    // Brazil's own number behind a carrier code stays national; national long distance (0 + carrier + DDD) too.
    expect(normalizePhone('0021 55 11 98765 4321')).toMatchObject({ kind: 'nacional', e164: '+5511987654321' });
    expect(normalizePhone('0 21 47 3210 0123')).toMatchObject({ kind: 'nacional', e164: '+554732100123' });
    expect(normalizePhone('0 41 11 98765 4321')).toMatchObject({ kind: 'nacional', e164: '+5511987654321' });
    // Short numbers stay extensions; a carrier code with no valid number after it is no number.
    expect(normalizePhone('0021')).toMatchObject({ kind: 'ramal', digits: '0021' });
    expect(normalizePhone('0021 1 212 555 01')).toMatchObject({ kind: 'invalido' });
  });

  it('takes the extension out of the caller ids Asterisk sends (a display name, a SIP URI, a channel)', () => {
    for (const text of ['"Recepcao" <3502>', 'Recepcao <3502>', '<sip:3502@pbx.local>', 'SIP/3502', 'PJSIP/3502-0000001a']) {
      expect({ text, phone: normalizePhone(text) }).toEqual({ text, phone: { kind: 'ramal', digits: '3502', key: 'r3502' } });
    }
    expect(normalizePhone('"Fulano" <11987654321>')).toMatchObject({ kind: 'nacional', e164: '+5511987654321' });
    expect(normalizePhone('<script>1</script>')).toMatchObject({ kind: 'invalido' });
  });
});
