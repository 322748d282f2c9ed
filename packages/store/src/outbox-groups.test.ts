import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { Kysely, PostgresDialect } from 'kysely';
import { Pool, type PoolClient } from 'pg';
import { CONTA } from '../../../test/fixtures/set-ws-contas';
import { Coalescer } from './coalescer';
import {
  claimExecucao,
  claimExecucoes,
  concludeExecucoesInScope,
  type ExecucaoKey,
  listTentativas,
  markSending,
  RecordBusyError,
  recordTentativa,
  recordTentativas,
  setExecucaoStatus,
} from './execucoes.repository';
import { outboxGroupsOf } from './outbox-groups';
import type { Database } from './schema';
import { isTenantGuardViolation, withTenantScope } from './tenant-guard';
import { createEmpresa } from './tenants.repository';

/**
 * Waits until another session's statement waits on a lock `holder`'s open transaction holds (PostgreSQL's
 * pg_blocking_pids): the claim has reached the row another run inserted, so committing now is the race under test
 * (a fixed sleep let the COMMIT win on a loaded machine, and the claim then saw a committed row).
 */
async function blockedBy(holder: PoolClient, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (Date.now() > deadline) {
      throw new Error(`no session waited on the holder's lock within ${timeoutMs} ms: the claim did not block on the in-flight record`);
    }
    // pg_stat_activity is read once per transaction unless cleared, and the holder's transaction stays open.
    await holder.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await holder.query<{ waiting: number }>(
      'SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE pg_backend_pid() = ANY (pg_blocking_pids(pid))',
    );
    if ((rows[0]?.waiting ?? 0) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const exchange = { url: 'http://erp/g5', requisicao: '<req/>', resposta: '<resp/>', statusHttp: 200, duracaoMs: 12, erro: null };

describe.each(ALL_DIALECTS)('grouped outbox writes on %s', (dialect) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await database?.drop();
  });

  const keyOf = (job: string, index: number): ExecucaoKey => ({
    empresaId: 1 + (index % 2),
    integracaoId: 19,
    chave: `set:19:${dialect}:${job}:${index}`,
    jobId: `${job}-${index}`,
  });

  it('claims the keys of concurrent callers in one statement, each caller its own row and empresa', async () => {
    const { db } = database;
    const groups: number[] = [];
    const claims = new Coalescer({
      runGroup: (keys: ExecucaoKey[]) => {
        groups.push(keys.length);
        return claimExecucoes(db, keys);
      },
      runOne: (key: ExecucaoKey) => claimExecucao(db, key),
    });
    const existing = await claimExecucao(db, keyOf('g', 7));
    await recordTentativa(db, existing.id, exchange, { status: 'enviado', valores: { codCli: 7 }, mensagem: 'OK' });

    const keys = Array.from({ length: 20 }, (_, index) => keyOf('g', index));
    const rows = await Promise.all(keys.map((key) => claims.add(key)));

    expect(groups).toEqual([20]);
    // Ran as one group, not item by item (on MariaDB an existing key fails the multi-row insert: that group falls back).
    expect(claims.stats).toEqual({ groups: 1, fallbacks: dialect === 'mysql' ? 1 : 0 });
    expect(new Set(rows.map((row) => row.id)).size).toBe(20);
    rows.forEach((row, index) => {
      expect(row).toMatchObject({ chave: keys[index]?.chave, empresa_id: keys[index]?.empresaId });
      if (index === 7) expect(row).toMatchObject({ id: existing.id, created: false, status: 'enviado', tentativas: 1 });
      else expect(row).toMatchObject({ created: true, status: 'enviando', tentativas: 0 });
    });
  });

  it('claims a group on PostgreSQL in one statement and no transaction, new and earlier rows told apart', async () => {
    if (dialect !== 'postgres') return;
    const statements: string[] = [];
    const logged = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: new Pool({ connectionString: database.url, max: 2 }) }),
      log: (event) => void statements.push(event.query.sql),
    });
    try {
      const earlier = await claimExecucao(logged, keyOf('one', 3));
      statements.length = 0;
      const keys = Array.from({ length: 6 }, (_, index) => keyOf('one', index));
      const rows = await Promise.all(keys.map((key) => outboxGroupsOf(logged).claim(key)));
      // One round trip for the six claims: no BEGIN/COMMIT around the insert and its read-back.
      expect(statements).toHaveLength(1);
      expect(outboxGroupsOf(logged).stats.claims).toEqual({ groups: 1, fallbacks: 0 });
      rows.forEach((row, index) => {
        expect(row).toMatchObject({ chave: keys[index]?.chave, empresa_id: keys[index]?.empresaId, status: 'enviando' });
        expect(row.created).toBe(index !== 3);
      });
      expect(rows[3]?.id).toBe(earlier.id);
    } finally {
      await logged.destroy();
    }
  });

  it("refuses on PostgreSQL a key another run of its job inserts during the group's claim as in flight, the others claimed as new", async () => {
    if (dialect !== 'postgres') return;
    const own = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new Pool({ connectionString: database.url, max: 2 }) }) });
    const other = new Pool({ connectionString: database.url, max: 1 });
    const client = await other.connect();
    try {
      const [a, b] = [keyOf('race', 0), keyOf('race', 1)] as [ExecucaoKey, ExecucaoKey];
      // Another run of job race-0 (a stalled job's re-run) inserts its row and has not committed yet.
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO integracao_execucoes (empresa_id, integracao_id, chave, job_id, status, tentativas) VALUES ($1, $2, $3, $4, 'enviando', 0)`,
        [a.empresaId, a.integracaoId, a.chave, a.jobId],
      );
      const claims = Promise.allSettled([a, b].map((key) => outboxGroupsOf(own).claim(key)));
      await blockedBy(client);
      await client.query('COMMIT');
      const [claimA, claimB] = await claims;
      // Never read as this run's interrupted attempt (created false, enviando: an outcome unknown): it is in flight.
      expect(claimA?.status).toBe('rejected');
      const refused = (claimA as PromiseRejectedResult).reason;
      expect(refused).toBeInstanceOf(RecordBusyError);
      expect(refused).toMatchObject({ holderJobId: a.jobId, held: false });
      // The other job's row was inserted by the group's statement: new, and its claim not run again on its own.
      expect(claimB).toMatchObject({ status: 'fulfilled', value: { chave: b.chave, created: true, status: 'enviando' } });
      expect(outboxGroupsOf(own).stats.claims).toEqual({ groups: 1, fallbacks: 0 });
    } finally {
      client.release();
      await other.end();
      await own.destroy();
    }
  });

  it('refuses on PostgreSQL a key another run of its job inserts during a lone claim as in flight too', async () => {
    if (dialect !== 'postgres') return;
    const own = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new Pool({ connectionString: database.url, max: 2 }) }) });
    const other = new Pool({ connectionString: database.url, max: 1 });
    const client = await other.connect();
    try {
      const a = keyOf('lone', 0);
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO integracao_execucoes (empresa_id, integracao_id, chave, job_id, status, tentativas) VALUES ($1, $2, $3, $4, 'enviando', 0)`,
        [a.empresaId, a.integracaoId, a.chave, a.jobId],
      );
      // A group of one: the Coalescer runs it through claimExecucao.
      const claim = outboxGroupsOf(own)
        .claim(a)
        .then(
          (row) => row,
          (err: unknown) => err,
        );
      await blockedBy(client);
      await client.query('COMMIT');
      const refused = await claim;
      expect(refused).toBeInstanceOf(RecordBusyError);
      expect(refused).toMatchObject({ holderJobId: a.jobId, held: false });
      // The run's own earlier row is still found as such (an interrupted attempt), not refused.
      await expect(claimExecucao(own, a)).resolves.toMatchObject({ chave: a.chave, created: false, status: 'enviando' });
    } finally {
      client.release();
      await other.end();
      await own.destroy();
    }
  });

  it('claims two records of one job whose keys differ by case, accent or trailing spaces as two rows', async () => {
    const { db } = database;
    const claimOf = (registro: string) =>
      claimExecucao(db, { empresaId: 1, integracaoId: 19, chave: `set:19:${dialect}:J:${registro}`, jobId: `${dialect}-J`, registro });
    const rows = [];
    for (const registro of ['idP1', 'idp1', 'idÉ', 'idE', 'id7', 'id7 ']) {
      const row = await claimOf(registro);
      // Each concluded before the next (as a job's records go one after another): only the job's own row may be found.
      expect(row).toMatchObject({ created: true, status: 'enviando', registro });
      await recordTentativa(db, row.id, exchange, { status: 'concluido', valores: { codCli: registro } });
      rows.push(row.id);
    }
    expect(new Set(rows).size).toBe(6);
    // Found again: each its own row, with its own answer.
    const again = await claimOf('idp1');
    expect(again).toMatchObject({ id: rows[1], created: false, status: 'concluido', valores: JSON.stringify({ codCli: 'idp1' }) });
  });

  it('runs each item on its own when the shared statement fails: the bad one fails alone', async () => {
    const { db } = database;
    const keys = Array.from({ length: 6 }, (_, index) => keyOf('bad', index));
    const broken = { ...keyOf('bad', 99), empresaId: null as unknown as number };
    const outcomes = await Promise.allSettled([...keys, broken].map((key) => outboxGroupsOf(db).claim(key)));

    expect(outcomes.slice(0, 6).map((outcome) => outcome.status)).toEqual(Array(6).fill('fulfilled'));
    expect(outcomes[6]).toMatchObject({ status: 'rejected' });
    const stored = await db.selectFrom('integracao_execucoes').select('chave').where('chave', 'like', `set:19:${dialect}:bad:%`).execute();
    expect(stored.map((row) => row.chave).sort()).toEqual(keys.map((key) => key.chave).sort());
  });

  it('records the attempts of concurrent pushes together, each with its own number and outcome', async () => {
    const { db } = database;
    const rows = await Promise.all(Array.from({ length: 8 }, (_, index) => outboxGroupsOf(db).claim(keyOf('att', index))));
    const first = rows[0];
    if (!first) throw new Error('no row');
    await recordTentativa(db, first.id, { ...exchange, resposta: null, statusHttp: null, erro: 'socket hang up' });
    const before = { ...outboxGroupsOf(db).stats.tentativas };

    await Promise.all(
      rows.map((row, index) =>
        outboxGroupsOf(db).recordTentativa({
          execucaoId: row.id,
          attempt: { ...exchange, resposta: `<resp n="${index}"/>` },
          ...(index % 2 === 0 ? { outcome: { status: 'enviado' as const, valores: { codCli: index }, mensagem: null } } : {}),
        }),
      ),
    );

    // One shared statement, no item-by-item fallback.
    expect(outboxGroupsOf(db).stats.tentativas).toEqual({ groups: before.groups + 1, fallbacks: before.fallbacks });
    const after = await db
      .selectFrom('integracao_execucoes')
      .selectAll()
      .where(
        'id',
        'in',
        rows.map((row) => row.id),
      )
      .orderBy('id')
      .execute();
    after.forEach((row, index) => {
      expect(row).toMatchObject({ status: index % 2 === 0 ? 'enviado' : 'enviando', tentativas: index === 0 ? 2 : 1, mensagem: null });
      expect(row.valores ? JSON.parse(row.valores) : null).toEqual(index % 2 === 0 ? { codCli: index } : null);
    });
    expect((await listTentativas(db, first.id)).map((t) => [t.tentativa, t.resposta])).toEqual([
      [1, null],
      [2, '<resp n="0"/>'],
    ]);
    const last = rows[7];
    if (!last) throw new Error('no row');
    expect(await listTentativas(db, last.id)).toEqual([
      expect.objectContaining({ tentativa: 1, resposta: '<resp n="7"/>', status_http: 200 }),
    ]);
  });

  it('writes nothing of a group that fails, so each attempt can be recorded again on its own', async () => {
    const { db } = database;
    const row = await claimExecucao(db, keyOf('dup', 0));
    // The same execucao twice in one group is refused as a whole, before any write.
    await expect(
      recordTentativas(db, [
        { execucaoId: row.id, attempt: exchange },
        { execucaoId: row.id, attempt: exchange },
      ]),
    ).rejects.toThrow('one attempt per execucao');
    await Promise.all([
      outboxGroupsOf(db).recordTentativa({ execucaoId: row.id, attempt: exchange }),
      outboxGroupsOf(db).recordTentativa({ execucaoId: row.id, attempt: exchange }),
    ]);
    expect((await listTentativas(db, row.id)).map((t) => t.tentativa)).toEqual([1, 2]);
  });

  it("groups two tenants' pushes in flight together and each write lands only in its own empresa", async () => {
    const { db } = database;
    const empresas = [await createEmpresa(db, 'Empresa A'), await createEmpresa(db, 'Empresa B')];
    const contaOf = (index: number) => 5000 + index;
    const empresaOf = (index: number) => empresas[index % 2] as number;
    await db
      .insertInto('contas')
      .values(Array.from({ length: 10 }, (_, index) => ({ ...CONTA, id: contaOf(index), empresa_id: empresaOf(index) })))
      .execute();

    // Push i writes back into conta i, except push 9 (empresa B's), whose write-back reaches empresa A's conta 0.
    const pushOnce = async (index: number) => {
      const empresaId = empresaOf(index);
      const row = await outboxGroupsOf(db).claim({
        empresaId,
        integracaoId: 19,
        chave: `set:19:${dialect}:two:${index}`,
        jobId: `t${index}`,
      });
      await outboxGroupsOf(db).recordTentativa({
        execucaoId: row.id,
        attempt: exchange,
        outcome: { status: 'enviado', valores: { codCli: index } },
      });
      const writeBack = () =>
        withTenantScope(
          db,
          dialect,
          empresaId,
          async (trx) => {
            await concludeExecucoesInScope(trx, [row.id], empresaId);
            const target = index === 9 ? contaOf(0) : contaOf(index);
            await trx
              .updateTable('contas')
              .set({ id_erp: `erp-${index}` })
              .where('id', '=', target)
              .execute();
          },
          { scopedBy: 'first-statement' },
        );
      return writeBack();
    };
    // MariaDB may pick one of these concurrent transactions (a claim, an attempt or a write-back) as a deadlock victim
    // (the scope table's next-key locks): it rolled back whole, and the job's retry runs the push again, as here (the
    // claim finds its own row by chave).
    const push = async (index: number) => {
      for (let attempt = 1; ; attempt += 1) {
        try {
          return await pushOnce(index);
        } catch (err) {
          if (attempt === 3 || !String(err).includes('Deadlock')) throw err;
        }
      }
    };
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, (_, index) => push(index)));

    expect(outcomes.slice(0, 9).map((outcome) => (outcome.status === 'rejected' ? String(outcome.reason) : outcome.status))).toEqual(
      Array(9).fill('fulfilled'),
    );
    expect(outcomes[9]?.status === 'rejected' && isTenantGuardViolation(outcomes[9].reason)).toBe(true);
    const contas = await db
      .selectFrom('contas')
      .select(['id', 'empresa_id', 'id_erp'])
      .where('id', '>=', contaOf(0))
      .orderBy('id')
      .execute();
    expect(contas).toEqual(
      Array.from({ length: 10 }, (_, index) => ({
        id: contaOf(index),
        empresa_id: empresaOf(index),
        id_erp: index === 9 ? null : `erp-${index}`,
      })),
    );
    const execucoes = await db
      .selectFrom('integracao_execucoes')
      .select(['empresa_id', 'status'])
      .where('chave', 'like', `set:19:${dialect}:two:%`)
      .orderBy('chave')
      .execute();
    expect(execucoes).toEqual(
      Array.from({ length: 10 }, (_, index) => ({ empresa_id: empresaOf(index), status: index === 9 ? 'enviado' : 'concluido' })),
    );
  });

  it("claims a record known by its id for one job at a time: another job's claim is refused while it is in flight or held", async () => {
    const { db } = database;
    const record = (job: string): ExecucaoKey => ({
      empresaId: 1,
      integracaoId: 19,
      chave: `set:19:${dialect}:${job}:id42`,
      jobId: job,
      registro: 'id42',
    });
    const group = outboxGroupsOf(db);
    const first = await group.claim(record('r1'));
    // A grouped claim with the record in it falls back item by item: only that record's claim is refused.
    const [refused, other] = await Promise.allSettled([
      group.claim(record('r2')),
      group.claim({ ...record('r2'), chave: 'x', registro: 'id43' }),
    ]);
    expect(refused).toMatchObject({ status: 'rejected', reason: expect.any(RecordBusyError) });
    expect((refused as PromiseRejectedResult).reason).toMatchObject({ registro: 'id42', holderJobId: 'r1', held: false });
    expect(other).toMatchObject({ status: 'fulfilled', value: { created: true, status: 'enviando' } });
    // Answered (enviado) it is still the receptor's and not written back: still claimed.
    await recordTentativa(db, first.id, exchange, { status: 'enviado', valores: {}, mensagem: 'OK' });
    await expect(claimExecucao(db, record('r3'))).rejects.toBeInstanceOf(RecordBusyError);
    // Held (accepted, nothing written back): claimed, and said so.
    await db.updateTable('integracao_execucoes').set({ status: 'concluido', retido: 1 }).where('id', '=', first.id).execute();
    await expect(claimExecucao(db, record('r3'))).rejects.toMatchObject({ holderJobId: 'r1', held: true });
    // Released: the next job's claim passes; a row of another job found again is refused before it goes enviando.
    await db.updateTable('integracao_execucoes').set({ retido: 0 }).where('id', '=', first.id).execute();
    const later = await claimExecucao(db, record('r4'));
    expect(later).toMatchObject({ created: true, status: 'enviando', registro: 'id42' });
    const waiting = await claimExecucao(db, { ...record('r5'), registro: null });
    await setExecucaoStatus(db, waiting.id, 'pendente');
    // (A row claimed without the record's key, as before migration 024: markSending claims it by the key it is given.)
    await expect(markSending(db, waiting.id, record('r5'))).rejects.toMatchObject({ holderJobId: 'r4' });
    // Another empresa's record of the same key is its own.
    await expect(claimExecucao(db, { ...record('r6'), empresaId: 2 })).resolves.toMatchObject({ created: true });
  });
});
