import { jobFailureText } from '@integrador/queue';
import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { PermanentError } from '../set/permanent-error';
import { runGetOnce, seedGetIntegracao, usePostgresScratchErp } from './test-support/get-fixtures';

const EMPRESA = 1;

/** One bad ERP row among six: the CRM refuses it for its value, so no retry can help. */
const CASES = [
  {
    fault: 'NULL into a NOT NULL column',
    tabela: 'contas',
    sql: 'SELECT CODCLI AS id_erp, CASE WHEN CODCLI = 3 THEN NULL ELSE NOMCLI END AS nome FROM E085CLI',
    key: '3',
    dialects: ALL_DIALECTS,
  },
  {
    fault: 'a number out of the column range',
    tabela: 'oportunidades',
    sql: `SELECT CODCLI AS id_erp, 'Pedido' AS titulo, CASE WHEN CODCLI = 5 THEN 12345678901234.5678 ELSE 1.5 END AS valor FROM E085CLI`,
    key: '5',
    // SQLite has no numeric range (README: GET).
    dialects: ['postgres', 'mysql'],
  },
  {
    fault: 'a text longer than the column',
    tabela: 'contas',
    sql: `SELECT CODCLI AS id_erp, CASE WHEN CODCLI = 2 THEN repeat('x', 300) ELSE NOMCLI END AS nome FROM E085CLI`,
    key: '2',
    // SQLite keeps any length: the engine enforces the declared one there (trial 4 #7).
    dialects: ALL_DIALECTS,
  },
] as const;

describe('GET: an ERP row the CRM refuses fails the run for good, naming its key', () => {
  const erp = usePostgresScratchErp(6);

  describe.each(ALL_DIALECTS)('into a %s CRM', (dialect) => {
    let crm: TestDatabase;
    beforeAll(async () => {
      crm = await createTestDatabase(dialect);
    });
    afterAll(async () => crm?.drop());

    const cases = CASES.filter((c) => (c.dialects as readonly string[]).includes(dialect));
    it.each(cases)('$fault', async ({ tabela, sql, key }) => {
      const id = await seedGetIntegracao(crm.db, EMPRESA, erp.source, { modo: 'completo', tabela, sql_consulta: sql });
      const failure = await runGetOnce(crm, erp.reader, EMPRESA, id).then(
        () => null,
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(PermanentError);
      const permanent = failure as PermanentError;
      expect(permanent.code).toBe('GET_WRITE_FAILED');
      expect(permanent.message).toContain(`writing ${tabela} failed at the ERP row with key "${key}" (id_erp)`);
      const rawDetail = (permanent.cause as Error).message;
      expect(permanent.params).toEqual({ chave: key, tabela, rawDetail });
      // One language per line: the reason, then only the database's own words, never the English sentence.
      for (const locale of ['pt-BR', 'en'] as const) {
        const text = jobFailureText(locale, permanent.code, permanent.message, permanent.params);
        expect(text).toMatch(
          locale === 'pt-BR'
            ? `o CRM recusou a linha do ERP de chave "${key}" ao gravar ${tabela}`
            : `the CRM refused the ERP row with key "${key}" writing ${tabela}`,
        );
        expect(text.endsWith(`: ${rawDetail}`)).toBe(true);
        expect(text).not.toContain(`writing ${tabela} failed`);
      }
    });

    it('a statement error of sql_update/sql_insert itself names no row (it is no row’s fault)', async () => {
      const id = await seedGetIntegracao(crm.db, 3, erp.source, {
        modo: 'completo',
        campo_cursor: null,
        tabela: null,
        sql_consulta: 'SELECT CODCLI AS id_erp, NOMCLI AS nome FROM E085CLI',
        sql_update: 'UPDATE contas SET nome = #nome# WHERE empresa_id = #empresa_id# AND id_erp = #id_erp#',
        sql_insert: 'INSERT INTO contas (empresa_id, id_erp, nomex) VALUES (#empresa_id#, #id_erp#, #nome#)',
      });
      const failure = await runGetOnce(crm, erp.reader, 3, id).then(
        () => null,
        (err: unknown) => err as PermanentError,
      );
      expect(failure).toMatchObject({ code: 'GET_WRITE_FAILED', params: { rawDetail: (failure?.cause as Error | undefined)?.message } });
      expect(failure?.params).not.toHaveProperty('chave');
      expect(failure?.message).toMatch(/^writing sql_insert\/sql_update failed: /);
    });

    it('a text longer than the column over a row already there (the upsert path) is refused too, never cut', async () => {
      const good = 'SELECT CODCLI AS id_erp, NOMCLI AS nome FROM E085CLI';
      const id = await seedGetIntegracao(crm.db, 2, erp.source, { modo: 'completo', sql_consulta: good });
      expect((await runGetOnce(crm, erp.reader, 2, id)).rowsWritten).toBe(6);
      await crm.db
        .updateTable('integracao')
        .set({ sql_consulta: `SELECT CODCLI AS id_erp, CASE WHEN CODCLI = 4 THEN repeat('y', 300) ELSE NOMCLI END AS nome FROM E085CLI` })
        .where('id', '=', id)
        .execute();
      await expect(runGetOnce(crm, erp.reader, 2, id)).rejects.toMatchObject({
        code: 'GET_WRITE_FAILED',
        params: { chave: '4', tabela: 'contas' },
      });
      const stored = await crm.db
        .selectFrom('contas')
        .select('nome')
        .where('empresa_id', '=', 2)
        .where('id_erp', '=', '4')
        .executeTakeFirstOrThrow();
      expect(stored.nome).not.toMatch(/^y+$/);
    });
  });
});
