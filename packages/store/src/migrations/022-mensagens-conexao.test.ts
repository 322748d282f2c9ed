import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { migrateTo, migrateToLatest } from '../migrate';
import { createEmpresa } from '../tenants.repository';

const OLD_NOT_FOUND =
  'connection "sap_legado" is not defined in connections file /srv/segredo/connections.yaml (defined: erp_cliente_b, erp_cliente_c)';
// So many connections that the search text (cut at 1000 characters) ends inside the list, with no `)`.
const OLD_NOT_FOUND_LONG = `connection "sap_legado" is not defined in connections file /srv/segredo/connections.yaml (defined: ${Array.from(
  { length: 120 },
  (_, i) => `erp_cliente_${i}`,
).join(', ')})`;
const OLD_FORBIDDEN = 'connection "erp_cliente_b" is restricted to empresa 7; empresa 3 may not use it';

// Migration 022: connection failures recorded before their messages were narrowed lose the file's path, the other
// connections' names and the empresas' ids, in the message and in the search text, on every dialect.
describe.each(ALL_DIALECTS)('022-mensagens-conexao on %s', (dialect) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('rewrites the old texts as today’s messages word them, and leaves other rows as they are', async () => {
    const { db } = database;
    const empresa = await createEmpresa(db, 'E');
    await migrateTo(database, '021-set-retencao');
    const row = (job_id: string, erro_mensagem: string) => ({
      empresa_id: empresa,
      fila: 'set',
      job_id,
      nome_job: 'integration.run',
      estado: 'falhou' as const,
      erro_mensagem,
      busca: `set ${job_id} ${erro_mensagem.toLowerCase()}`.slice(0, 1000),
    });
    await db
      .insertInto('registro_jobs')
      .values([
        row('cnf', OLD_NOT_FOUND),
        row('cnl', OLD_NOT_FOUND_LONG),
        row('cf', OLD_FORBIDDEN),
        row('outro', 'connect ECONNREFUSED 10.0.0.1:5432'),
      ])
      .execute();
    await migrateToLatest(database);
    const rows = await db.selectFrom('registro_jobs').select(['job_id', 'erro_mensagem', 'busca']).orderBy('job_id').execute();
    expect(rows).toEqual([
      {
        job_id: 'cf',
        erro_mensagem: 'connection "erp_cliente_b" is restricted to another empresa; this empresa may not use it',
        busca: 'set cf connection "erp_cliente_b" is restricted to another empresa; this empresa may not use it',
      },
      {
        job_id: 'cnf',
        erro_mensagem: `connection "sap_legado" is not defined in the workers' connections file`,
        busca: `set cnf connection "sap_legado" is not defined in the workers' connections file`,
      },
      {
        job_id: 'cnl',
        erro_mensagem: `connection "sap_legado" is not defined in the workers' connections file`,
        busca: `set cnl connection "sap_legado" is not defined in the workers' connections file`,
      },
      { job_id: 'outro', erro_mensagem: 'connect ECONNREFUSED 10.0.0.1:5432', busca: 'set outro connect econnrefused 10.0.0.1:5432' },
    ]);
  });
});
