import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { failedJobEvent } from '@integrador/test-support/job-events';
import { groupJobRecords, listJobKeys, recordJobEvents, searchJobRecords } from './registro-jobs.repository';

const failed = (empresaId: number, jobId: string, integracaoId: number | null, codigo: string | null, at: Date) =>
  failedJobEvent({
    empresaId,
    jobId,
    integracaoId,
    parametros: { contaId: 42 },
    erro: { classe: 'Error', codigo, mensagem: 'recusado' },
    at,
  });

// A schedule failing the same way every run: one group (count, first and last seen), not a page of rows.
describe.each(ALL_DIALECTS)('failures grouped by integration and failure code (%s)', (dialect) => {
  let database: TestDatabase;
  const hour = (h: number) => new Date(Date.UTC(2026, 11, 6, h, 0, 0));
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    await recordJobEvents(database.db, [
      ...[1, 2, 3, 4].map((h) => failed(1, `rep-${h}`, 19, 'RECEPTOR_ERROR', hour(h))),
      failed(1, 'login', 19, 'LOGIN_REFUSED', hour(5)),
      failed(1, 'sem-codigo', null, null, hour(0)),
      failed(2, 'b-rep', 19, 'RECEPTOR_ERROR', hour(6)),
    ]);
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('counts each group with its first and last seen, the group seen last first, within the tenant scope', async () => {
    const groups = await groupJobRecords(database.db, { scope: [1] });
    expect(groups.map((g) => [g.integracaoId, g.codigo, g.n])).toEqual([
      [19, 'LOGIN_REFUSED', 1],
      [19, 'RECEPTOR_ERROR', 4],
      [null, null, 1],
    ]);
    const repeated = groups[1];
    expect(repeated?.primeiro.toISOString()).toBe(hour(1).toISOString());
    expect(repeated?.ultimo.toISOString()).toBe(hour(4).toISOString());
    const newest = (await searchJobRecords(database.db, { scope: [1], codigo: 'RECEPTOR_ERROR' }, 1))[0];
    expect(repeated?.ultimoId).toBe(Number(newest?.id));
    // Tenant 2's run of the same integration and code is its own tenant's group, never counted in tenant 1's.
    expect((await groupJobRecords(database.db, { scope: [2] })).map((g) => [g.empresaId, g.n])).toEqual([[2, 1]]);
    expect(await groupJobRecords(database.db, { scope: [] })).toEqual([]);
  });

  it('pages the groups: each page goes on where the last one stopped, none skipped nor repeated', async () => {
    const key = (g: { integracaoId: number | null; codigo: string | null }) => `${g.integracaoId}/${g.codigo}`;
    const all = (await groupJobRecords(database.db, { scope: [1] })).map(key);
    const first = (await groupJobRecords(database.db, { scope: [1] }, 2, 0)).map(key);
    const second = (await groupJobRecords(database.db, { scope: [1] }, 2, 2)).map(key);
    expect(first).toHaveLength(2);
    expect([...first, ...second]).toEqual(all);
    expect(await groupJobRecords(database.db, { scope: [1] }, 2, 4)).toEqual([]);
  });

  it('opens a group by its integration and code, "none" included', async () => {
    const keys = async (filter: Parameters<typeof listJobKeys>[1]) =>
      (await listJobKeys(database.db, filter, 10)).map((k) => k.job_id).sort();
    expect(await keys({ scope: [1], integracaoId: 19, codigo: 'RECEPTOR_ERROR' })).toEqual(['rep-1', 'rep-2', 'rep-3', 'rep-4']);
    expect(await keys({ scope: [1], integracaoId: null, codigo: null })).toEqual(['sem-codigo']);
    expect(await keys({ scope: [2], integracaoId: 19, codigo: 'LOGIN_REFUSED' })).toEqual([]);
  });
});
