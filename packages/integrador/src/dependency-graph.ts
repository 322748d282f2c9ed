import type { Integracao } from '@integrador/store';

export type DependencyColumn = 'dependente' | 'depende_de';

/** The integracao columns the graph reads. */
export type DependencyRow = Pick<Integracao, 'id' | 'nome' | 'empresa_id' | 'ordem' | 'dependente' | 'depende_de'>;

/** `before` runs before `after`; `rowId` and `column` say which row declared it. */
export interface DependencyEdge {
  before: number;
  after: number;
  rowId: number;
  column: DependencyColumn;
}

/** A dependente/depende_de naming no integracao, or (tenant isolation) one of another empresa. */
export interface DanglingDependency {
  rowId: number;
  nome: string;
  column: DependencyColumn;
  missingId: number;
  reason: 'missing' | 'other-empresa';
  /** The empresa of the row named, when it exists in another empresa. */
  otherEmpresaId: number | null;
}

/** Integracoes that (transitively) depend on each other. */
export interface DependencyCycle {
  /** Every row of the strongly connected component, by (ordem, id). */
  ids: number[];
  /** One concrete loop through the cycle, starting and ending on ids[0]. */
  path: number[];
}

export interface DependencyGraph {
  /** Every integracao in a valid run order; ties are broken by (ordem, id). */
  order: number[];
  edges: DependencyEdge[];
  rows: ReadonlyMap<number, DependencyRow>;
}

function label(rows: ReadonlyMap<number, DependencyRow>, id: number): string {
  const nome = rows.get(id)?.nome;
  return nome === undefined ? `#${id}` : `#${id} (${nome})`;
}

/** Thrown when a dependente/depende_de names no integracao of the same empresa. */
export class DanglingDependencyError extends Error {
  override name = 'DanglingDependencyError';
  readonly code = 'DANGLING_DEPENDENCY';
  readonly permanent = true;
  constructor(readonly dangling: DanglingDependency) {
    const found =
      dangling.reason === 'missing' ? 'which does not exist' : `which belongs to another empresa (${dangling.otherEmpresaId ?? 'none'})`;
    super(`integracao #${dangling.rowId} (${dangling.nome}) column ${dangling.column} names integracao #${dangling.missingId}, ${found}`);
  }
}

/** Thrown when integracoes depend on each other in a loop; names every row of it. */
export class DependencyCycleError extends Error {
  override name = 'DependencyCycleError';
  readonly code = 'DEPENDENCY_CYCLE';
  readonly permanent = true;
  readonly ids: number[];
  readonly nomes: string[];
  constructor(
    readonly cycle: DependencyCycle,
    rows: readonly DependencyRow[],
  ) {
    super(`integracoes depend on each other in a cycle: ${describeCycle(cycle, rows)}`);
    const byId = rowMap(rows);
    this.ids = cycle.ids;
    this.nomes = cycle.ids.map((id) => byId.get(id)?.nome ?? '');
  }
}

/** Thrown by runOrderFor for an id that is not in the graph. */
export class UnknownIntegracaoError extends Error {
  override name = 'UnknownIntegracaoError';
  readonly code = 'UNKNOWN_INTEGRACAO';
  readonly permanent = true;
  constructor(readonly id: number) {
    super(`integracao #${id} is not in the dependency graph (expected one of the configured integracoes of the empresa)`);
  }
}

const byOrder = (rows: ReadonlyMap<number, DependencyRow>) => (a: number, b: number) =>
  (rows.get(a)?.ordem ?? 0) - (rows.get(b)?.ordem ?? 0) || a - b;

function rowMap(rows: readonly DependencyRow[]): Map<number, DependencyRow> {
  return new Map(rows.map((row) => [row.id, row]));
}

/** The edges the rows declare (prerequisite → dependent) and the references that name nothing in the same empresa. */
export function collectDependencyEdges(rows: readonly DependencyRow[]): { edges: DependencyEdge[]; dangling: DanglingDependency[] } {
  const byId = rowMap(rows);
  const edges: DependencyEdge[] = [];
  const dangling: DanglingDependency[] = [];
  for (const row of rows) {
    for (const column of ['dependente', 'depende_de'] as const) {
      const target = row[column];
      if (target === null) continue;
      const other = byId.get(target);
      if (!other || other.empresa_id !== row.empresa_id) {
        const reason = other ? 'other-empresa' : 'missing';
        dangling.push({ rowId: row.id, nome: row.nome, column, missingId: target, reason, otherEmpresaId: other?.empresa_id ?? null });
        continue;
      }
      // dependente: the named row runs before this one; depende_de: the named row runs after it.
      const [before, after] = column === 'dependente' ? [target, row.id] : [row.id, target];
      edges.push({ before, after, rowId: row.id, column });
    }
  }
  return { edges, dangling };
}

function adjacency(edges: readonly DependencyEdge[]): Map<number, Set<number>> {
  const next = new Map<number, Set<number>>();
  for (const edge of edges) {
    const set = next.get(edge.before) ?? new Set<number>();
    set.add(edge.after);
    next.set(edge.before, set);
  }
  return next;
}

/** Shortest loop from start back to itself, staying inside the component. */
function loopThrough(start: number, members: ReadonlySet<number>, next: ReadonlyMap<number, Set<number>>): number[] {
  const previous = new Map<number, number>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head] as number;
    for (const to of next.get(node) ?? []) {
      if (!members.has(to)) continue;
      if (to === start) {
        const chain: number[] = [];
        for (let at = node; at !== start; at = previous.get(at) ?? start) chain.unshift(at);
        return [start, ...chain, start];
      }
      if (!previous.has(to)) {
        previous.set(to, node);
        queue.push(to);
      }
    }
  }
  return [start, start];
}

/** The dependency cycles among the rows (Tarjan's strongly connected components), each named by its rows. */
export function findCycles(rows: readonly DependencyRow[]): DependencyCycle[] {
  const byId = rowMap(rows);
  const next = adjacency(collectDependencyEdges(rows).edges);
  const index = new Map<number, number>();
  const low = new Map<number, number>();
  const stack: number[] = [];
  const onStack = new Set<number>();
  const cycles: DependencyCycle[] = [];
  const visit = (node: number) => {
    index.set(node, index.size);
    low.set(node, index.get(node) as number);
    stack.push(node);
    onStack.add(node);
    for (const to of next.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node) as number, low.get(to) as number));
      } else if (onStack.has(to)) low.set(node, Math.min(low.get(node) as number, index.get(to) as number));
    }
    if (low.get(node) !== index.get(node)) return;
    const members: number[] = [];
    for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
      onStack.delete(top);
      members.push(top);
      if (top === node) break;
    }
    if (members.length > 1 || next.get(node)?.has(node)) {
      const ids = members.sort(byOrder(byId));
      const first = ids[0] as number;
      cycles.push({ ids, path: loopThrough(first, new Set(ids), next) });
    }
  };
  for (const id of [...byId.keys()].sort(byOrder(byId))) if (!index.has(id)) visit(id);
  return cycles.sort((a, b) => byOrder(byId)(a.ids[0] as number, b.ids[0] as number));
}

/** A cycle as text: `#19 (A) → #20 (B) → #19 (A)`. */
export function describeCycle(cycle: DependencyCycle, rows: readonly DependencyRow[]): string {
  const byId = rowMap(rows);
  return cycle.path.map((id) => label(byId, id)).join(' → ');
}

/** Builds the run-order graph; throws DanglingDependencyError or DependencyCycleError for a broken configuration. */
export function buildDependencyGraph(rows: readonly DependencyRow[]): DependencyGraph {
  const byId = rowMap(rows);
  const { edges, dangling } = collectDependencyEdges(rows);
  if (dangling[0]) throw new DanglingDependencyError(dangling[0]);
  const cycle = findCycles(rows)[0];
  if (cycle) throw new DependencyCycleError(cycle, rows);
  const next = adjacency(edges);
  const waiting = new Map<number, number>([...byId.keys()].map((id) => [id, 0]));
  for (const targets of next.values()) for (const to of targets) waiting.set(to, (waiting.get(to) ?? 0) + 1);
  const compare = byOrder(byId);
  const ready = [...waiting].filter(([, count]) => count === 0).map(([id]) => id);
  const order: number[] = [];
  // Kahn's algorithm, always taking the lowest (ordem, id) among the rows whose prerequisites have run.
  while (ready.length > 0) {
    ready.sort(compare);
    const id = ready.shift() as number;
    order.push(id);
    for (const to of next.get(id) ?? []) {
      const count = (waiting.get(to) ?? 0) - 1;
      waiting.set(to, count);
      if (count === 0) ready.push(to);
    }
  }
  return { order, edges, rows: byId };
}

/** The integracao `id` and everything it (transitively) depends on, in run order. */
export function runOrderFor(graph: DependencyGraph, id: number): number[] {
  if (!graph.rows.has(id)) throw new UnknownIntegracaoError(id);
  const prerequisites = new Map<number, number[]>();
  for (const edge of graph.edges) prerequisites.set(edge.after, [...(prerequisites.get(edge.after) ?? []), edge.before]);
  const needed = new Set<number>([id]);
  const pending = [id];
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    for (const before of prerequisites.get(node) ?? []) {
      if (needed.has(before)) continue;
      needed.add(before);
      pending.push(before);
    }
  }
  return graph.order.filter((node) => needed.has(node));
}
