import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { capturedStatements } from '@integrador/test-support/statements';
import { CompiledQuery, sql } from 'kysely';
import { countJobRecords, type JobEvent, type JobFilter, listJobKeys, recordJobEvents, searchJobRecords } from './registro-jobs.repository';

const failed = (empresaId: number, filialId: number | null, jobId: string, codigo: string | null, mensagem: string): JobEvent => ({
  empresaId,
  filialId,
  fila: 'set',
  jobId,
  nomeJob: 'integration.run',
  integracaoId: 19,
  parametros: { contaId: jobId },
  estado: 'falhou',
  tentativas: 1,
  maxTentativas: 6,
  erro: { classe: 'Error', codigo, mensagem },
});

// A search whose text is also in a failure code's wording ("senha" → LOGIN_REFUSED) matches by text OR by code.
describe('a dashboard search by text and failure codes on MySQL/MariaDB', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('mysql');
    // Enough other rows for the planner to weigh a scan against the indexes, as on a real hub.
    const filler: JobEvent[] = [];
    for (let i = 0; i < 3000; i++)
      filler.push(failed(1 + (i % 3), null, `f${i}`, i % 2 ? 'TRANSPORT_TRANSIENT' : null, `timeout no receptor ${i}`));
    await recordJobEvents(database.db, filler);
    await recordJobEvents(database.db, [
      failed(1, null, 'a-text', null, 'senha expirada no ERP'),
      failed(1, 5, 'a-filial-code', 'LOGIN_REFUSED', 'password authentication failed'),
      failed(1, 6, 'a-other-filial-code', 'LOGIN_REFUSED', 'password authentication failed'),
      failed(2, null, 'b-text', null, 'senha expirada no ERP'),
      failed(2, null, 'b-code', 'LOGIN_REFUSED', 'password authentication failed'),
    ]);
    await sql`ANALYZE TABLE registro_jobs`.execute(database.db);
  });
  afterAll(async () => {
    await database?.drop();
  });

  const search = { texto: 'senha expirada', codigos: ['LOGIN_REFUSED'] };
  const found = async (filter: JobFilter) => (await searchJobRecords(database.db, filter)).map((r) => r.job_id).sort();

  /** The plan of the statement a search of every tenant runs: each table's access type and index. */
  async function plan(filter: JobFilter): Promise<string[]> {
    // The customer look-ups a text starts with (customer-search.ts) come first: the plan asked for is the records'.
    const statements = await capturedStatements(database.db, (logged) => searchJobRecords(logged, filter));
    const statement = statements.find((s) => /from `registro_jobs`/.test(s.sql));
    if (!statement) throw new Error('no statement');
    const { rows } = await database.db.executeQuery<{ table: string; type: string; key: string | null }>(
      CompiledQuery.raw(`EXPLAIN ${statement.sql}`, [...statement.parameters]),
    );
    return rows.map((row) => `${row.table}:${row.type}:${row.key ?? ''}`);
  }

  it('narrows a text-only search of every tenant by the FULLTEXT index', async () => {
    expect(await found({ scope: 'all', texto: search.texto })).toEqual(['a-text', 'b-text']);
    expect(await plan({ scope: 'all', texto: search.texto })).toEqual(['registro_jobs:fulltext:registro_jobs_busca_ft']);
  });

  it("reads every tenant's matches through the FULLTEXT and the code index, never a scan of the table", async () => {
    expect(await found({ scope: 'all', ...search })).toEqual(['a-filial-code', 'a-other-filial-code', 'a-text', 'b-code', 'b-text']);
    expect(await countJobRecords(database.db, { scope: 'all', ...search })).toBe(5);
    expect(await countJobRecords(database.db, { scope: 'all', ...search }, 3)).toBe(4);
    expect((await listJobKeys(database.db, { scope: 'all', ...search }, 10)).map((r) => r.job_id).sort()).toHaveLength(5);
    const steps = await plan({ scope: 'all', ...search });
    expect(steps).toContainEqual('registro_jobs:fulltext:registro_jobs_busca_ft');
    expect(steps).toContainEqual(expect.stringMatching(/^registro_jobs:(ref|range):registro_jobs_erro_codigo$/));
    expect(steps).toContainEqual('registro_jobs:eq_ref:PRIMARY');
    expect(steps.filter((step) => step.startsWith('registro_jobs:ALL'))).toEqual([]);
    // The other filters still apply to the rows the two selects name.
    expect(await found({ scope: 'all', ...search, estados: ['concluido'] })).toEqual([]);
  });

  it("gives a tenant's or a filial's viewer only its own rows, never another tenant's", async () => {
    expect(await found({ scope: [1], ...search })).toEqual(['a-filial-code', 'a-other-filial-code', 'a-text']);
    expect(await found({ scope: [2], ...search })).toEqual(['b-code', 'b-text']);
    expect(await found({ scope: [1], empresaId: 2, ...search })).toEqual([]);
    // A filial reads its own jobs and the empresa-wide ones, not another filial's.
    expect(await found({ scope: [1], filialId: 5, ...search })).toEqual(['a-filial-code', 'a-text']);
  });
});
