import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
  type TransactionSettings,
} from 'kysely';

/** How long a write on the embedded file waits for another process's lock before SQLITE_BUSY. */
export const SQLITE_BUSY_WAIT_MS = 5000;

/**
 * SQLite transactions that take the write lock when they begin (`BEGIN IMMEDIATE`). Several processes share the
 * embedded file: a deferred transaction that reads, then writes after another process committed, fails at once with
 * SQLITE_BUSY (its snapshot is stale, and the busy timeout does not apply); an immediate one waits for the lock instead.
 * better-sqlite3 waits synchronously, which would freeze the whole process (every request of the ingress) for up to
 * the busy timeout: BEGIN runs without one and is retried on the event loop until SQLITE_BUSY_WAIT_MS instead.
 * A read-only transaction begins deferred (it takes no write lock).
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection, settings?: TransactionSettings): Promise<void> {
    if (settings?.accessMode === 'read only') {
      await connection.executeQuery(CompiledQuery.raw('begin'));
      return;
    }
    await connection.executeQuery(CompiledQuery.raw('pragma busy_timeout = 0'));
    try {
      const deadline = Date.now() + SQLITE_BUSY_WAIT_MS;
      for (let pause = 2; ; pause = Math.min(pause * 2, 50)) {
        try {
          await connection.executeQuery(CompiledQuery.raw('begin immediate'));
          return;
        } catch (err) {
          if ((err as { code?: unknown } | null)?.code !== 'SQLITE_BUSY' || Date.now() >= deadline) throw err;
          await new Promise((resolve) => setTimeout(resolve, pause));
        }
      }
    } finally {
      await connection.executeQuery(CompiledQuery.raw(`pragma busy_timeout = ${SQLITE_BUSY_WAIT_MS}`));
    }
  }
}

/** Kysely's SQLite dialect with transactions that begin as ImmediateSqliteDriver does (createDatabase's embedded CRM). */
export class EmbeddedSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}
