import { type CrmDatabase, createDatabase, createEmpresa, installTenantGuard, migrateToLatest, withTenantScope } from '@integrador/store';
import { optionalParts } from '@integrador/test-support/optional-parts';
import { type PrivateMariadb, startPrivateMariadb } from '@integrador/test-support/private-mariadb';
import { sql } from 'kysely';
import { describeCrmTable } from './crm-table';
import { type RowStamp, upsertRecords } from './crm-write';
import type { SyncRecord } from './row-mapping';

// A MariaDB CRM whose server has local_infile = OFF (a private server: the machine's keeps its globals): the GET
// writer asks once, falls back to multi-row INSERTs, warns once per database (not per chunk), and the rows land
// exactly as through LOAD DATA, an existing row updated in place.
const parts = optionalParts(['mariadbd']);
const describeWithMariadbd = parts.has('mariadbd') ? describe : describe.skip;

describeWithMariadbd('upsertRecords on a MariaDB CRM with local_infile = OFF', () => {
  let server: PrivateMariadb;
  let crm: CrmDatabase;
  let empresa: number;

  beforeAll(async () => {
    server = await startPrivateMariadb(['--local-infile=0']);
    await server.createDatabase('crm');
    crm = createDatabase(server.url('crm'), { poolSize: 2 });
    await migrateToLatest(crm);
    empresa = await createEmpresa(crm.db, 'Empresa A');
    await sql`CREATE TABLE clientes_erp (
      id BIGINT AUTO_INCREMENT PRIMARY KEY, empresa_id INT NOT NULL, id_erp VARCHAR(40) NOT NULL, nome TEXT NULL,
      saldo DECIMAL(14, 2) NULL, origem_integracao_id INT NULL, origem_geracao INT NULL, atualizado_em DATETIME(3) NULL,
      UNIQUE KEY clientes_erp_uq (empresa_id, id_erp)) DEFAULT CHARSET utf8mb4`.execute(crm.db);
    await installTenantGuard(crm.db, 'mysql', 'clientes_erp');
  }, 120_000);
  afterAll(async () => {
    await crm?.destroy();
    await server?.destroy();
  });

  const stamp = (): RowStamp => ({ empresaId: empresa, filialId: null, integracaoId: 4, geracao: 1 });
  const records = (from: number, count: number, suffix: string): SyncRecord[] =>
    Array.from({ length: count }, (_, n) => {
      const values = [`k${from + n}`, `Cliente ${from + n} ${suffix}\t'"\\`, `${from + n}.25`];
      return { key: values[0] as string, cursorValue: null, values, row: { id_erp: values[0], nome: values[1], saldo: values[2] } };
    });

  it('writes with multi-row INSERTs and warns once, whatever the number of chunks', async () => {
    expect(await sql<{ on: number }>`SELECT @@GLOBAL.local_infile AS ${sql.id('on')}`.execute(crm.db)).toMatchObject({ rows: [{ on: 0 }] });
    const table = await describeCrmTable(crm.db, 'mysql', 'clientes_erp');
    if (!table) throw new Error('clientes_erp missing');
    const warnings: { message: string; detail: Record<string, unknown> }[] = [];
    const write = (chunk: SyncRecord[]) =>
      withTenantScope(crm.db, 'mysql', empresa, (trx) =>
        upsertRecords(crm.db, trx, 'mysql', { table, keyColumns: ['id_erp'], columns: ['id_erp', 'nome', 'saldo'] }, stamp(), chunk, {
          warn: (message, detail) => warnings.push({ message, detail }),
        }),
      );

    await write(records(0, 300, 'a'));
    await write(records(300, 300, 'a'));
    // A third chunk updates half the rows of the first and adds new ones.
    await write(records(150, 300, 'b'));

    expect(warnings).toEqual([
      {
        message: 'GET writes to this MySQL/MariaDB CRM use multi-row INSERTs (slower): LOAD DATA LOCAL INFILE is unavailable',
        detail: { reason: 'the server has local_infile = OFF' },
      },
    ]);
    const { rows } = await sql<{ id_erp: string; nome: string; saldo: string; empresa_id: number }>`
      SELECT id_erp, nome, CAST(saldo AS CHAR) AS saldo, empresa_id FROM clientes_erp ORDER BY id`.execute(crm.db);
    expect(rows).toHaveLength(600);
    const byKey = new Map(rows.map((row) => [row.id_erp, row]));
    expect(byKey.get('k0')).toEqual({ id_erp: 'k0', nome: `Cliente 0 a\t'"\\`, saldo: '0.25', empresa_id: empresa });
    expect(byKey.get('k200')).toMatchObject({ nome: `Cliente 200 b\t'"\\`, saldo: '200.25' });
    expect(byKey.get('k599')).toMatchObject({ nome: `Cliente 599 a\t'"\\`, saldo: '599.25' });
  });
});
