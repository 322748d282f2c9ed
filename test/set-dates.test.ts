import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type ConnectionsRegistry, loadConnectionsFile } from '@integrador/connections';
import { createLogger } from '@integrador/logging';
import { createRedis, type JobProducer } from '@integrador/queue';
import { issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { sql } from 'kysely';
import { DEFAULT_CREDENTIALS, type SeniorG5Server, startSeniorG5Server } from './fixtures/senior-g5';
import { CONTA, SET_WS_CONTAS, SET_WS_CONTAS_CAMPO, seedSetWsContas } from './fixtures/set-ws-contas';
import { startTestSetWorker, type TestSetWorker } from './support/set-worker';
import { startTestIngress, type TestIngress } from './support/test-ingress';

const logger = createLogger({ name: 'test', level: 'silent' });

/** A REST receptor keeping each JSON body it is sent; it answers {cliente: {id}}. */
async function startJsonReceptor() {
  const received: Record<string, unknown>[] = [];
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', () => {
      received.push(JSON.parse(text || '{}') as Record<string, unknown>);
      res.setHeader('content-type', 'application/json');
      res.writeHead(201).end(JSON.stringify({ cliente: { id: 900 + received.length, erro: '' } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/**
 * A CRM `date` column (cliente_desde) and a timestamptz (cadastro_timestamp) mapped into a SET request: the receptor
 * gets the CRM's day and its Brasília wall clock, whole or inside text — never an empty SOAP element or a UTC instant.
 */
describe('CRM dates in SET requests', () => {
  let erp: SeniorG5Server;
  let api: Awaited<ReturnType<typeof startJsonReceptor>>;
  let database: TestDatabase;
  let target: TestDatabase;
  let connections: ConnectionsRegistry;
  let workerRedis: Redis;
  let producer: JobProducer;
  let worker: TestSetWorker;
  let app: FastifyInstance;
  let ingress: TestIngress;
  let key: string;
  let empresaId: number;

  beforeAll(async () => {
    erp = await startSeniorG5Server();
    api = await startJsonReceptor();
    target = await createTestDatabase('mysql', { migrate: false });
    await target.db.schema
      .createTable('clientes_erp')
      .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('cadastro', sql`timestamp NULL DEFAULT NULL`)
      .execute();
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'itest-set-dates-')), 'connections.yaml');
    fs.writeFileSync(
      file,
      `connections:
  senior_g5: { tipo: ws, baseUrl: '${erp.url}', user: ${DEFAULT_CREDENTIALS.user}, password: '${DEFAULT_CREDENTIALS.password}', allowPrivateNetwork: true }
  crm_api: { tipo: api, baseUrl: '${api.url}', allowPrivateNetwork: true }
  erp_db: { tipo: banco de dados, driver: mysql, url: '${target.url}', allowPrivateNetwork: true }
`,
    );
    connections = await loadConnectionsFile(file, {});
    database = await createTestDatabase('postgres');
    ({ empresaId } = await seedSetWsContas(database.db));
    await database.db
      .updateTable('contas')
      .set({ cliente_desde: sql`'2020-02-29'::date`, cadastro_timestamp: sql`'2020-03-01 00:30:00-03'::timestamptz` } as never)
      .where('id', '=', CONTA.id)
      .execute();
    key = await issueApiKey(database.db, empresaId, null, 'test');
    workerRedis = createRedis(TEST_REDIS_URL, { role: 'worker' });
    ingress = await startTestIngress(database, { deps: { connections } });
    ({ app, producer } = ingress);
    worker = startTestSetWorker({ database, connections, connection: workerRedis, prefix: ingress.prefix, logger });
  });

  afterAll(async () => {
    await worker.close();
    await ingress.close();
    workerRedis.disconnect();
    await database.drop();
    await target.drop();
    await erp.close();
    await api.close();
  });

  async function pushes(integracaoId: number) {
    const accepted = await app.inject({
      method: 'POST',
      url: `/v1/integrations/${integracaoId}/run`,
      headers: { authorization: `Bearer ${key}` },
      payload: { parametros: { contaId: CONTA.id } },
    });
    expect(accepted.statusCode).toBe(202);
    const deadline = Date.now() + 20000;
    for (;;) {
      const job = await producer.getJob('set', accepted.json().jobId);
      const state = await job?.getState();
      if (job && (state === 'completed' || state === 'failed')) {
        const settled = (await producer.getJob('set', job.id as string)) ?? job;
        expect(settled.failedReason ?? null).toBeNull();
        return settled.returnvalue as { records: { values: Record<string, unknown> }[] };
      }
      if (Date.now() > deadline) throw new Error(`job still ${state}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  it('sends a date column as its day and a timestamptz as its Brasília wall clock in a SOAP envelope', async () => {
    const campo = {
      dadosGeraisCliente: {
        ...SET_WS_CONTAS_CAMPO.dadosGeraisCliente,
        intNet: '#cliente_desde#',
        insMun: 'desde #cliente_desde#',
        fonCl3: '#cadastro_timestamp#',
      },
    };
    await database.db
      .updateTable('campos_integracao')
      .set({ campo_crm: JSON.stringify(campo) })
      .where('integracao_id', '=', 19)
      .execute();
    const result = await pushes(19);
    const customer = erp.customers.get(result.records[0]?.values.codCli as number);
    // 2020-03-01 00:30 in Brasília is 03:30Z: the ERP gets the Brasília wall clock with its offset, the same instant.
    expect(customer).toMatchObject({ intNet: '2020-02-29', insMun: 'desde 2020-02-29', fonCl3: '2020-03-01T00:30:00-03:00' });
  });

  it('sends the same texts in a REST/JSON body', async () => {
    await database.db
      .insertInto('conexao_integracao')
      .values({ id: 4, tipo_conexao: 'API', nome_conexao: 'crm_api', empresa_id: empresaId })
      .execute();
    await database.db
      .insertInto('integracao')
      .values({
        ...SET_WS_CONTAS,
        id: 20,
        nome: 'SET-API-CONTAS',
        link: 'POST /api/clientes',
        porta_ws: null,
        conexao_integracao_id: 4,
        indice_array_retorno: 'cliente',
        indice_valor_retorno: 'id',
        indice_erro_retorno: 'erro',
        sql_update: 'UPDATE contas SET id_erp = #id# WHERE id = #contaId#',
        empresa_id: empresaId,
        empresa_filial_id: null,
        ordem: 1,
        ativo: 1,
      })
      .execute();
    await database.db
      .insertInto('campos_integracao')
      .values({
        integracao_id: 20,
        campo_crm: JSON.stringify({ desde: '#cliente_desde#', cadastro: '#cadastro_timestamp#', texto: 'desde #cliente_desde#' }),
        ordem: 0,
      })
      .execute();
    await pushes(20);
    expect(api.received.at(-1)).toEqual({ desde: '2020-02-29', cadastro: '2020-03-01T00:30:00-03:00', texto: 'desde 2020-02-29' });
  });

  it('tells a date column from a timestamp by the column, not the value: a timestamp at midnight is an instant, not a day', async () => {
    // Midnight in the worker's zone: what a DATE column reads as, and what the value alone cannot tell apart.
    const midnight = new Date(2021, 5, 1);
    await database.db
      .updateTable('contas')
      .set({ cliente_desde: sql`'2021-06-01'::date`, cadastro_timestamp: midnight } as never)
      .where('id', '=', CONTA.id)
      .execute();
    await pushes(20);
    const sent = api.received.at(-1) as { desde: string; cadastro: string };
    expect(sent.desde).toBe('2021-06-01');
    expect(sent.cadastro).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}-03:00$/);
    expect(new Date(sent.cadastro).getTime()).toBe(midnight.getTime());
  });

  it('binds a timestamptz to a database receptor as the instant it is (a TIMESTAMP column in a UTC session keeps it)', async () => {
    await database.db
      .updateTable('contas')
      .set({ cadastro_timestamp: sql`'2020-03-01 00:30:00-03'::timestamptz` } as never)
      .where('id', '=', CONTA.id)
      .execute();
    await database.db
      .insertInto('conexao_integracao')
      .values({ id: 5, tipo_conexao: 'BD', nome_conexao: 'erp_db', empresa_id: empresaId })
      .execute();
    await database.db
      .insertInto('integracao')
      .values({
        ...SET_WS_CONTAS,
        id: 21,
        nome: 'SET-BD-CONTAS',
        link: 'clientes_erp',
        porta_ws: null,
        conexao_integracao_id: 5,
        indice_array_retorno: 'parameters',
        indice_valor_retorno: 'id',
        indice_erro_retorno: 'erro',
        sql_update: null,
        empresa_id: empresaId,
        empresa_filial_id: null,
        ordem: 2,
        ativo: 1,
      })
      .execute();
    await database.db
      .insertInto('campos_integracao')
      .values({ integracao_id: 21, campo_crm: JSON.stringify({ cadastro: '#cadastro_timestamp#' }), ordem: 0 })
      .execute();
    await pushes(21);
    const rows = await target.db
      .selectFrom('clientes_erp' as never)
      .selectAll()
      .execute();
    expect(rows).toEqual([{ id: 1, cadastro: new Date('2020-03-01T03:30:00Z') }]);
  });
});
