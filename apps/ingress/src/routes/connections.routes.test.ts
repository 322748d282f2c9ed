import http from 'node:http';
import type net from 'node:net';
import { parseConnections } from '@integrador/connections';
import { createLogger } from '@integrador/logging';
import { createEmpresa, issueApiKey } from '@integrador/store';
import { ALL_DIALECTS, createTestDatabase, TEST_SERVERS, type TestDatabase } from '@integrador/test-support/databases';
import { freePort } from '@integrador/test-support/ports';
import type { FastifyInstance } from 'fastify';
import { startTestIngress, type TestIngress } from '../../../../test/support/test-ingress';

const _logger = createLogger({ name: 'connections-routes-test', level: 'silent' });
const PASSWORD = 'Senha-Do-ERP-42';

// Which tenant may test which connection is read from the CRM's conexao_integracao and integracao rows: every dialect.
describe.each(ALL_DIALECTS)('POST /v1/connections/:name/test (%s CRM)', (dialect) => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let ingress: TestIngress;
  let erp: http.Server;
  let keyA: string;
  let keyB: string;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    erp = http.createServer((_, response) => response.end('ok'));
    await new Promise<void>((resolve) => erp.listen(0, '127.0.0.1', resolve));
    const erpPort = (erp.address() as net.AddressInfo).port;
    const a = await createEmpresa(database.db, 'Empresa A');
    const b = await createEmpresa(database.db, 'Empresa B');
    keyA = await issueApiKey(database.db, a, null, 'a');
    keyB = await issueApiKey(database.db, b, null, 'b');
    const pg = new URL(TEST_SERVERS.postgres);
    const erpDb = {
      tipo: 'bd',
      driver: 'postgres',
      host: pg.hostname,
      port: Number(pg.port || 5432),
      database: 'postgres',
      user: 'postgres',
    };
    const connections = parseConnections(
      JSON.stringify({
        connections: {
          // The machine's PostgreSQL trusts loopback: the password is accepted, and must never be echoed.
          erp_pg: { ...erpDb, password: PASSWORD, allowPrivateNetwork: true },
          erp_de_b: { ...erpDb, empresaId: b, allowPrivateNetwork: true },
          erp_fechado: { ...erpDb, port: await freePort(), allowPrivateNetwork: true },
          erp_interno: { ...erpDb },
          senior_g5: { tipo: 'ws', baseUrl: `http://127.0.0.1:${erpPort}`, user: 'u', password: PASSWORD, allowPrivateNetwork: true },
          // Open to every empresa, but named only by empresa B's configuration.
          erp_so_de_b: { ...erpDb, allowPrivateNetwork: true },
        },
      }),
      'json',
      {},
      'test',
    );
    // A tests what its configuration uses: its own conexao_integracao rows, and a shared row an integracao of A uses.
    const conexao = (nome: string, empresaId: number | null) =>
      database.db.insertInto('conexao_integracao').values({ tipo_conexao: 'BD', nome_conexao: nome, empresa_id: empresaId }).execute();
    for (const nome of ['erp_pg', 'erp_fechado', 'erp_interno']) await conexao(nome, a);
    await conexao('erp_so_de_b', b);
    await conexao('senior_g5', null);
    const shared = await database.db
      .selectFrom('conexao_integracao')
      .select('id')
      .where('nome_conexao', '=', 'senior_g5')
      .executeTakeFirstOrThrow();
    await database.db
      .insertInto('integracao')
      .values({ nome: 'SET-WS', tipo_servico: 'SET', empresa_id: a, conexao_integracao_id: shared.id, ordem: 1, ativo: 1 })
      .execute();
    ingress = await startTestIngress(database, { deps: { connections } });
    ({ app } = ingress);
  });

  afterAll(async () => {
    await ingress.close();
    await database.drop();
    await new Promise((resolve) => erp.close(resolve));
  });

  const test = (name: string, key: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: `/v1/connections/${name}/test`, headers: { authorization: `Bearer ${key}`, ...headers } });

  it('runs every step against a real database and never echoes the password', async () => {
    const response = await test('erp_pg', keyA);
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ ok: true, connection: 'erp_pg', kind: 'database', driver: 'postgres' });
    expect(body.steps.map((step: { step: string }) => step.step)).toEqual(['reachability', 'login', 'query', 'version']);
    expect(body.serverVersion).toMatch(/^\d+/);
    expect(response.body).not.toContain(PASSWORD);
  });

  it('answers 200 with what to fix when the connection fails, in pt-BR or English', async () => {
    const pt = (await test('erp_fechado', keyA)).json();
    expect(pt).toMatchObject({ ok: false, error: { code: 'PORT_CLOSED' } });
    expect(pt.error.message).toMatch(/^o servidor 127\.0\.0\.1 recusou a conexão na porta \d+: confira a porta/);
    const en = (await test('erp_fechado', keyA, { 'accept-language': 'en' })).json();
    expect(en.error.message).toMatch(/^server 127\.0\.0\.1 refused the connection on port \d+: check the port/);
    const internal = (await test('erp_interno', keyA)).json();
    expect(internal).toMatchObject({ ok: false, error: { code: 'ADDRESS_FORBIDDEN' } });
  });

  it("answers 404 for an unknown connection and for another tenant's, alike", async () => {
    const unknown = await test('nao_existe', keyA);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({
      error: { code: 'CONNECTION_NOT_FOUND', message: 'conexão "nao_existe" não encontrada no arquivo de conexões' },
    });
    const foreign = await test('erp_de_b', keyA, { 'accept-language': 'en' });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json()).toEqual({
      error: { code: 'CONNECTION_NOT_FOUND', message: 'connection "erp_de_b" not found in the connections file' },
    });
    expect((await test('erp_de_b', keyB)).json()).toMatchObject({ ok: true, connection: 'erp_de_b' });
  });

  it('tests a connection only for a tenant whose configuration uses it; for another it is as unknown', async () => {
    // Used only by B's conexao_integracao: A gets the 404 of a missing connection (no user, database or version).
    const foreign = await test('erp_so_de_b', keyA);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json().error.code).toBe('CONNECTION_NOT_FOUND');
    expect(foreign.body).not.toMatch(/postgres|version/i);
    expect((await test('erp_so_de_b', keyB)).json()).toMatchObject({ ok: true, connection: 'erp_so_de_b' });
    // A's own rows are not B's, and a shared row counts only for the empresa whose integracao uses it.
    expect((await test('erp_pg', keyB)).statusCode).toBe(404);
    expect((await test('senior_g5', keyB)).statusCode).toBe(404);
    expect((await test('senior_g5', keyA)).statusCode).toBe(200);
  });

  it('tests a web service by the reachability of its base URL, saying a login it could not check', async () => {
    const body = (await test('senior_g5', keyA)).json();
    expect(body).toMatchObject({
      ok: true,
      kind: 'webservice',
      steps: [
        { step: 'reachability', ok: true },
        { step: 'login', ok: true },
      ],
    });
    expect(body.steps[1].message).toMatch(/^login não verificado: 127\.0\.0\.1 não tem o serviço de clientes do Senior G5/);
    expect(JSON.stringify(body)).not.toContain(PASSWORD);
  });

  it('needs an API key', async () => {
    const response = await app.inject({ method: 'POST', url: '/v1/connections/erp_pg/test' });
    expect(response.statusCode).toBe(401);
  });

  it('is in the OpenAPI document', async () => {
    const document = (await app.inject('/openapi.json')).json();
    expect(document.paths['/v1/connections/{name}/test']?.post?.tags).toEqual(['connections']);
  });
});
