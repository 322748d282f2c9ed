import { spawn } from 'node:child_process';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import Database from 'better-sqlite3';
import { type CompiledQuery, type DatabaseConnection, Kysely, SqliteDialect, sql } from 'kysely';
import { sqlitePath } from './create-database';
import { ImmediateSqliteDriver, SQLITE_BUSY_WAIT_MS } from './sqlite-dialect';

/**
 * Another process writing to the same file (a worker beside the ingress), waiting for the lock as long as we do: it
 * says "ready" just before its INSERT, and prints how long that INSERT waited.
 */
function otherProcessInsert(file: string, id: number): { ready: Promise<void>; waitedMs: Promise<number> } {
  const script = [
    "const db = new (require('better-sqlite3'))(process.argv[1]);",
    "db.pragma('busy_timeout = 5000');",
    "process.stdout.write('ready\\n');",
    'const started = Date.now();',
    "db.prepare('INSERT INTO itens VALUES (?)').run(Number(process.argv[2]));",
    "process.stdout.write(String(Date.now() - started) + '\\n');",
  ].join(' ');
  const child = spawn(process.execPath, ['-e', script, file, String(id)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  let signal: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    signal = resolve;
  });
  child.stdout.on('data', (data: Buffer) => {
    out += data.toString();
    if (out.includes('ready')) signal();
  });
  const waitedMs = new Promise<number>((resolve, reject) =>
    child.on('exit', (code) => (code === 0 ? resolve(Number(out.split('\n')[1])) : reject(new Error(`insert exited ${code}`)))),
  );
  return { ready, waitedMs };
}

/**
 * Another process holding the file's write lock (a second handle: its lock needs no event loop of ours) while `run`
 * waits for it; `ticks` counts 100 ms timer ticks meanwhile, which only advance if this process is not frozen.
 */
async function whileLocked(file: string, run: (holder: Database.Database, ticks: () => number) => Promise<void>): Promise<void> {
  const holder = new Database(file);
  holder.exec('BEGIN IMMEDIATE');
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 100);
  try {
    await run(holder, () => ticks);
  } finally {
    clearInterval(ticker);
    if (holder.inTransaction) holder.exec('ROLLBACK');
    holder.close();
  }
}

describe('SQLite transactions beside another process writing the same file', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('sqlite', { migrate: false });
    await sql`CREATE TABLE itens (id integer PRIMARY KEY)`.execute(database.db);
  });
  afterAll(async () => database?.drop());

  it('a transaction that reads, then writes after the other process tried to write, commits (the other waits)', async () => {
    let other: ReturnType<typeof otherProcessInsert> | undefined;
    await database.db.transaction().execute(async (trx) => {
      await sql`SELECT count(*) FROM itens`.execute(trx);
      other = otherProcessInsert(sqlitePath(database.url), 2);
      await other.ready;
      // Had this transaction not taken the lock at BEGIN, the other process would write now and this transaction's own
      // write would fail at once with SQLITE_BUSY (a stale snapshot; no busy wait).
      // Long past the 300 ms the other INSERT must be seen to wait, however late a busy machine lets it start.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await sql`INSERT INTO itens VALUES (1)`.execute(trx);
    });
    // The other process's INSERT waited for this transaction's lock (it was under way), then went in.
    expect(await other?.waitedMs).toBeGreaterThanOrEqual(300);
    const { rows } = await sql<{ id: number }>`SELECT id FROM itens ORDER BY id`.execute(database.db);
    expect(rows.map((row) => row.id)).toEqual([1, 2]);
  });

  it('waits for another process’s lock without freezing this process, and gives up after the busy wait', async () => {
    await whileLocked(sqlitePath(database.url), async (_holder, ticks) => {
      const started = Date.now();
      const failed = await database.db
        .transaction()
        .execute(async (trx) => sql`INSERT INTO itens VALUES (3)`.execute(trx))
        .then(
          () => undefined,
          (err: unknown) => err,
        );
      expect(failed).toMatchObject({ code: 'SQLITE_BUSY' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(4500);
      // The event loop kept running while BEGIN waited (better-sqlite3's own busy wait would have frozen it).
      expect(ticks()).toBeGreaterThanOrEqual(30);
    });
    // And the handle works afterwards, busy timeout restored.
    await database.db.transaction().execute(async (trx) => sql`INSERT INTO itens VALUES (3)`.execute(trx));
  }, 20_000);

  it('a write outside a transaction waits for another process’s lock on the event loop, then goes in', async () => {
    await whileLocked(sqlitePath(database.url), async (holder, ticks) => {
      // The other process commits after eight 100 ms ticks (about 800 ms): they only advance if this process is not
      // frozen meanwhile. (A fixed 800 ms timer saw fewer ticks when a busy machine ran them late.)
      const release = setInterval(() => {
        if (ticks() < 8) return;
        clearInterval(release);
        holder.exec('COMMIT');
      }, 10);
      try {
        const started = Date.now();
        await sql`INSERT INTO itens VALUES (4)`.execute(database.db);
        expect(Date.now() - started).toBeGreaterThanOrEqual(700);
        expect(ticks()).toBeGreaterThanOrEqual(5);
      } finally {
        clearInterval(release);
      }
    });
    const { rows } = await sql<{ id: number }>`SELECT id FROM itens WHERE id = 4`.execute(database.db);
    expect(rows).toHaveLength(1);
  }, 20_000);

  it('a write outside a transaction gives up with SQLITE_BUSY after the busy wait, the event loop running', async () => {
    await whileLocked(sqlitePath(database.url), async (_holder, ticks) => {
      const started = Date.now();
      const failed = await sql`INSERT INTO itens VALUES (5)`.execute(database.db).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failed).toMatchObject({ code: 'SQLITE_BUSY' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(4500);
      expect(ticks()).toBeGreaterThanOrEqual(30);
    });
    // Nothing half-done: the refused write can be made again.
    await sql`INSERT INTO itens VALUES (5)`.execute(database.db);
  }, 20_000);

  it('waits with the busy timeout inside a transaction only (its statements cannot be tried again)', async () => {
    const timeout = async (executor: Parameters<ReturnType<typeof sql>['execute']>[0]) =>
      Number(Object.values((await sql<Record<string, number>>`pragma busy_timeout`.execute(executor)).rows[0] ?? {})[0]);
    expect(await timeout(database.db)).toBe(0);
    await database.db.transaction().execute(async (trx) => expect(await timeout(trx)).toBe(5000));
    await database.db
      .transaction()
      .setAccessMode('read only')
      .execute(async (trx) => expect(await timeout(trx)).toBe(5000));
    const failed = await database.db
      .transaction()
      .execute(async (trx) => {
        await sql`INSERT INTO itens VALUES (6)`.execute(trx);
        await sql`INSERT INTO itens VALUES (6)`.execute(trx);
      })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(failed).toMatchObject({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' });
    // Rolled back: the timeout is off again and nothing of the transaction stayed.
    expect(await timeout(database.db)).toBe(0);
    const { rows } = await sql<{ id: number }>`SELECT id FROM itens WHERE id = 6`.execute(database.db);
    expect(rows).toHaveLength(0);
  });

  it('a transaction whose setup fails after BEGIN is rolled back: the lock is released and the next transaction begins', async () => {
    /** The driver, with its busy-timeout pragma refused once right after BEGIN (nothing else makes a pragma fail). */
    class FailingSetupDriver extends ImmediateSqliteDriver {
      failNext = true;
      override async acquireConnection(): Promise<DatabaseConnection> {
        const connection = await super.acquireConnection();
        return {
          executeQuery: (query: CompiledQuery) => {
            if (this.failNext && query.sql === `pragma busy_timeout = ${SQLITE_BUSY_WAIT_MS}`) {
              this.failNext = false;
              return Promise.reject(new Error('setup refused'));
            }
            return connection.executeQuery(query);
          },
          streamQuery: (query, chunkSize) => connection.streamQuery(query, chunkSize),
        } as DatabaseConnection;
      }
    }
    const config = { database: new Database(sqlitePath(database.url)) };
    const driver = new FailingSetupDriver(config);
    const db = new Kysely<Record<string, never>>({
      dialect: new (class extends SqliteDialect {
        override createDriver = () => driver;
      })(config),
    });
    try {
      await expect(db.transaction().execute(async () => undefined)).rejects.toThrow('setup refused');
      // The BEGIN IMMEDIATE's lock is gone: another process writes at once (it would wait 5 s, then fail).
      const other = otherProcessInsert(sqlitePath(database.url), 70);
      expect(await other.waitedMs).toBeLessThan(1000);
      await db.transaction().execute(async (trx) => {
        await sql`INSERT INTO itens VALUES (71)`.execute(trx);
      });
      const { rows } = await sql<{ id: number }>`SELECT id FROM itens WHERE id >= 70 ORDER BY id`.execute(database.db);
      expect(rows.map((row) => row.id)).toEqual([70, 71]);
    } finally {
      await db.destroy();
    }
  }, 20_000);
});
