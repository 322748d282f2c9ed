import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
  type TransactionSettings,
} from 'kysely';

/** How long a statement on the embedded file waits for another process's lock before SQLITE_BUSY. */
export const SQLITE_BUSY_WAIT_MS = 5000;

/** SQLITE_BUSY and its extended codes (SQLITE_BUSY_SNAPSHOT, _RECOVERY, _TIMEOUT): the lock was not taken. */
function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_'));
}

/** Runs `run` until it is not refused with SQLITE_BUSY, pausing on the event loop between tries, for at most the wait. */
async function untilNotBusy<T>(run: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + SQLITE_BUSY_WAIT_MS;
  for (let pause = 2; ; pause = Math.min(pause * 2, 50)) {
    try {
      return await run();
    } catch (err) {
      if (!isBusy(err) || Date.now() >= deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

/**
 * Waiting for another process's lock on the embedded file (the ingress and the workers share it) without freezing this
 * process: better-sqlite3 waits synchronously for its busy timeout, which would stop every request of the ingress for up
 * to SQLITE_BUSY_WAIT_MS. So, outside a transaction, the handle has no busy timeout and a refused statement (autocommit
 * write, or BEGIN) is tried again on the event loop until SQLITE_BUSY_WAIT_MS — safe, as a statement refused with
 * SQLITE_BUSY outside a transaction changed nothing.
 *
 * Transactions take the write lock when they begin (`BEGIN IMMEDIATE`): a deferred transaction that reads, then writes
 * after another process committed, fails at once with SQLITE_BUSY (its snapshot is stale, and no wait applies); an
 * immediate one waits for the lock instead. A read-only transaction begins deferred (it takes no write lock). Inside a
 * transaction the lock is held and the busy timeout is SQLITE_BUSY_WAIT_MS (a statement cannot be retried there).
 */
export class ImmediateSqliteDriver extends SqliteDriver {
  #inTransaction = false;
  #connection?: { raw: DatabaseConnection; waiting: DatabaseConnection };

  override async init(): Promise<void> {
    await super.init();
    const connection = await super.acquireConnection();
    try {
      await connection.executeQuery(CompiledQuery.raw('pragma busy_timeout = 0'));
    } finally {
      await super.releaseConnection();
    }
  }

  /** SQLite has one connection: it is wrapped once so that statements outside a transaction wait as above. */
  override async acquireConnection(): Promise<DatabaseConnection> {
    const raw = await super.acquireConnection();
    if (this.#connection?.raw !== raw) {
      const waiting: DatabaseConnection = {
        executeQuery: <R>(query: CompiledQuery): Promise<QueryResult<R>> =>
          this.#inTransaction ? raw.executeQuery<R>(query) : untilNotBusy(async () => raw.executeQuery<R>(query)),
        streamQuery: (query, chunkSize) => raw.streamQuery(query, chunkSize),
      };
      this.#connection = { raw, waiting };
    }
    return this.#connection.waiting;
  }

  override async beginTransaction(connection: DatabaseConnection, settings?: TransactionSettings): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(settings?.accessMode === 'read only' ? 'begin' : 'begin immediate'));
    this.#inTransaction = true;
    try {
      await connection.executeQuery(CompiledQuery.raw(`pragma busy_timeout = ${SQLITE_BUSY_WAIT_MS}`));
    } catch (err) {
      // Kysely takes a failed beginTransaction for a transaction never begun and skips the rollback: without this one
      // the write lock would stay held and the flag set, every later statement skipping the wait.
      await this.rollbackTransaction(connection).catch(() => undefined);
      throw err;
    }
  }

  override async commitTransaction(connection: DatabaseConnection): Promise<void> {
    // A COMMIT that fails leaves the transaction open (Kysely rolls it back next): it is over only once committed.
    await connection.executeQuery(CompiledQuery.raw('commit'));
    await this.#endTransaction(connection);
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await connection.executeQuery(CompiledQuery.raw('rollback'));
    } finally {
      await this.#endTransaction(connection);
    }
  }

  async #endTransaction(connection: DatabaseConnection): Promise<void> {
    this.#inTransaction = false;
    await connection.executeQuery(CompiledQuery.raw('pragma busy_timeout = 0'));
  }
}

/** Kysely's SQLite dialect whose driver waits for other processes' locks as ImmediateSqliteDriver does (the embedded CRM). */
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
