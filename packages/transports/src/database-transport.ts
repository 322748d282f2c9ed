import {
  assertPublicDatabase,
  type DatabaseConnection,
  guardedDatabaseSocket,
  guardedMysqlStream,
  shownUrl,
} from '@integrador/connections';
// The subpath, not the barrel: the ingress and the dashboard load this module and need none of the source readers.
import { classifySourceError, TRANSIENT_SOURCE_ERRORS } from '@integrador/sources/errors';
import { databaseWriteOutcome } from '@integrador/store/statement-error';
import type SQLiteModule from 'better-sqlite3';
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect, sql } from 'kysely';
import type * as Mysql2Module from 'mysql2';
import type * as PgModule from 'pg';
import { InvalidIntegrationError, ReceptorError, TransientTransportError } from './errors';
import { connectionMasker } from './secret-mask';
import type { Transport, TransportRequest } from './transport';
import { transportMessage } from './transport-messages';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;

// biome-ignore lint/suspicious/noExplicitAny: the receptor's tables are not known at compile time.
type AnyDb = Kysely<any>;

function urlOf(connection: DatabaseConnection): string {
  if (connection.url) return connection.url.reveal();
  const auth = connection.user ? `${encodeURIComponent(connection.user)}:${encodeURIComponent(connection.password?.reveal() ?? '')}@` : '';
  return `${connection.driver}://${auth}${connection.host}:${connection.port}/${connection.database}`;
}

/** Loads only the receptor's driver, on first use (start-up time). */
function open(connection: DatabaseConnection): AnyDb {
  // The outbound guard where pg and mysql2 connect too: their own DNS answer is judged, not only assertPublicDatabase's.
  const allowPrivateNetwork = connection.allowPrivateNetwork ?? false;
  if (connection.driver === 'postgres') {
    const { Pool: PgPool } = require('pg') as typeof PgModule;
    const pool = new PgPool({ connectionString: urlOf(connection), max: 5, stream: () => guardedDatabaseSocket(allowPrivateNetwork) });
    pool.on('error', () => {}); // an idle connection closed by the server is dropped; the next query reconnects
    return new Kysely({ dialect: new PostgresDialect({ pool }) });
  }
  if (connection.driver === 'mysql') {
    const { createPool: createMysqlPool } = require('mysql2') as typeof Mysql2Module;
    return new Kysely({
      dialect: new MysqlDialect({
        pool: createMysqlPool({ uri: urlOf(connection), connectionLimit: 5, stream: guardedMysqlStream(allowPrivateNetwork) }),
      }),
    });
  }
  if (connection.driver === 'sqlite') {
    const SQLite = require('better-sqlite3') as typeof SQLiteModule;
    return new Kysely({ dialect: new SqliteDialect({ database: new SQLite(connection.database ?? ':memory:') }) });
  }
  throw new InvalidIntegrationError(
    'link',
    connection.driver,
    `driver ${connection.driver} is not supported as a SET receptor yet (postgres, mysql, sqlite)`,
  );
}

/** Whether an integracao's link names a table a database receptor can insert into (the SET/INFO row's link; lint reads it too). */
export function isReceptorTable(link: string): boolean {
  return IDENTIFIER.test(link.trim());
}

function targetTable(link: string): string {
  const table = link.trim();
  if (!isReceptorTable(table))
    throw new InvalidIntegrationError('link', link, 'for a database receptor, link must be the target table name');
  return table;
}

export interface DatabaseTransportOptions {
  /**
   * Called when the receptor refused the login (packages/sources' classification, the one owner of that rule) before
   * the failure goes on: true when the connections file now defines this connection otherwise (the transport factory
   * read it again), and the push then fails as transient so that its next attempt logs in with the new definition.
   */
  onLoginRefused?: () => Promise<boolean>;
}

/**
 * A database receptor (seed 001's "conexão via banco de dados"): the mapped request becomes one row inserted into
 * the table named by link; the answer is the row with its generated id (indice_valor_retorno `id`).
 * Column names come from campo_crm keys (configuration), values are always bound parameters.
 */
export function createDatabaseTransport(connection: DatabaseConnection, options: DatabaseTransportOptions = {}): Transport {
  let db: AnyDb | undefined;
  // Once closed a transport never opens a pool again (one reopened after close would be left open at shutdown).
  let closed = false;
  // A driver's error may quote the credentials it was given (a URL, a connection string): masked `***` before it is kept.
  const mask = connectionMasker(connection);
  const handle = () => {
    if (closed)
      throw new TransientTransportError(`database receptor ${connection.name}: transport closed`, undefined, undefined, {
        notProcessed: true,
      });
    db ??= open(connection);
    return db;
  };
  const build = (request: TransportRequest) => {
    for (const column of Object.keys(request.body)) {
      if (!IDENTIFIER.test(column))
        throw new InvalidIntegrationError('link', column, 'a column name of a database receptor must be a plain identifier');
    }
    return handle().insertInto(targetTable(request.link)).values(request.body);
  };
  const describe = (request: TransportRequest) => {
    const compiled = build(request).compile();
    return {
      // Built from host and database only (never the connection's url, which holds credentials); through shownUrl like
      // every exchange.url, its fragment naming the target table stays visible.
      url: shownUrl(`${connection.driver}://${connection.host ?? ''}/${connection.database ?? ''}#${request.link}`),
      request: JSON.stringify({ sql: compiled.sql, parameters: compiled.parameters }),
    };
  };
  return {
    async preview(request) {
      return describe(request);
    },
    async send(request) {
      const started = Date.now();
      const { url, request: text } = describe(request);
      // The outbound guard, as for REST and SOAP: its host, or one its URL's query string names (?host=, ?socketPath=),
      // on a loopback, private or link-local address is refused (permanent) unless allowPrivateNetwork. Checked before
      // every insert, so a name that starts resolving elsewhere is caught too.
      await assertPublicDatabase(connection);
      // The connection is taken before the insert: a failure to get one (the server down, starting up, refusing
      // connections) ran no statement, so the record goes back to pendente instead of an unknown outcome.
      let connected = false;
      try {
        const result = await handle()
          .connection()
          .execute(async (db) => {
            connected = true;
            const query = db.insertInto(targetTable(request.link)).values(request.body);
            return db.getExecutor().adapter.supportsReturning
              ? await query.returning(sql<number>`id`.as('id')).executeTakeFirst()
              : { id: Number((await query.executeTakeFirst()).insertId) };
          });
        const data = { ...request.body, id: (result as { id?: unknown } | undefined)?.id ?? null };
        return {
          data,
          exchange: { url, request: text, response: JSON.stringify(data), statusCode: null, durationMs: Date.now() - started },
        };
      } catch (err) {
        if (err instanceof InvalidIntegrationError || err instanceof TransientTransportError) throw err;
        const exchange = { url, request: text, response: null, statusCode: null, durationMs: Date.now() - started };
        const message = mask.text((err as Error).message);
        const refusal = classifySourceError(connection.driver, err);
        // Its pool is left to the factory: retired (closed once no push uses it) when the file replaced the definition.
        if (refusal === 'LOGIN_REFUSED' && (await options.onLoginRefused?.()))
          throw new TransientTransportError(
            `database receptor ${connection.name}: ${message} (the connections file defines it otherwise now; the next attempt uses that)`,
            exchange,
            undefined,
            {
              cause: err,
              receptorMessage: transportMessage('CONNECTION_REPLACED', { connection: connection.name }),
              // A refused login processed nothing: the outbox record goes back to pendente, not enviando.
              notProcessed: true,
            },
          );
        // One rule, as for the GET sources (packages/sources' classifier reads packages/store's databaseWriteOutcome):
        // what it calls permanent fails for good with the receptor's own words — a statement or a row's values (a
        // constraint named after a "timeout" column is no timeout), a trigger's RAISE/SIGNAL, a refused login, privilege,
        // database, address or TLS handshake.
        if (!TRANSIENT_SOURCE_ERRORS.has(refusal)) throw new ReceptorError(message, exchange, { cause: err });
        // A transient error the server reports (a deadlock, a lock timeout, a foreign key whose row may come later:
        // statement-error.ts says why) means the autocommit insert did not apply, as does any failure to get a connection:
        // the record goes back to pendente. A connection lost or a network error once connected leaves it unknown (the
        // insert may have run before the connection went), so run-set keeps the record enviando and reconciles it.
        throw new TransientTransportError(`database receptor ${connection.name}: ${message}`, exchange, undefined, {
          cause: err,
          notProcessed: !connected || databaseWriteOutcome(err) === 'retry',
        });
      }
    },
    async close() {
      closed = true;
      const stale = db;
      db = undefined;
      await stale?.destroy();
    },
  };
}
