/**
 * The one item of a batch a write refused because of its own values (the database names a column, and MySQL a row
 * number of the statement, never the key): halves are tried, each in a write the caller rolls back, until one item is
 * left. Null when no single item fails alone (two items clashing with each other) or the probe fails otherwise. For a
 * batch that has already failed for good: at most about log2(batch) writes.
 */
export async function failingItem<T>(items: readonly T[], fails: (part: readonly T[]) => Promise<boolean>): Promise<T | null> {
  let candidates = items;
  while (candidates.length > 1) {
    const half = candidates.slice(0, Math.ceil(candidates.length / 2));
    const rest = candidates.slice(half.length);
    if (await fails(half)) candidates = half;
    else if (await fails(rest)) candidates = rest;
    else return null;
  }
  return candidates[0] ?? null;
}
