import { createLogger } from '@integrador/logging';
import { JobProducer } from '@integrador/queue';
import { createEmpresa, createServicoEndpoint, findServicoEndpoint } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { createContatosService, type JsonEndpointServer, startJsonEndpoint } from '@integrador/test-support/json-endpoint';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import { CONTATO_EXEMPLO } from '@integrador/test-support/seed-003';
import { useTestRedis } from '@integrador/test-support/test-redis';
import { cliEnv, runCli } from '../test/run-cli';

describe('integrador endpoints and tenant limit', () => {
  const testRedis = useTestRedis({ per: 'all' });
  let database: TestDatabase;
  let endpoint: JsonEndpointServer;
  let env: NodeJS.ProcessEnv;
  let empresaId: number;
  let servicoId: number;
  let prefix: string;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    endpoint = await startJsonEndpoint();
    ({ prefix } = testRedis);
    empresaId = await createEmpresa(database.db, 'Faculdade CLI');
    servicoId = await createContatosService(database, empresaId, endpoint, {
      nome: 'Egressos',
      autenticacao: 'bearer',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a ${NOME} secret reference
      segredoRef: '${TOKEN}',
    });
    env = cliEnv(database.url, { REDIS_URL: TEST_REDIS_URL, KEY_PREFIX: prefix, [`ENDPOINT_SECRET_${empresaId}_TOKEN`]: 'tok-cli' });
  });

  afterAll(async () => {
    await endpoint.close();
    await database.drop();
  });

  it('shows and sets the contract limit of services', async () => {
    expect(await runCli(['tenant', 'limit', String(empresaId)], env)).toMatchObject({
      code: 0,
      stdout: `Empresa #${empresaId}: 1 de 5 serviços de endpoint em uso.\n`,
    });
    expect((await runCli(['tenant', 'limit', String(empresaId), '--servicos-endpoint', '12'], env)).code).toBe(0);
    expect((await runCli(['--lang', 'en', 'tenant', 'limit', String(empresaId)], env)).stdout).toBe(
      `Empresa #${empresaId}: 1 of 12 endpoint services in use.\n`,
    );
    const bad = await runCli(['tenant', 'limit', String(empresaId), '--servicos-endpoint', 'muitos'], env);
    expect(bad).toMatchObject({ code: 1, stderr: 'erro: --servicos-endpoint deve ser um número inteiro de 0 a 1000, recebido "muitos"\n' });
  });

  it('lists services, lets the operator allow private networks, and validates the endpoint', async () => {
    const listed = await runCli(['endpoints', 'list', '--empresa', String(empresaId)], env);
    expect(listed.stdout).toBe(`#${servicoId} Egressos — nunca_executado — contato ${endpoint.url}/contatos\n`);

    endpoint.routes.set('/contatos', { body: [CONTATO_EXEMPLO, { ...CONTATO_EXEMPLO, codigo: '' }], authorization: 'Bearer tok-cli' });
    const refused = await runCli(['endpoints', 'validate', String(servicoId), '--empresa', String(empresaId)], env);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('ERRO contato: a proteção de saída do hub recusou o endereço de');

    const allowed = await runCli(['endpoints', 'private-network', String(servicoId), '--empresa', String(empresaId), '--allow'], env);
    expect(allowed).toMatchObject({ code: 0, stdout: `Serviço #${servicoId}: endereços internos permitidos.\n` });
    expect((await findServicoEndpoint(database.db, { empresaId, filialId: null }, servicoId))?.permitirRedePrivada).toBe(true);

    const result = await runCli(['--lang', 'en', 'endpoints', 'validate', String(servicoId), '--empresa', String(empresaId)], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(
      'ERROR contato: 1 of 2 records do not follow the contato structure. Fix the fields the errors name\n  - record 1: field "codigo" is required\n',
    );
    endpoint.routes.set('/contatos', { body: [CONTATO_EXEMPLO], authorization: 'Bearer tok-cli' });
    const ok = await runCli(['endpoints', 'validate', String(servicoId), '--empresa', String(empresaId)], env);
    expect(ok).toMatchObject({ code: 0, stdout: 'OK contato: integração funcionando: 1 registros de contato recebidos, todos válidos\n' });
    expect(endpoint.requests.filter((r) => r.path === '/contatos').map((r) => r.authorization)).toContain('Bearer tok-cli');
  });

  it('lists event URLs as shown: query values and token-looking path segments masked, in text and JSON', async () => {
    const other = await createEmpresa(database.db, 'Faculdade CLI segredo');
    const service = await createServicoEndpoint(
      database,
      { empresaId: other, filialId: null },
      {
        nome: 'Egressos',
        urlBase: endpoint.url,
        autenticacao: 'nenhuma',
        segredoRef: null,
        usuario: null,
        ativo: true,
        eventos: [{ tipo: 'contato', url: `${endpoint.url}/contatos/a1B2c3D4e5F6g7H8i9J0?chave=S3CRET` }],
      },
    );
    const listed = await runCli(['endpoints', 'list', '--empresa', String(other)], env);
    expect(listed.stdout).toBe(`#${service.id} Egressos — nunca_executado — contato ${endpoint.url}/contatos/***?chave=***\n`);
    const json = await runCli(['endpoints', 'list', '--empresa', String(other), '--json'], env);
    expect(json.stdout).toContain(`${endpoint.url}/contatos/***?chave=***`);
    expect(json.stdout).not.toMatch(/S3CRET|a1B2c3D4e5F6g7H8i9J0/);
  });

  it('enqueues a sync on the get queue with ids only, and refuses unknown services and types', async () => {
    const run = await runCli(['endpoints', 'sync', String(servicoId), '--empresa', String(empresaId), '--tipo', 'contato', '--json'], env);
    expect(run.code).toBe(0);
    const { jobId } = JSON.parse(run.stdout) as { jobId: string };
    const producer = new JobProducer({
      connection: testRedis.redis,
      prefix,
      timeoutMs: 2000,
      logger: createLogger({ name: 't', level: 'silent' }),
    });
    try {
      const job = await producer.getJob('get', jobId);
      expect(job?.data).toEqual({ tenant: { empresaId, filialId: null }, servicoId, tipo: 'contato', trigger: 'cli' });
    } finally {
      await producer.close();
    }
    const other = await runCli(['endpoints', 'sync', '999', '--empresa', String(empresaId)], env);
    expect(other).toMatchObject({ code: 1, stderr: `erro: o serviço de endpoint #999 não existe na empresa #${empresaId}\n` });
    const tipo = await runCli(['endpoints', 'sync', String(servicoId), '--empresa', String(empresaId), '--tipo', 'pedido'], env);
    expect(tipo).toMatchObject({ code: 1, stderr: 'erro: --tipo deve ser contato ou evento, recebido "pedido"\n' });
    // An inactive service: the engine's rule and words (admitEndpointSync, run-refusals), as the API and the dashboard say them.
    const inactive = await createServicoEndpoint(
      database,
      { empresaId, filialId: null },
      {
        nome: 'Parado',
        urlBase: endpoint.url,
        autenticacao: 'nenhuma',
        segredoRef: null,
        usuario: null,
        ativo: false,
        eventos: [{ tipo: 'contato', url: `${endpoint.url}/contatos` }],
      },
    );
    const refused = await runCli(['endpoints', 'sync', String(inactive.id), '--empresa', String(empresaId)], env);
    expect(refused).toMatchObject({ code: 1, stderr: `erro: o serviço de endpoint #${inactive.id} está inativo; nada foi enfileirado\n` });
  });
});
