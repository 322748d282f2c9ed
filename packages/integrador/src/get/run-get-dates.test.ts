import { customer } from '@integrador/sources/testing';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { sql } from 'kysely';
import { runGetOnce, seedGetIntegracao, usePostgresScratchErp } from './test-support/get-fixtures';

const EMPRESA = 1;
const ROWS = 20;

/** The ERP's date/time pulled into contas.cadastro_timestamp (DATALT is also the cursor). */
const WITH_DATES = `SELECT CODCLI AS id_erp, NOMCLI AS nome, DATALT AS cadastro_timestamp, DATALT FROM E085CLI`;

/** What the CRM's screens show for an instant: its Brasília wall clock. */
const brasilia = (date: Date) => date.toLocaleString('sv-SE', { timeZone: 'America/Sao_Paulo' });

// A date/time pulled from the ERP (a PostgreSQL `timestamp`, read by the worker as an instant in its zone) must show on
// the CRM's screens as the ERP meant it: a zone-less CRM column (SQLite text, a CRM's own PostgreSQL `timestamp`,
// MySQL/MariaDB DATETIME) holds the Brasília wall clock of that instant; a column with a zone (timestamptz) the instant.
const CASES = [
  { crm: 'sqlite', column: 'text', text: sql`substr(cadastro_timestamp, 1, 19)` },
  { crm: 'postgres', column: 'timestamp without time zone', text: sql`to_char(cadastro_timestamp, 'YYYY-MM-DD HH24:MI:SS')` },
  { crm: 'mysql', column: 'datetime(3)', text: sql`DATE_FORMAT(cadastro_timestamp, '%Y-%m-%d %H:%i:%s')` },
] as const;

describe('GET pull of a date/time into the CRM', () => {
  const erp = usePostgresScratchErp(ROWS);

  describe.each(CASES)('into a $crm CRM ($column)', ({ crm: dialect, column, text }) => {
    let crm: TestDatabase;
    beforeAll(async () => {
      crm = await createTestDatabase(dialect);
      // A CRM's own zone-less column (the hub's schema makes it timestamptz on PostgreSQL).
      if (dialect === 'postgres') await sql.raw(`ALTER TABLE contas ALTER COLUMN cadastro_timestamp TYPE ${column}`).execute(crm.db);
    });
    afterAll(async () => crm?.drop());

    it('writes the Brasília wall clock of the ERP instant, into new rows and over changed ones', async () => {
      const id = await seedGetIntegracao(crm.db, EMPRESA, erp.source, { modo: 'completo', sql_consulta: WITH_DATES });
      const shown = async () => {
        const { rows } = await sql<{ id_erp: string; shown: string }>`SELECT id_erp, ${text} AS shown FROM contas
          WHERE empresa_id = ${EMPRESA} AND id_erp IN ('1', '7')`.execute(crm.db);
        return Object.fromEntries(rows.map((r) => [r.id_erp, r.shown]));
      };
      const expected = { '1': brasilia(customer(1).DATALT), '7': brasilia(customer(7).DATALT) };
      // A first load (PostgreSQL COPYs straight into the table) …
      expect((await runGetOnce(crm, erp.reader, EMPRESA, id)).rowsWritten).toBe(ROWS);
      expect(await shown()).toEqual(expected);
      // … and an upsert over rows whose value changed in the CRM (staged, then INSERT … SELECT).
      await sql`UPDATE contas SET cadastro_timestamp = '2000-01-01 00:00:00'`.execute(crm.db);
      expect((await runGetOnce(crm, erp.reader, EMPRESA, id)).rowsWritten).toBeGreaterThanOrEqual(ROWS);
      expect(await shown()).toEqual(expected);
    });
  });

  it('keeps the instant in a PostgreSQL timestamptz column', async () => {
    const crm = await createTestDatabase('postgres');
    try {
      const id = await seedGetIntegracao(crm.db, EMPRESA, erp.source, { modo: 'completo', sql_consulta: WITH_DATES });
      await runGetOnce(crm, erp.reader, EMPRESA, id);
      const row = await crm.db.selectFrom('contas').select('cadastro_timestamp').where('id_erp', '=', '7').executeTakeFirstOrThrow();
      expect(new Date(row.cadastro_timestamp as Date).toISOString()).toBe(customer(7).DATALT.toISOString());
    } finally {
      await crm.drop();
    }
  });

  // An ERP instant into a CRM `date` column is its day in Brasília, whatever the worker's zone (the tests run in UTC,
  // where 23:30 in Brasília is already the next day); an ERP DATE keeps its day.
  const DAYS = `SELECT CODCLI AS id_erp, 'Pedido' AS titulo, TIMESTAMPTZ '2026-12-05 23:30:00-03' AS data_fechamento FROM E085CLI
    WHERE CODCLI = 1 UNION ALL SELECT CODCLI, 'Pedido', DATE '2026-12-05' FROM E085CLI WHERE CODCLI = 2`;
  const DAY_TEXT = {
    sqlite: sql`substr(data_fechamento, 1, 10)`,
    postgres: sql`to_char(data_fechamento, 'YYYY-MM-DD')`,
    mysql: sql`DATE_FORMAT(data_fechamento, '%Y-%m-%d')`,
  } as const;
  it.each(['sqlite', 'postgres', 'mysql'] as const)('writes the Brasília day of an ERP instant into a %s date column', async (dialect) => {
    const crm = await createTestDatabase(dialect);
    try {
      const id = await seedGetIntegracao(crm.db, EMPRESA, erp.source, { modo: 'completo', tabela: 'oportunidades', sql_consulta: DAYS });
      expect((await runGetOnce(crm, erp.reader, EMPRESA, id)).rowsWritten).toBe(2);
      const { rows } = await sql<{ id_erp: string; dia: string }>`SELECT id_erp, ${DAY_TEXT[dialect]} AS dia FROM oportunidades
        WHERE empresa_id = ${EMPRESA} ORDER BY id_erp`.execute(crm.db);
      expect(rows).toEqual([
        { id_erp: '1', dia: '2026-12-05' },
        { id_erp: '2', dia: '2026-12-05' },
      ]);
    } finally {
      await crm.drop();
    }
  });
});
