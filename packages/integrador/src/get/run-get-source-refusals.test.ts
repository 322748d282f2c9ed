import type { SourceReader } from '@integrador/sources';
import { createScratchSource, databaseConnection, type ScratchSource } from '@integrador/sources/testing';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { failureText } from '../failure-reason';
import { GetConfigError } from './get-errors';
import { readerOf, runGetOnce, seedGetIntegracao } from './test-support/get-fixtures';

// F21: a source refusing the login (PostgreSQL's `role "crm" does not exist`, MariaDB's access denied) or the database
// fails the run with the code `connections test` gives it, never as "sql_consulta failed on the source".
describe.each(['postgres', 'mysql'] as const)('a GET whose %s source refuses the connection', (driver) => {
  let source: ScratchSource;
  let crm: TestDatabase;
  const readers: SourceReader[] = [];

  beforeAll(async () => {
    source = await createScratchSource(driver, 3);
    crm = await createTestDatabase('sqlite');
  });
  afterAll(async () => {
    for (const reader of readers) await reader.close();
    await crm?.drop();
    await source?.drop();
  });

  /** The scratch source's URL with one part changed: a user that does not exist, or a database that does not. */
  const readerWith = async (change: (url: URL) => void) => {
    const url = new URL(source.connection.url?.reveal() ?? '');
    change(url);
    const reader = await readerOf({ connection: databaseConnection(driver, { name: source.connection.name, url: url.toString() }) });
    readers.push(reader);
    return reader;
  };

  it('a login the source refuses: permanent LOGIN_REFUSED naming the connection and the login', async () => {
    const reader = await readerWith((url) => {
      url.username = 'crm_nao_existe';
      url.password = 'x';
    });
    const id = await seedGetIntegracao(crm.db, 1, source);
    const failure = await runGetOnce(crm, reader, 1, id).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(GetConfigError);
    // Trial 4: the class a record shows names the connection's refusal, not the integration's configuration.
    expect(failure).toMatchObject({ name: 'SourceConnectionRefusedError', code: 'LOGIN_REFUSED', permanent: true });
    expect((failure as Error).message).toMatch(new RegExp(`ERP source "${source.connection.name}" refused the login`));
    expect((failure as Error).message).not.toMatch(/sql_consulta/);
    // M3 (trial): the line a user reads is the catalogue's reason and the source's own words, not the English advice again.
    const { code, params, message } = failure as GetConfigError;
    const text = failureText('pt-BR', code, params, message);
    // Trial 4 (item 6): the connection named, as a push's refusal names it.
    expect(text).toMatch(
      new RegExp(
        `^o banco de origem \\(ERP\\) recusou o login da conexão ${source.connection.name}: confira o usuário e a senha dela .*: \\S`,
      ),
    );
    expect(text).toContain('crm_nao_existe');
    expect(text).not.toMatch(/refused the login|check the connection/);
  });

  it('a database the source does not have: permanent DATABASE_MISSING', async () => {
    const reader = await readerWith((url) => {
      url.pathname = '/erp_nao_existe';
    });
    const id = await seedGetIntegracao(crm.db, 1, source);
    const failure = await runGetOnce(crm, reader, 1, id).catch((err: unknown) => err);
    expect(failure).toMatchObject({ code: 'DATABASE_MISSING', permanent: true });
    expect((failure as Error).message).not.toMatch(/sql_consulta/);
  });
});
