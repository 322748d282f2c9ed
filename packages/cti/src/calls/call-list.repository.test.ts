import { createEmpresa, timestampValue } from '@integrador/store';
import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { normalizePhone } from '../phone/normalize-phone';
import { saveCtiSettings } from '../settings/cti-settings.repository';
import { type CallTenants, listCalls, readPhoneFilter } from './call-list.repository';
import { storedKey, storedNumber } from './call-number';

// The calls filter's number: rows the hub never normalised (telefone_normalizado null: written before migration 008,
// or by the CRM) are found by their raw number, read as the call events store a number; bound to the listed empresas.
describe.each(ALL_DIALECTS)('the calls number filter on %s', (dialect) => {
  let database: TestDatabase;
  let acme: number;
  let outra: number;
  let longos: number;
  const names = new Map<number, string>();

  /** A call row as the CRM writes it (no normalised number), or as worker-cti does (`hub`). */
  const call = async (empresa: number, telefone: string, hub = false) => {
    const phone = normalizePhone(telefone);
    await database.db
      .insertInto('ligacoes')
      .values({
        empresa_id: empresa,
        ramal: '201',
        telefone,
        direcao: 'entrada',
        status: 'finalizada',
        inicio: timestampValue(database.db, new Date()),
        sem_inicio: 0,
        ...(hub ? { telefone_normalizado: storedNumber(phone), chave_telefone: storedKey(phone, telefone) } : {}),
      })
      .execute();
  };

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    acme = await createEmpresa(database.db, 'Acme');
    outra = await createEmpresa(database.db, 'Outra');
    // A PBX with 10-digit extensions: there, 1132324545 is an extension.
    longos = await createEmpresa(database.db, 'Ramais longos');
    await saveCtiSettings(database.db, longos, { ramalLength: 10 });
    for (const [id, nome] of [
      [acme, 'acme'],
      [outra, 'outra'],
      [longos, 'longos'],
    ] as const)
      names.set(id, nome);
    // The CRM's rows: one number in three forms and a pre-2016 mobile; then numbers sharing its digits in order.
    await call(acme, '(11) 3232-4545');
    await call(acme, '011 3232 4545');
    await call(acme, '+55 11 3232-4545');
    await call(acme, '(11) 8232-4545');
    await call(acme, '(21) 3232-4545');
    await call(acme, '11 3 2 3 2 4 5 4 5 9');
    // worker-cti's row of the same number, and other empresas' rows.
    await call(acme, '1132324545', true);
    await call(outra, '(11) 3232-4545');
    await call(longos, '1132324545');
  });

  afterAll(async () => {
    await database.drop();
  });

  const listed = async (tenants: CallTenants, telefone: string, limit = 50, before?: number) => {
    const page = await listCalls(database.db, tenants, {
      telefone: await readPhoneFilter(database.db, tenants, telefone),
      limit,
      ...(before ? { before } : {}),
    });
    return { calls: page.calls.map((c) => `${names.get(c.empresa_id)} ${c.telefone}`), nextCursor: page.nextCursor };
  };

  it("finds the CRM's rows of the number in any form beside the hub's, newest first; never a number sharing its digits", async () => {
    const expected = ['acme 1132324545', 'acme +55 11 3232-4545', 'acme 011 3232 4545', 'acme (11) 3232-4545'];
    for (const typed of ['(11) 3232-4545', '+55 11 3232 4545', '011 3232-4545'])
      expect({ typed, calls: (await listed(acme, typed)).calls }).toEqual({ typed, calls: expected });
    // A mobile typed with its ninth digit finds it written before 2016; the last 8 digits alone, every DDD's.
    expect((await listed(acme, '(11) 98232-4545')).calls).toEqual(['acme (11) 8232-4545']);
    expect((await listed(acme, '3232-4545')).calls).toEqual([...expected.slice(0, 1), 'acme (21) 3232-4545', ...expected.slice(1)]);
  });

  it('pages over the raw rows it drops: each page full, the next one after it', async () => {
    const first = await listed(acme, '(11) 3232-4545', 3);
    expect(first.calls).toEqual(['acme 1132324545', 'acme +55 11 3232-4545', 'acme 011 3232 4545']);
    const second = await listed(acme, '(11) 3232-4545', 3, first.nextCursor ?? 0);
    expect(second).toEqual({ calls: ['acme (11) 3232-4545'], nextCursor: null });
  });

  it("is bound to the listed empresas, each read with its own ramal length; another empresa's rows never", async () => {
    expect((await listed(outra, '(11) 3232-4545')).calls).toEqual(['outra (11) 3232-4545']);
    expect((await listed([outra, acme], '(11) 3232-4545')).calls).toEqual([
      'outra (11) 3232-4545',
      'acme 1132324545',
      'acme +55 11 3232-4545',
      'acme 011 3232 4545',
      'acme (11) 3232-4545',
    ]);
    // 1132324545 is a phone number for Acme and an extension for Ramais longos: each empresa's calls as it stored them.
    expect((await listed([acme, longos], '1132324545')).calls).toEqual([
      'longos 1132324545',
      'acme 1132324545',
      'acme +55 11 3232-4545',
      'acme 011 3232 4545',
      'acme (11) 3232-4545',
    ]);
    expect((await listed(longos, '(11) 3232-4545')).calls).toEqual(['longos 1132324545']);
    expect((await listed([], '(11) 3232-4545')).calls).toEqual([]);
  });

  describe('over a long call log the CRM wrote', () => {
    let volume: number;
    /** How many SELECTs a listing made (counted by a plugin on the same handle). */
    let reads = 0;
    const counted = () =>
      database.db.withPlugin({
        transformQuery: (args) => {
          if (args.node.kind === 'SelectQueryNode') reads += 1;
          return args.node;
        },
        transformResult: async (args) => args.result,
      });
    const page = async (telefone: string, before?: number) => {
      const db = counted();
      reads = 0;
      const found = await listCalls(db, volume, {
        telefone: await readPhoneFilter(db, volume, telefone),
        limit: 50,
        ...(before ? { before } : {}),
      });
      return { calls: found.calls.map((c) => c.telefone), nextCursor: found.nextCursor, reads };
    };

    beforeAll(async () => {
      volume = await createEmpresa(database.db, 'Volume');
      names.set(volume, 'volume');
      // The oldest calls are worker-cti's of extension 201 (chave_telefone r201) and the CRM's of (11) 3232-4545; then
      // 1100 calls of another DDD's 3232-4545 with an operator's note, which hold the digits of both numbers searched
      // below in order (2…0…1 too).
      await call(volume, '201', true);
      await call(volume, '(11) 3232-4545');
      const rows = Array.from({ length: 1100 }, () => ({
        empresa_id: volume,
        ramal: '201',
        telefone: '(21) 3232-4545 (ramal 201)',
        direcao: 'entrada' as const,
        status: 'finalizada',
        inicio: timestampValue(database.db, new Date()),
        sem_inicio: 0,
      }));
      for (let i = 0; i < rows.length; i += 500)
        await database.db
          .insertInto('ligacoes')
          .values(rows.slice(i, i + 500))
          .execute();
    });

    it('an extension is found by its stored key: one read, not the raw numbers holding its digits', async () => {
      // Under 1100 newer rows holding 2…0…1: read by its key alone, found in the one round, none of those with it.
      expect(await page('201')).toEqual({ calls: ['201'], nextCursor: null, reads: 2 });
      expect(await page('SIP/201')).toEqual({ calls: ['201'], nextCursor: null, reads: 2 });
    });

    it('a page reads a bounded number of rows: short (even empty), its nextCursor going on where the reading stopped', async () => {
      const first = await page('(11) 3232-4545');
      // readPhoneFilter's read, then 5 rounds of 200 rows, none of the number.
      expect({ calls: first.calls, reads: first.reads }).toEqual({ calls: [], reads: 6 });
      expect(first.nextCursor).toEqual(expect.any(Number));
      const second = await page('(11) 3232-4545', first.nextCursor ?? undefined);
      expect({ calls: second.calls, nextCursor: second.nextCursor }).toEqual({ calls: ['(11) 3232-4545'], nextCursor: null });
    });
  });
});
