import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { schedulerIdOf } from '@integrador/integrador';
import { createLogger } from '@integrador/logging';
import { type JobProducer, listSchedulers } from '@integrador/queue';
import { createScratchSource, type ScratchSource } from '@integrador/sources/testing';
import { createEmpresa } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { type AppProcess, spawnApp } from '@integrador/test-support/processes';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import { startTestProducer, type TestProducer } from '@integrador/test-support/test-producer';
import type { Job } from 'bullmq';

const logger = createLogger({ name: 'test', level: 'silent' });

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('worker-get schedules (real worker-get process, PostgreSQL CRM, real Redis)', () => {
  let database: TestDatabase;
  let producer: JobProducer;
  let testProducer: TestProducer;
  let prefix: string;
  let worker: AppProcess | undefined;
  let erp: ScratchSource;
  let connectionsFile: string;

  beforeEach(async () => {
    database = await createTestDatabase('postgres');
    // The ERP: an SQLite file with Senior G5's E085CLI (25 customers), named erp_sqlite in the connections file.
    erp = await createScratchSource('sqlite', 25);
    connectionsFile = path.join(os.tmpdir(), `get-schedules-${process.pid}-${Date.now()}.json`);
    const entry = { tipo: 'database', driver: 'sqlite', database: erp.connection.database };
    fs.writeFileSync(connectionsFile, JSON.stringify({ connections: { erp_sqlite: entry } }));
    testProducer = await startTestProducer({ logger });
    ({ producer, prefix } = testProducer);
  });

  afterEach(async () => {
    if (worker) {
      worker.child.kill('SIGTERM');
      await worker.exited;
      worker = undefined;
    }
    await testProducer.close();
    await database.drop();
    await erp.drop();
    fs.rmSync(connectionsFile, { force: true });
  });

  it('schedules at start, the scheduled run pulls the ERP rows, and configuration edits apply without a restart', async () => {
    const empresaId = await createEmpresa(database.db, 'Empresa Agendada');
    const conexao = await database.db
      .insertInto('conexao_integracao')
      .values({ tipo_conexao: 'BD', nome_conexao: 'erp_sqlite', empresa_id: empresaId })
      .returning('id')
      .executeTakeFirstOrThrow();
    const { id } = await database.db
      .insertInto('integracao')
      .values({
        nome: 'GET-CLIENTES',
        tipo_servico: 'GET',
        empresa_id: empresaId,
        empresa_filial_id: null,
        conexao_integracao_id: conexao.id,
        sql_consulta: 'SELECT CODCLI AS id_erp, APECLI AS nome, CIDCLI AS endereco FROM E085CLI',
        tabela: 'contas',
        chave: 'id_erp',
        ativo: 1,
        cron: '* * * * * *',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const schedulerId = schedulerIdOf(empresaId, id);

    worker = spawnApp('apps/worker-get/src/main.ts', {
      REDIS_URL: TEST_REDIS_URL,
      KEY_PREFIX: prefix,
      CRM_DATABASE_URL: database.url,
      CONNECTIONS_FILE: connectionsFile,
      SCHEDULE_SYNC_INTERVAL_MS: '1000',
      LOG_LEVEL: 'info',
    });
    await worker.waitForLog('worker started');
    const reconciled = await worker.waitForLog('schedules reconciled');
    expect(reconciled).toMatchObject({ created: 1, invalid: 0 });

    // A per-second cron: within a few seconds the worker has taken a job the scheduler produced.
    const queue = producer.queue('get');
    const fired = await until('a scheduled job to run', async () => {
      const jobs = (await queue.getJobs(['active', 'completed', 'failed'])) as Job[];
      return jobs.find((job) => String(job.id).startsWith(`repeat:${schedulerId}:`) && job.processedOn);
    });
    expect(fired.name).toBe('integration.run');
    expect(fired.data).toEqual({ tenant: { empresaId, filialId: null }, integracaoId: id, parametros: {}, trigger: 'schedule' });
    // The scheduled run pulled the ERP's customers into contas and left its history row.
    const history = await until('a completed scheduled run in the history', async () =>
      database.db
        .selectFrom('integracao_sincronizacao_execucoes')
        .selectAll()
        .where('integracao_id', '=', id)
        .where('status', '=', 'concluido')
        .executeTakeFirst(),
    );
    expect(history).toMatchObject({ gatilho: 'schedule', linhas_lidas: 25, linhas_gravadas: 25 });
    const contas = await database.db
      .selectFrom('contas')
      .select(['id_erp', 'nome'])
      .where('empresa_id', '=', empresaId)
      .orderBy('id')
      .execute();
    expect(contas).toHaveLength(25);
    expect(contas[0]).toEqual({ id_erp: '1', nome: 'Cliente 1' });

    // Edits apply at the next reconcile (every second here): a new cron, then deactivation removes it.
    await database.db.updateTable('integracao').set({ cron: '0 4 * * *' }).where('id', '=', id).execute();
    await until('the scheduler to take the new cron', async () =>
      (await listSchedulers(queue)).find((s) => s.id === schedulerId && s.pattern === '0 4 * * *'),
    );
    await database.db.updateTable('integracao').set({ ativo: 0 }).where('id', '=', id).execute();
    await until('the scheduler to be removed', async () => ((await listSchedulers(queue)).length === 0 ? true : undefined));

    // An invalid cron is logged with the integration and the reason; the worker keeps running.
    await database.db.updateTable('integracao').set({ ativo: 1, cron: '99 * * * *' }).where('id', '=', id).execute();
    const warning = await worker.waitForLog('invalid cron, integration not scheduled');
    expect(warning).toMatchObject({ integracaoId: id, empresaId, cron: '99 * * * *', reason: expect.stringContaining('99') });
    expect(worker.child.exitCode).toBeNull();
  });
});
