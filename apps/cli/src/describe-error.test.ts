import { createTestDatabase, TEST_SERVERS, type TestDatabase } from '@integrador/test-support/databases';
import { Client } from 'pg';
import { cliEnv, runCli } from '../test/run-cli';
import { describeError } from './describe-error';
import { messages } from './messages';

/** PostgreSQL's own 57P01: the connection's backend terminated as an administrator does (pg_terminate_backend). */
async function adminShutdownError(): Promise<Error> {
  const victim = new Client({ connectionString: TEST_SERVERS.postgres });
  await victim.connect();
  const lost = new Promise<Error>((resolve) => victim.once('error', resolve));
  const { rows } = await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const admin = new Client({ connectionString: TEST_SERVERS.postgres });
  await admin.connect();
  await admin.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
  await admin.end();
  const error = await lost;
  await victim.end().catch(() => undefined);
  return error;
}

describe('the CLI words a lost or refused connection in one line', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('postgres');
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('a PostgreSQL administrator shutdown (57P01) is a database connection loss, in the reader’s words', async () => {
    const error = await adminShutdownError();
    expect((error as { code?: string }).code).toBe('57P01');
    expect(describeError(error, messages('pt-BR'), 'pt-BR')).toBe(
      'não foi possível conectar ao banco de dados (o servidor de banco de dados encerrou a conexão: foi desligado ou reiniciado pelo administrador (57P01)); confira CRM_DATABASE_URL',
    );
    expect(describeError(error, messages('en'), 'en')).toMatch(
      /^could not connect to the database \(the database server ended the connection: /,
    );
  });

  // Nothing listens on this suite's private ports (6406 Redis, 5446 PostgreSQL).
  it('schedules list with Redis down, or the database down: one worded line, not the driver’s "connect ECONNREFUSED"', async () => {
    const redisDown = await runCli(['schedules', 'list'], cliEnv(database.url, { REDIS_URL: 'redis://127.0.0.1:6406' }));
    expect(redisDown).toMatchObject({
      code: 1,
      stdout: '',
      stderr:
        'erro: não foi possível falar com o Redis em 127.0.0.1:6406 (a conexão foi recusada: o servidor não aceita conexões nessa porta (ECONNREFUSED 127.0.0.1:6406)); confira REDIS_URL\n',
    });
    const databaseDown = await runCli(['schedules', 'list', '--lang', 'en'], cliEnv('postgres://postgres@127.0.0.1:5446/crm'));
    expect(databaseDown).toMatchObject({
      code: 1,
      stdout: '',
      stderr:
        'error: could not connect to the database (the connection was refused: the server accepts no connection on that port (ECONNREFUSED 127.0.0.1:5446)); check CRM_DATABASE_URL\n',
    });
  });
});
