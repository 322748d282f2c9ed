import { randomBytes } from 'node:crypto';
import { createEmpresa } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { useTestRedis } from '@integrador/test-support/test-redis';
import { sql } from 'kysely';
import { publishPop } from '../pop/pop-events';
import { SettingsCache, TtlCache } from '../settings/settings-cache';
import { processCallEvent } from './call-events';
import { insertCall, type StartToLog } from './call-log.repository';
import { callStartStats, logStartGrouped } from './call-start-groups';

/**
 * Logs every INSERT statement into ligacoes (one row per statement, even one that inserted nothing: the empresas of its
 * rows and how many), so a test counts statements on the server itself. A statement that failed rolls its row back.
 */
async function logInsertStatements(database: TestDatabase): Promise<() => Promise<{ empresas: number[] | null; linhas: number }[]>> {
  const { db } = database;
  await sql`CREATE TABLE teste_insercoes (n serial PRIMARY KEY, empresas integer[], linhas integer NOT NULL)`.execute(db);
  await sql`CREATE FUNCTION teste_conta_insercoes() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
  INSERT INTO teste_insercoes (empresas, linhas) SELECT array_agg(DISTINCT empresa_id ORDER BY empresa_id), count(*) FROM novas;
  RETURN NULL;
END $$`.execute(db);
  await sql`CREATE TRIGGER teste_conta_insercoes AFTER INSERT ON ligacoes REFERENCING NEW TABLE AS novas
  FOR EACH STATEMENT EXECUTE FUNCTION teste_conta_insercoes()`.execute(db);
  let seen = 0;
  return async () => {
    const { rows } = await sql<{ n: number; empresas: number[] | null; linhas: number }>`SELECT n, empresas, linhas FROM teste_insercoes
      WHERE n > ${seen} ORDER BY n`.execute(db);
    seen = rows.at(-1)?.n ?? seen;
    return rows.map(({ empresas, linhas }) => ({ empresas, linhas }));
  };
}

// Grouping happens on PostgreSQL only (startsWithoutReading); call-events.test.ts runs the starts of every dialect.
describe('call starts grouped on postgres', () => {
  const testRedis = useTestRedis({ role: 'worker', per: 'all' });
  let database: TestDatabase;
  let insertStatements: () => Promise<{ empresas: number[] | null; linhas: number }[]>;
  let acme: number;
  let outra: number;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    acme = await createEmpresa(database.db, 'Acme');
    outra = await createEmpresa(database.db, 'Outra');
    insertStatements = await logInsertStatements(database);
  });

  afterAll(async () => {
    await database?.drop();
  });

  const eventId = () => randomBytes(9).toString('base64url');
  const start = (empresaId: number, ramal: string, id = eventId(), inicio = new Date()): StartToLog => ({
    call: {
      empresaId,
      ramal,
      usuarioId: null,
      telefone: '1133334444',
      normalizado: '+551133334444',
      key: '1133334444',
      contaId: null,
      contatoId: null,
      direcao: 'entrada',
      status: 'tocando',
      inicio,
      eventId: id,
    },
    windowMs: 60000,
  });
  const rowsOf = (empresaId: number, ramal: string) =>
    database.db.selectFrom('ligacoes').selectAll().where('empresa_id', '=', empresaId).where('ramal', '=', ramal).orderBy('id').execute();

  /** An end that came before its start: an end-only row of the empresa, ramal and number. */
  const endOnly = (empresaId: number, ramal: string, fim: Date, endEventId: string) => ({
    ...start(empresaId, ramal).call,
    status: 'finalizada' as const,
    fim,
    endEventId,
    semInicio: true,
    eventId: null,
  });

  it("logs the starts of two empresas in one insert, each row its own empresa's, each start reading its own empresa's end", async () => {
    const { db } = database;
    await insertStatements();
    // Outra's end of a call on ramal 4100 came first (an end-only row); Acme has a call on the same ramal and number.
    const endedAt = new Date(Date.now() + 3000);
    const outraEnd = await insertCall(db, endOnly(outra, '4100', endedAt, 'fim-4100'));
    // And an Acme row already opened by an event id that Outra's start uses too.
    const shared = eventId();
    const acmeOpened = await insertCall(db, start(acme, '4101', shared).call);
    await insertStatements();
    const before = callStartStats(db);

    const starts = [start(acme, '4100'), start(outra, '4100'), start(outra, '4101', shared), start(acme, '4102'), start(outra, '4102')];
    const logged = await Promise.all(starts.map((s) => logStartGrouped(db, s)));

    expect(callStartStats(db)).toEqual({ groups: before.groups + 1, fallbacks: before.fallbacks });
    expect(await insertStatements()).toEqual([{ empresas: [acme, outra].sort((a, b) => a - b), linhas: 5 }]);
    for (const [index, { inserted }] of logged.entries()) {
      const { call } = starts[index] as StartToLog;
      expect(inserted).toMatchObject({ empresa_id: call.empresaId, ramal: call.ramal, evento_id: call.eventId, status: 'tocando' });
    }
    // Outra's start with Acme's event id got its own row; Acme's row is untouched.
    expect(logged[2]?.inserted?.id).not.toBe(acmeOpened);
    expect((await rowsOf(acme, '4101')).map((row) => row.id)).toEqual([acmeOpened]);
    // Only Outra's start on 4100 found Outra's end-only row; Acme's start on the same ramal and number found none.
    expect(logged.map((l) => l.lateEnd?.id ?? null)).toEqual([null, outraEnd, null, null, null]);
  });

  it('gives an end-only row read by two starts of the same ramal and number to the newer one, as the end would', async () => {
    const { db } = database;
    const now = Date.now();
    const end = await insertCall(db, endOnly(acme, '4130', new Date(now), 'fim-4130'));
    const older = start(acme, '4130', eventId(), new Date(now - 20000));
    const newer = start(acme, '4130', eventId(), new Date(now - 10000));
    const logged = await Promise.all([older, newer].map((s) => logStartGrouped(db, s)));
    expect(logged.map((l) => l.lateEnd?.id ?? null)).toEqual([null, end]);
  });

  it('gives a withheld caller’s end-only rows to the older starts first, as its end would (review: fixcti 3)', async () => {
    const { db } = database;
    const now = Date.now();
    const withheld = <T extends StartToLog['call'] | ReturnType<typeof endOnly>>(call: T): T => ({
      ...call,
      telefone: 'anonymous',
      normalizado: null,
      key: 'anonymous',
    });
    const privateStart = (ramal: string, inicio: Date): StartToLog => {
      const s = start(acme, ramal, eventId(), inicio);
      return { ...s, call: withheld(s.call) };
    };
    const end = await insertCall(db, withheld(endOnly(acme, '4135', new Date(now), 'fim-4135')));
    const one = await Promise.all(
      [privateStart('4135', new Date(now - 20000)), privateStart('4135', new Date(now - 10000))].map((s) => logStartGrouped(db, s)),
    );
    expect(one.map((l) => l.lateEnd?.id ?? null)).toEqual([end, null]);
    const first = await insertCall(db, withheld(endOnly(acme, '4136', new Date(now), 'fim-4136-a')));
    const second = await insertCall(db, withheld(endOnly(acme, '4136', new Date(now + 5000), 'fim-4136-b')));
    const two = await Promise.all(
      [privateStart('4136', new Date(now - 20000)), privateStart('4136', new Date(now - 10000))].map((s) => logStartGrouped(db, s)),
    );
    expect(two.map((l) => l.lateEnd?.id ?? null)).toEqual([first, second]);
  });

  it('gives two starts of one ramal and number in a group two end-only rows, one each', async () => {
    const { db } = database;
    const now = Date.now();
    const first = await insertCall(db, endOnly(acme, '4131', new Date(now), 'fim-4131-a'));
    const second = await insertCall(db, endOnly(acme, '4131', new Date(now + 5000), 'fim-4131-b'));
    // Another empresa's end-only row on the same ramal and number, in the window too: never taken by Acme's starts.
    await insertCall(db, endOnly(outra, '4131', new Date(now + 2000), 'fim-4131-outra'));
    const older = start(acme, '4131', eventId(), new Date(now - 20000));
    const newer = start(acme, '4131', eventId(), new Date(now - 10000));
    const before = callStartStats(db);
    const logged = await Promise.all([older, newer].map((s) => logStartGrouped(db, s)));
    expect(callStartStats(db)).toEqual({ groups: before.groups + 1, fallbacks: before.fallbacks });
    // Both read the earlier end; the newer start takes it and the older one looks again and takes the later one.
    expect(logged.map((l) => l.lateEnd?.id ?? null)).toEqual([second, first]);
  });

  it("a start listed twice in a group takes one end-only row: the repeat does not take a later start's end", async () => {
    const { db } = database;
    const now = Date.now();
    const first = await insertCall(db, endOnly(acme, '4132', new Date(now), 'fim-4132-a'));
    await insertCall(db, endOnly(acme, '4132', new Date(now + 5000), 'fim-4132-b'));
    const again = start(acme, '4132', eventId(), new Date(now - 10000));
    const logged = await Promise.all([again, again].map((s) => logStartGrouped(db, s)));
    expect(logged.map((l) => l.lateEnd?.id ?? null)).toEqual([first, null]);
  });

  it('inserts a start listed twice in a group once (a job run again): the first gets the row, the second finds it opened', async () => {
    const { db } = database;
    await insertStatements();
    const again = start(acme, '4110');
    const logged = await Promise.all([again, start(acme, '4111'), again].map((s) => logStartGrouped(db, s)));
    expect(await insertStatements()).toEqual([{ empresas: [acme], linhas: 2 }]);
    expect(logged[0]?.inserted).toMatchObject({ evento_id: again.call.eventId });
    expect(logged[2]?.inserted).toBeUndefined();
    expect(await rowsOf(acme, '4110')).toHaveLength(1);
  });

  it("a start whose row fails fails alone: the group runs again start by start, and the others' rows are logged", async () => {
    const { db } = database;
    await sql`ALTER TABLE ligacoes ADD CONSTRAINT teste_ramal_recusado CHECK (ramal <> '4199')`.execute(db);
    try {
      await insertStatements();
      const before = callStartStats(db);
      const starts = [start(acme, '4120'), start(outra, '4121'), start(acme, '4199'), start(outra, '4122')];
      const outcomes = await Promise.allSettled(starts.map((s) => logStartGrouped(db, s)));

      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      expect(outcomes[2]?.status === 'rejected' && String(outcomes[2].reason)).toMatch(/teste_ramal_recusado/);
      expect(callStartStats(db)).toEqual({ groups: before.groups + 1, fallbacks: before.fallbacks + 1 });
      // The group's insert rolled back whole (its statement left no trace); then one insert per start that succeeded.
      expect(await insertStatements()).toEqual([
        { empresas: [acme], linhas: 1 },
        { empresas: [outra], linhas: 1 },
        { empresas: [outra], linhas: 1 },
      ]);
      for (const [empresaId, ramal] of [
        [acme, '4120'],
        [outra, '4121'],
        [outra, '4122'],
      ] as const)
        expect(await rowsOf(empresaId, ramal)).toHaveLength(1);
      expect(await rowsOf(acme, '4199')).toEqual([]);
    } finally {
      await sql`ALTER TABLE ligacoes DROP CONSTRAINT teste_ramal_recusado`.execute(db);
    }
  });

  it("worker-cti's starts in flight, of two empresas and one job run again, are logged in a few inserts, each its own row", async () => {
    const { db } = database;
    const { redis, prefix } = testRedis;
    // As in worker-cti: the settings and usuario caches, and the listener's card already published for every call.
    const deps = { db, redis, prefix, callTimeoutMs: 60000, settings: new SettingsCache(db), usuarios: new TtlCache<number | null>(5000) };
    const receivedAt = new Date().toISOString();
    const events = Array.from({ length: 20 }, (_, i) => ({
      tenant: { empresaId: i % 2 ? outra : acme, filialId: null },
      eventId: eventId(),
      kind: 'inicio' as const,
      ramal: '4200',
      telefone: `11999${String(i).padStart(6, '0')}`,
      receivedAt,
    }));
    for (const event of events) {
      const conta = event.tenant.empresaId * 1000 + Number(event.telefone.slice(-2));
      const card = {
        tabela: 'contas' as const,
        id: conta,
        nome: 'Do listener',
        contaId: conta,
        campo: 'telefone',
        telefone: event.telefone,
        exato: true,
      };
      const shown = { callId: event.eventId, ramal: '4200', numero: event.telefone, normalizado: null, recebidoEm: receivedAt };
      await publishPop(redis, prefix, event.tenant.empresaId, { type: 'caller', ...shown, matches: [card] }, 60000);
    }
    await insertStatements();
    const before = callStartStats(db);
    // The first job taken twice at once (stalled-job recovery while its first run is still going).
    const results = await Promise.all([...events, events[0]].map((event) => processCallEvent(deps, event as (typeof events)[number])));

    const statements = await insertStatements();
    // One by one, 21 inserts; grouped, the jobs in flight share them (how many depends on when each job's reads return).
    expect(statements.length).toBeLessThan(events.length);
    const after = callStartStats(db);
    expect(after.groups).toBeGreaterThan(before.groups);
    expect(after.fallbacks).toBe(before.fallbacks);
    expect(statements.some((s) => s.linhas > 1)).toBe(true);
    expect(statements.reduce((sum, s) => sum + s.linhas, 0)).toBe(events.length);
    expect(results[events.length]?.ligacaoId).toBe(results[0]?.ligacaoId);
    const rows = await db.selectFrom('ligacoes').selectAll().where('ramal', '=', '4200').execute();
    const byEvent = new Map(rows.map((row) => [row.evento_id, row]));
    expect(rows).toHaveLength(events.length);
    for (const [index, event] of events.entries()) {
      const row = byEvent.get(event.eventId);
      const conta = event.tenant.empresaId * 1000 + Number(event.telefone.slice(-2));
      expect(row).toMatchObject({ id: results[index]?.ligacaoId, empresa_id: event.tenant.empresaId, conta_id: conta, status: 'tocando' });
    }
  });
});
