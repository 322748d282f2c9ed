import { createEmpresa, createFilial } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/databases';
import { ADMISSION_CACHE_TTL_MS, cachedAdmission } from './admission-cache';
import { RunRefusedError } from './run-errors';

describe('cachedAdmission: the workers reuse an admission for a bounded time (real PostgreSQL)', () => {
  let database: TestDatabase;
  let empresa: number;
  let other: number;
  let filial: number;

  async function add(values: Record<string, unknown>): Promise<number> {
    const row = await database.db
      .insertInto('integracao')
      .values({ nome: `I${Math.random()}`, tipo_servico: 'SET', empresa_id: empresa, ativo: 1, ordem: 0, ...values })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  const setAtivo = (id: number, ativo: number) => database.db.updateTable('integracao').set({ ativo }).where('id', '=', id).execute();

  async function refusal(promise: Promise<unknown>): Promise<RunRefusedError> {
    const err = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RunRefusedError);
    return err as RunRefusedError;
  }

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    empresa = await createEmpresa(database.db, 'A');
    other = await createEmpresa(database.db, 'B');
    filial = await createFilial(database.db, empresa, 'Filial 1');
  });
  afterAll(() => database.drop());

  it('is bounded to a few seconds by default', () => {
    expect(ADMISSION_CACHE_TTL_MS).toBeGreaterThan(0);
    expect(ADMISSION_CACHE_TTL_MS).toBeLessThanOrEqual(5000);
  });

  it('lets ativo = 0 take effect within the TTL, and at once for a retried attempt', async () => {
    let clock = 0;
    const admit = cachedAdmission(database.db, { ttlMs: 1000, now: () => clock });
    const id = await add({});
    const request = { tenant: { empresaId: empresa, filialId: null }, integracaoId: id, parametros: {} };
    expect((await admit(request)).integracao.id).toBe(id);
    await setAtivo(id, 0);
    clock = 999;
    // Within the TTL a first attempt may still see the row it read (that is what the cache saves)…
    expect((await admit(request)).integracao.id).toBe(id);
    // …a retry never does,
    expect(await refusal(admit({ ...request, fresh: true }))).toMatchObject({ code: 'INTEGRATION_INACTIVE' });
    // and once the TTL is over no job does; a refusal is not kept, so reactivating works as soon as it is read.
    clock = 2100;
    expect(await refusal(admit(request))).toMatchObject({ code: 'INTEGRATION_INACTIVE' });
    await setAtivo(id, 1);
    expect((await admit(request)).integracao.id).toBe(id);
  });

  it('reads the database once per key within the TTL, with the real clock', async () => {
    const admit = cachedAdmission(database.db, { ttlMs: 300 });
    const id = await add({});
    const request = { tenant: { empresaId: empresa, filialId: null }, integracaoId: id, parametros: {} };
    await admit(request);
    await setAtivo(id, 0);
    expect((await admit(request)).integracao.id).toBe(id);
    await new Promise((r) => setTimeout(r, 350));
    expect(await refusal(admit(request))).toMatchObject({ code: 'INTEGRATION_INACTIVE' });
  });

  it('checks parametros_obrigatorios for every job, even from the cache', async () => {
    const admit = cachedAdmission(database.db, { ttlMs: 60000 });
    const id = await add({ parametros_obrigatorios: 'contaId' });
    const request = { tenant: { empresaId: empresa, filialId: null }, integracaoId: id };
    expect((await admit({ ...request, parametros: { contaId: 1 } })).integracao.id).toBe(id);
    expect(await refusal(admit({ ...request, parametros: {} }))).toMatchObject({ code: 'MISSING_PARAMETERS' });
    expect((await admit({ ...request, parametros: {}, checkParameters: false })).integracao.id).toBe(id);
  });

  it('binds each job to its own tenant: keys per empresa and filial, another empresa still NOT_FOUND', async () => {
    const admit = cachedAdmission(database.db, { ttlMs: 60000 });
    const id = await add({});
    const empresaWide = { tenant: { empresaId: empresa, filialId: null }, integracaoId: id, parametros: {} };
    const asFilial = { tenant: { empresaId: empresa, filialId: filial }, integracaoId: id, parametros: {} };
    expect((await admit(empresaWide)).runTenant).toEqual({ empresaId: empresa, filialId: null });
    expect((await admit(asFilial)).runTenant).toEqual({ empresaId: empresa, filialId: filial });
    const foreign = { tenant: { empresaId: other, filialId: null }, integracaoId: id, parametros: {} };
    expect(await refusal(admit(foreign))).toMatchObject({ code: 'NOT_FOUND' });
    // A filial's row is not another filial's, even once the empresa-wide admission is cached.
    const ofFilial = await add({ empresa_filial_id: filial });
    expect((await admit({ ...empresaWide, integracaoId: ofFilial })).runTenant).toEqual({ empresaId: empresa, filialId: filial });
    const otherFilial = { tenant: { empresaId: empresa, filialId: filial + 1000 }, integracaoId: ofFilial, parametros: {} };
    expect(await refusal(admit(otherFilial))).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('does not keep a connection refusal: fixing the row works on the next job', async () => {
    const admit = cachedAdmission(database.db, { ttlMs: 60000 });
    const conexao = await database.db
      .insertInto('conexao_integracao')
      .values({ tipo_conexao: 'WS', nome_conexao: 'alheia', empresa_id: other })
      .returning('id')
      .executeTakeFirstOrThrow();
    const id = await add({ conexao_integracao_id: conexao.id });
    const request = { tenant: { empresaId: empresa, filialId: null }, integracaoId: id, parametros: {} };
    expect(await refusal(admit(request))).toMatchObject({ code: 'MISSING_CONNECTION' });
    await database.db.updateTable('conexao_integracao').set({ empresa_id: empresa }).where('id', '=', conexao.id).execute();
    expect((await admit(request)).conexao?.id).toBe(conexao.id);
  });
});
