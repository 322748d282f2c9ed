import { createEmpresa } from '@integrador/store';
import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { CtiError } from '../cti-error';
import { findCtiSettings, listOpenHostLabels, saveCtiSettings, warnOpenHostLabels } from './cti-settings.repository';

// F23: a host label another empresa holds is refused with a code the CLI words (never the database's own text, which
// names the table and column), whether the check sees it or the unique index catches two saves racing.
describe.each(ALL_DIALECTS)('CTI host labels are one empresa each (%s)', (dialect) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await database.drop();
  });

  it("refuses another empresa's label with HOST_LABEL_TAKEN and keeps both settings as they were", async () => {
    const a = await createEmpresa(database.db, 'A');
    const b = await createEmpresa(database.db, 'B');
    await saveCtiSettings(database.db, a, { hostLabel: 'demo', allowAnyOrigin: true });
    await saveCtiSettings(database.db, b, { ramalLength: 5 });
    const refused = saveCtiSettings(database.db, b, { hostLabel: 'Demo', ramalLength: 6, allowAnyOrigin: true });
    await expect(refused).rejects.toBeInstanceOf(CtiError);
    await expect(refused).rejects.toMatchObject({ code: 'HOST_LABEL_TAKEN', params: { label: 'demo' } });
    expect(await findCtiSettings(database.db, b)).toMatchObject({ hostLabel: null, ramalLength: 5 });
    expect(await findCtiSettings(database.db, a)).toMatchObject({ hostLabel: 'demo' });
    // Its own label, saved again: fine.
    await expect(saveCtiSettings(database.db, a, { hostLabel: 'demo', ramalLength: 3, allowAnyOrigin: true })).resolves.toMatchObject({
      ramalLength: 3,
    });
  });

  it('two empresas saving one new label at once: one wins, the other gets HOST_LABEL_TAKEN', async () => {
    const ids = [await createEmpresa(database.db, 'C'), await createEmpresa(database.db, 'D'), await createEmpresa(database.db, 'E')];
    const results = await Promise.allSettled(
      ids.map((id) => saveCtiSettings(database.db, id, { hostLabel: 'corrida', allowAnyOrigin: true })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) {
      expect(r.reason).toMatchObject({ code: 'HOST_LABEL_TAKEN' });
      expect(String(r.reason.message)).not.toMatch(/cti_configuracoes|rotulo_host/);
    }
  });

  it('F8: two first saves of the same empresa at once both succeed (never "label used by another empresa")', async () => {
    // Several empresas, each saved twice at once, so the insert/insert race happens on the pooled dialects (a guard
    // on SQLite, whose one connection runs them in turn).
    const ids = await Promise.all(['F', 'G', 'H', 'I', 'J'].map((nome) => createEmpresa(database.db, nome)));
    const saves = ids.flatMap((id) => [
      saveCtiSettings(database.db, id, { hostLabel: `proprio-${id}`, ramalLength: 4, allowAnyOrigin: true }),
      saveCtiSettings(database.db, id, { hostLabel: `proprio-${id}`, ramalLength: 4, allowAnyOrigin: true }),
    ]);
    const results = await Promise.allSettled(saves);
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason)).toEqual([]);
    for (const id of ids) expect(await findCtiSettings(database.db, id)).toMatchObject({ hostLabel: `proprio-${id}`, ramalLength: 4 });
  });
});

// Red-team finding 1: the host label (a company name) authenticates nothing; only the allowlist does. A save that
// leaves a label with no allowlist needs the operator's explicit allowAnyOrigin; configurations saved before keep
// working, and are reported (start warning, config lint) by the one rule.
describe('a host label with no allowlist', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
  });
  afterAll(async () => {
    await database.drop();
  });

  it('is refused with HOST_LABEL_OPEN unless allowAnyOrigin says so, and then reported', async () => {
    const a = await createEmpresa(database.db, 'Aberta');
    const b = await createEmpresa(database.db, 'Fechada');
    const refused = saveCtiSettings(database.db, a, { hostLabel: 'aberta', ramalLength: 5 });
    await expect(refused).rejects.toBeInstanceOf(CtiError);
    await expect(refused).rejects.toMatchObject({ code: 'HOST_LABEL_OPEN', params: { label: 'aberta' } });
    expect(await findCtiSettings(database.db, a)).toBeUndefined();
    // With the PBX's addresses: fine; emptying them later is the same refusal.
    await saveCtiSettings(database.db, b, { hostLabel: 'fechada', allowlist: ['10.9.9.9'] });
    await expect(saveCtiSettings(database.db, b, { allowlist: [] })).rejects.toMatchObject({ code: 'HOST_LABEL_OPEN' });
    expect(await findCtiSettings(database.db, b)).toMatchObject({ hostLabel: 'fechada', allowlist: ['10.9.9.9'] });
    // The operator's explicit yes; later changes that touch neither the label nor the allowlist still save.
    await saveCtiSettings(database.db, a, { hostLabel: 'aberta', allowAnyOrigin: true });
    await expect(saveCtiSettings(database.db, a, { dialPrefix: '0' })).resolves.toMatchObject({ hostLabel: 'aberta', dialPrefix: '0' });
    // Removing the label needs no allowlist.
    await expect(saveCtiSettings(database.db, b, { hostLabel: null, allowlist: [] })).resolves.toMatchObject({ hostLabel: null });

    expect(await listOpenHostLabels(database.db)).toEqual([{ rowId: expect.any(Number), empresaId: a, hostLabel: 'aberta' }]);
    expect(await listOpenHostLabels(database.db, b)).toEqual([]);
    const warnings: [Record<string, unknown>, string][] = [];
    expect(await warnOpenHostLabels(database.db, { warn: (fields, message) => void warnings.push([fields, message]) })).toBe(1);
    expect(warnings).toEqual([[{ empresaId: a, hostLabel: 'aberta' }, expect.stringContaining('without an allowlist')]]);
  });
});
