import { spawn } from 'node:child_process';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { sql } from 'kysely';
import { sqlitePath } from './create-database';

/** Another process writing to the same file (a worker beside the ingress), waiting for the lock as long as we do. */
function otherProcessInsert(file: string, id: number): Promise<number | null> {
  const script = `const db = new (require('better-sqlite3'))(process.argv[1]); db.pragma('busy_timeout = 5000'); db.prepare('INSERT INTO itens VALUES (?)').run(Number(process.argv[2]));`;
  const child = spawn(process.execPath, ['-e', script, file, String(id)], { stdio: 'inherit' });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

describe('SQLite transactions beside another process writing the same file', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('sqlite', { migrate: false });
    await sql`CREATE TABLE itens (id integer PRIMARY KEY)`.execute(database.db);
  });
  afterAll(async () => database?.drop());

  it('a transaction that reads, then writes after the other process tried to write, commits (the other waits)', async () => {
    let other: Promise<number | null> | undefined;
    await database.db.transaction().execute(async (trx) => {
      await sql`SELECT count(*) FROM itens`.execute(trx);
      other = otherProcessInsert(sqlitePath(database.url), 2);
      // Long enough for the other process to start and write, had this transaction not taken the lock at BEGIN: a
      // deferred one would then fail its own write at once with SQLITE_BUSY (a stale snapshot; no busy wait).
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await sql`INSERT INTO itens VALUES (1)`.execute(trx);
    });
    expect(await other).toBe(0);
    const { rows } = await sql<{ id: number }>`SELECT id FROM itens ORDER BY id`.execute(database.db);
    expect(rows.map((row) => row.id)).toEqual([1, 2]);
  });
});
