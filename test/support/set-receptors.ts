import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type ConnectionsRegistry, loadConnectionsFile } from '@integrador/connections';
import { createLogger } from '@integrador/logging';
import { createJobRecorder, createRedis, type JobProducer } from '@integrador/queue';
import { issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import type { FastifyInstance } from 'fastify';
import type { CreateTableBuilder } from 'kysely';
import { DEFAULT_CREDENTIALS, type SeniorG5Server, seniorG5ConnectionsYaml, startSeniorG5Server } from '../fixtures/senior-g5';
import { runIntegration, type SettledJob, settledJob } from './integration-run';
import { startTestSetWorker } from './set-worker';
import { startTestIngress } from './test-ingress';

/** The REST/JSON receptor's bearer token, as crm_api names it. */
const API_TOKEN = 'token-api';

/**
 * A customer API receptor: POST /api/clientes answers 201 {cliente:{id}}, or 400 {erro} without documento; PUT
 * /api/clientes/<id> answers 200 {cliente:{id}}. Every request line arrives in `requests`, every accepted body in `received`.
 */
export interface RestReceptor {
  url: string;
  received: Record<string, unknown>[];
  requests: string[];
  close(): Promise<void>;
}

async function startRestReceptor(): Promise<RestReceptor> {
  const received: Record<string, unknown>[] = [];
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', () => {
      const body = JSON.parse(text || '{}') as Record<string, unknown>;
      requests.push(`${req.method} ${req.url}`);
      res.setHeader('content-type', 'application/json');
      const authorized = req.headers.authorization === `Bearer ${API_TOKEN}`;
      if (req.method === 'PUT' && req.url?.startsWith('/api/clientes/') && authorized) {
        received.push(body);
        res.writeHead(200).end(JSON.stringify({ cliente: { id: 700, erro: '' } }));
        return;
      }
      if (req.method !== 'POST' || req.url !== '/api/clientes' || !authorized) {
        res.writeHead(404).end(JSON.stringify({ erro: 'rota desconhecida' }));
        return;
      }
      if (body.documento === 'recusar') {
        res.writeHead(422).end(JSON.stringify({ erro: 'CNPJ inválido no ERP', mensagemErro: 'cliente recusado' }));
        return;
      }
      if (!body.documento) {
        res.writeHead(400).end(JSON.stringify({ message: 'documento é obrigatório' }));
        return;
      }
      received.push(body);
      res.writeHead(201).end(JSON.stringify({ cliente: { id: 500 + received.length, erro: '' } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, received, requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** The receptors a SET test pushes to, and the connections naming them. */
export interface SetReceptors {
  /** senior_g5: row 19's SOAP receptor. */
  erp: SeniorG5Server;
  /** crm_api: the REST/JSON receptor (bearer token). */
  api: RestReceptor;
  /** erp_db (and erp_db_guarded, without allowPrivateNetwork): a MariaDB receptor with a clientes_erp table. */
  target: TestDatabase;
  connections: ConnectionsRegistry;
  close(): Promise<void>;
}

/** clientes_erp's columns beyond its generated id. */
type ClientesErpColumns = (table: CreateTableBuilder<'clientes_erp', 'id'>) => CreateTableBuilder<'clientes_erp', string>;

/**
 * Starts the three kinds of SET receptor (SOAP, REST/JSON, database) and loads a connections file naming them: the
 * senior_g5 password stays a ${SENIOR_PASSWORD} reference, resolved as production does.
 */
export async function startSetReceptors(clientesErp: ClientesErpColumns): Promise<SetReceptors> {
  const erp = await startSeniorG5Server();
  const api = await startRestReceptor();
  const target = await createTestDatabase('mysql', { migrate: false });
  await clientesErp(
    target.db.schema.createTable('clientes_erp').addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement()),
  ).execute();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'itest-set-receptors-'));
  const file = path.join(dir, 'connections.yaml');
  fs.writeFileSync(
    file,
    `${seniorG5ConnectionsYaml(erp.url)}
  crm_api:
    tipo: api
    baseUrl: ${api.url}
    auth: { type: bearer, token: ${API_TOKEN} }
    allowPrivateNetwork: true
  erp_db: { tipo: banco de dados, driver: mysql, url: '${target.url}', allowPrivateNetwork: true }
  erp_db_guarded: { tipo: banco de dados, driver: mysql, url: '${target.url}' }
`,
  );
  const connections = await loadConnectionsFile(file, { SENIOR_PASSWORD: DEFAULT_CREDENTIALS.password });
  return {
    erp,
    api,
    target,
    connections,
    async close() {
      await erp.close();
      await api.close();
      await target.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An ingress and an in-process worker-set over one CRM database, with an API key of its empresa. */
export interface SetPipeline {
  app: FastifyInstance;
  producer: JobProducer;
  key: string;
  /** Runs the integration with these parametros through the ingress and waits for its job to settle. */
  run(integracaoId: number, parametros: Record<string, unknown>): Promise<SettledJob>;
  close(): Promise<void>;
}

/**
 * The SET path as the product runs it, in this process: POST /v1/integrations/<id>/run on the ingress, the `set` queue,
 * and a queue worker with worker-set's integration.run processor over the receptors' connections.
 */
export async function startSetPipeline(
  database: TestDatabase,
  empresaId: number,
  connections: ConnectionsRegistry,
  concurrency: number,
): Promise<SetPipeline> {
  const logger = createLogger({ name: 'test', level: 'silent' });
  const key = await issueApiKey(database.db, empresaId, null, 'test');
  const workerRedis = createRedis(TEST_REDIS_URL, { role: 'worker' });
  const ingress = await startTestIngress(database, { deps: { connections } });
  // registro_jobs, as worker-set writes it: a failure's code and values word the job status (failedReasonText).
  const recorder = createJobRecorder(database, logger, { flushMs: 5 });
  const worker = startTestSetWorker({
    database,
    connections,
    connection: workerRedis,
    prefix: ingress.prefix,
    logger,
    concurrency,
    observer: recorder,
  });
  return {
    app: ingress.app,
    producer: ingress.producer,
    key,
    run: async (integracaoId, parametros) =>
      settledJob(ingress.producer, await runIntegration(ingress.app, key, integracaoId, parametros), 20_000, 25),
    async close() {
      await worker.close();
      await recorder.drain();
      await ingress.close();
      workerRedis.disconnect();
    },
  };
}
