import { randomBytes } from 'node:crypto';
import { type CrmDatabase, createDatabase, createEmpresa, setPermitirRedePrivada } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { createContatosService, type JsonEndpointServer, startJsonEndpoint } from '@integrador/test-support/json-endpoint';
import { contato } from '@integrador/test-support/seed-003';
import { sql } from 'kysely';
import { EndpointSyncError, syncEndpointService } from './endpoint-sync';

// A CRM user that may read contatos but not write it (MariaDB's 1142, ER_TABLEACCESS_DENIED_ERROR) is a missing grant:
// the sync fails for good naming no record, never halving the batch to blame record 0 for it.
describe('endpoint sync: a CRM user without INSERT on contatos (MariaDB)', () => {
  let database: TestDatabase;
  let restricted: CrmDatabase;
  let endpoint: JsonEndpointServer;
  let empresaId: number;
  let servicoId: number;
  const user = `itest_ro_${randomBytes(4).toString('hex')}`;
  const limits = { maxRecords: 100, timeoutMs: 5000, maxResponseBytes: 1024 * 1024 };

  beforeAll(async () => {
    database = await createTestDatabase('mysql');
    endpoint = await startJsonEndpoint();
    empresaId = await createEmpresa(database.db, 'A');
    servicoId = await createContatosService(database, empresaId, endpoint, { nome: 'Contatos' });
    await setPermitirRedePrivada(database.db, empresaId, servicoId, true);
    const name = new URL(database.url).pathname.slice(1);
    const tables = await sql<{ t: string }>`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ${name}`.execute(
      database.db,
    );
    for (const host of ['%', 'localhost']) {
      await sql.raw(`CREATE USER '${user}'@'${host}' IDENTIFIED BY 'senha'`).execute(database.db);
      for (const { t } of tables.rows)
        await sql.raw(`GRANT ${t === 'contatos' ? 'SELECT' : 'ALL'} ON ${name}.${t} TO '${user}'@'${host}'`).execute(database.db);
    }
    const url = new URL(database.url);
    url.username = user;
    url.password = 'senha';
    restricted = createDatabase(url.toString(), { poolSize: 2 });
  });
  afterAll(async () => {
    await restricted?.destroy();
    for (const host of ['%', 'localhost']) await sql.raw(`DROP USER IF EXISTS '${user}'@'${host}'`).execute(database.db);
    await endpoint?.close();
    await database?.drop();
  });

  it('fails for good as GET_WRITE_FAILED with the grant refused, blaming no record', async () => {
    endpoint.routes.set('/contatos', { body: [contato(1), contato(2), contato(3)] });
    const failure = await syncEndpointService({ database: restricted, limits, env: {} }, empresaId, servicoId).then(
      () => null,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(EndpointSyncError);
    const error = failure as EndpointSyncError;
    expect(error).toMatchObject({ code: 'GET_WRITE_FAILED', permanent: true, params: { tabela: 'contatos' } });
    expect((error.cause as { errno?: unknown }).errno).toBe(1142);
    expect(error.params).not.toHaveProperty('registro');
    expect(error.params).not.toHaveProperty('chave');
  });
});
