import type net from 'node:net';
import { saveCtiSettings } from '@integrador/cti';
import { createLogger } from '@integrador/logging';
import { createEmpresa } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import type { AppProcess } from '@integrador/test-support/processes';
import type { FastifyInstance } from 'fastify';
import { pbxCall } from '../fixtures/pbx-simulator';
import { startTestIngress, type TestIngress } from '../support/test-ingress';
import { LONG, report, until } from './fault-mode';
import { WorkerPool } from './worker-pool';

const START = '/wconnect/WConnect_WSDL_ConsultaRamal.php';
const END = '/wconnect/WConnect_WSDL_FinalizaLigacao.php';
const DOMAIN = 'crm.test';

/**
 * worker-cti killed with SIGKILL several times while PBX call events (starts, then ends) are logged and looked up,
 * restarted each time: every call ends as exactly one row of the call log, closed with its start (no row lost, none
 * twice).
 */
describe('worker-cti killed (SIGKILL) mid-work', () => {
  const _logger = createLogger({ name: 'fault-test', level: 'silent' });
  const CALLS = LONG ? 300 : 40;
  const KILLS_PER_PHASE = LONG ? 3 : 1;
  let database: TestDatabase;
  let app: FastifyInstance;
  let ingress: TestIngress;
  let base: string;
  let prefix: string;
  let empresaId: number;
  const workers = new WorkerPool();

  async function startWorker(): Promise<AppProcess> {
    return workers.start(
      'apps/worker-cti/src/main.ts',
      { prefix, databaseUrl: database.url },
      {
        // Long: no start may expire as "sem fim recebido" while the worker is down.
        CTI_CALL_TIMEOUT_MS: '600000',
      },
    );
  }

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    empresaId = await createEmpresa(database.db, 'Acme');
    await saveCtiSettings(database.db, empresaId, { hostLabel: 'acme', allowlist: ['127.0.0.1', '::1'] });
    // Half the callers are known contas: the lookup runs for every start.
    for (let i = 0; i < CALLS; i += 2)
      await database.db
        .insertInto('contas')
        .values({ empresa_id: empresaId, nome: `Conta ${i}`, celular: phone(i) })
        .execute();
    ingress = await startTestIngress(database, {
      deps: { cti: { domain: DOMAIN, trustedProxies: ['127.0.0.1'], dedupeWindowMs: 2000, callTimeoutMs: 600_000, popTokenTtlMs: 60_000 } },
    });
    ({ app, prefix } = ingress);
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as net.AddressInfo).port}`;
  }, 120_000);

  afterAll(async () => {
    await workers.stopAll();
    await ingress.close();
    await database.drop();
  });

  const ramal = (i: number) => String(5000 + i);
  function phone(i: number): string {
    return `11${String(900_000_000 + i)}`;
  }
  const calls = () =>
    database.db.selectFrom('ligacoes').select(['ramal', 'status', 'sem_inicio']).where('empresa_id', '=', empresaId).execute();

  /** Posts one event per call while killing the worker KILLS_PER_PHASE times once rows show the work flowing. */
  async function phase(path: string, done: (rows: Awaited<ReturnType<typeof calls>>) => number, worker: AppProcess) {
    for (let i = 0; i < CALLS; i++) {
      const reply = await pbxCall(base, `${path}?ramal=${ramal(i)}&telefone=${phone(i)}`, { host: `acme.${DOMAIN}` });
      expect(reply.status).toBe(200);
    }
    let current = worker;
    for (let kill = 1; kill <= KILLS_PER_PHASE; kill++) {
      const target = Math.floor((CALLS * kill) / (KILLS_PER_PHASE + 1));
      await until(`${target} calls processed`, async () => done(await calls()) >= target, 120_000, 10);
      await workers.kill(current);
      current = await startWorker();
    }
    await until('every call processed', async () => done(await calls()) >= CALLS, 120_000, 100);
    return current;
  }

  it('logs every call once, start and end, across kills', async () => {
    let worker = await startWorker();
    worker = await phase(START, (rows) => rows.length, worker);
    worker = await phase(END, (rows) => rows.filter((row) => row.status === 'finalizada').length, worker);
    const rows = await calls();
    const perRamal = new Map<string, number>();
    for (const row of rows) perRamal.set(row.ramal, (perRamal.get(row.ramal) ?? 0) + 1);
    const expected = Array.from({ length: CALLS }, (_, i) => ramal(i));
    report(`worker-cti killed ${KILLS_PER_PHASE * 2} times during ${CALLS} calls (start and end events)`, {
      enqueued: CALLS * 2,
      processed: rows.length + rows.filter((row) => row.status === 'finalizada').length,
      lost: expected.filter((r) => !perRamal.has(r)).length + rows.filter((row) => row.status !== 'finalizada').length,
      duplicated: [...perRamal.values()].reduce((sum, n) => sum + n - 1, 0),
    });
    for (const r of expected) expect(perRamal.get(r)).toBe(1);
    expect(rows.every((row) => row.status === 'finalizada' && Number(row.sem_inicio) === 0)).toBe(true);
  }, 400_000);
});
