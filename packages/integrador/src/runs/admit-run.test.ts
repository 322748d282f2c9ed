import { createEmpresa, createFilial } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/databases';
import { DependencyCycleError } from '../dependency-graph';
import { admitRun } from './admit-run';
import { RunRefusedError } from './run-errors';

describe('admitRun: one rule for every caller', () => {
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

  const admit = (integracaoId: number, extra: Record<string, unknown> = {}) =>
    admitRun(database.db, { tenant: { empresaId: empresa, filialId: null }, integracaoId, parametros: {}, ...extra });

  async function refusal(promise: Promise<unknown>): Promise<RunRefusedError> {
    const err = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RunRefusedError);
    return err as RunRefusedError;
  }

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    empresa = await createEmpresa(database.db, 'A');
    other = await createEmpresa(database.db, 'B');
    filial = await createFilial(database.db, empresa, 'Filial 1');
  });
  afterAll(() => database.drop());

  it('reads tipo_servico, link and ativo trimmed and in any case', async () => {
    const lower = await add({ tipo_servico: ' set ' });
    expect((await admit(lower)).plan).toEqual([expect.objectContaining({ integracaoId: lower, queue: 'set' })]);
    const get = await add({ tipo_servico: 'Get' });
    expect((await admit(get)).queue).toBe('get');
    const componente = await add({ link: ' Componente ' });
    expect(await refusal(admit(componente))).toMatchObject({ code: 'NOT_RUNNABLE', params: { reason: 'componente' } });
    const inactive = await add({ ativo: 0 });
    expect(await refusal(admit(inactive))).toMatchObject({ code: 'INTEGRATION_INACTIVE' });
    // A dry run of an inactive row is allowed (configuring it); INFO runs only INFO rows.
    expect((await admit(inactive, { purpose: 'preview' })).integracao.id).toBe(inactive);
    expect(await refusal(admit(lower, { purpose: 'info' }))).toMatchObject({ code: 'NOT_RUNNABLE' });
  });

  it('checks parametros_obrigatorios unless the values come from elsewhere', async () => {
    const id = await add({ parametros_obrigatorios: 'contaId, outro' });
    expect(await refusal(admit(id, { parametros: { contaId: 1 } }))).toMatchObject({
      code: 'MISSING_PARAMETERS',
      params: { names: 'outro' },
    });
    expect((await admit(id, { parametros: {}, checkParameters: false })).integracao.id).toBe(id);
  });

  it("answers another tenant's row, and another filial's row for a filial key, like a missing one", async () => {
    const foreign = await add({ empresa_id: other });
    expect(await refusal(admit(foreign))).toMatchObject({ code: 'NOT_FOUND' });
    const otherFilial = await add({ empresa_filial_id: filial + 1000 });
    const asFilial = admitRun(database.db, { tenant: { empresaId: empresa, filialId: filial }, integracaoId: otherFilial, parametros: {} });
    expect(await refusal(asFilial)).toMatchObject({ code: 'NOT_FOUND' });
    const ownFilial = await add({ empresa_filial_id: filial });
    expect((await admit(ownFilial)).runTenant).toEqual({ empresaId: empresa, filialId: filial });
  });

  it('refuses a conexao_integracao of another empresa (for SET as for GET)', async () => {
    const conexao = await database.db
      .insertInto('conexao_integracao')
      .values({ tipo_conexao: 'WS', nome_conexao: 'alheia', empresa_id: other })
      .returning('id')
      .executeTakeFirstOrThrow();
    for (const tipo of ['SET', 'GET']) {
      const id = await add({ tipo_servico: tipo, conexao_integracao_id: conexao.id });
      expect(await refusal(admit(id))).toMatchObject({ code: 'MISSING_CONNECTION' });
    }
  });

  it('plans the dependency flow and refuses a cycle naming the rows', async () => {
    const first = await add({});
    const second = await add({ dependente: first });
    expect((await admit(second)).plan.map((s) => s.integracaoId)).toEqual([first, second]);
    const a = await add({});
    const b = await add({ dependente: a });
    await database.db.updateTable('integracao').set({ dependente: b }).where('id', '=', a).execute();
    await expect(admit(a)).rejects.toBeInstanceOf(DependencyCycleError);
  });
});
