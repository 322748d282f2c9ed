import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { listPausedSchedules, listPausedTenants, setSchedulePaused, setTenantPaused } from './schedules.repository';

describe.each(['sqlite', 'postgres'] as const)('paused schedules and tenants on %s', (dialect) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    const { db } = database;
    await setSchedulePaused(db, 1, 10, true, 'op');
    await setSchedulePaused(db, 2, 20, true, 'op');
    await setTenantPaused(db, 2, true, 'op');
  });
  afterAll(async () => {
    await database?.drop();
  });

  it("reads one empresa's pauses only when given its id, every empresa's without", async () => {
    const { db } = database;
    expect([...(await listPausedSchedules(db, 1))]).toEqual(['1/10']);
    expect([...(await listPausedSchedules(db, 2))]).toEqual(['2/20']);
    expect([...(await listPausedSchedules(db))].sort()).toEqual(['1/10', '2/20']);
    expect(await listPausedTenants(db, 1)).toEqual([]);
    expect(await listPausedTenants(db, 2)).toEqual([2]);
    expect(await listPausedTenants(db)).toEqual([2]);
  });
});
