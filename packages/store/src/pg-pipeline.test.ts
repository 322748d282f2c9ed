import net from 'node:net';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { startTcpRelay, type TcpRelay } from '@integrador/test-support/tcp-relay';
import { CompiledQuery, sql } from 'kysely';
import { type CrmDatabase, createDatabase } from './create-database';
import { copyFromText } from './pg-copy';
import { canPipeline, executePipelined } from './pg-pipeline';
import { PREPARE_AFTER } from './pg-prepared';

describe('statements pipelined on one connection (real PostgreSQL)', () => {
  let database: TestDatabase;
  let relay: TcpRelay;
  let one: CrmDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('postgres', { migrate: false });
    await sql`CREATE TABLE itens (id integer PRIMARY KEY, nome text)`.execute(database.db);
    await sql`INSERT INTO itens SELECT g, 'item ' || g FROM generate_series(1, 20) g`.execute(database.db);
    relay = await startTcpRelay(database.url);
    // One connection, named hot statements as the workers run them: every statement below shares that one session.
    one = createDatabase(relay.url, { poolSize: 1, prepareHotStatements: true });
  });
  afterAll(async () => {
    await one?.destroy();
    await relay?.close();
    await database?.drop();
  });

  const rename = (id: number, nome: string) => CompiledQuery.raw('UPDATE itens SET nome = $1 WHERE id = $2', [nome, id]);
  const names = async () => (await sql<{ id: number; nome: string }>`SELECT id, nome FROM itens ORDER BY id`.execute(one.db)).rows;

  it('sends a transaction’s statements together (one write, not one per statement), each answered as alone', async () => {
    expect(canPipeline(one.db)).toBe(true);
    const statements = Array.from({ length: 20 }, (_, i) => rename(i + 1, `pipelined ${i + 1}`));
    const control = await one.db.transaction().execute(async (trx) => {
      const before = relay.clientChunks();
      for (const statement of statements.slice(0, 10)) await trx.executeQuery(statement);
      return relay.clientChunks() - before;
    });
    // One by one: at least one write per statement (the counter counts).
    expect(control).toBeGreaterThanOrEqual(10);

    const { chunks, results } = await one.db.transaction().execute(async (trx) => {
      const before = relay.clientChunks();
      const results = await executePipelined(one.db, trx, statements);
      return { chunks: relay.clientChunks() - before, results };
    });
    expect(chunks).toBeLessThan(5);
    expect(results).toHaveLength(20);
    expect(results.every((result) => result.numAffectedRows === 1n && result.rows.length === 0)).toBe(true);
    expect((await names()).map((row) => row.nome)).toEqual(statements.map((_, i) => `pipelined ${i + 1}`));
  });

  it('keeps the order: a row written twice ends with the later value; reads see the writes before them', async () => {
    const results = await one.db
      .transaction()
      .execute((trx) =>
        executePipelined(one.db, trx, [
          rename(1, 'first'),
          rename(1, 'second'),
          CompiledQuery.raw('SELECT nome FROM itens WHERE id = $1', [1]),
          rename(2, 'two'),
          CompiledQuery.raw('UPDATE itens SET nome = $1 WHERE id = $2', ['none', 999]),
        ]),
      );
    expect(results.map((result) => result.numAffectedRows)).toEqual([1n, 1n, undefined, 1n, 0n]);
    expect(results[2]?.rows).toEqual([{ nome: 'second' }]);
    expect((await names()).slice(0, 2)).toEqual([
      { id: 1, nome: 'second' },
      { id: 2, nome: 'two' },
    ]);
  });

  it('throws the failing statement’s own error; in a transaction nothing stays, outside one the others do', async () => {
    const broken = CompiledQuery.raw('UPDATE itens SET no_such_column = $1 WHERE id = $2', ['x', 3]);
    const inTransaction = await one.db
      .transaction()
      .execute((trx) => executePipelined(one.db, trx, [rename(3, 'kept?'), broken, rename(4, 'kept?')]))
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    // The undefined column (42703), not the "transaction is aborted" (25P02) of the statements after it.
    expect(inTransaction).toMatchObject({ code: '42703' });
    expect((await names()).slice(2, 4).map((row) => row.nome)).toEqual(['pipelined 3', 'pipelined 4']);

    // Outside a transaction each statement commits on its own, as one by one: the ones around the error stay.
    await expect(executePipelined(one.db, one.db, [rename(3, 'alone 3'), broken, rename(4, 'alone 4')])).rejects.toMatchObject({
      code: '42703',
    });
    expect((await names()).slice(2, 4).map((row) => row.nome)).toEqual(['alone 3', 'alone 4']);
  });

  it('names a hot statement as one by one, and leaves the connection as it was (COPY still runs on it)', async () => {
    const text = 'UPDATE itens SET nome = $1 WHERE id = $2 /* named in lists */';
    const named = async () =>
      (await sql<{ statement: string }>`SELECT statement FROM pg_prepared_statements`.execute(one.db)).rows.filter(
        (row) => row.statement === text,
      ).length;
    expect(await named()).toBe(0);
    for (let round = 0; round <= PREPARE_AFTER; round++) {
      await one.db
        .transaction()
        .execute((trx) =>
          executePipelined(one.db, trx, [CompiledQuery.raw(text, [`round ${round}`, 5]), CompiledQuery.raw(text, [`round ${round}`, 6])]),
        );
    }
    expect(await named()).toBe(1);
    expect((await names()).slice(4, 6).map((row) => row.nome)).toEqual([`round ${PREPARE_AFTER}`, `round ${PREPARE_AFTER}`]);

    // pg refuses pg-copy-streams' COPY on a client in pipeline mode: this one is back to one statement at a time.
    await sql`CREATE TABLE copiados (a integer)`.execute(one.db);
    await one.db.transaction().execute((trx) => copyFromText(one.db, trx, 'COPY copiados (a) FROM STDIN', ['7\n', '8\n']));
    expect((await sql<{ n: string }>`SELECT count(*) AS n FROM copiados`.execute(one.db)).rows[0]?.n).toBe('2');
  });

  it('fails a list with a value pg cannot send before anything goes out; the connection stays in step', async () => {
    const unsendable = CompiledQuery.raw('UPDATE itens SET nome = $1 WHERE id = $2', [{ n: 1n }, 7]);
    const before = relay.clientChunks();
    await expect(
      one.db.transaction().execute((trx) => executePipelined(one.db, trx, [rename(7, 'sent?'), unsendable, unsendable])),
    ).rejects.toThrow(TypeError);
    // BEGIN and ROLLBACK only: none of the three statements was written.
    expect(relay.clientChunks() - before).toBe(2);
    const answers = [];
    for (const v of [1, 2, 3]) answers.push((await sql<{ v: number }>`SELECT ${v}::int AS v`.execute(one.db)).rows[0]?.v);
    expect(answers).toEqual([1, 2, 3]);
    expect((await names())[6]?.nome).toBe('pipelined 7');
  });

  it('does not take a failed parse’s fallout for the server refusing a name (the text is named later as usual)', async () => {
    const text = 'UPDATE itens SET nome = $1 WHERE id = 10 / $2 /* fallout */';
    // Run twice alone: the 3rd run (PREPARE_AFTER) is the first to be named.
    for (let run = 1; run < PREPARE_AFTER; run++) await executePipelined(one.db, one.db, [CompiledQuery.raw(text, ['before', 1])]);
    // A statement failing at execution (division by zero), then copies of the text, whose first copy is now named: its
    // Parse is refused in the aborted transaction, and the copies behind it find no such name (26000).
    const failed = await one.db
      .transaction()
      .execute((trx) =>
        executePipelined(one.db, trx, [
          CompiledQuery.raw('UPDATE itens SET nome = $1 WHERE id = 10 / $2', ['x', 0]),
          ...[1, 2, 3].map(() => CompiledQuery.raw(text, ['y', 1])),
        ]),
      )
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(failed).toMatchObject({ code: '22012' });
    // Had the 26000 been taken for a refusal, the text would never be named again.
    for (let run = 0; run < 2; run++) await executePipelined(one.db, one.db, [CompiledQuery.raw(text, ['fine', 1])]);
    const prepared = (await sql<{ statement: string }>`SELECT statement FROM pg_prepared_statements`.execute(one.db)).rows;
    expect(prepared.some((row) => row.statement === text)).toBe(true);
  });
  it('hands a pipelined list to the socket in one write (one pass through the kernel, not one per statement)', async () => {
    // Counts the socket writes the client makes towards the relay (each is a syscall); the relay itself cannot tell,
    // since it shares this event loop and reads whatever arrived as one chunk either way.
    const port = Number(new URL(relay.url).port);
    const socket = net.Socket.prototype as unknown as { _writeGeneric: (this: net.Socket, ...args: unknown[]) => unknown };
    const original = socket._writeGeneric;
    let writes = 0;
    socket._writeGeneric = function (this: net.Socket, ...args: unknown[]) {
      if (this.remotePort === port) writes += 1;
      return original.apply(this, args);
    };
    try {
      const statements = Array.from({ length: 12 }, (_, i) => rename(i + 1, `corked ${i + 1}`));
      const counted = await one.db.transaction().execute(async (trx) => {
        const before = writes;
        await executePipelined(one.db, trx, statements);
        return writes - before;
      });
      expect(counted).toBe(1);
      expect((await names()).slice(0, 12).map((row) => row.nome)).toEqual(statements.map((_, i) => `corked ${i + 1}`));
    } finally {
      socket._writeGeneric = original;
    }
  });
});

describe('statements pipelined where the database cannot pipeline', () => {
  it('runs them one by one on SQLite, with the same answers and the first error', async () => {
    const database = await createTestDatabase('sqlite', { migrate: false });
    try {
      await sql`CREATE TABLE itens (id integer PRIMARY KEY, nome text)`.execute(database.db);
      await sql`INSERT INTO itens VALUES (1, 'um')`.execute(database.db);
      expect(canPipeline(database.db)).toBe(false);
      const results = await executePipelined(database.db, database.db, [
        CompiledQuery.raw('UPDATE itens SET nome = ? WHERE id = ?', ['one', 1]),
        CompiledQuery.raw('SELECT nome FROM itens WHERE id = ?', [1]),
      ]);
      expect(results).toEqual([
        { rows: [], numAffectedRows: 1n },
        { rows: [{ nome: 'one' }], numAffectedRows: undefined },
      ]);
      await expect(executePipelined(database.db, database.db, [CompiledQuery.raw('UPDATE nada SET x = 1', [])])).rejects.toMatchObject({
        message: expect.stringMatching(/nada/),
      });
    } finally {
      await database.drop();
    }
  });
});
