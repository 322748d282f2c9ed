import { createEmpresa, isTenantGuardViolation, isUniqueViolation, withTenantScope } from '@integrador/store';
import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { describeCrmTable } from './crm-table';
import { type RowStamp, upsertRecords } from './crm-write';
import type { SyncRecord } from './row-mapping';

// Each CRM's fast path — PostgreSQL COPYs a chunk into a temporary staging table and upserts from it (in a first load,
// straight into the table), SQLite runs one prepared statement per row, MySQL/MariaDB LOADs DATA into a staging table
// and upserts from it (crm-write-mysql.test.ts fuzzes it) — writes what a text format must escape intact, and the
// tenant guard's triggers still see every row it writes.

const COLUMNS = ['id_erp', 'nome', 'fantasia', 'cliente_desde'];

function record(key: string, nome: string | null, fantasia: string | null, desde: Date | null): SyncRecord {
  const values = [key, nome, fantasia, desde];
  return { key, cursorValue: null, values, row: Object.fromEntries(COLUMNS.map((c, i) => [c, values[i]])) };
}

describe.each(ALL_DIALECTS)('upsertRecords on a %s CRM', (dialect) => {
  let crm: TestDatabase;
  let empresa: number;
  let other: number;

  beforeAll(async () => {
    crm = await createTestDatabase(dialect);
    empresa = await createEmpresa(crm.db, 'Empresa A');
    other = await createEmpresa(crm.db, 'Empresa B');
  });
  afterAll(async () => crm.drop());

  const stampOf = (empresaId: number): RowStamp => ({ empresaId, filialId: null, integracaoId: 1, geracao: 1 });

  async function write(scope: number, stamp: RowStamp, records: SyncRecord[]) {
    const table = await describeCrmTable(crm.db, dialect, 'contas');
    if (!table) throw new Error('contas missing');
    return withTenantScope(crm.db, dialect, scope, (trx) =>
      upsertRecords(crm.db, trx, dialect, { table, keyColumns: ['id_erp'], columns: COLUMNS }, stamp, records),
    );
  }

  it('writes tabs, newlines, backslashes, \\N, accents and NULLs exactly as read, and updates only changed rows', async () => {
    const tricky = 'Tab\there\nnew line\r\\N back\\slash São Paulo';
    const written = await write(empresa, stampOf(empresa), [
      record('1', tricky, null, new Date(2024, 0, 31)),
      record('2', 'Plain', '\\', null),
    ]);
    expect(written).toBe(2);
    const rows = await crm.db
      .selectFrom('contas')
      .select(['id_erp', 'nome', 'fantasia', 'empresa_id'])
      .where('empresa_id', '=', empresa)
      .orderBy('id_erp')
      .execute();
    expect(rows).toEqual([
      { id_erp: '1', nome: tricky, fantasia: null, empresa_id: empresa },
      { id_erp: '2', nome: 'Plain', fantasia: '\\', empresa_id: empresa },
    ]);
    const again = await write(empresa, stampOf(empresa), [
      record('1', tricky, null, new Date(2024, 0, 31)),
      record('2', 'Changed', '\\', null),
    ]);
    // An unchanged row is left alone (MySQL reports an updated row twice and an unchanged one once).
    if (dialect !== 'mysql') expect(again).toBe(1);
    const names = await crm.db.selectFrom('contas').select('nome').where('empresa_id', '=', empresa).orderBy('id_erp').execute();
    expect(names.map((r) => r.nome)).toEqual([tricky, 'Changed']);
  });

  it("is refused by the tenant guard when the rows would belong to another empresa than the run's", async () => {
    const refused = await write(empresa, stampOf(other), [record('9', 'Foreign', null, null)]).catch((err: unknown) => err);
    expect(isTenantGuardViolation(refused)).toBe(true);
    const foreign = await crm.db.selectFrom('contas').select('id').where('id_erp', '=', '9').execute();
    expect(foreign).toEqual([]);
  });
});

describe('upsertRecords on a postgres CRM with insertOnly (a first load COPYed straight into the table)', () => {
  let crm: TestDatabase;
  let empresa: number;
  let other: number;

  beforeAll(async () => {
    crm = await createTestDatabase('postgres');
    empresa = await createEmpresa(crm.db, 'Empresa A');
    other = await createEmpresa(crm.db, 'Empresa B');
  });
  afterAll(async () => crm.drop());

  async function insert(scope: number, stamp: RowStamp, records: SyncRecord[]) {
    const table = await describeCrmTable(crm.db, 'postgres', 'contas');
    if (!table) throw new Error('contas missing');
    return withTenantScope(crm.db, 'postgres', scope, (trx) =>
      upsertRecords(crm.db, trx, 'postgres', { table, keyColumns: ['id_erp'], columns: COLUMNS }, stamp, records, { insertOnly: true }),
    );
  }

  it("writes the rows with the engine's stamps and the escaped text intact", async () => {
    const tricky = 'Tab\there\nnew line\r\\N back\\slash São Paulo';
    const written = await insert(empresa, { empresaId: empresa, filialId: null, integracaoId: 7, geracao: 3 }, [
      record('1', tricky, null, new Date(2024, 0, 31)),
      record('2', 'Plain', '\\', null),
    ]);
    expect(written).toBe(2);
    const rows = await crm.db
      .selectFrom('contas')
      .select(['id_erp', 'nome', 'fantasia', 'cliente_desde', 'empresa_id', 'empresa_filial_id', 'origem_integracao_id', 'origem_geracao'])
      .where('empresa_id', '=', empresa)
      .orderBy('id_erp')
      .execute();
    expect(rows).toMatchObject([
      {
        id_erp: '1',
        nome: tricky,
        fantasia: null,
        empresa_id: empresa,
        empresa_filial_id: null,
        origem_integracao_id: 7,
        origem_geracao: 3,
      },
      { id_erp: '2', nome: 'Plain', fantasia: '\\', cliente_desde: null, empresa_id: empresa, origem_integracao_id: 7, origem_geracao: 3 },
    ]);
    expect(rows[0]?.cliente_desde).toEqual(new Date(2024, 0, 31));
  });

  it('fails with a unique violation, writing nothing, when a key is already in the table', async () => {
    const failed = await insert(empresa, { empresaId: empresa, filialId: null, integracaoId: 7, geracao: 3 }, [
      record('3', 'New', null, null),
      record('1', 'Again', null, null),
    ]).catch((err: unknown) => err);
    expect(isUniqueViolation(failed)).toBe(true);
    const three = await crm.db.selectFrom('contas').select('id').where('empresa_id', '=', empresa).where('id_erp', '=', '3').execute();
    expect(three).toEqual([]);
  });

  it("is refused by the tenant guard when the rows would belong to another empresa than the run's", async () => {
    const refused = await insert(empresa, { empresaId: other, filialId: null, integracaoId: 7, geracao: 1 }, [
      record('9', 'Foreign', null, null),
    ]).catch((err: unknown) => err);
    expect(isTenantGuardViolation(refused)).toBe(true);
    expect(await crm.db.selectFrom('contas').select('id').where('empresa_id', '=', other).execute()).toEqual([]);
  });
});
