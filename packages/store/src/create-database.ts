import fs from 'node:fs';
import path from 'node:path';
import type SQLiteModule from 'better-sqlite3';
import { Kysely, MysqlAdapter, MysqlDialect, PostgresAdapter, PostgresDialect } from 'kysely';
import type * as Mysql2Module from 'mysql2';
import type * as PgModule from 'pg';
import { trackLoadConnections } from './mysql-load';
import { trackCopyClients } from './pg-copy';
import { installPipelining } from './pg-pipeline';
import { type HotStatements, prepareHotStatements } from './pg-prepared';
import { crmTypeParsers, noteMysqlWallClock } from './pg-wall-clock';
import type { Database } from './schema';
import { trackSqliteHandle } from './sqlite-batch';
import { EmbeddedSqliteDialect, SQLITE_BUSY_WAIT_MS } from './sqlite-dialect';

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

/**
 * The dialect behind a Kysely handle (its adapter), for code given only `db` (admission) that must read the catalog the
 * way its database answers it (describeCrmTable). The embedded SQLite dialect uses SQLite's adapter.
 */
export function dialectOfHandle(db: Pick<Kysely<Database>, 'getExecutor'>): DialectName {
  const { adapter } = db.getExecutor();
  if (adapter instanceof PostgresAdapter) return 'postgres';
  return adapter instanceof MysqlAdapter ? 'mysql' : 'sqlite';
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
   * 'admitted': only the statements the code admits (HotStatements.admit: the CTI listener's caller lookup, which the
   * ingress runs for every call start beside those one-off searches).
   */
  prepareHotStatements?: boolean | 'admitted';
  /**
   * PostgreSQL's application_name of every connection (`integrador-worker-set`…), so a DBA sizing max_connections or
   * ending a runaway session can tell the hub's apps apart; an application_name in the URL wins.
   */
  applicationName?: string;
}

const hotStatements = new WeakMap<Kysely<Database>, HotStatements>();

/**
 * The named statements of a handle whose pool names its hot statements (createDatabase with prepareHotStatements,
 * PostgreSQL); undefined for any other handle, a transaction's included.
 */
export function hotStatementsOf(db: Kysely<Database>): HotStatements | undefined {
  return hotStatements.get(db);
}

/** Opens the CRM database named by the URL. */
export function createDatabase(url: string, options: CreateDatabaseOptions = {}): CrmDatabase {
  const dialect = dialectOf(url);
  const poolSize = options.poolSize ?? 10;
  let db: Kysely<Database>;
  // Only the driver of the URL is loaded (each costs start-up time, and a process uses one).
  if (dialect === 'postgres') {
    const { Pool: PgPool, types } = require('pg') as typeof PgModule;
    // A connection lives at most 30 minutes (closed once released): what its server session keeps — prepared statements
    // of union texts the pool has since released, cached plans — goes with it, so nothing there grows for good.
    // Zone-less values keep pg's Date, with the wall clock they were read from beside it (pg-wall-clock.ts).
    const pool = new PgPool({
      connectionString: url,
      max: poolSize,
      maxLifetimeSeconds: 1800,
      types: crmTypeParsers(types),
      ...(options.applicationName === undefined ? {} : { application_name: options.applicationName }),
    });
    // An idle connection the server closes (restart, failover, pg_terminate_backend) must not crash the process:
    // the pool drops it and the next query opens a fresh one.
    pool.on('error', (err) => options.onIdleError?.(err));
    // pg's pool listens for errors of idle clients only: a connection lost while a query or transaction holds it
    // (restart, pg_terminate_backend) emits 'error' on the client, which unheard would crash the process. The query in
    // flight fails with that error anyway, and the pool discards the broken client when it is released.
    pool.on('connect', (client) => client.on('error', (err) => options.onIdleError?.(err)));
    const hot = options.prepareHotStatements
      ? prepareHotStatements(pool, { admittedOnly: options.prepareHotStatements === 'admitted' })
      : undefined;
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
      // Dates are bound and read as UTC (the session's zone too, below) so every process agrees.
      timezone: 'Z',
      dateStrings: false,
      supportBigNumbers: true,
      // A DATE / DATETIME keeps the text it was read from beside it (pgWallClock), as on PostgreSQL: a SET request
      // sends a DATE as its day and a DATETIME as its wall clock, told apart by the column, not by the value.
      typeCast: (field, next) => noteMysqlWallClock(next(), field.type),
      // Set here, not from the URL (explicit options win over its query): an UPDATE answers the rows it matched, not
      // only those it changed; conditional writes (a webhook endpoint's disabling) read that count.
      flags: ['FOUND_ROWS'],
    });
    // The session's zone is UTC whatever the server's default (time_zone = SYSTEM on a server in Brasília): TIMESTAMP
    // columns are converted to and from it, and NOW() / CURRENT_TIMESTAMP written into the hub's DATETIME columns are
    // then UTC like the Dates it binds (`timezone: 'Z'`). A CRM's zone-less DATETIME is stored and read as written.
    // Queued before any query of the new connection; a connection that cannot set it is not used.
    pool.on('connection', (connection) => {
      connection.query("SET time_zone = '+00:00'", (err) => {
        if (err) connection.destroy();
      });
    });
    db = new Kysely<Database>({ dialect: new MysqlDialect({ pool }) });
    trackLoadConnections(db, pool);
  } else {
    const file = sqlitePath(url);
    if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
    const SQLite = require('better-sqlite3') as typeof SQLiteModule;
    const sqlite = new SQLite(file);
    // Several processes (ingress and workers) share the embedded file: WAL and waiting for each other's locks let
    // them (this busy timeout covers opening; once open, the driver waits on the event loop: sqlite-dialect.ts).
    sqlite.pragma(`busy_timeout = ${SQLITE_BUSY_WAIT_MS}`);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('foreign_keys = ON');
    db = new Kysely<Database>({ dialect: new EmbeddedSqliteDialect({ database: sqlite }) });
    trackSqliteHandle(db, sqlite);
  }
  return { db, dialect, destroy: () => db.destroy() };
}
