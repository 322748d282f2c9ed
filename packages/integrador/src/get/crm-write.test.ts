import { createEmpresa, isTenantGuardViolation, withTenantScope } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/databases';
import { describeCrmTable } from './crm-table';
import { type RowStamp, upsertRecords } from './crm-write';
import type { SyncRecord } from './row-mapping';

// The PostgreSQL write path COPYs a chunk into a temporary staging table and upserts from it: what COPY's text format
// must escape arrives intact, and the tenant guard's triggers still see every row the upsert writes.

const COLUMNS = ['id_erp', 'nome', 'fantasia', 'cliente_desde'];

function record(key: string, nome: string | null, fantasia: string | null, desde: Date | null): SyncRecord {
  const values = [key, nome, fantasia, desde];
  return { key, cursor: null, values, row: Object.fromEntries(COLUMNS.map((c, i) => [c, values[i]])) };
}

describe('upsertRecords on a PostgreSQL CRM (COPY into a staging table)', () => {
  let crm: TestDatabase;
  let empresa: number;
  let other: number;

  beforeAll(async () => {
    crm = await createTestDatabase('postgres');
    empresa = await createEmpresa(crm.db, 'Empresa A');
    other = await createEmpresa(crm.db, 'Empresa B');
  });
  afterAll(async () => crm.drop());

  const stampOf = (empresaId: number): RowStamp => ({ empresaId, filialId: null, integracaoId: 1, geracao: 1 });

  async function write(scope: number, stamp: RowStamp, records: SyncRecord[]) {
    const table = await describeCrmTable(crm.db, 'postgres', 'contas');
    if (!table) throw new Error('contas missing');
    return withTenantScope(crm.db, 'postgres', scope, (trx) =>
      upsertRecords(crm.db, trx, 'postgres', { table, keyColumns: ['id_erp'], columns: COLUMNS }, stamp, records),
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
    // Unchanged rows are not rewritten; the changed one is.
    expect(
      await write(empresa, stampOf(empresa), [record('1', tricky, null, new Date(2024, 0, 31)), record('2', 'Changed', '\\', null)]),
    ).toBe(1);
  });

  it("is refused by the tenant guard when the rows would belong to another empresa than the run's", async () => {
    const refused = await write(empresa, stampOf(other), [record('9', 'Foreign', null, null)]).catch((err: unknown) => err);
    expect(isTenantGuardViolation(refused)).toBe(true);
    const foreign = await crm.db.selectFrom('contas').select('id').where('id_erp', '=', '9').execute();
    expect(foreign).toEqual([]);
  });
});
