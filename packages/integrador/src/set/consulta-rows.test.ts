import { type CrmDatabase, createDatabase, createEmpresa } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { startTcpRelay } from '@integrador/test-support/tcp-relay';
import { sql } from 'kysely';
import { type CrmScope, tenantTablesOf } from '../runs/tenant-scope';
import { crmReadStatement, readRows, setUnionReadClock, unionReadStats } from './consulta-rows';
import { PermanentError } from './permanent-error';

// The reads of pushes in flight run as one union statement on a PostgreSQL pool that prepares its hot statements:
// each read must get exactly its own rows (its own empresa's, in its own order) and its own error, as alone.

describe('consulta reads grouped as unions (PostgreSQL)', () => {
  let database: TestDatabase;
  let crm: CrmDatabase;
  let scopes: CrmScope[];
  const contas: number[][] = [];

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    crm = createDatabase(database.url, { poolSize: 6, prepareHotStatements: true });
    const tables = await tenantTablesOf(crm.db);
    scopes = [];
    for (const nome of ['Empresa A', 'Empresa B']) {
      const empresaId = await createEmpresa(crm.db, nome);
      scopes.push({ tenant: { empresaId, filialId: null }, tables });
      const ids: number[] = [];
      for (let i = 0; i < 20; i++) {
        const row = await crm.db
          .insertInto('contas')
          .values({ empresa_id: empresaId, nome: `${nome} conta ${i}`, telefone: String(i) } as never)
          .returning('id')
          .executeTakeFirstOrThrow();
        ids.push(Number(row.id));
      }
      contas.push(ids);
    }
    await sql`CREATE SEQUENCE leituras`.execute(crm.db);
  });

  afterAll(async () => {
    await crm.destroy();
    await database.drop();
  });

  const BY_ID = 'SELECT id, nome, empresa_id FROM contas WHERE id = #id#';
  /** A read alone first: a text is grouped only once it has parsed alone. */
  const alone = (template: string, scope: CrmScope, values: Record<string, unknown>) =>
    readRows(crm.db, crmReadStatement(template, 'postgres', scope), values, scope);

  it('answers each of many concurrent reads of two empresas with its own rows, never another empresa’s', async () => {
    const statement = crmReadStatement(BY_ID, 'postgres', scopes[0] as CrmScope);
    await alone(BY_ID, scopes[0] as CrmScope, { id: (contas[0] as number[])[0] });
    const before = unionReadStats(crm.db, statement);
    // Each empresa asks for its own contas and for the other's: the other's must come back empty.
    const asks = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 20; i++) {
        for (const [own, scope] of scopes.entries()) {
          const id = (contas[(i + round) % 2 === 0 ? own : 1 - own] as number[])[i] as number;
          asks.push({ scope, id, own: (i + round) % 2 === 0 });
        }
      }
    }
    const answers = await Promise.all(
      asks.map((ask) => readRows(crm.db, crmReadStatement(BY_ID, 'postgres', ask.scope), { id: ask.id }, ask.scope)),
    );
    for (const [index, ask] of asks.entries()) {
      const rows = answers[index];
      if (ask.own) expect(rows).toEqual([{ id: ask.id, nome: expect.any(String), empresa_id: ask.scope.tenant.empresaId }]);
      else expect(rows).toEqual([]);
    }
    const after = unionReadStats(crm.db, statement);
    // They ran as unions (far fewer statements than reads), and every read was answered by one.
    expect(after.unions - before.unions).toBeGreaterThan(0);
    expect(after.unions - before.unions).toBeLessThan(asks.length / 4);
    expect(after.reads - before.reads).toBe(asks.length);
    expect(after.grouping).toBe(true);
    expect(after.slow).toBe(false);
  });

  it('keeps each read’s rows in its own ORDER BY', async () => {
    const scope = scopes[1] as CrmScope;
    const template = 'SELECT id FROM contas WHERE id >= #desde# ORDER BY id DESC';
    const starts = (contas[1] as number[]).slice(0, 7);
    await alone(template, scope, { desde: starts[0] });
    const answers = await Promise.all(
      starts.map((desde) => readRows(crm.db, crmReadStatement(template, 'postgres', scope), { desde }, scope)),
    );
    for (const [index, desde] of starts.entries()) {
      const expected = (contas[1] as number[]).filter((id) => id >= desde).sort((a, b) => b - a);
      expect(answers[index]?.map((row) => row.id)).toEqual(expected);
    }
    expect(unionReadStats(crm.db, crmReadStatement(template, 'postgres', scope)).unions).toBeGreaterThan(0);
  });

  it('fails only the read whose value is bad, with its own error; the others get their rows', async () => {
    const scope = scopes[0] as CrmScope;
    const ids: unknown[] = [(contas[0] as number[])[0], 'não é número', (contas[0] as number[])[1], (contas[0] as number[])[2]];
    const outcomes = await Promise.allSettled(ids.map((id) => readRows(crm.db, crmReadStatement(BY_ID, 'postgres', scope), { id }, scope)));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    const failed = outcomes[1] as PromiseRejectedResult;
    expect(failed.reason).toBeInstanceOf(PermanentError);
    expect((failed.reason as Error).message).toMatch(/não é número/);
    expect((outcomes[2] as PromiseFulfilledResult<unknown[]>).value).toEqual([expect.objectContaining({ id: (contas[0] as number[])[1] })]);
    // One bad value does not make the read ungroupable.
    expect(unionReadStats(crm.db, crmReadStatement(BY_ID, 'postgres', scope)).grouping).toBe(true);
  });

  it('never runs the branches that only pad a union to its size', async () => {
    const scope = scopes[0] as CrmScope;
    const template = "SELECT id, nextval('leituras') AS leitura FROM contas WHERE id = #id#";
    await alone(template, scope, { id: (contas[0] as number[])[0] });
    const { rows: start } = await sql<{ v: string }>`SELECT nextval('leituras')::text AS v`.execute(crm.db);
    // Three reads in one turn: a union of four, whose fourth branch only pads.
    const ids = (contas[0] as number[]).slice(0, 3);
    const answers = await Promise.all(ids.map((id) => readRows(crm.db, crmReadStatement(template, 'postgres', scope), { id }, scope)));
    expect(answers.map((rows) => rows.length)).toEqual([1, 1, 1]);
    const { rows: end } = await sql<{ v: string }>`SELECT nextval('leituras')::text AS v`.execute(crm.db);
    // Three reads, one sequence value each: the padding branch did not run.
    expect(Number(end[0]?.v) - Number(start[0]?.v)).toBe(4);
    expect(unionReadStats(crm.db, crmReadStatement(template, 'postgres', scope)).unions).toBe(1);
  });

  it('groups a read whose text ends in a line comment', async () => {
    const scope = scopes[0] as CrmScope;
    const template = 'SELECT id FROM contas WHERE id = #id# -- a conta pelo id';
    const ids = (contas[0] as number[]).slice(0, 5);
    await alone(template, scope, { id: ids[0] });
    const answers = await Promise.all(ids.map((id) => readRows(crm.db, crmReadStatement(template, 'postgres', scope), { id }, scope)));
    expect(answers).toEqual(ids.map((id) => [{ id }]));
    expect(unionReadStats(crm.db, crmReadStatement(template, 'postgres', scope))).toMatchObject({ unions: 1, reads: 5, grouping: true });
  });

  it('runs a read that cannot be a union branch alone from then on, every read answered', async () => {
    const scope = scopes[0] as CrmScope;
    // A trailing semicolon is fine alone and a syntax error inside a derived table.
    const template = 'SELECT id FROM contas WHERE id = #id#;';
    const ids = (contas[0] as number[]).slice(0, 5);
    for (let round = 0; round < 2; round++) {
      const answers = await Promise.all(ids.map((id) => readRows(crm.db, crmReadStatement(template, 'postgres', scope), { id }, scope)));
      expect(answers).toEqual(ids.map((id) => [{ id }]));
    }
    expect(unionReadStats(crm.db, crmReadStatement(template, 'postgres', scope))).toMatchObject({ unions: 0, reads: 0, grouping: false });
  });

  it('never groups a read that uses the protocol’s own $n (in a union it would read another read’s values)', async () => {
    const template = 'SELECT id, $1::bigint AS primeiro FROM contas WHERE id = #id#';
    const asks = scopes.flatMap((scope, own) => (contas[own] as number[]).slice(0, 4).map((id) => ({ scope, id })));
    const answers = await Promise.all(
      asks.map((ask) => readRows(crm.db, crmReadStatement(template, 'postgres', ask.scope), { id: ask.id }, ask.scope)),
    );
    // $1 is each read's own first value (its empresa, bound by the tenant scope), as alone.
    for (const [index, ask] of asks.entries())
      expect(answers[index]).toEqual([{ id: ask.id, primeiro: String(ask.scope.tenant.empresaId) }]);
    expect(unionReadStats(crm.db, crmReadStatement(template, 'postgres', scopes[0] as CrmScope)).grouping).toBe(false);
  });

  it('never pastes into a union a text that does not parse alone (it could close the union and leave the tenant scope)', async () => {
    const scope = scopes[0] as CrmScope;
    // Alone a syntax error; pasted into a union, it would close the derived table and read contas unscoped.
    const template =
      'SELECT id, nome FROM contas) AS integrador_q) UNION ALL (SELECT integrador_q.id, integrador_q.nome, 0, 0::float8 FROM (SELECT id, nome FROM contas';
    for (let round = 0; round < 3; round++) {
      const outcomes = await Promise.allSettled(
        [0, 1, 2, 3].map((i) => readRows(crm.db, crmReadStatement(template, 'postgres', scope), { i }, scope)),
      );
      for (const outcome of outcomes) {
        expect(outcome.status).toBe('rejected');
        expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(PermanentError);
      }
    }
    expect(unionReadStats(crm.db, crmReadStatement(template, 'postgres', scope)).unions).toBe(0);
  });

  it('stops grouping reads too slow for one backend to run one after another', async () => {
    const scope = scopes[0] as CrmScope;
    const template = 'SELECT id, pg_sleep(0.03)::text AS pausa FROM contas WHERE id = #id#';
    const ids = (contas[0] as number[]).slice(0, 8);
    await alone(template, scope, { id: ids[0] });
    const round = async () => {
      const started = performance.now();
      const answers = await Promise.all(ids.map((id) => readRows(crm.db, crmReadStatement(template, 'postgres', scope), { id }, scope)));
      expect(answers.map((rows) => rows[0]?.id)).toEqual(ids);
      return performance.now() - started;
    };
    // Slow every time: three unions in a row.
    let unionMs = 0;
    for (let i = 0; i < 3; i++) unionMs = await round();
    const stats = unionReadStats(crm.db, crmReadStatement(template, 'postgres', scope));
    expect(stats).toMatchObject({ unions: 3, slow: true });
    // A union runs its reads one after another: 10 ms each at least, however fast the machine.
    const serialMs = ids.length * 10;
    expect(unionMs).toBeGreaterThanOrEqual(serialMs);
    // The server spent 10 ms a read: the next reads run side by side, no new union, in less time than the reads one
    // after another can take (the best of a few rounds: a busy machine stalls one now and then).
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 5 && best >= serialMs; i++) best = Math.min(best, await round());
    expect(best).toBeLessThan(serialMs);
    expect(unionReadStats(crm.db, crmReadStatement(template, 'postgres', scope)).unions).toBe(3);
  });

  it('stops grouping slow reads that match no row (no row carries the server’s time), and keeps fast ones grouped', async () => {
    const scope = scopes[0] as CrmScope;
    // The other empresa's contas: no row for this tenant. The sleep runs once per branch, before its (empty) scan.
    const fast = 'SELECT id, nome FROM contas WHERE id = #id#';
    const template = 'SELECT id FROM contas WHERE id = #id# AND (SELECT count(*) FROM pg_sleep(0.03)) = 1';
    const ids = (contas[1] as number[]).slice(0, 8);
    const round = async (text: string, asked: number[]) => {
      const started = performance.now();
      const answers = await Promise.all(asked.map((id) => readRows(crm.db, crmReadStatement(text, 'postgres', scope), { id }, scope)));
      expect(answers).toEqual(asked.map(() => []));
      return performance.now() - started;
    };
    await alone(fast, scope, { id: ids[0] });
    await round(fast, (contas[1] as number[]).slice(0, 16));
    expect(unionReadStats(crm.db, crmReadStatement(fast, 'postgres', scope))).toMatchObject({ unions: 1, slow: false });
    await alone(template, scope, { id: ids[0] });
    let unionMs = 0;
    for (let i = 0; i < 3; i++) unionMs = await round(template, ids);
    expect(unionReadStats(crm.db, crmReadStatement(template, 'postgres', scope))).toMatchObject({ unions: 3, slow: true });
    // A union runs its branches one after another: 10 ms each at least, however fast the machine.
    const serialMs = ids.length * 10;
    expect(unionMs).toBeGreaterThanOrEqual(serialMs);
    // The server spent 10 ms a read: the next reads run side by side, no new union, in less time than the reads one
    // after another can take (the best of a few rounds: a busy machine stalls one now and then).
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 5 && best >= serialMs; i++) best = Math.min(best, await round(template, ids));
    expect(best).toBeLessThan(serialMs);
    expect(unionReadStats(crm.db, crmReadStatement(template, 'postgres', scope)).unions).toBe(3);
  });

  describe('under a clock the test moves', () => {
    // A pool of its own whose union reads time their pauses by `clock`: the test moves it instead of waiting.
    let timed: CrmDatabase;
    let shift = 0;
    beforeAll(() => {
      timed = createDatabase(database.url, { poolSize: 6, prepareHotStatements: true });
      setUnionReadClock(timed.db, () => Date.now() + shift);
    });
    afterAll(() => timed.destroy());

    // Eight reads of own contas, each sleeping `pausa` seconds on the server: 60 ms each is a slow union (far over the
    // 20 ms a read that counts as slow, so a loaded machine cannot make it fast), 0 a fast one. A text of its own per test (the empresas share one compiled statement per text).
    let template = '';
    beforeEach(() => {
      template = `SELECT id FROM contas WHERE id = #id# AND (SELECT count(*) FROM pg_sleep(#pausa#)) = 1 -- ${expect.getState().currentTestName}`;
    });
    const SLOW = 0.06;
    const FAST = 0;
    const stats = (scope: CrmScope) => unionReadStats(timed.db, crmReadStatement(template, 'postgres', scope));
    const round = async (scope: CrmScope, own: number[], pausa: number) => {
      const ids = own.slice(0, 8);
      const statement = crmReadStatement(template, 'postgres', scope);
      const answers = await Promise.all(ids.map((id) => readRows(timed.db, statement, { id, pausa }, scope)));
      expect(answers).toEqual(ids.map((id) => [{ id }]));
      return stats(scope);
    };

    it('keeps grouping when a slow union comes among fast ones (a busy CPU slows any union now and then)', async () => {
      const scope = scopes[0] as CrmScope;
      const own = contas[0] as number[];
      await readRows(timed.db, crmReadStatement(template, 'postgres', scope), { id: own[0], pausa: FAST }, scope);
      // Two slow, a fast one, two slow: never three slow in a row.
      for (const pausa of [SLOW, SLOW, FAST, SLOW, SLOW]) expect(await round(scope, own, pausa)).toMatchObject({ slow: false });
      expect(stats(scope)).toMatchObject({ unions: 5, reads: 40, slow: false });
    });

    it('keeps grouping when one branch of each union stalls (a backend descheduled on a busy CPU), not the typical read', async () => {
      const scope = scopes[0] as CrmScope;
      const own = contas[0] as number[];
      const statement = crmReadStatement(template, 'postgres', scope);
      await readRows(timed.db, statement, { id: own[0], pausa: FAST }, scope);
      // Eight cheap reads, one of which the server's clock finds 200 ms long (as a backend waiting for a CPU in the middle
      // of the union): 200 ms over a union of 8 is 25 ms a read, but the typical read took the server no time.
      const ids = own.slice(0, 8);
      for (let stalled = 0; stalled < 5; stalled++) {
        const answers = await Promise.all(
          ids.map((id, i) => readRows(timed.db, statement, { id, pausa: i === stalled ? 0.2 : FAST }, scope)),
        );
        expect(answers).toEqual(ids.map((id) => [{ id }]));
      }
      expect(stats(scope)).toMatchObject({ unions: 5, reads: 40, slow: false });
      // Two branches of eight held up 8 ms each (a quarter of the union, but short stalls, not heavy reads): still cheap;
      // 8 ms, well under the 20 ms a slow branch takes (a loaded machine adds to it), and over the 5 ms of the old rule.
      for (let union = 0; union < 3; union++) {
        await Promise.all(ids.map((id, i) => readRows(timed.db, statement, { id, pausa: i < 2 ? 0.008 : FAST }, scope)));
      }
      expect(stats(scope)).toMatchObject({ unions: 8, reads: 64, slow: false });
      // Most reads slow in each union (every branch but one): the reads run alone after three of them.
      for (let fast = 0; fast < 3; fast++) {
        await Promise.all(ids.map((id, i) => readRows(timed.db, statement, { id, pausa: i === fast ? FAST : SLOW }, scope)));
      }
      expect(stats(scope)).toMatchObject({ unions: 11, slow: true });
    });

    it('stops grouping when a quarter of the reads are heavy: two of eight, or one of two (never the faster one)', async () => {
      const scope = scopes[0] as CrmScope;
      const own = contas[0] as number[];
      const statement = crmReadStatement(template, 'postgres', scope);
      await readRows(timed.db, statement, { id: own[0], pausa: FAST }, scope);
      const HEAVY = 0.06;
      for (let union = 0; union < 3; union++) {
        const ids = own.slice(0, 8);
        const answers = await Promise.all(ids.map((id, i) => readRows(timed.db, statement, { id, pausa: i < 2 ? HEAVY : FAST }, scope)));
        expect(answers).toEqual(ids.map((id) => [{ id }]));
      }
      expect(stats(scope)).toMatchObject({ unions: 3, reads: 24, slow: true });

      // Another text: unions of two reads, one of them heavy.
      template = `${template} pares`;
      const pairs = crmReadStatement(template, 'postgres', scope);
      await readRows(timed.db, pairs, { id: own[0], pausa: FAST }, scope);
      for (let union = 0; union < 3; union++) {
        const ids = own.slice(0, 2);
        const answers = await Promise.all(ids.map((id, i) => readRows(timed.db, pairs, { id, pausa: i === 1 ? HEAVY : FAST }, scope)));
        expect(answers).toEqual(ids.map((id) => [{ id }]));
      }
      expect(stats(scope)).toMatchObject({ unions: 3, reads: 6, slow: true });
    });

    it('runs the reads alone after three slow unions in a row, tries again after 5 s, then after 10 s while still slow', async () => {
      const scope = scopes[1] as CrmScope;
      const own = contas[1] as number[];
      await readRows(timed.db, crmReadStatement(template, 'postgres', scope), { id: own[0], pausa: FAST }, scope);
      const tripped = async (unions: number) => {
        for (let i = 0; i < 3; i++) await round(scope, own, SLOW);
        expect(stats(scope)).toMatchObject({ unions, slow: true });
      };
      await tripped(3);
      // Alone now: no new union, slow or fast.
      expect(await round(scope, own, FAST)).toMatchObject({ unions: 3, slow: true });
      // Real time passes too: each step leaves it a margin of a second.
      shift += 4_000;
      expect(stats(scope).slow).toBe(true);
      shift += 1_500;
      expect(stats(scope).slow).toBe(false);
      // Still slow: three slow unions again, and a pause twice as long.
      await tripped(6);
      shift += 9_000;
      expect(stats(scope).slow).toBe(true);
      shift += 1_500;
      expect(stats(scope).slow).toBe(false);
      // A fast union: the next pause is 5 s again.
      expect(await round(scope, own, FAST)).toMatchObject({ unions: 7, slow: false });
      await tripped(10);
      shift += 5_500;
      expect(stats(scope).slow).toBe(false);
    });
  });

  it('judges a union whose reads match nothing by the server’s clock, not by the network’s delay', async () => {
    const scope = scopes[0] as CrmScope;
    // 50 ms each way back from the server: far over SLOW_READ_MS for a union of 4, while the server spends well under.
    const relay = await startTcpRelay(database.url, { delayMs: 50 });
    const far = createDatabase(relay.url, { poolSize: 2, prepareHotStatements: true });
    try {
      const statement = crmReadStatement(BY_ID, 'postgres', scope);
      await readRows(far.db, statement, { id: (contas[0] as number[])[0] }, scope);
      // The other empresa's contas: no row for this tenant in any branch.
      const others = (contas[1] as number[]).slice(0, 4);
      for (let round = 0; round < 2; round++) {
        const answers = await Promise.all(others.map((id) => readRows(far.db, statement, { id }, scope)));
        expect(answers).toEqual(others.map(() => []));
      }
      expect(unionReadStats(far.db, statement)).toMatchObject({ unions: 2, reads: 8, grouping: true, slow: false });
    } finally {
      await far.destroy();
      await relay.close();
    }
  });

  it('delivers a read’s row whose columns are all NULL, and no row to a read that matches nothing', async () => {
    const scope = scopes[1] as CrmScope;
    const template = 'SELECT NULL::text AS nada, NULL::integer AS outra FROM contas WHERE id = #id#';
    await alone(template, scope, { id: (contas[1] as number[])[0] });
    // Own contas and the other empresa's, in turn: a row of NULLs for the former, nothing for the latter.
    const asks = [0, 1, 2, 3, 4, 5].map((i) => ({ id: (contas[i % 2 === 0 ? 1 : 0] as number[])[i] as number, own: i % 2 === 0 }));
    const answers = await Promise.all(
      asks.map((ask) => readRows(crm.db, crmReadStatement(template, 'postgres', scope), { id: ask.id }, scope)),
    );
    expect(answers).toEqual(asks.map((ask) => (ask.own ? [{ nada: null, outra: null }] : [])));
    expect(unionReadStats(crm.db, crmReadStatement(template, 'postgres', scope))).toMatchObject({ unions: 1, reads: 6 });
  });

  it('groups a SELECT * with ORDER BY and LIMIT, each read with its own rows', async () => {
    const scope = scopes[0] as CrmScope;
    const template = 'SELECT * FROM contas WHERE id >= #desde# ORDER BY id DESC LIMIT 3';
    const own = contas[0] as number[];
    const expected = async (desde: number) =>
      (
        await sql<{
          id: number;
        }>`SELECT * FROM contas WHERE id >= ${desde} AND empresa_id = ${scope.tenant.empresaId} ORDER BY id DESC LIMIT 3`.execute(crm.db)
      ).rows;
    await alone(template, scope, { desde: own[0] });
    // The last ones match fewer than 3 rows; past the last conta, none.
    const starts = [own[0], own[5], own[18], own[19], (own[19] as number) + 1000] as number[];
    const answers = await Promise.all(
      starts.map((desde) => readRows(crm.db, crmReadStatement(template, 'postgres', scope), { desde }, scope)),
    );
    for (const [index, desde] of starts.entries()) expect(answers[index]).toEqual(await expected(desde));
    expect(answers.map((rows) => rows.length)).toEqual([3, 3, 2, 1, 0]);
    expect(unionReadStats(crm.db, crmReadStatement(template, 'postgres', scope))).toMatchObject({ unions: 1, reads: 5 });
  });

  it('answers every read when a table changes under a prepared union (its name refused), and runs them alone after', async () => {
    const scope = scopes[0] as CrmScope;
    await sql`CREATE TABLE notas (id integer PRIMARY KEY, empresa_id integer, texto text)`.execute(crm.db);
    await sql`INSERT INTO notas SELECT g, ${scope.tenant.empresaId}, 'nota ' || g FROM generate_series(1, 8) g`.execute(crm.db);
    const template = 'SELECT * FROM notas WHERE id = #id#';
    const ids = [1, 2, 3, 4, 5, 6, 7, 8];
    await alone(template, scope, { id: 1 });
    const round = () => Promise.allSettled(ids.map((id) => readRows(crm.db, crmReadStatement(template, 'postgres', scope), { id }, scope)));
    for (let i = 0; i < 4; i++) expect((await round()).every((outcome) => outcome.status === 'fulfilled')).toBe(true);
    const before = unionReadStats(crm.db, crmReadStatement(template, 'postgres', scope)).unions;
    expect(before).toBeGreaterThanOrEqual(4);
    await sql`ALTER TABLE notas ADD COLUMN autor text`.execute(crm.db);
    // Refused names are transient errors (a retry runs the statement anew); within two rounds every read answers.
    await round();
    const settled = await round();
    expect(settled.map((outcome) => outcome.status)).toEqual(ids.map(() => 'fulfilled'));
    const rows = settled.map((outcome) => (outcome as PromiseFulfilledResult<Record<string, unknown>[]>).value[0]);
    expect(rows).toEqual(ids.map((id) => ({ id, empresa_id: scope.tenant.empresaId, texto: `nota ${id}`, autor: null })));
    expect(unionReadStats(crm.db, crmReadStatement(template, 'postgres', scope)).unions).toBe(before);
  });

  it('does not group on a pool that does not prepare its statements, nor inside a transaction', async () => {
    const scope = scopes[0] as CrmScope;
    const plain = createDatabase(database.url, { poolSize: 4 });
    try {
      const ids = (contas[0] as number[]).slice(0, 6);
      const statement = crmReadStatement(BY_ID, 'postgres', scope);
      const answers = await Promise.all(ids.map((id) => readRows(plain.db, statement, { id }, scope)));
      expect(answers.map((rows) => rows.map((row) => row.id))).toEqual(ids.map((id) => [id]));
      expect(unionReadStats(plain.db, statement).grouping).toBeNull();
      await crm.db.transaction().execute(async (trx) => {
        const inside = await Promise.all(ids.map((id) => readRows(trx, statement, { id }, scope)));
        expect(inside.map((rows) => rows.length)).toEqual(ids.map(() => 1));
        expect(unionReadStats(trx, statement).grouping).toBeNull();
      });
    } finally {
      await plain.destroy();
    }
  });
});
