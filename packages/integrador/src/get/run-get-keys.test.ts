import { customer } from '@integrador/sources/testing';
import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { runGetOnce, seedGetIntegracao, usePostgresScratchErp } from './test-support/get-fixtures';

const EMPRESA = 1;

/**
 * Four ERP keys that differ only by case or accent, all at one cursor value (so all four are the keys committed at the
 * cursor): four records on every CRM dialect. MariaDB's default collation once merged `p1` into `P1` and refused
 * `PÉ1` beside `PE1` on every retry (migration 020).
 */
const CASE_KEYS = `SELECT CASE CODCLI WHEN 1 THEN 'P1' WHEN 2 THEN 'p1' WHEN 3 THEN 'PÉ1' ELSE 'PE1' END AS id_erp,
  NOMCLI AS nome, TIMESTAMP '2026-12-06 10:00:00' AS DATALT FROM E085CLI WHERE CODCLI <= 4`;

describe('GET keys differing only by case or accent', () => {
  const erp = usePostgresScratchErp(4);

  describe.each(ALL_DIALECTS)('into a %s CRM', (dialect) => {
    let crm: TestDatabase;
    beforeAll(async () => {
      crm = await createTestDatabase(dialect);
    });
    afterAll(async () => crm?.drop());

    it('are four records, and a second run finds each one at the cursor', async () => {
      const id = await seedGetIntegracao(crm.db, EMPRESA, erp.source, { sql_consulta: CASE_KEYS });
      expect(await runGetOnce(crm, erp.reader, EMPRESA, id)).toMatchObject({ rowsRead: 4, rowsWritten: 4, rowsSkipped: 0 });
      const rows = await crm.db.selectFrom('contas').select(['id_erp', 'nome']).where('empresa_id', '=', EMPRESA).execute();
      expect(Object.fromEntries(rows.map((r) => [r.id_erp, r.nome]))).toEqual({
        P1: customer(1).NOMCLI,
        p1: customer(2).NOMCLI,
        PÉ1: customer(3).NOMCLI,
        PE1: customer(4).NOMCLI,
      });
      // The keys at the cursor are told apart too: nothing changed, nothing is written again.
      expect(await runGetOnce(crm, erp.reader, EMPRESA, id)).toMatchObject({ rowsRead: 4, rowsWritten: 0, rowsSkipped: 4 });
      const byKey = await crm.db.selectFrom('contas').select('nome').where('id_erp', '=', 'p1').execute();
      expect(byKey).toEqual([{ nome: customer(2).NOMCLI }]);
    });

    it('counts two ERP rows under one key in the result (one written), never silently', async () => {
      const sql = `SELECT CASE WHEN CODCLI <= 2 THEN 'D1' ELSE 'K' || CODCLI END AS id_erp, NOMCLI AS nome FROM E085CLI`;
      const id = await seedGetIntegracao(crm.db, 2, erp.source, { modo: 'completo', sql_consulta: sql });
      const warnings: string[] = [];
      const result = await runGetOnce(crm, erp.reader, 2, id, { onWarning: (message) => void warnings.push(message) });
      expect(result).toMatchObject({ rowsRead: 4, rowsWritten: 3, rowsSkipped: 1, rowsDuplicateKey: 1 });
      expect(warnings).toContain('rows sharing a key in one pull: the later one was written');
    });
  });
});
