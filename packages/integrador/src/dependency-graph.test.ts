import {
  buildDependencyGraph,
  DanglingDependencyError,
  DependencyCycleError,
  type DependencyRow,
  findCycles,
  runOrderFor,
  UnknownIntegracaoError,
} from './dependency-graph';

function row(id: number, fields: Partial<DependencyRow> = {}): DependencyRow {
  return { id, nome: `INT-${id}`, empresa_id: 1, ordem: 0, dependente: null, depende_de: null, ...fields };
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('buildDependencyGraph', () => {
  it('runs a dependente target before the row and a depende_de target after it', () => {
    // 1 depends on 3 (dependente), 2 says 1 depends on it (depende_de): 3 and 2 come before 1.
    const rows = [row(1, { dependente: 3 }), row(2, { depende_de: 1 }), row(3)];
    const graph = buildDependencyGraph(rows);
    expect(graph.order).toEqual([2, 3, 1]);
    expect(graph.edges).toEqual([
      { before: 3, after: 1, rowId: 1, column: 'dependente' },
      { before: 2, after: 1, rowId: 2, column: 'depende_de' },
    ]);
  });

  it('breaks ties by ordem, then id', () => {
    const rows = [row(5, { ordem: 2 }), row(4, { ordem: 1 }), row(9, { ordem: 1 }), row(1, { ordem: 3, depende_de: 4 })];
    // 4 has the lowest (ordem, id) but waits for 1, which declares depende_de 4.
    expect(buildDependencyGraph(rows).order).toEqual([9, 5, 1, 4]);
  });

  it('counts a dependency declared from both sides once', () => {
    const rows = [row(1, { depende_de: 2 }), row(2, { dependente: 1 })];
    expect(buildDependencyGraph(rows).order).toEqual([1, 2]);
  });

  it('rejects a dependente naming a missing integracao', () => {
    const error = thrown(() => buildDependencyGraph([row(1), row(2, { dependente: 99 })]));
    expect(error).toBeInstanceOf(DanglingDependencyError);
    expect(error).toMatchObject({
      code: 'DANGLING_DEPENDENCY',
      dangling: { rowId: 2, column: 'dependente', missingId: 99, reason: 'missing' },
    });
    expect((error as Error).message).toBe('integracao #2 (INT-2) column dependente names integracao #99, which does not exist');
  });

  it("treats another empresa's integracao as dangling", () => {
    const error = thrown(() => buildDependencyGraph([row(1, { depende_de: 2 }), row(2, { empresa_id: 7 })]));
    expect(error).toMatchObject({ dangling: { rowId: 1, column: 'depende_de', missingId: 2, reason: 'other-empresa', otherEmpresaId: 7 } });
  });

  it('rejects a cycle, naming its ids and names', () => {
    const rows = [row(10, { dependente: 12, depende_de: 11 }), row(11), row(12, { dependente: 11 }), row(13)];
    const error = thrown(() => buildDependencyGraph(rows));
    expect(error).toBeInstanceOf(DependencyCycleError);
    expect(error).toMatchObject({ code: 'DEPENDENCY_CYCLE', ids: [10, 11, 12], nomes: ['INT-10', 'INT-11', 'INT-12'] });
    expect((error as Error).message).toBe(
      'integracoes depend on each other in a cycle: #10 (INT-10) → #11 (INT-11) → #12 (INT-12) → #10 (INT-10)',
    );
  });
});

describe('findCycles', () => {
  it('finds every cycle, including a row depending on itself, and nothing in an acyclic part', () => {
    const rows = [row(1, { dependente: 1 }), row(2, { dependente: 3 }), row(3, { dependente: 2 }), row(4, { dependente: 2 })];
    expect(findCycles(rows)).toEqual([
      { ids: [1], path: [1, 1] },
      { ids: [2, 3], path: [2, 3, 2] },
    ]);
    expect(findCycles([row(1), row(2, { dependente: 1 })])).toEqual([]);
  });
});

describe('runOrderFor', () => {
  const rows = [row(1), row(2, { dependente: 1 }), row(3, { dependente: 2 }), row(4, { dependente: 1 }), row(5, { depende_de: 3 })];
  const graph = buildDependencyGraph(rows);

  it('returns the integracao and everything it transitively depends on, in run order', () => {
    expect(runOrderFor(graph, 3)).toEqual([1, 2, 5, 3]);
    expect(runOrderFor(graph, 4)).toEqual([1, 4]);
    expect(runOrderFor(graph, 1)).toEqual([1]);
  });

  it('rejects an id outside the graph', () => {
    expect(() => runOrderFor(graph, 42)).toThrow(UnknownIntegracaoError);
  });
});
