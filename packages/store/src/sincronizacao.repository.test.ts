import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import {
  acquireSyncLease,
  addSyncRunCounts,
  findCursorKeys,
  findSyncState,
  finishSyncRun,
  lastSyncRun,
  saveCursorKeys,
  startSyncRun,
  updateSyncState,
} from './sincronizacao.repository';

describe.each(ALL_DIALECTS)('GET sync state on %s', (dialect) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await database?.drop();
  });

  const lease = (owner: string, extra: { now?: Date; leaseMs?: number } = {}) =>
    acquireSyncLease(database.db, {
      empresaId: 1,
      integracaoId: 10,
      owner,
      takeOverPrefix: `${owner.split(':')[0]}:`,
      leaseMs: extra.leaseMs ?? 60000,
      ...(extra.now ? { now: extra.now } : {}),
    });

  it('gives the lease to one run at a time, fences the replaced holder, and frees it on expiry or release', async () => {
    const first = await lease('job1:a');
    expect(first.acquired).toBe(true);
    const busy = await lease('job2:a');
    expect(busy).toMatchObject({ acquired: false, holder: 'job1:a' });
    // The same job, recovered after its worker died, takes over at once; the old execution can no longer commit.
    const resumed = await lease('job1:b');
    expect(resumed.acquired).toBe(true);
    if (!resumed.acquired || !first.acquired) throw new Error('unreachable');
    expect(await updateSyncState(database.db, first.state.id, 'job1:a', { cursor: { valor: 'x', tipo: 'text' } })).toBe(false);
    expect(await updateSyncState(database.db, first.state.id, 'job1:b', { cursor: { valor: '5', tipo: 'number' } })).toBe(true);
    // Another job gets it once the lease has expired…
    expect((await lease('job3:a', { now: new Date(Date.now() + 120000) })).acquired).toBe(true);
    // …or once the holder released it.
    const state = await findSyncState(database.db, 1, 10);
    expect(state).toMatchObject({ execucao_dono: 'job3:a', cursor_valor: '5', cursor_tipo: 'number', status: 'executando' });
    expect(await updateSyncState(database.db, first.state.id, 'job3:a', { release: true, status: 'concluido' })).toBe(true);
    expect((await lease('job4:a')).acquired).toBe(true);
    expect(await findSyncState(database.db, 2, 10)).toBeUndefined();
  });

  it('keeps the keys committed at the cursor value, appending or replacing them', async () => {
    await saveCursorKeys(
      database.db,
      1,
      10,
      [
        { chave: 'a', assinatura: '1' },
        { chave: 'b', assinatura: '2' },
      ],
      true,
    );
    await saveCursorKeys(
      database.db,
      1,
      10,
      [
        { chave: 'b', assinatura: '3' },
        { chave: 'c', assinatura: '4' },
      ],
      false,
    );
    await saveCursorKeys(database.db, 2, 10, [{ chave: 'a', assinatura: 'other tenant' }], true);
    expect(Object.fromEntries(await findCursorKeys(database.db, 1, 10, ['a', 'b', 'c', 'z']))).toEqual({ a: '1', b: '3', c: '4' });
    await saveCursorKeys(database.db, 1, 10, [{ chave: 'z', assinatura: '9' }], true);
    expect(Object.fromEntries(await findCursorKeys(database.db, 1, 10, ['a', 'b', 'c', 'z']))).toEqual({ z: '9' });
    expect(Object.fromEntries(await findCursorKeys(database.db, 2, 10, ['a']))).toEqual({ a: 'other tenant' });
  });

  it('records runs; a resumed job continues its own row', async () => {
    const start = {
      empresaId: 1,
      integracaoId: 10,
      jobId: '77',
      gatilho: 'api',
      modo: 'incremental' as const,
      reconciliacao: false,
      cursorInicial: null,
    };
    const run = await startSyncRun(database.db, start);
    await addSyncRunCounts(database.db, run.id, { lidas: 10, gravadas: 9, ignoradas: 1 });
    const again = await startSyncRun(database.db, start);
    expect(again.id).toBe(run.id);
    await addSyncRunCounts(database.db, run.id, { lidas: 5, gravadas: 5, ignoradas: 0 });
    await finishSyncRun(database.db, run.id, { status: 'concluido', cursorFinal: '2026-01-01T00:00:00.000Z', removidas: 2, duracaoMs: 12 });
    expect(await lastSyncRun(database.db, 1, 10)).toMatchObject({
      status: 'concluido',
      linhas_lidas: 15,
      linhas_gravadas: 14,
      linhas_ignoradas: 1,
      linhas_removidas: 2,
      lotes: 2,
      cursor_final: '2026-01-01T00:00:00.000Z',
    });
    expect((await startSyncRun(database.db, start)).id).not.toBe(run.id);
    expect(await lastSyncRun(database.db, 2, 10)).toBeUndefined();
  });
});
