import { QueueUnavailableError } from '@integrador/queue';
import { createTestDatabase, TEST_SERVERS, type TestDatabase } from '@integrador/test-support/databases';
import { freePort } from '@integrador/test-support/ports';
import { startSilentListener } from '@integrador/test-support/silent-listener';
import { Client } from 'pg';
import { cliEnv, runCli } from '../test/run-cli';
import { connectionErrorText, describeError } from './describe-error';
import { messages } from './messages';

/** PostgreSQL's own 57P01: the connection's backend terminated as an administrator does (pg_terminate_backend). */
async function adminShutdownError(): Promise<Error> {
  const victim = new Client({ connectionString: TEST_SERVERS.postgres });
  await victim.connect();
  // on, not once: pg may emit a second error ("Connection terminated unexpectedly") after the first.
  const lost = new Promise<Error>((resolve) => victim.on('error', resolve));
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

  it('schedules list with Redis down, or the database down: one worded line, not the driver’s "connect ECONNREFUSED"', async () => {
    // Ports bound and closed again: nothing listens on them.
    const [redisPort, databasePort] = [await freePort(), await freePort()];
    const redisDown = await runCli(['schedules', 'list'], cliEnv(database.url, { REDIS_URL: `redis://127.0.0.1:${redisPort}` }));
    expect(redisDown).toMatchObject({
      code: 1,
      stdout: '',
      stderr: `erro: não foi possível falar com o Redis em 127.0.0.1:${redisPort} (a conexão foi recusada: o servidor não aceita conexões nessa porta (ECONNREFUSED 127.0.0.1:${redisPort})); confira REDIS_URL\n`,
    });
    const databaseDown = await runCli(['schedules', 'list', '--lang', 'en'], cliEnv(`postgres://postgres@127.0.0.1:${databasePort}/crm`));
    expect(databaseDown).toMatchObject({
      code: 1,
      stdout: '',
      stderr: `error: could not connect to the database (the connection was refused: the server accepts no connection on that port (ECONNREFUSED 127.0.0.1:${databasePort})); check CRM_DATABASE_URL\n`,
    });
  });

  it('a Redis that accepts the connection and never answers: the wait for it ends in the reader’s words', async () => {
    const silent = await startSilentListener();
    try {
      const url = `redis://127.0.0.1:${silent.port}`;
      // Its first command (ioredis' ready check) times out first (REDIS_COMMAND_TIMEOUT_MS, 2000 by default).
      const commandTimeout = await runCli(['schedules', 'list'], cliEnv(database.url, { REDIS_URL: url }));
      expect(commandTimeout).toMatchObject({
        code: 1,
        stdout: '',
        stderr: `erro: não foi possível falar com o Redis em 127.0.0.1:${silent.port} (o Redis não atendeu ao pedido (fora do ar, reconectando ou lento demais) (QUEUE_UNAVAILABLE)); confira REDIS_URL\n`,
      });
      // A longer command timeout: the CLI's own wait for the connection (5 s) ends first.
      const connectTimeout = await runCli(
        ['schedules', 'list', '--lang', 'en'],
        cliEnv(database.url, { REDIS_URL: url, REDIS_COMMAND_TIMEOUT_MS: '20000' }),
      );
      expect(connectTimeout).toMatchObject({
        code: 1,
        stdout: '',
        stderr: `error: could not talk to Redis at 127.0.0.1:${silent.port} (the server did not answer in time (ETIMEDOUT)); check REDIS_URL\n`,
      });
    } finally {
      await silent.close();
    }
  }, 90_000);

  it('a queue error is worded by the connection error it carries, else by its own code: one language per message', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6411'), {
      code: 'ECONNREFUSED',
      address: '127.0.0.1',
      port: 6411,
    });
    expect(connectionErrorText(new QueueUnavailableError('Redis is unavailable during schedules list', { cause: refused }), 'pt-BR')).toBe(
      'a conexão foi recusada: o servidor não aceita conexões nessa porta (ECONNREFUSED 127.0.0.1:6411)',
    );
    expect(connectionErrorText(new QueueUnavailableError('Redis is unavailable during schedules list'), 'pt-BR')).toBe(
      'o Redis não atendeu ao pedido (fora do ar, reconectando ou lento demais) (QUEUE_UNAVAILABLE)',
    );
    expect(connectionErrorText(new QueueUnavailableError('Redis is unavailable during schedules list'), 'en')).toBe(
      'Redis did not take the request (down, reconnecting or too slow) (QUEUE_UNAVAILABLE)',
    );
  });
});
