import { createEmpresa, type PurgedTable } from '@integrador/store';
import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { useTestRedis } from '@integrador/test-support/test-redis';
import { type Kysely, sql } from 'kysely';
import { purgeHistory, type RetentionDays } from './purge-history';

const DAY_MS = 86_400_000;
const DEFAULTS: RetentionDays = { jobsDays: 90, webhooksDays: 30, auditDays: 730, callsDays: 0 };

// The purge removes old finished history and leaves what the engine still needs: holds, pushes in flight, rows of a
// job still in Redis, pending deliveries and their messages, unanswered change claims, each integration's last run.
describe.each(ALL_DIALECTS)('history purge on %s', (dialect) => {
  const test = useTestRedis();
  let database: TestDatabase;
  // biome-ignore lint/suspicious/noExplicitAny: the test writes rows of many tables with the ages it needs.
  let db: Kysely<any>;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    db = database.db;
  });
  afterAll(async () => {
    await database?.drop();
  });

  const at = (daysAgo: number) => {
    const date = new Date(Date.now() - daysAgo * DAY_MS);
    return dialect === 'sqlite' ? date.toISOString() : date;
  };
  const insertId = async (table: string, values: Record<string, unknown>): Promise<number> => {
    await db.insertInto(table).values(values).execute();
    const row = await db.selectFrom(table).select(db.fn.max('id').as('id')).executeTakeFirstOrThrow();
    return Number(row.id);
  };
  const ids = async (table: string, empresaId?: number): Promise<number[]> => {
    let query = db.selectFrom(table).select('id').orderBy('id');
    if (empresaId !== undefined) query = query.where('empresa_id', '=', empresaId);
    return (await query.execute()).map((row: { id: number }) => Number(row.id));
  };

  /** One tenant's purge with the default retention, in batches of 2 (paging is what is tested). */
  const purgeInBatchesOf2 = (empresaId: number) =>
    purgeHistory({ database, redis: test.redis, prefix: test.prefix, empresaId, retention: DEFAULTS, batchSize: 2 });

  /** One tenant's history: the ids of what must go and of what must stay. */
  async function seed(empresaId: number, tag: string) {
    const gone: Record<string, number[]> = {};
    const kept: Record<string, number[]> = {};
    const add = (bucket: Record<string, number[]>, table: string, id: number) => {
      bucket[table] = [...(bucket[table] ?? []), id];
    };
    const execucao = async (status: string, daysAgo: number, extra: Record<string, unknown> = {}) => {
      const id = await insertId('integracao_execucoes', {
        empresa_id: empresaId,
        integracao_id: 7,
        chave: `set:7:${tag}:${Math.random()}`,
        job_id: `${tag}-gone`,
        status,
        tentativas: 1,
        criado_em: at(daysAgo),
        atualizado_em: at(daysAgo),
        ...extra,
      });
      const tentativa = await insertId('integracao_tentativas', {
        execucao_id: id,
        tentativa: 1,
        requisicao: '<soap/>',
        resposta: '<ok/>',
        criado_em: at(daysAgo),
      });
      return { id, tentativa };
    };
    const done = await execucao('concluido', 200);
    add(gone, 'integracao_execucoes', done.id);
    add(gone, 'integracao_tentativas', done.tentativa);
    for (const row of [
      // The job still in Redis: a retry (or an operator's) finds its push concluded and does not send it again.
      await execucao('concluido', 200, { job_id: `${tag}-live` }),
      // A hold: new pushes of the record stay held back while it is there.
      await execucao('concluido', 200, { retido: 1, registro: 'id42', retorno_ausente: 'codCli' }),
      // A job's row held back by a hold (SET_RECORD_HELD): an operator's retry releases it.
      await execucao('falhou', 200, { valores: '{"retidoPor":3,"operatorRetries":0}' }),
      await execucao('enviando', 200),
      await execucao('pendente', 200),
      await execucao('concluido', 10),
      // Created before the retention, changed within it (a push retried for days, a hold released late): the age is
      // the last change's, though the purge pages by creation (migration 028).
      await execucao('concluido', 200, { atualizado_em: at(10) }),
    ]) {
      add(kept, 'integracao_execucoes', row.id);
      add(kept, 'integracao_tentativas', row.tentativa);
    }
    const registro = (estado: string, jobId: string, fila = 'set') =>
      insertId('registro_jobs', {
        empresa_id: empresaId,
        fila,
        job_id: jobId,
        nome_job: 'integration.run',
        estado,
        criado_em: at(200),
        atualizado_em: at(200),
      });
    add(gone, 'registro_jobs', await registro('concluido', `${tag}-r1`));
    add(kept, 'registro_jobs', await registro('falhou', `${tag}-live`));
    add(kept, 'registro_jobs', await registro('aguardando_retentativa', `${tag}-r3`));
    const run = (daysAgo: number, status = 'concluido') =>
      insertId('integracao_sincronizacao_execucoes', {
        empresa_id: empresaId,
        integracao_id: 8,
        modo: 'incremental',
        status,
        iniciado_em: at(daysAgo),
      });
    add(gone, 'integracao_sincronizacao_execucoes', await run(300));
    // The integration's last run, however old: its schedule shows it.
    add(kept, 'integracao_sincronizacao_execucoes', await run(200));
    const mensagem = async (daysAgo: number) =>
      insertId('webhook_mensagens', {
        empresa_id: empresaId,
        chave: `${tag}:${Math.random()}`,
        gatilho: 'contato_alterado',
        tabela: 'contatos',
        registro_id: '1',
        webhook_id: 'msg_1',
        payload: '{}',
        criado_em: at(daysAgo),
      });
    const entrega = async (mensagemId: number, status: string, daysAgo: number) => {
      const id = await insertId('webhook_entregas', {
        empresa_id: empresaId,
        endpoint_id: 1,
        mensagem_id: mensagemId,
        status,
        criado_em: at(daysAgo),
        atualizado_em: at(daysAgo),
      });
      const tentativa = await insertId('webhook_tentativas', {
        empresa_id: empresaId,
        entrega_id: id,
        numero: 1,
        origem: 'fila',
        cabecalhos: '{}',
        duracao_ms: 5,
        criado_em: at(daysAgo),
      });
      return { id, tentativa };
    };
    const delivered = await mensagem(60);
    const deliveredEntrega = await entrega(delivered, 'entregue', 60);
    add(gone, 'webhook_mensagens', delivered);
    add(gone, 'webhook_entregas', deliveredEntrega.id);
    add(gone, 'webhook_tentativas', deliveredEntrega.tentativa);
    // A delivery still pendente (retrying on its schedule) keeps itself, its attempts and its message.
    const pending = await mensagem(60);
    const pendingEntrega = await entrega(pending, 'pendente', 60);
    add(kept, 'webhook_mensagens', pending);
    add(kept, 'webhook_entregas', pendingEntrega.id);
    add(kept, 'webhook_tentativas', pendingEntrega.tentativa);
    const mudanca = (resultado: string | null) =>
      insertId('crm_mudancas', {
        empresa_id: empresaId,
        chave: `${tag}:${Math.random()}`,
        tabela: 'contatos',
        operacao: 'alterado',
        resultado,
        criado_em: at(60),
      });
    add(gone, 'crm_mudancas', await mudanca('{}'));
    // An unanswered claim: its first attempt is at work.
    add(kept, 'crm_mudancas', await mudanca(null));
    const auditoria = (daysAgo: number) =>
      insertId('auditoria_acoes', { autor: 'ana', empresa_id: empresaId, acao: 'retry', quantidade: 1, criado_em: at(daysAgo) });
    add(gone, 'auditoria_acoes', await auditoria(800));
    add(kept, 'auditoria_acoes', await auditoria(200));
    const ligacao = (status: string) =>
      insertId('ligacoes', { empresa_id: empresaId, ramal: '200', telefone: '1133334444', direcao: 'entrada', inicio: at(400), status });
    // The call log is the CRM's business data: kept forever by default.
    add(kept, 'ligacoes', await ligacao('finalizada'));
    add(kept, 'ligacoes', await ligacao('tocando'));
    return { gone, kept };
  }

  async function remaining(tables: string[], empresaId: number) {
    const left: Record<string, number[]> = {};
    for (const table of tables) {
      const all = await ids(table, table === 'integracao_tentativas' ? undefined : empresaId);
      left[table] = all;
    }
    return left;
  }

  it('removes only old finished history no one needs, tenant by tenant, and a dry run removes nothing', async () => {
    const own = await createEmpresa(db, 'Retida');
    const other = await createEmpresa(db, 'Outra');
    const mine = await seed(own, `a${dialect}`);
    const theirs = await seed(other, `b${dialect}`);
    for (const tag of [`a${dialect}`, `b${dialect}`]) {
      await test.redis.set(`${test.prefix}:set:${tag}-live`, '1');
    }
    const tables = [...new Set([...Object.keys(mine.gone), ...Object.keys(mine.kept)])];
    const before = await remaining(tables, own);
    const options = { database, redis: test.redis, prefix: test.prefix, retention: DEFAULTS };

    const dry = await purgeHistory({ ...options, empresaId: own, dryRun: true });
    expect(await remaining(tables, own)).toEqual(before);
    const expected = Object.fromEntries(Object.entries(mine.gone).map(([table, list]) => [table, list.length])) as Record<
      PurgedTable,
      number
    >;
    expect(dry.removed).toEqual(expected);
    expect(dry.keptForJobs).toBe(2);

    const purged: Record<string, number> = {};
    const report = await purgeHistory({
      ...options,
      empresaId: own,
      batchSize: 2,
      onPurged: (table, rows) => {
        purged[table] = (purged[table] ?? 0) + rows;
      },
    });
    expect(report.removed).toEqual(expected);
    expect(purged).toEqual(expected);
    for (const table of tables) {
      const left = await ids(table, table === 'integracao_tentativas' ? undefined : own);
      for (const id of mine.gone[table] ?? []) expect({ table, id, left: left.includes(id) }).toEqual({ table, id, left: false });
      for (const id of mine.kept[table] ?? []) expect({ table, id, left: left.includes(id) }).toEqual({ table, id, left: true });
    }
    // The other empresa's history is untouched by a purge of one empresa.
    for (const [table, list] of Object.entries(theirs.gone)) {
      const left = await ids(table, table === 'integracao_tentativas' ? undefined : other);
      for (const id of list) expect({ table, id, left: left.includes(id) }).toEqual({ table, id, left: true });
    }

    // The whole fleet's purge reaches it, and the audit rows of no empresa; the job gone from Redis frees its push.
    const fleetAudit = await insertId('auditoria_acoes', {
      autor: 'admin',
      empresa_id: null,
      acao: 'pause',
      quantidade: 1,
      criado_em: at(800),
    });
    await test.redis.del(`${test.prefix}:set:a${dialect}-live`);
    const all = await purgeHistory({ ...options, retention: { ...DEFAULTS, callsDays: 365 } });
    expect(all.removed.integracao_execucoes).toBe((theirs.gone.integracao_execucoes ?? []).length + 1);
    expect(await ids('auditoria_acoes')).not.toContain(fleetAudit);
    // A finished call past RETENTION_CALLS_DAYS goes; one still ringing stays.
    const [finished, ringing] = mine.kept.ligacoes ?? [];
    expect(await ids('ligacoes', own)).toEqual([ringing]);
    expect(finished).toBeDefined();
    // The push whose job was still in Redis stays there (b's), the one whose job left Redis is gone (a's).
    const liveOf = async (empresaId: number) =>
      (await db.selectFrom('integracao_execucoes').select('job_id').where('empresa_id', '=', empresaId).execute()).map(
        (row: { job_id: string }) => row.job_id,
      );
    expect(await liveOf(own)).not.toContain(`a${dialect}-live`);
    expect(await liveOf(other)).toContain(`b${dialect}-live`);
  });

  it('pages past rows kept for their job that share one timestamp (microseconds on PostgreSQL), batch after batch', async () => {
    const own = await createEmpresa(db, 'Lote');
    const jobs = ['k1', 'k2', 'k3', 'k4', 'k5', 'g1', 'g2', 'g3'].map((job) => `${dialect}-${job}`);
    await db
      .insertInto('integracao_execucoes')
      .values(
        jobs.map((jobId) => ({
          empresa_id: own,
          integracao_id: 9,
          chave: `set:9:${jobId}:id1`,
          job_id: jobId,
          status: 'concluido',
          tentativas: 1,
        })),
      )
      .execute();
    // One statement's clock for every row, as a grouped claim writes them; PostgreSQL's keeps microseconds.
    const old =
      dialect === 'postgres'
        ? sql`CURRENT_TIMESTAMP - interval '200 days'`
        : dialect === 'mysql'
          ? sql`CURRENT_TIMESTAMP(3) - INTERVAL 200 DAY`
          : sql`${at(200)}`;
    await db.updateTable('integracao_execucoes').set({ criado_em: old, atualizado_em: old }).where('empresa_id', '=', own).execute();
    for (const jobId of jobs.filter((job) => job.includes('-k'))) await test.redis.set(`${test.prefix}:set:${jobId}`, '1');
    const report = await purgeInBatchesOf2(own);
    expect(report.removed.integracao_execucoes).toBe(3);
    expect(report.keptForJobs).toBe(5);
    const left = await db.selectFrom('integracao_execucoes').select('job_id').where('empresa_id', '=', own).orderBy('job_id').execute();
    expect(left.map((row: { job_id: string }) => row.job_id)).toEqual(jobs.filter((job) => job.includes('-k')).sort());
  });

  it('pages past whole batches of pushes created before the retention and changed within it, to the old ones after them', async () => {
    const own = await createEmpresa(db, 'Recente');
    const push = (job: string, createdDaysAgo: number, changedDaysAgo: number) =>
      insertId('integracao_execucoes', {
        empresa_id: own,
        integracao_id: 9,
        chave: `set:9:${dialect}-${job}:id1`,
        job_id: `${dialect}-${job}`,
        status: 'concluido',
        tentativas: 1,
        criado_em: at(createdDaysAgo),
        atualizado_em: at(changedDaysAgo),
      });
    // Read first (created earliest), none of them past the retention: two batches of two without a candidate.
    const recent = [await push('r1', 300, 5), await push('r2', 299, 5), await push('r3', 298, 5), await push('r4', 297, 5)];
    const old = await push('o1', 200, 200);
    const report = await purgeInBatchesOf2(own);
    expect(report.removed).toEqual({ integracao_execucoes: 1, integracao_tentativas: 0 });
    expect(await ids('integracao_execucoes', own)).toEqual(recent);
    expect(recent).not.toContain(old);
  });

  it("keeps a delivery failed or cancelled by its endpoint's disabling, and its message, while that endpoint is still disabled", async () => {
    const own = await createEmpresa(db, 'Desativada');
    const endpoint = (ativo: number) =>
      insertId('webhook_endpoints', {
        empresa_id: own,
        nome: `e${ativo}`,
        url: 'https://example.com/hook',
        gatilhos: '["contato_alterado"]',
        ativo,
        segredo: 'x',
        criado_em: at(0),
        atualizado_em: at(0),
      });
    const disabled = await endpoint(0);
    const active = await endpoint(1);
    const cancelled = async (endpointId: number, ultimoErro: string, status: 'cancelada' | 'falhou' = 'cancelada') => {
      const mensagemId = await insertId('webhook_mensagens', {
        empresa_id: own,
        chave: `d:${Math.random()}`,
        gatilho: 'contato_alterado',
        tabela: 'contatos',
        registro_id: '1',
        webhook_id: 'msg_1',
        payload: '{}',
        criado_em: at(40),
      });
      const entregaId = await insertId('webhook_entregas', {
        empresa_id: own,
        endpoint_id: endpointId,
        mensagem_id: mensagemId,
        status,
        ultimo_erro: ultimoErro,
        criado_em: at(40),
        atualizado_em: at(40),
      });
      return { mensagemId, entregaId };
    };
    // Work waiting for a re-enable and a recover (the code, and the text written before the codes; the failed delivery
    // that began the outage, which the recover re-sends too).
    const waiting = [
      await cancelled(disabled, 'ENDPOINT_DISABLED'),
      await cancelled(disabled, 'endpoint disabled or deleted'),
      await cancelled(disabled, 'HTTP 500', 'falhou'),
    ];
    // History: the endpoint re-enabled since (its recover's time has passed), deleted, or a delivery cancelled by a deletion.
    const history = [
      await cancelled(active, 'ENDPOINT_DISABLED'),
      await cancelled(active, 'HTTP 500', 'falhou'),
      await cancelled(999_999, 'ENDPOINT_DISABLED'),
      await cancelled(disabled, 'ENDPOINT_DELETED'),
    ];
    const report = await purgeHistory({ database, redis: test.redis, prefix: test.prefix, empresaId: own, retention: DEFAULTS });
    const gone = history.length;
    expect(report.removed).toEqual({ webhook_entregas: gone, webhook_tentativas: 0, webhook_mensagens: gone });
    expect(await ids('webhook_entregas', own)).toEqual(waiting.map((row) => row.entregaId));
    expect(await ids('webhook_mensagens', own)).toEqual(waiting.map((row) => row.mensagemId));
    // Once the endpoint is no longer disabled they are history like the others.
    await db.updateTable('webhook_endpoints').set({ ativo: 1 }).where('id', '=', disabled).execute();
    await purgeHistory({ database, redis: test.redis, prefix: test.prefix, empresaId: own, retention: DEFAULTS });
    expect(await ids('webhook_entregas', own)).toEqual([]);
    expect(await ids('webhook_mensagens', own)).toEqual([]);
  });

  it('keeps a row younger than its retention on its boundary day, whatever the text form of its timestamp', async () => {
    const own = await createEmpresa(db, 'Limite');
    // 29 days 23 h 55 min old, as CURRENT_TIMESTAMP writes it on SQLite (`YYYY-MM-DD HH:MM:SS`, compared as text
    // with the ISO cutoff ' ' < 'T' made it older); the other dialects store a timestamp.
    const young = new Date(Date.now() - 30 * DAY_MS + 5 * 60_000);
    const old = new Date(Date.now() - 30 * DAY_MS - 5 * 60_000);
    const stamp = (date: Date) => (dialect === 'sqlite' ? date.toISOString().replace('T', ' ').slice(0, 19) : date);
    const mudanca = (date: Date) =>
      insertId('crm_mudancas', {
        empresa_id: own,
        chave: `l:${Math.random()}`,
        tabela: 'contatos',
        operacao: 'alterado',
        resultado: '{}',
        criado_em: stamp(date),
      });
    const kept = await mudanca(young);
    await mudanca(old);
    const report = await purgeHistory({ database, redis: test.redis, prefix: test.prefix, empresaId: own, retention: DEFAULTS });
    expect(report.removed).toEqual({ crm_mudancas: 1 });
    expect(await ids('crm_mudancas', own)).toEqual([kept]);
  });

  it('keeps everything with a retention of 0 days (forever)', async () => {
    const own = await createEmpresa(db, 'Para sempre');
    const mine = await seed(own, `c${dialect}`);
    const report = await purgeHistory({
      database,
      redis: test.redis,
      prefix: test.prefix,
      empresaId: own,
      retention: { jobsDays: 0, webhooksDays: 0, auditDays: 0, callsDays: 0 },
    });
    expect(report.removed).toEqual({});
    expect(await ids('integracao_execucoes', own)).toEqual(expect.arrayContaining(mine.gone.integracao_execucoes ?? []));
  });
});
