import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { sql } from 'kysely';
import { type CrmDatabase, createDatabase, hotStatementsOf } from './create-database';
import { isPreparedStatementRefusal, MAX_GROUPED, MAX_PARAMETERS, MAX_PREPARED, MAX_REFUSED, PREPARE_AFTER } from './pg-prepared';

describe('hot statements as server-side prepared statements (real PostgreSQL)', () => {
  let database: TestDatabase;
  let one: CrmDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('postgres', { migrate: false });
    await sql`CREATE TABLE itens (id integer PRIMARY KEY, nome text)`.execute(database.db);
    await sql`INSERT INTO itens VALUES (1, 'um'), (2, 'dois')`.execute(database.db);
    // One connection: what it prepared is what pg_prepared_statements of the same session shows.
    one = createDatabase(database.url, { poolSize: 1, prepareHotStatements: true });
  });
  afterAll(async () => {
    await one.destroy();
    await database.drop();
  });

  const prepared = async () =>
    (await sql<{ statement: string }>`SELECT statement FROM pg_prepared_statements`.execute(one.db)).rows.map((r) => r.statement);
  const byId = (id: number) =>
    one.db
      .selectFrom('itens' as never)
      .selectAll()
      .where(sql`id`, '=', id)
      .execute();

  it('prepares a parameterised statement once it has run PREPARE_AFTER times, and answers as before', async () => {
    for (let i = 1; i < PREPARE_AFTER; i++) expect(await byId(1)).toEqual([{ id: 1, nome: 'um' }]);
    expect((await prepared()).some((text) => text.includes('from "itens"'))).toBe(false);
    expect(await byId(2)).toEqual([{ id: 2, nome: 'dois' }]);
    expect(await byId(1)).toEqual([{ id: 1, nome: 'um' }]);
    expect((await prepared()).filter((text) => text.includes('from "itens"'))).toHaveLength(1);
  });

  it('runs a statement unnamed from then on when the server refuses its cached plan (columns changed)', async () => {
    await sql`ALTER TABLE itens ADD COLUMN extra text`.execute(database.db);
    // SELECT * of a prepared statement cannot change its result type: this run fails (0A000) like any error ...
    const refused = await byId(1).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refused).toMatchObject({ code: '0A000' });
    // Marked as the name's refusal, not the statement's error: the SET engine retries it instead of failing for good.
    expect(isPreparedStatementRefusal(refused)).toBe(true);
    expect(isPreparedStatementRefusal(new Error('other'))).toBe(false);
    // ... and the next ones run unnamed, with the new column.
    expect(await byId(1)).toEqual([{ id: 1, nome: 'um', extra: null }]);
    expect(await byId(2)).toEqual([{ id: 2, nome: 'dois', extra: null }]);
  });

  it('keeps statements without parameters (BEGIN, COMMIT) and transactions as they were', async () => {
    await one.db.transaction().execute(async (trx) => {
      for (let i = 0; i < PREPARE_AFTER + 1; i++) await sql`UPDATE itens SET nome = ${`n${i}`} WHERE id = ${2}`.execute(trx);
    });
    expect((await sql<{ nome: string }>`SELECT nome FROM itens WHERE id = 2`.execute(database.db)).rows).toEqual([
      { nome: `n${PREPARE_AFTER}` },
    ]);
    const statements = await prepared();
    expect(statements.some((text) => text.startsWith('UPDATE itens'))).toBe(true);
    expect(statements.some((text) => /^(begin|commit)/i.test(text))).toBe(false);
  });

  it('names a statement by its text: two pools (two processes) give the same text the same name, different texts different names', async () => {
    const other = createDatabase(database.url, { poolSize: 1, prepareHotStatements: true });
    try {
      const names = async (db: CrmDatabase) =>
        (await sql<{ name: string; statement: string }>`SELECT name, statement FROM pg_prepared_statements`.execute(db.db)).rows;
      // The other pool first runs a different text PREPARE_AFTER times: with a counter both would be integrador_1.
      for (let i = 0; i < PREPARE_AFTER; i++) await sql`SELECT id FROM itens WHERE nome = ${'um'}`.execute(other.db);
      for (let i = 0; i < PREPARE_AFTER; i++) await sql`SELECT nome FROM itens WHERE id = ${7}`.execute(other.db);
      for (let i = 0; i < PREPARE_AFTER; i++) await sql`SELECT nome FROM itens WHERE id = ${7}`.execute(one.db);
      const mine = (await names(one)).find((r) => r.statement === 'SELECT nome FROM itens WHERE id = $1');
      const theirs = await names(other);
      expect(mine?.name).toMatch(/^integrador_[0-9a-f]{32}$/);
      expect(theirs.find((r) => r.statement === 'SELECT nome FROM itens WHERE id = $1')?.name).toBe(mine?.name);
      expect(theirs.find((r) => r.statement === 'SELECT id FROM itens WHERE nome = $1')?.name).not.toBe(mine?.name);
    } finally {
      await other.destroy();
    }
  });

  it('leaves the grouped multi-row statements unnamed (more than MAX_PARAMETERS values): their slots go to per-push statements', async () => {
    const ids = Array.from({ length: MAX_PARAMETERS + 1 }, (_, i) => i);
    for (let i = 0; i < PREPARE_AFTER + 1; i++) await sql`SELECT count(*) FROM itens WHERE id IN (${sql.join(ids)})`.execute(one.db);
    expect((await prepared()).some((text) => text.includes('count(*)'))).toBe(false);
  });

  it('names an admitted grouped text whatever its parameters and length, from a budget of its own', async () => {
    const hot = hotStatementsOf(one.db);
    if (!hot) throw new Error('the pool prepares its hot statements');
    const ids = Array.from({ length: MAX_PARAMETERS + 1 }, (_, i) => i);
    const grouped = (n: number) =>
      sql`SELECT count(*) AS grupo_${sql.raw(String(n))} FROM itens WHERE id IN (${sql.join(ids)})${sql.raw(' '.repeat(5000))}`;
    expect(hot.admit(grouped(0).compile(one.db).sql)).toBe(true);
    for (let i = 0; i < PREPARE_AFTER + 1; i++) await grouped(0).execute(one.db);
    expect((await prepared()).filter((text) => text.includes('grupo_0'))).toHaveLength(1);
    // The budget of grouped texts is spent apart from the per-push statements' MAX_PREPARED.
    for (let n = 1; n < MAX_GROUPED; n++) expect(hot.admit(grouped(n).compile(one.db).sql)).toBe(true);
    const before = hot.named;
    for (let n = 0; n < 3; n++)
      for (let i = 0; i < PREPARE_AFTER; i++) await sql`SELECT ${sql.raw(String(n))} AS proprio FROM itens WHERE id = ${1}`.execute(one.db);
    expect(hot.named - before).toBe(3);
  });

  /** Distinct texts of one fixed shape (more parameters than MAX_PARAMETERS: only named once admitted as grouped). */
  const groupedText = (tag: string, n: number) =>
    sql<{ n: number }>`SELECT count(*)::int AS n, ${sql.raw(String(n))} AS ${sql.raw(tag)} FROM itens WHERE id IN (${sql.join(
      Array.from({ length: MAX_PARAMETERS + 1 }, (_, i) => i % 3),
    )})`;

  it('makes room for a new grouped text by releasing the least recently used one, which runs fine when it comes back', async () => {
    const two = createDatabase(database.url, { poolSize: 2, prepareHotStatements: true });
    try {
      const hot = hotStatementsOf(two.db);
      if (!hot) throw new Error('the pool prepares its hot statements');
      const text = (n: number) => groupedText('lru', n);
      const run = async (n: number) => expect((await text(n).execute(two.db)).rows).toEqual([{ n: 2, lru: n }]);
      const admit = (n: number) => hot.admit(text(n).compile(two.db).sql);
      // More distinct texts than the budget, each admitted and named in turn (one after another: on one connection).
      const total = MAX_GROUPED + 5;
      for (let n = 0; n < total; n++) {
        expect(admit(n)).toBe(true);
        for (let i = 0; i < PREPARE_AFTER; i++) await run(n);
      }
      // The five oldest were released: no more names than the budget.
      expect(hot.named).toBe(MAX_GROUPED);
      // The newest is still admitted and named (admitting it again names nothing new).
      expect(admit(total - 1)).toBe(true);
      await run(total - 1);
      expect(hot.named).toBe(MAX_GROUPED);
      // A released text runs unnamed until admitted again (the server still holds its statement on that connection).
      await run(0);
      expect(hot.named).toBe(MAX_GROUPED);
      expect(admit(0)).toBe(true);
      for (let i = 0; i < PREPARE_AFTER; i++) await run(0);
      expect(hot.named).toBe(MAX_GROUPED);
      // Named again on the connection that kept it (no second Parse: no 42P05) and on the one that never had it.
      for (let round = 0; round < 3; round++) await Promise.all([run(0), run(0)]);
      const holders = await Promise.all(
        [0, 1].map(async () => {
          const { rows } = await sql<{
            k: number;
          }>`SELECT count(*)::int AS k FROM pg_prepared_statements WHERE statement LIKE ${'% 0 AS lru %'}`.execute(two.db);
          return rows[0]?.k;
        }),
      );
      expect(holders).toEqual([1, 1]);
    } finally {
      await two.destroy();
    }
  });

  it('names every run of more than MAX_GROUPED grouped texts taking turns, once each has been named (no text thrashes)', async () => {
    const own = createDatabase(database.url, { poolSize: 1, prepareHotStatements: true });
    try {
      const hot = hotStatementsOf(own.db);
      if (!hot) throw new Error('the pool prepares its hot statements');
      const text = groupedText;
      /** Runs of the tag's texts the server executed as prepared statements (one session); no parameter: never named. */
      const namedRuns = async (tag: string) => {
        const { rows } = await sql<{ runs: number }>`SELECT coalesce(sum(generic_plans + custom_plans), 0)::int AS runs
          FROM pg_prepared_statements WHERE statement LIKE ${sql.lit(`% AS ${tag} %`)}`.execute(own.db);
        return rows[0]?.runs ?? 0;
      };
      const total = MAX_GROUPED + 10;
      /** One round: each text admitted, then run `runs` times, one text after another. */
      const round = async (tag: string, runs: number) => {
        const before = await namedRuns(tag);
        for (let n = 0; n < total; n++) {
          expect(hot.admit(text(tag, n).compile(own.db).sql)).toBe(true);
          for (let i = 0; i < runs; i++) expect((await text(tag, n).execute(own.db)).rows).toEqual([{ n: 2, [tag]: n }]);
        }
        return (await namedRuns(tag)) - before;
      };
      // Each text named in the first round (on its PREPARE_AFTER-th run), then each run once a round: every run named,
      // though each text was released before it came back.
      expect(await round('volta', PREPARE_AFTER)).toBe(total);
      for (let r = 0; r < 3; r++) expect(await round('volta', 1)).toBe(total);
      expect(hot.named).toBe(MAX_GROUPED);
      // Texts run once a round from the start keep their count while released: named on their PREPARE_AFTER-th run,
      // and every run named from then on.
      for (let r = 1; r < PREPARE_AFTER; r++) expect(await round('vez', 1)).toBe(0);
      for (let r = 0; r < 3; r++) expect(await round('vez', 1)).toBe(total);
      expect(hot.named).toBe(MAX_GROUPED);
      // One session, each statement prepared once on it.
      const { rows } = await sql<{ k: number }>`SELECT count(*)::int AS k FROM pg_prepared_statements
        WHERE statement LIKE '% AS volta %' OR statement LIKE '% AS vez %'`.execute(own.db);
      expect(rows).toEqual([{ k: 2 * total }]);
    } finally {
      await own.destroy();
    }
  });

  it('stops admitting a grouped text whose name the server refused, without counting it as the pool’s refusal', async () => {
    await sql`CREATE TABLE mutante (id integer PRIMARY KEY)`.execute(database.db);
    await sql`INSERT INTO mutante VALUES (1)`.execute(database.db);
    const ids = Array.from({ length: MAX_PARAMETERS + 1 }, () => 1);
    // MAX_REFUSED grouped texts refused: counted as the pool's refusals, they would stop it naming anything at all.
    const unions = Array.from(
      { length: MAX_REFUSED },
      (_, k) => sql`SELECT *, ${sql.raw(String(k))} AS k FROM mutante WHERE id IN (${sql.join(ids)})`,
    );
    // A fresh budget is needed for these texts: the previous test spent it, so this runs on a pool of its own.
    const own = createDatabase(database.url, { poolSize: 1, prepareHotStatements: true });
    try {
      const ownHot = hotStatementsOf(own.db);
      if (!ownHot) throw new Error('the pool prepares its hot statements');
      const texts = unions.map((union) => union.compile(own.db).sql);
      for (const text of texts) expect(ownHot.admit(text)).toBe(true);
      for (const union of unions) for (let i = 0; i < PREPARE_AFTER + 1; i++) await union.execute(own.db);
      expect(ownHot.named).toBe(MAX_REFUSED);
      await sql`ALTER TABLE mutante ADD COLUMN extra text`.execute(database.db);
      for (const union of unions) {
        const refusal = await union.execute(own.db).then(
          () => null,
          (err: unknown) => err,
        );
        expect(isPreparedStatementRefusal(refusal)).toBe(true);
      }
      for (const text of texts) expect(ownHot.admit(text)).toBe(false);
      // Their names are forgotten, and the pool still names its own statements.
      for (let i = 0; i < PREPARE_AFTER; i++) await sql`SELECT id AS depois FROM mutante WHERE id = ${1}`.execute(own.db);
      expect(ownHot.named).toBe(1);
      const { rows } = await sql<{ statement: string }>`SELECT statement FROM pg_prepared_statements`.execute(own.db);
      expect(rows.some((row) => row.statement.includes('depois'))).toBe(true);
    } finally {
      await own.destroy();
    }
  });

  it('counts a name refused on several connections at once as one refusal (the pool still names at most MAX_PREPARED)', async () => {
    await sql`CREATE TABLE varios (id integer PRIMARY KEY)`.execute(database.db);
    await sql`INSERT INTO varios VALUES (1)`.execute(database.db);
    const three = createDatabase(database.url, { poolSize: 3, prepareHotStatements: true });
    try {
      const hot = hotStatementsOf(three.db);
      const star = () => sql`SELECT * FROM varios WHERE id = ${1}`.execute(three.db);
      for (let i = 0; i < PREPARE_AFTER; i++) await star();
      await Promise.all([star(), star(), star()]);
      await sql`ALTER TABLE varios ADD COLUMN extra text`.execute(database.db);
      const refusals = await Promise.allSettled([star(), star(), star()]);
      expect(refusals.filter((r) => r.status === 'rejected' && isPreparedStatementRefusal(r.reason)).length).toBeGreaterThan(1);
      for (let n = 0; n < MAX_PREPARED + 5; n++) {
        for (let i = 0; i < PREPARE_AFTER; i++) await sql`SELECT ${sql.raw(String(n))} AS n FROM varios WHERE id = ${1}`.execute(three.db);
      }
      expect(hot?.named).toBe(MAX_PREPARED);
    } finally {
      await three.destroy();
    }
  });

  it("names only the admitted texts on an 'admitted' pool (the ingress: its CTI lookup, not the dashboard's searches)", async () => {
    const ingress = createDatabase(database.url, { poolSize: 1, prepareHotStatements: 'admitted' });
    try {
      const search = () => sql`SELECT nome AS busca FROM itens WHERE id = ${1}`.execute(ingress.db);
      const lookup = sql`SELECT count(*)::int AS consulta_admitida FROM itens WHERE id = ${-1}`;
      const hot = hotStatementsOf(ingress.db);
      if (!hot) throw new Error('the pool names its admitted statements');
      for (let i = 0; i < PREPARE_AFTER + 2; i++) {
        await search();
        expect(hot.admit(lookup.compile(ingress.db).sql)).toBe(true);
        expect((await lookup.execute(ingress.db)).rows).toEqual([{ consulta_admitida: 0 }]);
      }
      const { rows } = await sql<{ statement: string }>`SELECT statement FROM pg_prepared_statements`.execute(ingress.db);
      expect(rows.map((r) => r.statement)).toEqual([expect.stringContaining('consulta_admitida')]);
    } finally {
      await ingress.destroy();
    }
  });

  it('leaves a pool unnamed unless asked (the dashboard and the CLI)', async () => {
    const plain = createDatabase(database.url, { poolSize: 1 });
    try {
      for (let i = 0; i < PREPARE_AFTER + 2; i++) await sql`SELECT nome FROM itens WHERE id = ${1}`.execute(plain.db);
      const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_prepared_statements`.execute(plain.db);
      expect(rows).toEqual([{ n: 0 }]);
    } finally {
      await plain.destroy();
    }
  });
});
