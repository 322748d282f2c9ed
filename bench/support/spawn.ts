import { type AppProcess, spawnSource } from '@integrador/test-support/processes';

/**
 * spawnSource (node --import tsx <entry>, JSON log lines collected) with extra node flags such as --cpu-prof, which
 * NODE_OPTIONS refuses. spawnSource puts its arguments after `--import tsx`, and node takes flags anywhere before the
 * entry file, so the flags go first and the entry follows them.
 */
export function spawnNode(entry: string, env: Record<string, string>, nodeFlags: readonly string[] = [], args: string[] = []): AppProcess {
  const [first, ...rest] = nodeFlags;
  return first === undefined ? spawnSource(entry, env, args) : spawnSource(first, env, [...rest, entry, ...args]);
}
