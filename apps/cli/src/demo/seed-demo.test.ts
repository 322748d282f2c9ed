import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { sql } from 'kysely';
import { DEMO_ATIVIDADES, DEMO_EVENTOS, DEMO_OPORTUNIDADES } from './demo-data';
import { seedDemoTenant } from './seed-demo';

describe.each(ALL_DIALECTS)('seedDemoTenant on an old demo tenant on %s', (dialect) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('adds the missing oportunidades, atividades and eventos once when two runs meet', async () => {
    const { db } = database;
    const { empresaId } = await seedDemoTenant(database);
    // A demo seeded before the three tables had rows of it.
    for (const table of ['eventos', 'atividades', 'oportunidades'] as const)
      await db.deleteFrom(table).where('empresa_id', '=', empresaId).execute();

    // Every pooled connection open first, so the runs start together rather than one per new connection.
    await Promise.all([1, 2, 3, 4].map(() => sql`select 1`.execute(db)));
    const runs = await Promise.all([seedDemoTenant(database), seedDemoTenant(database), seedDemoTenant(database)]);
    expect(runs.map((run) => run.counts.oportunidades).sort()).toEqual([0, 0, DEMO_OPORTUNIDADES.length]);
    const count = async (table: 'oportunidades' | 'atividades' | 'eventos') =>
      Number(
        (
          await db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .where('empresa_id', '=', empresaId)
            .executeTakeFirstOrThrow()
        ).n,
      );
    expect(await count('oportunidades')).toBe(DEMO_OPORTUNIDADES.length);
    expect(await count('atividades')).toBe(DEMO_ATIVIDADES.length);
    expect(await count('eventos')).toBe(DEMO_EVENTOS.length);
  });
});
