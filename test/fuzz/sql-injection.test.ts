import { findCallers, normalizePhone } from '@integrador/cti';
import {
  bindEngineValues,
  bindStatement,
  compileStatement,
  type RunTenant,
  scopeStatement,
  type TenantTables,
  tenantTablesOf,
  toRawSql,
} from '@integrador/integrador';
import { createEmpresa, type DialectName, withTenantScope } from '@integrador/store';
import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { PAYLOADS, valueRefusal } from './sql-payloads';

// SQL injection through the #var# machinery every CRM statement of a run goes through: consultas and dependencias
// lookups (scopeStatement, compiled once and bound per push, as runConsulta does), sql_update (compiled and bound in
// the tenant-scoped transaction, as runSet does), GET's sql_insert/sql_update (toRawSql, as its writer does), and the CTI caller lookup by phone. Each hostile value
// must reach the database only as a bound value: the table survives, the value round-trips unchanged, and another
// tenant's row is neither read nor changed. FUZZ_LONG=1 adds generated payloads.

describe.each(ALL_DIALECTS)('#var# values on a %s CRM', (dialect: DialectName) => {
  let database: TestDatabase;
  let tables: TenantTables;
  let tenant: RunTenant;
  let otherId: number;
  let ownId: number;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    const a = await createEmpresa(database.db, 'Empresa A');
    const b = await createEmpresa(database.db, 'Empresa B');
    tenant = { empresaId: a, filialId: null };
    const insert = async (empresa_id: number, nome: string, telefone: string) => {
      await database.db
        .insertInto('contas')
        .values({ empresa_id, nome, telefone } as never)
        .execute();
      const row = await database.db.selectFrom('contas').select('id').where('nome', '=', nome).executeTakeFirstOrThrow();
      return Number(row.id);
    };
    ownId = await insert(a, 'Alfa', '1133334444');
    otherId = await insert(b, 'Beta secreta', '1155556666');
    tables = await tenantTablesOf(database.db);
  });

  afterAll(() => database.drop());

  const read = async (template: string, value: string) => {
    const statement = compileStatement(scopeStatement(template, dialect, tables, tenant), dialect);
    const result = await database.db.executeQuery(bindStatement(statement, bindEngineValues({ v: value }, tenant)));
    return result.rows as { id: number; nome: string }[];
  };

  const otherRow = () => database.db.selectFrom('contas').select(['nome', 'fantasia']).where('id', '=', otherId).executeTakeFirst();

  it.each([
    ["nome = '#v#'"],
    ['nome = #v#'],
    ['nome = \u2018#v#\u2019'],
    ["nome LIKE '%#v#%'"],
    ["nome = 'Alfa' AND fantasia IS NULL OR nome = '#v#'"],
  ])('a consulta / dependencias lookup "WHERE %s" reads nothing it should not', async (where) => {
    let refused = 0;
    for (const payload of PAYLOADS) {
      const rows = await read(`SELECT id, nome FROM contas WHERE ${where}`, payload).catch((error: unknown) => {
        if (!valueRefusal(error)) throw error;
        refused++;
        return [];
      });
      // Only the tenant's own row can ever come back, and only when the predicate's literal part matches it.
      expect(rows.filter((row) => Number(row.id) !== ownId)).toEqual([]);
      if (!where.includes('LIKE') && !where.includes("'Alfa'")) expect(rows).toEqual([]);
    }
    expect(refused).toBeLessThanOrEqual(2);
    expect(await otherRow()).toEqual({ nome: 'Beta secreta', fantasia: null });
  });

  it('a sql_update and a GET sql_insert store each value as it was sent, in the tenant scope only', async () => {
    let storedCount = 0;
    for (const payload of PAYLOADS) {
      const values = bindEngineValues({ v: payload, id: ownId, other: otherId }, tenant);
      const stored = await withTenantScope(database.db, dialect, tenant.empresaId, async (trx) => {
        const update = compileStatement("UPDATE contas SET fantasia = '#v#' WHERE id = #id# OR id = #other# AND 1 = 0", dialect);
        await trx.executeQuery(bindStatement(update, values));
        await toRawSql("INSERT INTO contas (empresa_id, nome) VALUES (#empresa_id#, 'novo'), (#empresa_id#, #v#)", values, {
          dialect,
        }).execute(trx);
        return true;
      }).catch((error: unknown) => {
        if (valueRefusal(error) || valueRefusal((error as { cause?: unknown }).cause ?? {})) return false;
        throw error;
      });
      if (!stored) continue;
      storedCount++;
      const own = await database.db.selectFrom('contas').select('fantasia').where('id', '=', ownId).executeTakeFirst();
      expect(own?.fantasia).toBe(payload);
    }
    // Only values a column cannot hold (NUL on PostgreSQL, over 200 characters) are refused, and as values.
    expect(storedCount).toBeGreaterThanOrEqual(PAYLOADS.filter((p) => !p.includes('\u0000') && p.length <= 200).length);
    expect(await otherRow()).toEqual({ nome: 'Beta secreta', fantasia: null });
    const count = await database.db
      .selectFrom('contas')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('empresa_id', '!=', tenant.empresaId)
      .executeTakeFirst();
    expect(Number(count?.n)).toBe(1);
  });

  it("the CTI lookup by phone finds only the tenant's caller, whatever the number holds", async () => {
    for (const payload of PAYLOADS) {
      const matches = await findCallers(database.db, tenant.empresaId, normalizePhone(payload));
      expect(matches.filter((match) => Number((match as { id?: unknown }).id) === otherId)).toEqual([]);
    }
    const own = await findCallers(database.db, tenant.empresaId, normalizePhone("1133334444' OR 1=1 --"));
    expect(JSON.stringify(own)).not.toContain('Beta');
    expect(await otherRow()).toEqual({ nome: 'Beta secreta', fantasia: null });
  });
});
