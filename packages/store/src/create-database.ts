import fs from 'node:fs';
import path from 'node:path';
import type SQLiteModule from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  MysqlDialect,
  PostgresDialect,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
  type TransactionSettings,
} from 'kysely';
import type * as Mysql2Module from 'mysql2';
import type * as PgModule from 'pg';
import { trackLoadConnections } from './mysql-load';
import { trackCopyClients } from './pg-copy';
import { installPipelining } from './pg-pipeline';
import { type HotStatements, prepareHotStatements } from './pg-prepared';
import type { Database } from './schema';
import { trackSqliteHandle } from './sqlite-batch';

export type DialectName = 'postgres' | 'mysql' | 'sqlite';

/** A CRM database handle and the dialect behind it (migrations and upserts differ per dialect). */
export interface CrmDatabase {
  db: Kysely<Database>;
  dialect: DialectName;
  destroy(): Promise<void>;
}

/** Thrown for a database URL the store cannot use; the message says what is accepted. */
export class DatabaseUrlError extends Error {
  override name = 'DatabaseUrlError';
}

/** Which dialect a CRM_DATABASE_URL names. */
export function dialectOf(url: string): DialectName {
  const scheme = url.slice(0, url.indexOf(':')).toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') return 'postgres';
  if (scheme === 'mysql' || scheme === 'mariadb') return 'mysql';
  if (scheme === 'sqlite') return 'sqlite';
  throw new DatabaseUrlError(`unsupported database URL scheme "${scheme}:" (use postgres:, mysql:, mariadb: or sqlite:)`);
}

/** The file path of a sqlite: URL (sqlite:/abs/path, sqlite:relative/path or sqlite::memory:). */
export function sqlitePath(url: string): string {
  const rest = url.replace(/^sqlite:(\/\/)?/i, '');
  return rest === ':memory:' ? rest : path.resolve(rest);
}

export interface CreateDatabaseOptions {
  /** Pool size for server databases. */
  poolSize?: number;
  /** Called when the server closes an idle pooled connection (PostgreSQL); the pool recovers by itself. */
  onIdleError?: (err: Error) => void;
  /**
   * PostgreSQL: statements run again and again become server-side prepared statements (pg-prepared.ts). For the
   * workers' hot path; the dashboard's and the CLI's one-off searches keep plans made for their own values.
   */
  prepareHotStatements?: boolean;
}

const hotStatements = new WeakMap<Kysely<Database>, HotStatements>();

/**
 * The named statements of a handle whose pool names its hot statements (createDatabase with prepareHotStatements,
 * PostgreSQL); undefined for any other handle, a transaction's included.
 */
export function hotStatementsOf(db: Kysely<Database>): HotStatements | undefined {
  return hotStatements.get(db);
}

/** How long a write on the embedded file waits for another process's lock before SQLITE_BUSY. */
const SQLITE_BUSY_WAIT_MS = 5000;

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

class EmbeddedSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

/** Opens the CRM database named by the URL. */
export function createDatabase(url: string, options: CreateDatabaseOptions = {}): CrmDatabase {
  const dialect = dialectOf(url);
  const poolSize = options.poolSize ?? 10;
  let db: Kysely<Database>;
  // Only the driver of the URL is loaded (each costs start-up time, and a process uses one).
  if (dialect === 'postgres') {
    const { Pool: PgPool } = require('pg') as typeof PgModule;
    // A connection lives at most 30 minutes (closed once released): what its server session keeps — prepared statements
    // of union texts the pool has since released, cached plans — goes with it, so nothing there grows for good.
    const pool = new PgPool({ connectionString: url, max: poolSize, maxLifetimeSeconds: 1800 });
    // An idle connection the server closes (restart, failover, pg_terminate_backend) must not crash the process:
    // the pool drops it and the next query opens a fresh one.
    pool.on('error', (err) => options.onIdleError?.(err));
    // pg's pool listens for errors of idle clients only: a connection lost while a query or transaction holds it
    // (restart, pg_terminate_backend) emits 'error' on the client, which unheard would crash the process. The query in
    // flight fails with that error anyway, and the pool discards the broken client when it is released.
    pool.on('connect', (client) => client.on('error', (err) => options.onIdleError?.(err)));
    const hot = options.prepareHotStatements ? prepareHotStatements(pool) : undefined;
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    if (hot) hotStatements.set(db, hot);
    // After prepareHotStatements: a pipelined statement goes through its naming like any other.
    installPipelining(db, pool);
    trackCopyClients(db, pool);
  } else if (dialect === 'mysql') {
    const { createPool: createMysqlPool } = require('mysql2') as typeof Mysql2Module;
    const pool = createMysqlPool({
      uri: url.replace(/^mariadb:/i, 'mysql:'),
      connectionLimit: poolSize,
      // DATETIME values are written and read as UTC so every process agrees.
      timezone: 'Z',
      dateStrings: false,
      supportBigNumbers: true,
    });
    db = new Kysely<Database>({ dialect: new MysqlDialect({ pool }) });
    trackLoadConnections(db, pool);
  } else {
    const file = sqlitePath(url);
    if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
    const SQLite = require('better-sqlite3') as typeof SQLiteModule;
    const sqlite = new SQLite(file);
    // Several processes (ingress and workers) share the embedded file: WAL and a busy timeout let them.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma(`busy_timeout = ${SQLITE_BUSY_WAIT_MS}`);
    sqlite.pragma('foreign_keys = ON');
    db = new Kysely<Database>({ dialect: new EmbeddedSqliteDialect({ database: sqlite }) });
    trackSqliteHandle(db, sqlite);
  }
  return { db, dialect, destroy: () => db.destroy() };
}
