import { DanglingDependencyError, DependencyCycleError } from './dependency-graph';
import { type PlanRow, PrerequisiteNotRunnableError, planIntegrationRun, queueForTipo } from './run-plan';

function row(id: number, values: Partial<PlanRow> = {}): PlanRow {
  return {
    id,
    nome: `I${id}`,
    empresa_id: 1,
    ordem: 0,
    dependente: null,
    depende_de: null,
    tipo_servico: 'SET',
    ativo: 1,
    link: null,
    ...values,
  };
}

describe('planIntegrationRun', () => {
  it('runs what the integration depends on first, declared with dependente, itself last', () => {
    const rows = [row(1), row(2, { dependente: 1 }), row(3, { dependente: 2 }), row(4, { dependente: 3 }), row(5)];
    expect(planIntegrationRun(rows, 4).map((s) => s.integracaoId)).toEqual([1, 2, 3, 4]);
    expect(planIntegrationRun(rows, 1).map((s) => s.integracaoId)).toEqual([1]);
  });

  it('reads depende_de the other way round: the named integration runs after the one declaring it', () => {
    const rows = [row(10, { depende_de: 11 }), row(11, { depende_de: 12 }), row(12)];
    expect(planIntegrationRun(rows, 12).map((s) => s.integracaoId)).toEqual([10, 11, 12]);
    // Seed 001: the integration depende_de names "será executada depois" — running 10 or 11 runs the chain to 12.
    expect(planIntegrationRun(rows, 11).map((s) => s.integracaoId)).toEqual([10, 11, 12]);
    expect(planIntegrationRun(rows, 10).map((s) => s.integracaoId)).toEqual([10, 11, 12]);
  });

  it('orders independent prerequisites by (ordem, id), as seed 001 asks', () => {
    const rows = [
      row(1, { ordem: 5 }),
      row(2, { ordem: 1 }),
      row(3, { depende_de: 9 }),
      row(9, { dependente: 1 }),
      row(8, { depende_de: 9, ordem: 2 }),
    ];
    // 9 needs 1 (dependente) and 3, 8 (their depende_de); 2 is unrelated.
    expect(planIntegrationRun(rows, 9).map((s) => s.integracaoId)).toEqual([3, 8, 1, 9]);
  });

  it('puts GET steps on the get queue and SET steps on the set queue in one chain', () => {
    const rows = [row(1, { tipo_servico: 'GET' }), row(2, { dependente: 1 }), row(3, { tipo_servico: 'get', dependente: 2 })];
    expect(planIntegrationRun(rows, 3)).toEqual([
      { integracaoId: 1, nome: 'I1', queue: 'get' },
      { integracaoId: 2, nome: 'I2', queue: 'set' },
      { integracaoId: 3, nome: 'I3', queue: 'get' },
    ]);
    expect(queueForTipo('INFO')).toBeNull();
  });

  it('refuses a cycle through the run, naming its rows, but not one elsewhere in the empresa', () => {
    const rows = [
      row(1, { dependente: 3 }),
      row(2, { dependente: 1 }),
      row(3, { dependente: 2 }),
      row(4, { dependente: 3 }),
      row(7, { dependente: 8 }),
      row(8, { dependente: 7 }),
      row(9),
    ];
    const error = (() => {
      try {
        planIntegrationRun(rows, 4);
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(DependencyCycleError);
    expect((error as Error).message).toContain('#1 (I1) → #2 (I2) → #3 (I3) → #1 (I1)');
    expect(planIntegrationRun(rows, 9).map((s) => s.integracaoId)).toEqual([9]);
  });

  it('refuses a dangling or other-empresa reference declared by a row of the run, naming it', () => {
    expect(() => planIntegrationRun([row(1), row(2, { dependente: 99 })], 2)).toThrow(DanglingDependencyError);
    expect(() => planIntegrationRun([row(1), row(2, { dependente: 99 })], 2)).toThrow('#2 (I2) column dependente names integracao #99');
    const other = [row(1, { empresa_id: 2 }), row(2, { depende_de: 1 })];
    expect(() => planIntegrationRun(other, 2)).toThrow('belongs to another empresa (2)');
  });

  it('refuses a prerequisite that cannot run (inactive, componente, INFO), naming it', () => {
    expect(() => planIntegrationRun([row(1, { ativo: 0 }), row(2, { dependente: 1 })], 2)).toThrow(PrerequisiteNotRunnableError);
    expect(() => planIntegrationRun([row(1, { ativo: 0 }), row(2, { dependente: 1 })], 2)).toThrow(
      '#1 (I1), a prerequisite of integracao #2',
    );
    expect(() => planIntegrationRun([row(1, { link: 'componente' }), row(2, { dependente: 1 })], 2)).toThrow('is a componente');
    expect(() => planIntegrationRun([row(1, { tipo_servico: 'INFO' }), row(2, { dependente: 1 })], 2)).toThrow('tipo_servico INFO');
  });
});
