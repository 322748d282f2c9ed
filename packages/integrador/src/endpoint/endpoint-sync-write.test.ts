import { createEmpresa, findServicoEndpoint, setPermitirRedePrivada } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { createContatosService, type JsonEndpointServer, startJsonEndpoint } from '@integrador/test-support/json-endpoint';
import { contato } from '@integrador/test-support/seed-003';
import { sql } from 'kysely';
import { failureReason } from '../failure-reason';
import { EndpointSyncError, syncEndpointService } from './endpoint-sync';

// A CRM write the database refuses during an endpoint sync fails like the database GET's (isStatementError →
// GET_WRITE_FAILED, permanent, naming the record), and the service is marked "falha" with that reason.
describe.each(['postgres', 'mysql'] as const)('endpoint sync: a record the %s CRM refuses', (dialect) => {
  let database: TestDatabase;
  let endpoint: JsonEndpointServer;
  let empresaId: number;
  let servicoId: number;
  const limits = { maxRecords: 100, timeoutMs: 5000, maxResponseBytes: 1024 * 1024 };

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    endpoint = await startJsonEndpoint();
    empresaId = await createEmpresa(database.db, 'A');
    // The CRM's own rule, stricter than seed 003's structure: the endpoint's valid record breaks it.
    await sql`ALTER TABLE contatos ADD CONSTRAINT contatos_nome_recusado CHECK (nome <> 'Recusado')`.execute(database.db);
    servicoId = await createContatosService(database, empresaId, endpoint, { nome: 'Contatos' });
    await setPermitirRedePrivada(database.db, empresaId, servicoId, true);
  });
  afterAll(async () => {
    await endpoint?.close();
    await database?.drop();
  });

  it('fails for good as GET_WRITE_FAILED naming the record and its codigo, writes nothing and marks the service "falha"', async () => {
    endpoint.routes.set('/contatos', { body: [contato(1), contato(2), { ...contato(3), nome: 'Recusado' }, contato(4)] });
    const failure = await syncEndpointService({ database, limits, env: {} }, empresaId, servicoId).then(
      () => null,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(EndpointSyncError);
    const error = failure as EndpointSyncError;
    expect(error).toMatchObject({ code: 'GET_WRITE_FAILED', permanent: true, params: { registro: 2, chave: 'C3', tabela: 'contatos' } });
    expect(error.message).toMatch(/^o CRM recusou o registro 2 \("C3"\) de http:\/\/127\.0\.0\.1:\d+\/contatos ao gravar contatos \(/);
    expect(failureReason('en', error.code, error.params)).toMatch(/^the CRM refused record 2 \("C3"\) of .* writing contatos /);
    const written = await database.db.selectFrom('contatos').select('codigo').where('empresa_id', '=', empresaId).execute();
    expect(written).toEqual([]);
    const service = await findServicoEndpoint(database.db, { empresaId, filialId: null }, servicoId);
    expect(service).toMatchObject({ status: 'falha', statusMotivo: { code: 'GET_WRITE_FAILED', params: { registro: 2, chave: 'C3' } } });
  });

  it('a database GET’s GET_WRITE_FAILED (no URL) keeps the job catalogue’s wording', () => {
    expect(failureReason('pt-BR', 'GET_WRITE_FAILED', { chave: '4', tabela: 'contas' })).toMatch(
      /^o CRM recusou a linha do ERP de chave "4"/,
    );
  });
});
