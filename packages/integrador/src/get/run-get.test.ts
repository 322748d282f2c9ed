import type { DatabaseDriver } from '@integrador/connections';
import type { GetRunProgress } from '@integrador/jobs';
import type { SourceReader } from '@integrador/sources';
import { createScratchSource, customer, type ScratchSource } from '@integrador/sources/testing';
import { type DialectName, findSyncState, lastSyncRun } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { optionalParts } from '@integrador/test-support/optional-parts';
import { SyncBusyError } from './get-errors';
import { readerOf, runGetOnce, seedGetIntegracao } from './test-support/get-fixtures';

const ROWS = 2_500;
const EMPRESA = 1;

// Firebird and ODBC (Debian's psqlODBC on the test PostgreSQL) where they are; otherwise one line says how to enable them.
const parts = optionalParts(['firebird', 'odbc']);

// Source database → CRM database pairs: every source that runs here into a PostgreSQL CRM, most into SQLite too, plus a MariaDB CRM.
const ALL_PAIRS: [DatabaseDriver, DialectName][] = [
  ['postgres', 'postgres'],
  ['sqlite', 'sqlite'],
  ['postgres', 'sqlite'],
  ['sqlite', 'postgres'],
  ['postgres', 'mysql'],
  ['mysql', 'postgres'],
  ['firebird', 'postgres'],
  ['firebird', 'sqlite'],
  ['odbc', 'postgres'],
];
const runs = (driver: DatabaseDriver) => (driver !== 'firebird' && driver !== 'odbc') || parts.has(driver);
const PAIRS = ALL_PAIRS.filter(([driver]) => runs(driver));
const SKIPPED = ALL_PAIRS.filter(([driver]) => !runs(driver));
if (SKIPPED.length > 0) {
  describe.skip.each(SKIPPED)('GET pull of E085CLI from %s into a %s CRM', () => {
    it('runs where the source server or driver is installed', () => {});
  });
}

describe.each(PAIRS)('GET pull of E085CLI from %s into a %s CRM', (driver, crmDialect) => {
  let source: ScratchSource;
  let reader: SourceReader;
  let crm: TestDatabase;
  const col = (name: string) => source.column(name);
  const p = (n: number) => source.placeholder(n);

  beforeAll(async () => {
    source = await createScratchSource(driver, ROWS);
    reader = await readerOf(source);
  });
  afterAll(async () => {
    await reader?.close();
    await source?.drop();
  });
  beforeEach(async () => {
    crm = await createTestDatabase(crmDialect);
  });
  afterEach(async () => {
    await crm?.drop();
  });

  const contas = (empresaId = EMPRESA) =>
    crm.db.selectFrom('contas').selectAll().where('empresa_id', '=', empresaId).orderBy('id').execute();
  const byIdErp = async (empresaId = EMPRESA) => new Map((await contas(empresaId)).map((c) => [c.id_erp, c]));

  it('full refresh: every source row once in contas, scoped to the empresa, and again without duplicates', async () => {
    const id = await seedGetIntegracao(crm.db, EMPRESA, source, { modo: 'completo', tamanho_lote: 700 });
    const progress: GetRunProgress[] = [];
    const first = await runGetOnce(crm, reader, EMPRESA, id, { onProgress: (p) => void progress.push(p) });
    expect(first).toMatchObject({
      integracaoId: id,
      mode: 'full',
      rowsRead: ROWS,
      rowsWritten: ROWS,
      rowsSkipped: 0,
      rowsMarkedDeleted: 0,
    });
    expect(progress.filter((p) => p.phase === 'gravando').map((p) => p.rowsRead)).toEqual([700, 1400, 2100, 2500]);
    expect(progress.at(-1)).toMatchObject({ phase: 'concluido', chunks: 4, rowsWritten: ROWS });
    const rows = await byIdErp();
    expect(rows.size).toBe(ROWS);
    const c7 = customer(7);
    expect(rows.get('7')).toMatchObject({
      empresa_id: EMPRESA,
      nome: c7.NOMCLI,
      fantasia: c7.APECLI,
      cnpj: String(c7.CGCCPF),
      tipo_pessoa: c7.TIPCLI,
      cep: String(c7.CEPCLI),
      telefone: c7.FONCLI,
      email_geral: null,
      status: c7.SITCLI,
      origem_integracao_id: id,
      removido_origem_em: null,
    });
    const second = await runGetOnce(crm, reader, EMPRESA, id);
    expect(second.rowsRead).toBe(ROWS);
    expect((await contas()).length).toBe(ROWS);
    expect(await lastSyncRun(crm.db, EMPRESA, id)).toMatchObject({ status: 'concluido', modo: 'full', linhas_lidas: ROWS, lotes: 4 });
  });

  it('incremental: a second run after source changes writes exactly the changed rows', async () => {
    const id = await seedGetIntegracao(crm.db, EMPRESA, source, { tamanho_lote: 1000 });
    const first = await runGetOnce(crm, reader, EMPRESA, id);
    expect(first).toMatchObject({ mode: 'incremental', rowsRead: ROWS, rowsWritten: ROWS });
    expect(first.cursor).not.toBeNull();
    const later = new Date(customer(ROWS).DATALT.getTime() + 3600_000);
    try {
      for (const code of [3, 1200, 2400])
        await source.execute(`UPDATE E085CLI SET ${col('NOMCLI')} = ${p(1)}, ${col('DATALT')} = ${p(2)} WHERE ${col('CODCLI')} = ${p(3)}`, [
          `Alterado ${code}`,
          later,
          code,
        ]);
      const second = await runGetOnce(crm, reader, EMPRESA, id);
      // The three changed rows, plus the last row of the first run (at the old cursor value) read again and skipped.
      expect(second).toMatchObject({ rowsRead: 4, rowsWritten: 3, rowsSkipped: 1, cursor: later.toISOString() });
      const rows = await byIdErp();
      expect(rows.size).toBe(ROWS);
      expect(rows.get('1200')?.nome).toBe('Alterado 1200');
      expect(rows.get('4')?.nome).toBe(customer(4).NOMCLI);
      const third = await runGetOnce(crm, reader, EMPRESA, id);
      expect(third).toMatchObject({ rowsRead: 3, rowsWritten: 0, rowsSkipped: 3 });
      const state = await findSyncState(crm.db, EMPRESA, id);
      expect(state).toMatchObject({ cursor_tipo: 'date', cursor_valor: later.toISOString(), status: 'concluido', execucao_dono: null });
    } finally {
      for (const code of [3, 1200, 2400])
        await source.execute(`UPDATE E085CLI SET ${col('NOMCLI')} = ${p(1)}, ${col('DATALT')} = ${p(2)} WHERE ${col('CODCLI')} = ${p(3)}`, [
          customer(code).NOMCLI,
          customer(code).DATALT,
          code,
        ]);
    }
  });

  it('a first load meeting a key written meanwhile by someone else upserts it, once', async () => {
    const id = await seedGetIntegracao(crm.db, EMPRESA, source, { tamanho_lote: 1000 });
    // After the first chunk (a first load: the table held no row of the empresa), the CRM gets a conta with a key the
    // source sends later; the load must not fail on it, nor write it twice.
    const first = await runGetOnce(crm, reader, EMPRESA, id, {
      onProgress: async (progress) => {
        if (progress.chunks === 1)
          await crm.db
            .insertInto('contas')
            .values({ empresa_id: EMPRESA, id_erp: String(ROWS), nome: 'Criada no CRM' })
            .execute();
      },
    });
    expect(first).toMatchObject({ rowsRead: ROWS, rowsWritten: ROWS });
    const rows = await contas();
    expect(rows.length).toBe(ROWS);
    expect(new Set(rows.map((r) => r.id_erp)).size).toBe(ROWS);
    expect((await byIdErp()).get(String(ROWS))).toMatchObject({ nome: customer(ROWS).NOMCLI, origem_integracao_id: id });
  });

  it('rows sharing the cursor value across a chunk boundary are all synced after an interrupted run', async () => {
    const id = await seedGetIntegracao(crm.db, EMPRESA, source, { tamanho_lote: 100 });
    const shared = new Date(customer(ROWS).DATALT.getTime() + 7200_000);
    // Customers 2001..2150 share one DATALT: the first chunks end in the middle of them.
    await source.execute(`UPDATE E085CLI SET ${col('DATALT')} = ${p(1)} WHERE ${col('CODCLI')} > ${p(2)} AND ${col('CODCLI')} <= ${p(3)}`, [
      shared,
      2000,
      2150,
    ]);
    try {
      const first = await runGetOnce(crm, reader, EMPRESA, id);
      expect(first.rowsWritten).toBe(ROWS);
      // Now the shared rows are the newest; an update moves 21 more rows to that same value (and renames them).
      await source.execute(`UPDATE E085CLI SET ${col('DATALT')} = ${p(1)}, ${col('NOMCLI')} = ${p(2)} WHERE ${col('CODCLI')} <= ${p(3)}`, [
        shared,
        'Alterado no lote',
        21,
      ]);
      const controller = new AbortController();
      let writtenBeforeStop = -1;
      const stopped = runGetOnce(crm, reader, EMPRESA, id, {
        signal: controller.signal,
        onProgress: (progress) => {
          if (progress.chunks !== 1) return;
          writtenBeforeStop = progress.rowsWritten;
          controller.abort();
        },
      });
      await expect(stopped).rejects.toMatchObject({ name: 'AbortError' });
      // The stop came after one committed chunk of 100 rows, all at the shared value.
      const state = await findSyncState(crm.db, EMPRESA, id);
      expect(state?.cursor_valor).toBe(shared.toISOString());
      const resumed = await runGetOnce(crm, reader, EMPRESA, id);
      // 150 + 21 rows at the shared value are read again; each renamed row is written exactly once over both runs.
      expect(resumed.rowsRead).toBe(171);
      expect(writtenBeforeStop + resumed.rowsWritten).toBe(21);
      const rows = await contas();
      expect(rows.length).toBe(ROWS);
      expect(new Set(rows.map((r) => r.id_erp)).size).toBe(ROWS);
      expect(
        rows
          .filter((r) => r.nome === 'Alterado no lote')
          .map((r) => Number(r.id_erp))
          .sort((x, y) => x - y),
      ).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
      expect((await runGetOnce(crm, reader, EMPRESA, id)).rowsWritten).toBe(0);
    } finally {
      for (let code = 2001; code <= 2150; code++)
        await source.execute(`UPDATE E085CLI SET ${col('DATALT')} = ${p(1)} WHERE ${col('CODCLI')} = ${p(2)}`, [
          customer(code).DATALT,
          code,
        ]);
      for (let code = 1; code <= 21; code++)
        await source.execute(`UPDATE E085CLI SET ${col('DATALT')} = ${p(1)}, ${col('NOMCLI')} = ${p(2)} WHERE ${col('CODCLI')} = ${p(3)}`, [
          customer(code).DATALT,
          customer(code).NOMCLI,
          code,
        ]);
    }
  });

  it('a job resumed after a stopped attempt reports progress across its attempts, as its result does', async () => {
    const id = await seedGetIntegracao(crm.db, EMPRESA, source, { tamanho_lote: 1000 });
    const jobId = 'resumed-job';
    const controller = new AbortController();
    const stopped = runGetOnce(crm, reader, EMPRESA, id, {
      jobId,
      signal: controller.signal,
      onProgress: (progress) => {
        if (progress.chunks === 1) controller.abort();
      },
    });
    await expect(stopped).rejects.toMatchObject({ name: 'AbortError' });
    const seen: GetRunProgress[] = [];
    const resumed = await runGetOnce(crm, reader, EMPRESA, id, { jobId, onProgress: (progress) => void seen.push({ ...progress }) });
    expect(resumed.rowsRead).toBeGreaterThanOrEqual(ROWS);
    // Progress goes on from the stopped attempt's rows: the last one matches the result (every attempt).
    expect(seen.at(-1)).toMatchObject({ phase: 'concluido', rowsRead: resumed.rowsRead, rowsWritten: resumed.rowsWritten });
  });

  it('reconcile marks rows deleted from the source (never deletes them) and clears the mark when they return', async () => {
    const id = await seedGetIntegracao(crm.db, EMPRESA, source, { tamanho_lote: 1000 });
    // A CRM row of the same table this integration never wrote is not touched.
    await crm.db.insertInto('contas').values({ empresa_id: EMPRESA, nome: 'Criada no CRM', id_erp: 'crm-1' }).execute();
    await runGetOnce(crm, reader, EMPRESA, id);
    const removed = [customer(10), customer(11)];
    await source.execute(`DELETE FROM E085CLI WHERE ${col('CODCLI')} IN (${p(1)}, ${p(2)})`, [10, 11]);
    try {
      const plain = await runGetOnce(crm, reader, EMPRESA, id);
      expect(plain).toMatchObject({ rowsMarkedDeleted: 0, reconcile: false });
      const reconciled = await runGetOnce(crm, reader, EMPRESA, id, { parametros: { reconciliar: true } });
      // A reconcile says so, and re-stamps (rewrites) every row it reads with its new generation.
      expect(reconciled).toMatchObject({ rowsMarkedDeleted: 2, rowsRead: ROWS - 2, rowsWritten: ROWS - 2, reconcile: true });
      const rows = await byIdErp();
      expect(rows.size).toBe(ROWS + 1);
      expect(rows.get('10')?.removido_origem_em).not.toBeNull();
      expect(rows.get('11')?.removido_origem_em).not.toBeNull();
      expect(rows.get('12')?.removido_origem_em).toBeNull();
      expect(rows.get('crm-1')?.removido_origem_em).toBeNull();
      const state = await findSyncState(crm.db, EMPRESA, id);
      expect(state).toMatchObject({ reconciliando: 0, geracao: 1 });
      expect(state?.ultima_reconciliacao_em).not.toBeNull();
      // The incremental cursor goes on after the reconcile.
      expect((await runGetOnce(crm, reader, EMPRESA, id)).rowsWritten).toBe(0);
    } finally {
      for (const row of removed)
        await source.execute(
          `INSERT INTO E085CLI (CODCLI, NOMCLI, APECLI, CGCCPF, TIPCLI, CEPCLI, ENDCLI, CIDCLI, SIGUFS, FONCLI, INTNET, SITCLI, DATALT) VALUES (${Array.from({ length: 13 }, (_, i) => p(i + 1)).join(', ')})`,
          [
            row.CODCLI,
            row.NOMCLI,
            row.APECLI,
            row.CGCCPF,
            row.TIPCLI,
            row.CEPCLI,
            row.ENDCLI,
            row.CIDCLI,
            row.SIGUFS,
            row.FONCLI,
            row.INTNET,
            row.SITCLI,
            row.DATALT,
          ],
        );
    }
    await crm.db.updateTable('integracao').set({ reconciliacao_horas: 0 }).where('id', '=', id).execute();
    const back = await runGetOnce(crm, reader, EMPRESA, id);
    expect(back.rowsMarkedDeleted).toBe(0);
    expect((await byIdErp()).get('10')?.removido_origem_em).toBeNull();
  });

  it('keeps tenants apart: two empresas, the same id_erp values, no cross-writes', async () => {
    const a = await seedGetIntegracao(crm.db, 1, source, { modo: 'completo', tamanho_lote: 1000 });
    const b = await seedGetIntegracao(crm.db, 2, source, {
      modo: 'completo',
      tamanho_lote: 1000,
      sql_consulta: `SELECT CODCLI AS id_erp, APECLI AS nome FROM E085CLI WHERE CODCLI <= 100`,
    });
    await runGetOnce(crm, reader, 1, a);
    await runGetOnce(crm, reader, 2, b);
    const ofA = await byIdErp(1);
    const ofB = await byIdErp(2);
    expect(ofA.size).toBe(ROWS);
    expect(ofB.size).toBe(100);
    expect(ofA.get('5')?.nome).toBe(customer(5).NOMCLI);
    expect(ofB.get('5')?.nome).toBe(customer(5).APECLI);
    await runGetOnce(crm, reader, 1, a);
    expect((await byIdErp(2)).get('5')?.nome).toBe(customer(5).APECLI);
    // Empresa 2 cannot run empresa 1's integracao.
    await expect(runGetOnce(crm, reader, 2, a)).rejects.toMatchObject({ name: 'RunRefusedError', code: 'NOT_FOUND' });
  });

  it('refuses bad configuration with a clear error before writing anything', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ sql_consulta: 'SELECT CODCLI AS id_erp, NOMCLI AS nome_cliente, DATALT FROM E085CLI' }, /nome_cliente.*does not exist in contas/i],
      [{ tabela: 'usuarios' }, /tabela.*usuarios.*not a CRM table/i],
      [{ tabela: 'contas; DROP TABLE contas' }, /not a CRM table/i],
      [{ campo_cursor: 'DATA_ALTERACAO' }, /campo_cursor.*DATA_ALTERACAO.*not among the columns/i],
      [{ sql_consulta: 'SELECT CODCLI AS id_erp, NO_SUCH_COLUMN FROM E085CLI' }, /sql_consulta failed on the source.*NO_SUCH_COLUMN/i],
      [{ campo_cursor: 'DATALT; --' }, /campo_cursor.*expected a column name/i],
      [{ sql_consulta: null }, /sql_consulta/i],
      [{ chave: 'cnpj' }, /no unique index on \(empresa_id, cnpj\)/i],
      [{ sql_consulta: 'SELECT NOMCLI AS nome, DATALT FROM E085CLI' }, /key column "id_erp" is not among the columns/i],
      [{ sql_consulta: 'SELECT CODCLI AS id_erp, NOMCLI AS empresa_id, DATALT FROM E085CLI' }, /written by the engine/i],
      [{ modo: 'diario' }, /modo.*completo or incremental/i],
    ];
    for (const [fields, message] of cases) {
      const id = await seedGetIntegracao(crm.db, EMPRESA, source, fields);
      await expect(runGetOnce(crm, reader, EMPRESA, id)).rejects.toThrow(message);
    }
    expect(await contas()).toEqual([]);
  });

  it('writes with sql_update / sql_insert when they are given: #vars# bound per row, no duplicates on a second run', async () => {
    const id = await seedGetIntegracao(crm.db, EMPRESA, source, {
      modo: 'completo',
      campo_cursor: null,
      tabela: null,
      sql_consulta: 'SELECT CODCLI AS id_erp, NOMCLI AS nome, APECLI AS fantasia FROM E085CLI WHERE CODCLI <= #ate#',
      sql_update: 'UPDATE contas SET nome = #nome#, fantasia = #fantasia# WHERE empresa_id = #empresa_id# AND id_erp = #id_erp#',
      sql_insert: 'INSERT INTO contas (empresa_id, id_erp, nome, fantasia) VALUES (#empresa_id#, #id_erp#, #nome#, #fantasia#)',
    });
    await runGetOnce(crm, reader, EMPRESA, id, { parametros: { ate: 50 } });
    await crm.db.updateTable('contas').set({ nome: 'mudado no CRM' }).where('id_erp', '=', '9').execute();
    const second = await runGetOnce(crm, reader, EMPRESA, id, { parametros: { ate: 50 } });
    expect(second).toMatchObject({ mode: 'full', rowsRead: 50, rowsWritten: 50 });
    const rows = await byIdErp();
    expect(rows.size).toBe(50);
    expect(rows.get('9')).toMatchObject({ nome: customer(9).NOMCLI, fantasia: customer(9).APECLI, empresa_id: EMPRESA });
  });

  it("writes only the caller's empresa, whatever the source rows or the statements say", async () => {
    const other = EMPRESA + 1;
    const id = await seedGetIntegracao(crm.db, EMPRESA, source, {
      modo: 'completo',
      campo_cursor: null,
      tabela: null,
      // The source hands an empresa_id column: the engine's #empresa_id# is bound last and wins.
      sql_consulta: `SELECT CODCLI AS id_erp, NOMCLI AS nome, ${other} AS empresa_id FROM E085CLI WHERE CODCLI <= 5`,
      sql_insert: 'INSERT INTO contas (empresa_id, id_erp, nome) VALUES (#empresa_id#, #id_erp#, #nome#)',
    });
    await runGetOnce(crm, reader, EMPRESA, id);
    expect((await contas()).length).toBe(5);
    expect(await contas(other)).toEqual([]);
    // A statement that names another empresa itself is refused by the tenant guard and the chunk rolled back.
    const forged = await seedGetIntegracao(crm.db, EMPRESA, source, {
      modo: 'completo',
      campo_cursor: null,
      tabela: null,
      sql_consulta: 'SELECT CODCLI AS id_erp, NOMCLI AS nome FROM E085CLI WHERE CODCLI <= 5',
      sql_update: 'UPDATE contas SET nome = #nome# WHERE id_erp = #id_erp#',
      sql_insert: `INSERT INTO contas (empresa_id, id_erp, nome) VALUES (${other}, #id_erp#, #nome#)`,
    });
    await crm.db.insertInto('contas').values({ empresa_id: other, id_erp: '1', nome: 'da outra empresa' }).execute();
    await expect(runGetOnce(crm, reader, EMPRESA, forged)).rejects.toMatchObject({ code: 'FOREIGN_ROW', permanent: true });
    expect(await contas(other)).toEqual([expect.objectContaining({ id_erp: '1', nome: 'da outra empresa' })]);
  });

  it('never runs the same integracao twice at once', async () => {
    const id = await seedGetIntegracao(crm.db, EMPRESA, source, { tamanho_lote: 200 });
    let second: Promise<unknown> | undefined;
    await runGetOnce(crm, reader, EMPRESA, id, {
      onProgress: (progress) => {
        if (progress.chunks === 1 && !second) second = runGetOnce(crm, reader, EMPRESA, id).catch((err: unknown) => err);
      },
    });
    expect(await second).toBeInstanceOf(SyncBusyError);
    expect((await contas()).length).toBe(ROWS);
  });
});
