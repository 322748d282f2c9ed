import { randomBytes } from 'node:crypto';
import { databaseWriteOutcome, isStatementError, isTransientServerError } from '@integrador/store/statement-error';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import SQLite from 'better-sqlite3';
import { createConnection as createMysqlConnection } from 'mysql2/promise';
import { Client as PgClient } from 'pg';
import { classifySourceError, TRANSIENT_SOURCE_ERRORS } from './source-errors';

// One rule for "transient or permanent" on database errors (packages/store's isStatementError), asked by the CRM's
// writes, the GET sources, the SET receptor and this package's classifier, over errors raised by real servers: the
// classifier must never call QUERY_FAILED (not transient) what the rule retries, nor the other way round.
// `refusal`: permanent, though not the statement's or a row's fault (a missing database, an object's state).
type Case = [name: string, raise: () => Promise<unknown>, permanent: boolean | 'refusal', code: string | number];

/** The error a promise rejects with; fails the test when it resolves. */
async function rejection(run: Promise<unknown>): Promise<unknown> {
  return run.then(
    () => {
      throw new Error('expected the statement to fail');
    },
    (error: unknown) => error,
  );
}

/**
 * Two transactions updating rows 1 and 2 of `grupos` in opposite orders: the error of the one the server picks as the
 * deadlock's victim (the other waits for the victim's rollback, then goes on).
 */
async function deadlock(sessions: [(text: string) => Promise<unknown>, (text: string) => Promise<unknown>]): Promise<unknown> {
  const [first, second] = sessions;
  const update = (id: number) => `UPDATE grupos SET v = v + 1 WHERE id = ${id}`;
  await first('BEGIN');
  await second('BEGIN');
  await first(update(1));
  await second(update(2));
  const settled = (run: Promise<unknown>) =>
    run.then(
      () => undefined,
      (error: unknown) => error,
    );
  const waiting = settled(first(update(2)));
  await new Promise((resolve) => setTimeout(resolve, 100));
  const crossing = settled(second(update(1)));
  const victim = await Promise.race([waiting, crossing].map((p) => p.then((error) => error ?? new Promise(() => {}))));
  await Promise.all([first('ROLLBACK'), second('ROLLBACK')]);
  return victim;
}

/**
 * Raises the case's error and checks it is the one named (pg and SQLite: its `code`; mysql2: its `errno`), then that
 * the rule and the classifier agree on it: permanent is QUERY_FAILED, transient is a code a retry may not meet again.
 */
async function expectRule(
  driver: 'postgres' | 'mysql' | 'sqlite',
  raise: () => Promise<unknown>,
  permanent: boolean | 'refusal',
  raised: string | number,
): Promise<void> {
  const error = await raise();
  const { code: own, errno } = error as { code?: unknown; errno?: unknown };
  expect([own, errno]).toContain(raised);
  expect(isStatementError(error)).toBe(permanent === true);
  expect(databaseWriteOutcome(error) === 'permanent').toBe(permanent !== false);
  const code = classifySourceError(driver, error);
  if (permanent) expect(code).toBe('QUERY_FAILED');
  else expect(TRANSIENT_SOURCE_ERRORS.has(code)).toBe(true);
}

describe('a PostgreSQL error, transient or permanent', () => {
  let target: TestDatabase;
  const clients: PgClient[] = [];
  const role = `itest_role_${randomBytes(4).toString('hex')}`;
  const client = async (url = target.url) => {
    const opened = new PgClient({ connectionString: url });
    opened.on('error', () => {}); // a terminated backend's late notice
    await opened.connect();
    clients.push(opened);
    return opened;
  };

  beforeAll(async () => {
    target = await createTestDatabase('postgres', { migrate: false });
    const admin = await client();
    await admin.query(`CREATE TABLE grupos (id INTEGER PRIMARY KEY, v INTEGER)`);
    await admin.query(`INSERT INTO grupos VALUES (1, 0), (2, 0)`);
    await admin.query(`CREATE TABLE clientes (
      id INTEGER PRIMARY KEY, nome VARCHAR(5) NOT NULL CHECK (nome <> 'x'), grupo INTEGER REFERENCES grupos (id))`);
    await admin.query(`INSERT INTO clientes VALUES (1, 'a', 1)`);
    await admin.query(`CREATE VIEW grupos_positivos AS SELECT * FROM grupos WHERE v >= 0 WITH CHECK OPTION`);
    await admin.query(`CREATE SEQUENCE numeros`);
    // A role with no connection allowed: its login meets 53300 (too many connections), class 53.
    await admin.query(`CREATE ROLE ${role} LOGIN CONNECTION LIMIT 0`);
  });
  afterAll(async () => {
    for (const opened of clients) await opened.end().catch(() => {});
    const admin = new PgClient({ connectionString: target.url });
    await admin.connect();
    await admin.query(`DROP ROLE IF EXISTS ${role}`);
    await admin.end();
    await target?.drop();
  });

  const statement = (text: string) => async () => rejection((await client()).query(text));

  it.each<Case>([
    ['unique violation (23505)', statement(`INSERT INTO clientes VALUES (1, 'b', 1)`), true, '23505'],
    ['check violation (23514)', statement(`INSERT INTO clientes VALUES (2, 'x', 1)`), true, '23514'],
    ['not-null violation (23502)', statement(`INSERT INTO clientes VALUES (2, NULL, 1)`), true, '23502'],
    ['value too long (22001)', statement(`INSERT INTO clientes VALUES (2, 'abcdefgh', 1)`), true, '22001'],
    ['undefined table (42P01)', statement(`SELECT * FROM nenhuma`), true, '42P01'],
    ['a subquery of more than one row (21000)', statement(`SELECT (SELECT id FROM grupos)`), true, '21000'],
    ['foreign key violation (23503)', statement(`INSERT INTO clientes VALUES (2, 'b', 99)`), false, '23503'],
    ['query canceled by statement_timeout (57014)', statement(`SET statement_timeout = 50; SELECT pg_sleep(2)`), false, '57014'],
    ['a row a WITH CHECK OPTION view refuses (44000)', statement(`INSERT INTO grupos_positivos VALUES (5, -1)`), true, '44000'],
    ['a feature not supported (0A000)', statement(`SELECT count(*) FROM grupos FOR UPDATE`), true, '0A000'],
    ['an object not in prerequisite state (55000)', statement(`SELECT currval('numeros')`), 'refusal', '55000'],
    [
      'lock not available (55P03)',
      async () => {
        const [first, second] = [await client(), await client()];
        await first.query('BEGIN');
        await first.query('UPDATE grupos SET v = v + 1 WHERE id = 1');
        const error = await rejection(second.query('SET lock_timeout = 50; UPDATE grupos SET v = v + 1 WHERE id = 1'));
        await first.query('ROLLBACK');
        return error;
      },
      false,
      '55P03',
    ],
    [
      'serialization failure (40001)',
      async () => {
        const [first, second] = [await client(), await client()];
        await first.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
        await first.query('SELECT v FROM grupos WHERE id = 1');
        await second.query('UPDATE grupos SET v = v + 1 WHERE id = 1');
        return rejection(first.query('UPDATE grupos SET v = v + 1 WHERE id = 1'));
      },
      false,
      '40001',
    ],
    [
      'deadlock (40P01)',
      async () => {
        const [first, second] = [await client(), await client()];
        return deadlock([(text) => first.query(text), (text) => second.query(text)]);
      },
      false,
      '40P01',
    ],
    [
      'connection ended by an administrator (57P01)',
      async () => {
        const [victim, admin] = [await client(), await client()];
        const pid = (await victim.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
        const sleeping = rejection(victim.query('SELECT pg_sleep(5)'));
        await new Promise((resolve) => setTimeout(resolve, 100));
        await admin.query('SELECT pg_terminate_backend($1)', [pid]);
        return sleeping;
      },
      false,
      '57P01',
    ],
    [
      'too many connections for the role (53300)',
      async () => {
        const url = new URL(target.url);
        url.username = role;
        url.password = '';
        return rejection(client(url.toString()));
      },
      false,
      '53300',
    ],
  ])('%s', (_name, raise, permanent, code) => expectRule('postgres', raise, permanent, code));
});

describe('a MariaDB error, transient or permanent', () => {
  let target: TestDatabase;
  type MysqlConnection = Awaited<ReturnType<typeof createMysqlConnection>>;
  const connections: MysqlConnection[] = [];
  const connection = async () => {
    const opened = await createMysqlConnection({ uri: target.url, multipleStatements: true });
    connections.push(opened);
    return opened;
  };

  beforeAll(async () => {
    target = await createTestDatabase('mysql', { migrate: false });
    const admin = await connection();
    await admin.query(`CREATE TABLE grupos (id INTEGER PRIMARY KEY, v INTEGER) ENGINE=InnoDB`);
    await admin.query(`INSERT INTO grupos VALUES (1, 0), (2, 0)`);
    await admin.query(`CREATE TABLE clientes (
      id INTEGER PRIMARY KEY, nome VARCHAR(5) NOT NULL CHECK (nome <> 'x'), grupo INTEGER,
      FOREIGN KEY (grupo) REFERENCES grupos (id)) ENGINE=InnoDB`);
    await admin.query(`INSERT INTO clientes VALUES (1, 'a', 1)`);
    await admin.query(`CREATE VIEW grupos_positivos AS SELECT * FROM grupos WHERE v >= 0 WITH CHECK OPTION`);
    await admin.query(`CREATE VIEW grupos_calculados AS SELECT id, v + 1 AS w FROM grupos`);
    await admin.query(`CREATE PROCEDURE um_argumento (a INTEGER) SELECT a`);
  });
  afterAll(async () => {
    for (const opened of connections) await opened.end().catch(() => {});
    await target?.drop();
  });

  const statement = (text: string) => async () => rejection((await connection()).query(text));

  it.each<Case>([
    ['duplicate key (1062)', statement(`INSERT INTO clientes VALUES (1, 'b', 1)`), true, 1062],
    ['check constraint (4025)', statement(`INSERT INTO clientes VALUES (2, 'x', 1)`), true, 4025],
    ['NULL into NOT NULL (1048)', statement(`INSERT INTO clientes VALUES (2, NULL, 1)`), true, 1048],
    ['value too long (1406)', statement(`INSERT INTO clientes VALUES (2, 'abcdefgh', 1)`), true, 1406],
    ['unknown table (1146)', statement(`SELECT * FROM nenhuma`), true, 1146],
    ['unknown function (1305)', statement(`SELECT nenhuma()`), true, 1305],
    ['ambiguous column (1052)', statement(`SELECT id FROM grupos, clientes`), true, 1052],
    ['a subquery of more than one row (1242)', statement(`SELECT (SELECT id FROM grupos)`), true, 1242],
    ['foreign key violation (1452)', statement(`INSERT INTO clientes VALUES (2, 'b', 99)`), false, 1452],
    ['a parent row still referenced (1451)', statement(`DELETE FROM grupos WHERE id = 1`), false, 1451],
    ['a column named twice (1110)', statement(`INSERT INTO grupos (id, id) VALUES (3, 3)`), true, 1110],
    ['a procedure called with the wrong arguments (1318)', statement(`CALL um_argumento()`), true, 1318],
    ['a table named twice (1066)', statement(`SELECT * FROM grupos, grupos`), true, 1066],
    ['a value out of range (1690)', statement(`SELECT CAST(0 AS UNSIGNED) - 1`), true, 1690],
    ['a view column that cannot be updated (1348)', statement(`UPDATE grupos_calculados SET w = 1`), true, 1348],
    ['a row a WITH CHECK OPTION view refuses (1369)', statement(`INSERT INTO grupos_positivos VALUES (5, -1)`), true, 1369],
    [
      'no database selected (1046)',
      async () => {
        const url = new URL(target.url);
        url.pathname = '/';
        const opened = await createMysqlConnection({ uri: url.toString() });
        connections.push(opened);
        return rejection(opened.query('SELECT * FROM grupos'));
      },
      'refusal',
      1046,
    ],
    [
      'statement over max_statement_time (1969)',
      statement(`SET SESSION max_statement_time = 0.05; SELECT SLEEP(2) FROM grupos`),
      false,
      1969,
    ],
    [
      'lock wait timeout (1205)',
      async () => {
        const [first, second] = [await connection(), await connection()];
        await first.query('START TRANSACTION');
        await first.query('UPDATE grupos SET v = v + 1 WHERE id = 1');
        await second.query('SET SESSION innodb_lock_wait_timeout = 1');
        const error = await rejection(second.query('UPDATE grupos SET v = v + 1 WHERE id = 1'));
        await first.query('ROLLBACK');
        return error;
      },
      false,
      1205,
    ],
    [
      'deadlock (1213)',
      async () => {
        const [first, second] = [await connection(), await connection()];
        return deadlock([(text) => first.query(text), (text) => second.query(text)]);
      },
      false,
      1213,
    ],
  ])('%s', (_name, raise, permanent, code) => expectRule('mysql', raise, permanent, code));
});

describe('a SQLite error, transient or permanent', () => {
  let target: TestDatabase;
  const file = () => target.url.replace(/^sqlite:/, '');
  const open = () => {
    const db = new SQLite(file(), { timeout: 0 });
    db.pragma('foreign_keys = ON');
    return db;
  };

  beforeAll(async () => {
    target = await createTestDatabase('sqlite', { migrate: false });
    const db = open();
    db.exec(`CREATE TABLE grupos (id INTEGER PRIMARY KEY);
      INSERT INTO grupos VALUES (1);
      CREATE TABLE clientes (id INTEGER PRIMARY KEY, nome TEXT NOT NULL CHECK (nome <> 'x'),
        grupo INTEGER REFERENCES grupos (id));
      INSERT INTO clientes VALUES (1, 'a', 1);`);
    db.close();
  });
  afterAll(async () => target?.drop());

  const statement = (text: string) => async () => {
    const db = open();
    try {
      db.exec(text);
    } catch (error) {
      return error;
    } finally {
      db.close();
    }
    throw new Error('expected the statement to fail');
  };

  it.each<Case>([
    ['primary key violation', statement(`INSERT INTO clientes VALUES (1, 'b', 1)`), true, 'SQLITE_CONSTRAINT_PRIMARYKEY'],
    ['check violation', statement(`INSERT INTO clientes VALUES (2, 'x', 1)`), true, 'SQLITE_CONSTRAINT_CHECK'],
    ['NOT NULL violation', statement(`INSERT INTO clientes VALUES (2, NULL, 1)`), true, 'SQLITE_CONSTRAINT_NOTNULL'],
    ['foreign key violation', statement(`INSERT INTO clientes VALUES (2, 'b', 99)`), false, 'SQLITE_CONSTRAINT_FOREIGNKEY'],
    [
      'database locked by another connection (SQLITE_BUSY)',
      async () => {
        const holder = open();
        holder.exec('BEGIN IMMEDIATE');
        try {
          return await statement(`INSERT INTO grupos VALUES (2)`)();
        } finally {
          holder.exec('ROLLBACK');
          holder.close();
        }
      },
      false,
      'SQLITE_BUSY',
    ],
  ])('%s', (_name, raise, permanent, code) => expectRule('sqlite', raise, permanent, code));
});

// Every code the rule knows, and server errors it does not name (a read-only server 25006 / 1290, a full disk 53100 /
// 1021 / 1114, an interrupted network read 1159): the classifier's transient-or-not is the receptor's
// (databaseWriteOutcome), never a second reading.
describe('the classifier and the write outcome agree on every database error', () => {
  const PG_CLASSES = ['00', '01', '02', '03', '08', '09', '0A', '0B', '0F', '0L', '0P', '0Z', '20', '21', '22', '23', '24', '25', '26'];
  const PG_MORE = ['27', '28', '2B', '2D', '2F', '34', '38', '39', '3B', '3D', '3F', '40', '42', '44', '53', '54', '55', '57', '58'];
  const pgCodes = [
    ...[...PG_CLASSES, ...PG_MORE, 'F0', 'HV', 'P0', 'XX'].flatMap((cls) => [`${cls}000`, `${cls}001`, `${cls}P01`]),
    ...['23502', '23503', '23505', '23514', '23P01', '25006', '28P01', '3D000', '42P05', '26000', '55P03', '57P02', '57P03'],
    ...['53300', '40P01', '22P02', '08006', '08P01', 'P0001', 'P0002', '53100', '08001', '08004', '45000', '28000'],
  ];
  const mysqlErrnos = [
    ...Array.from({ length: 1000 }, (_, i) => 1000 + i),
    ...Array.from({ length: 100 }, (_, i) => 2000 + i),
    ...Array.from({ length: 1300 }, (_, i) => 3000 + i),
  ];
  const MYSQL_NAMES = ['PARSE_ERROR', 'BAD_FIELD_ERROR', 'NO_SUCH_TABLE', 'DUP_ENTRY', 'DATA_TOO_LONG', 'BAD_NULL_ERROR'];
  const sqliteCodes = ['ERROR', 'INTERNAL', 'PERM', 'ABORT', 'BUSY', 'BUSY_SNAPSHOT', 'LOCKED', 'NOMEM', 'READONLY']
    .concat(['READONLY_DBMOVED', 'INTERRUPT', 'IOERR', 'IOERR_WRITE', 'CORRUPT', 'NOTFOUND', 'FULL', 'CANTOPEN', 'PROTOCOL'])
    .concat(['SCHEMA', 'TOOBIG', 'CONSTRAINT', 'CONSTRAINT_CHECK', 'CONSTRAINT_FOREIGNKEY', 'CONSTRAINT_NOTNULL'])
    .concat(['CONSTRAINT_PRIMARYKEY', 'CONSTRAINT_UNIQUE', 'CONSTRAINT_TRIGGER', 'MISMATCH', 'MISUSE', 'AUTH', 'RANGE'])
    .map((code) => `SQLITE_${code}`);
  const network = ['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'PROTOCOL_CONNECTION_LOST', undefined];
  type Failure = Error & { code?: unknown; errno?: unknown };
  const error = (fields: Record<string, unknown>): Failure => Object.assign(new Error('refused'), fields);
  const cases: (readonly [driver: 'postgres' | 'mysql' | 'sqlite', error: Failure])[] = [
    ...pgCodes.map((code) => ['postgres', error({ code, severity: 'ERROR' })] as const),
    ...mysqlErrnos.map((errno) => ['mysql', error({ errno, code: 'ER_SOMETHING', sqlState: 'HY000' })] as const),
    ...MYSQL_NAMES.map((name) => ['mysql', error({ errno: 1064, code: `ER_${name}` })] as const),
    // mysql2's sqlState: the statement's classes (42, 22, 21, 23), the missing database (3D), and others.
    ...['42000', '42S02', '22003', '21000', '23000', '3D000', '40001', '08S01', '25006', '70100', 'HY001'].flatMap((sqlState) =>
      mysqlErrnos.slice(0, 1000).map((errno) => ['mysql', error({ errno, code: 'ER_SOMETHING', sqlState })] as const),
    ),
    ...sqliteCodes.map((code) => ['sqlite', error({ code })] as const),
    ...(['postgres', 'mysql', 'sqlite'] as const).flatMap((driver) => network.map((code) => [driver, error({ code })] as const)),
  ];

  it(`${cases.length} errors: permanent for the one is permanent for the other`, () => {
    const disagreements = cases.filter(([driver, failure]) => {
      const transient = TRANSIENT_SOURCE_ERRORS.has(classifySourceError(driver, failure));
      const outcome = databaseWriteOutcome(failure);
      if (isStatementError(failure) && transient) return true;
      if (isTransientServerError(failure) && !transient) return true;
      return transient === (outcome === 'permanent');
    });
    expect(disagreements.map(([driver, { code, errno }]) => `${driver} ${String(code)} ${String(errno ?? '')}`)).toEqual([]);
  });

  // Named permanent: a trigger, an exclusion constraint, a refused login or privilege, a missing database. A server error
  // the rule names nowhere (a read-only server, a full disk, a node not ready, an interrupted network read, a server
  // starting) means the statement did not apply: retried, never a failed query for good.
  type Named = readonly [driver: 'postgres' | 'mysql' | 'sqlite', fields: Record<string, unknown>, outcome: 'permanent' | 'retry'];
  const named: Named[] = [
    ...['P0001', '45000', '23P01', '28P01', '3D000'].map((code): Named => ['postgres', { code }, 'permanent']),
    ['mysql', { errno: 1644, code: 'ER_SIGNAL_EXCEPTION', sqlState: '45000' }, 'permanent'],
    ['mysql', { errno: 1045, code: 'ER_ACCESS_DENIED_ERROR' }, 'permanent'],
    ['mysql', { errno: 1142, code: 'ER_TABLEACCESS_DENIED_ERROR' }, 'permanent'],
    ['mysql', { errno: 1227, code: 'ER_SPECIFIC_ACCESS_DENIED_ERROR' }, 'permanent'],
    ['sqlite', { code: 'SQLITE_READONLY' }, 'permanent'],
    ['sqlite', { code: 'SQLITE_CONSTRAINT_TRIGGER' }, 'permanent'],
    ...['25006', '53100', '57P03', '08001', '08004', '23503'].map((code): Named => ['postgres', { code }, 'retry']),
    ['mysql', { errno: 1159, code: 'ER_NET_READ_INTERRUPTED' }, 'retry'],
    ['mysql', { errno: 1161, code: 'ER_NET_WRITE_INTERRUPTED' }, 'retry'],
    ['mysql', { errno: 1021, code: 'ER_DISK_FULL' }, 'retry'],
    ['mysql', { errno: 1114, code: 'ER_RECORD_FILE_FULL' }, 'retry'],
    ['mysql', { errno: 1047, code: 'ER_UNKNOWN_COM_ERROR' }, 'retry'],
    ['mysql', { errno: 1290, code: 'ER_OPTION_PREVENTS_STATEMENT' }, 'retry'],
    ['mysql', { errno: 1452, code: 'ER_NO_REFERENCED_ROW_2' }, 'retry'],
    ...['44000', '0A000', '55000', '55P02', '21000'].map((code): Named => ['postgres', { code }, 'permanent']),
    ...['55P03', '55006'].map((code): Named => ['postgres', { code }, 'retry']),
    ['mysql', { errno: 1110, code: 'ER_FIELD_SPECIFIED_TWICE', sqlState: '42000' }, 'permanent'],
    ['mysql', { errno: 1690, code: 'ER_DATA_OUT_OF_RANGE', sqlState: '22003' }, 'permanent'],
    ['mysql', { errno: 1046, code: 'ER_NO_DB_ERROR', sqlState: '3D000' }, 'permanent'],
    ['mysql', { errno: 1348, code: 'ER_NONUPDATEABLE_COLUMN', sqlState: 'HY000' }, 'permanent'],
    ['mysql', { errno: 1203, code: 'ER_TOO_MANY_USER_CONNECTIONS', sqlState: '42000' }, 'retry'],
    ['mysql', { errno: 1226, code: 'ER_USER_LIMIT_REACHED', sqlState: '42000' }, 'retry'],
    ['mysql', { errno: 1451, code: 'ER_ROW_IS_REFERENCED_2', sqlState: '23000' }, 'retry'],
  ];

  it.each(named)('%s %o: %s, for the classifier too', (driver, fields, outcome) => {
    expect(databaseWriteOutcome(error(fields))).toBe(outcome);
    expect(TRANSIENT_SOURCE_ERRORS.has(classifySourceError(driver, error(fields)))).toBe(outcome === 'retry');
  });

  it('a connection lost once the statement ran, a network error: unknown', () => {
    expect(databaseWriteOutcome(error({ code: '57P01' }))).toBe('unknown');
    expect(databaseWriteOutcome(error({ code: 'ECONNRESET' }))).toBe('unknown');
  });
});
