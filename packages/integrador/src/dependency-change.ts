import { collectDependencyEdges, DanglingDependencyError, DependencyCycleError, type DependencyRow, findCycles } from './dependency-graph';

/**
 * Judges an edit of one row's dependency columns against the empresa's other rows (the edited row already applied):
 * throws DanglingDependencyError when the row names an integracao that is not among `rows` (missing, or another
 * empresa's) and DependencyCycleError when the edit closes a loop through it. Problems elsewhere that the edit did not
 * touch are left to config lint.
 */
export function assertDependencyChange(rows: readonly DependencyRow[], editedId: number): void {
  const dangling = collectDependencyEdges(rows).dangling.find((d) => d.rowId === editedId);
  if (dangling) throw new DanglingDependencyError(dangling);
  const cycle = findCycles(rows).find((c) => c.ids.includes(editedId));
  if (cycle) throw new DependencyCycleError(cycle, rows);
}
