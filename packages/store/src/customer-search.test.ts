import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { failedJobEvent } from '@integrador/test-support/job-events';
import { capturedStatements } from '@integrador/test-support/statements';
import { CompiledQuery, type Kysely, sql } from 'kysely';
import { customerSearchNeedsEmpresa, documentDigits, foldText } from './customer-search';
import { countJobRecords, type JobEvent, type JobFilter, listJobKeys, recordJobEvents, searchJobRecords } from './registro-jobs.repository';
import type { Database } from './schema';

const failed = (empresaId: number, filialId: number | null, jobId: string, parametros: Record<string, unknown>, mensagem = 'recusado') =>
  failedJobEvent({ empresaId, filialId, jobId, parametros, erro: { classe: 'PermanentError', codigo: 'RECEPTOR_ERROR', mensagem } });

/**
 * Tenant 1's customers, as an operator knows them: conta 42 "João da Silva Ltda" (CNPJ stored with its separators),
 * conta 43 (CNPJ stored as digits), conta 44 of filial 5, contato 7 "Conceição Souza" (CPF); tenant 2's conta 42 is
 * another customer with the same id. Their failures name them by id only (contaId=42), as the recorder writes them.
 */
async function seed(db: Kysely<Database>): Promise<void> {
  const conta = (id: number, empresaId: number, nome: string, cnpj: string | null, filial: number | null = null) => ({
    id,
    empresa_id: empresaId,
    empresa_filial_id: filial,
    nome,
    cnpj,
  });
  await db
    .insertInto('contas')
    .values([
      conta(42, 1, 'JOÃO DA SILVA LTDA', '12.345.678/0001-90'),
      conta(43, 1, 'Padaria Estrela', '98765432000110'),
      conta(44, 1, 'João Filial Santos', null, 5),
      conta(420, 1, 'Mercado Central', '11.111.111/0001-11'),
      conta(1042, 2, 'João Outro Tenant', '12.345.678/0001-90'),
    ])
    .execute();
  await db.insertInto('contatos').values({ id: 7, empresa_id: 1, nome: 'Conceição Souza', cpf: '123.456.789-09' }).execute();
  await recordJobEvents(db, [
    failed(1, null, 'a42', { contaId: 42 }),
    failed(1, null, 'a420', { contaId: '420' }),
    failed(1, null, 'a43', { contaId: '43' }),
    failed(1, 5, 'a44', { contaId: 44 }),
    failed(1, null, 'c7', { contatoId: 7 }),
    // Tenant 2's own conta 42 (another customer) and a failure naming tenant 2's conta 1042.
    failed(2, null, 'b42', { contaId: 42 }),
    failed(2, null, 'b1042', { contaId: 1042 }),
  ]);
}

describe('customer text helpers', () => {
  it('folds accents and case, and reads a CNPJ/CPF with or without its separators', () => {
    expect(foldText('JOÃO Conceição')).toBe('joao conceicao');
    expect(documentDigits('12.345.678/0001-90')).toBe('12345678000190');
    expect(documentDigits(' 123.456.789-09 ')).toBe('12345678909');
    expect(documentDigits('12345678000190')).toBe('12345678000190');
    expect(documentDigits('1234')).toBeUndefined();
    expect(documentDigits('contaId=42')).toBeUndefined();
  });
});

describe.each(ALL_DIALECTS)('a failure found by its customer’s name or CNPJ/CPF (%s)', (dialect) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    await seed(database.db);
  });
  afterAll(async () => {
    await database?.drop();
  });

  const found = async (filter: JobFilter) => (await searchJobRecords(database.db, filter)).map((r) => r.job_id).sort();

  it('finds a conta by part of its name, whatever the accents and case', async () => {
    expect(await found({ scope: 'all', empresaId: 1, texto: 'JOAO DA SILVA' })).toEqual(['a42']);
    expect(await found({ scope: [1], texto: 'joão silva' })).toEqual(['a42']);
    expect(await found({ scope: [1], texto: 'joao' })).toEqual(['a42', 'a44']);
    expect(await found({ scope: [1], texto: 'estrela' })).toEqual(['a43']);
    expect(await found({ scope: [1], texto: 'CONCEICAO' })).toEqual(['c7']);
    expect(await countJobRecords(database.db, { scope: [1], texto: 'joao' })).toBe(2);
    expect(await countJobRecords(database.db, { scope: [1], texto: 'joao' }, 1)).toBe(2);
    expect((await listJobKeys(database.db, { scope: [1], texto: 'joao' }, 10)).map((r) => r.job_id).sort()).toEqual(['a42', 'a44']);
  });

  it('finds a customer by CNPJ/CPF typed with or without its separators, stored either way', async () => {
    expect(await found({ scope: [1], texto: '12.345.678/0001-90' })).toEqual(['a42']);
    expect(await found({ scope: [1], texto: '12345678000190' })).toEqual(['a42']);
    expect(await found({ scope: [1], texto: '98.765.432/0001-10' })).toEqual(['a43']);
    expect(await found({ scope: [1], texto: '123.456.789-09' })).toEqual(['c7']);
    expect(await found({ scope: [1], texto: '12345678909' })).toEqual(['c7']);
  });

  it('never matches another customer with the same id number, nor another tenant’s customer', async () => {
    // Both tenants (an operator of both): tenant 1's conta 42 and tenant 2's conta 1042 share a CNPJ; tenant 2's job
    // naming its own conta 42 is not João's, nor is contaId=420.
    expect(await found({ scope: [1, 2], texto: '12.345.678/0001-90' })).toEqual(['a42', 'b1042']);
    expect(await found({ scope: [2], texto: '12345678000190' })).toEqual(['b1042']);
    expect(await found({ scope: [2], texto: 'joao da silva' })).toEqual([]);
    expect(await found({ scope: [1], empresaId: 2, texto: 'joao' })).toEqual([]);
    expect(await found({ scope: [], texto: 'joao' })).toEqual([]);
  });

  it('over every tenant with no empresa, looks no customer up (that would read every tenant’s), and says so', async () => {
    const reads = async (filter: JobFilter) =>
      (await capturedStatements(database.db, (logged) => searchJobRecords(logged, filter)))
        .map((statement) => statement.sql)
        .filter((text) => /from [`"]?(contas|contatos)[`"]?/i.test(text));
    for (const texto of ['joao da silva', '12.345.678/0001-90']) {
      expect(customerSearchNeedsEmpresa({ scope: 'all' }, texto)).toBe(true);
      expect(await reads({ scope: 'all', texto })).toEqual([]);
      expect(await found({ scope: 'all', texto })).toEqual([]);
    }
    // Within an empresa (an admin's choice) or an operator's own tenants, the same text finds the customer.
    expect(customerSearchNeedsEmpresa({ scope: 'all', empresaId: 1 }, 'joao da silva')).toBe(false);
    expect(customerSearchNeedsEmpresa({ scope: [1, 2] }, 'joao da silva')).toBe(false);
    expect(await reads({ scope: 'all', empresaId: 1, texto: 'joao da silva' })).toHaveLength(2);
    expect(await found({ scope: 'all', empresaId: 1, texto: 'joao da silva' })).toEqual(['a42']);
    expect(await found({ scope: 'all', empresaId: 2, texto: '12345678000190' })).toEqual(['b1042']);
    // A text that cannot name a customer is no such search: nothing to say.
    expect(customerSearchNeedsEmpresa({ scope: 'all' }, 'contaId=42')).toBe(false);
    expect(customerSearchNeedsEmpresa({ scope: 'all' }, '1234')).toBe(false);
  });

  it('gives a filial its own customers and the empresa-wide ones, not a sibling filial’s', async () => {
    expect(await found({ scope: [1], filialId: 5, texto: 'joao' })).toEqual(['a42', 'a44']);
    expect(await found({ scope: [1], filialId: 6, texto: 'joao' })).toEqual(['a42']);
  });

  it('still finds the text itself, and the other filters still apply', async () => {
    expect(await found({ scope: [1], texto: 'contaId=43' })).toEqual(['a43']);
    expect(await found({ scope: [1], texto: 'joao', estados: ['concluido'] })).toEqual([]);
    expect(await found({ scope: [1], texto: 'joao', codigo: 'RECEPTOR_ERROR' })).toEqual(['a42', 'a44']);
    expect(await found({ scope: [1], texto: 'joao', codigo: 'OUTRO' })).toEqual([]);
  });
});

/** The statement a search runs, as the database would plan it. */
async function statementOf(database: TestDatabase, filter: JobFilter): Promise<CompiledQuery> {
  const statements = await capturedStatements(database.db, (logged) => searchJobRecords(logged, filter));
  // The last statement reads registro_jobs (the ones before look the customers up).
  const statement = statements.at(-1);
  if (!statement) throw new Error('no statement');
  return statement;
}

/** The customer lookups a search runs (one per table), by table; none when it looks no customer up. */
async function lookupsOf(database: TestDatabase, filter: JobFilter): Promise<Map<string, CompiledQuery>> {
  const statements = await capturedStatements(database.db, (logged) => searchJobRecords(logged, filter));
  const lookups = new Map<string, CompiledQuery>();
  for (const statement of statements) {
    const table = /from [`"]?(contas|contatos)[`"]?/i.exec(statement.sql)?.[1];
    if (table) lookups.set(table, statement);
  }
  return lookups;
}

/** Many other tenants' failures and customers, so a planner weighs a scan against the indexes as on a real hub. */
async function filler(database: TestDatabase): Promise<void> {
  const rows: JobEvent[] = [];
  for (let i = 0; i < 3000; i++) rows.push(failed(3 + (i % 5), null, `f${i}`, { contaId: 5000 + i }, `timeout no receptor ${i}`));
  await recordJobEvents(database.db, rows);
  for (let from = 0; from < 3000; from += 500) {
    const ids = Array.from({ length: 500 }, (_, i) => 5000 + from + i);
    await database.db
      .insertInto('contas')
      .values(ids.map((id) => ({ id, empresa_id: 3 + (id % 5), empresa_filial_id: null, nome: `Cliente João ${id}`, cnpj: null })))
      .execute();
    await database.db
      .insertInto('contatos')
      .values(ids.map((id) => ({ id, empresa_id: 3 + (id % 5), nome: `Contato João ${id}`, cpf: null })))
      .execute();
  }
}

describe('a customer search keeps the search’s indexes (EXPLAIN)', () => {
  it('PostgreSQL: every arm of the search has an index path (trigram on busca), and a customer is looked up by its empresa’s index', async () => {
    const database = await createTestDatabase('postgres');
    try {
      await seed(database.db);
      await filler(database);
      for (const table of ['registro_jobs', 'contas', 'contatos']) await sql`ANALYZE ${sql.table(table)}`.execute(database.db);
      /** The plan of a statement with scans priced out: a plan still holding one has a step no index can answer. */
      const planOf = (statement: CompiledQuery) =>
        database.db.connection().execute(async (conn) => {
          await sql`SET enable_seqscan = off`.execute(conn);
          const { rows } = await conn.executeQuery<{ 'QUERY PLAN': string }>(
            CompiledQuery.raw(`EXPLAIN ${statement.sql}`, [...statement.parameters]),
          );
          await sql`RESET enable_seqscan`.execute(conn);
          return rows.map((row) => row['QUERY PLAN']).join('\n');
        });
      for (const filter of [
        { scope: 'all', texto: 'joao da silva' },
        { scope: 'all', texto: '12.345.678/0001-90', codigos: ['LOGIN_REFUSED'] },
      ] satisfies JobFilter[]) {
        const plan = await planOf(await statementOf(database, filter));
        expect(plan).toContain('registro_jobs_busca_trgm');
        expect(plan).not.toMatch(/Seq Scan on registro_jobs/);
        // Every tenant with no empresa: no customer lookup, which no index would bound (a part of a name).
        expect([...(await lookupsOf(database, filter)).keys()]).toEqual([]);
      }
      // One empresa: each lookup reads that empresa's customers through its index, never every tenant's.
      const filter: JobFilter = { scope: 'all', empresaId: 1, texto: 'joao da silva' };
      const lookups = await lookupsOf(database, filter);
      expect([...lookups.keys()].sort()).toEqual(['contas', 'contatos']);
      for (const [table, statement] of lookups) {
        const plan = await planOf(statement);
        // An index led by empresa_id (its own, or one of the empresa's unique keys), bound to empresa 1.
        expect(plan).toMatch(new RegExp(`Index Scan (using|on) ${table}_empresa_\\w+`));
        expect(plan).toMatch(/Index Cond: \(empresa_id = 1\)/);
        expect(plan).not.toMatch(/Index Scan( Backward)? using \w+_pkey/);
      }
      expect((await searchJobRecords(database.db, filter)).map((r) => r.job_id)).toEqual(['a42']);
    } finally {
      await database.drop();
    }
  });

  it('MariaDB: every tenant’s search reads the FULLTEXT index and no customer; one empresa’s reads its customers by the empresa index', async () => {
    const database = await createTestDatabase('mysql');
    try {
      await seed(database.db);
      await filler(database);
      for (const table of ['registro_jobs', 'contas', 'contatos']) await sql`ANALYZE TABLE ${sql.table(table)}`.execute(database.db);
      const stepsOf = async (statement: CompiledQuery) => {
        const { rows } = await database.db.executeQuery<{ table: string; type: string; key: string | null }>(
          CompiledQuery.raw(`EXPLAIN ${statement.sql}`, [...statement.parameters]),
        );
        return rows.map((row) => `${row.table}:${row.type}:${row.key ?? ''}`);
      };
      const everyTenant: JobFilter = { scope: 'all', texto: 'joão da silva' };
      expect(await searchJobRecords(database.db, everyTenant)).toEqual([]);
      expect(await stepsOf(await statementOf(database, everyTenant))).toEqual(['registro_jobs:fulltext:registro_jobs_busca_ft']);
      expect([...(await lookupsOf(database, everyTenant)).keys()]).toEqual([]);

      const oneEmpresa: JobFilter = { scope: 'all', empresaId: 1, texto: 'joão da silva' };
      expect((await searchJobRecords(database.db, oneEmpresa)).map((r) => r.job_id)).toEqual(['a42']);
      const lookups = await lookupsOf(database, oneEmpresa);
      expect([...lookups.keys()].sort()).toEqual(['contas', 'contatos']);
      for (const [table, statement] of lookups)
        expect(await stepsOf(statement)).toEqual([expect.stringMatching(new RegExp(`^${table}:(ref|range):${table}_empresa_id_idx$`))]);
    } finally {
      await database.drop();
    }
  });
});
