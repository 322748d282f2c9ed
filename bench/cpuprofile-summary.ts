import fs from 'node:fs';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { round } from './support/stats';

// Where a process spent its CPU: self time of a V8 .cpuprofile (node --cpu-prof) by package and by function.
// Usage: npx tsx bench/cpuprofile-summary.ts <file.cpuprofile> [--top 25] [--inclusive]
// --inclusive also lists the functions by inclusive time (their own and their callees', a sample counted once per
// function however deep its recursion): where a call site's whole cost shows, not only the leaves it ends in.

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time per package and the busiest functions; idle time left out of the shares. */
export interface CpuSummary {
  file: string;
  /** CPU time sampled, idle excluded (ms). */
  busyMs: number;
  idleMs: number;
  byPackage: { name: string; ms: number; share: number }[];
  /** The same time with native code and node's internals (socket writes, timers…) charged to the package that called them. */
  byCallingPackage: { name: string; ms: number; share: number }[];
  topFunctions: { name: string; where: string; ms: number; share: number }[];
  /** With `inclusive`: the functions by the time of the samples whose stack holds them (idle excluded). */
  inclusiveFunctions?: { name: string; where: string; ms: number; share: number }[];
}

/** The package a frame belongs to: a node_modules package, a workspace folder, node's internals or a V8 pseudo-frame. */
export function packageOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node (internals)';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const [scope, name] = url.slice(modules + '/node_modules/'.length).split('/');
    return scope?.startsWith('@') ? `${scope}/${name}` : (scope ?? url);
  }
  const workspace = /\/(packages|apps|test|bench)\/([^/]+)\//.exec(url);
  if (workspace) return workspace[1] === 'packages' ? `@integrador/${workspace[2]}` : `${workspace[1]}/${workspace[2]}`;
  return url;
}

function shortWhere(url: string, line: number): string {
  const modules = url.lastIndexOf('/node_modules/');
  const tail =
    modules >= 0 ? url.slice(modules + '/node_modules/'.length) : url.replace(/^(?:file:\/\/)?.*?\/(packages|apps|test|bench)\//, '$1/');
  return `${tail}:${line + 1}`;
}

/**
 * Maps a frame of a bundle (the apps' dist/main.js, workspace packages inlined) back to its TypeScript source through
 * the bundle's .map file, so that time in the bundle is charged to packages/<name> and apps/<name> rather than to the
 * app as a whole; frames of other files, or with no map, stay as they are.
 */
const fileOf = (url: string) => (url.startsWith('file:') ? fileURLToPath(url) : url);

function sourceMapper(): (frame: ProfileNode['callFrame']) => ProfileNode['callFrame'] {
  const maps = new Map<string, SourceMap | null>();
  const mapOf = (url: string): SourceMap | null => {
    let map = maps.get(url);
    if (map !== undefined) return map;
    map = null;
    try {
      const file = `${fileOf(url)}.map`;
      // Only our bundles: a package's own map (soap ships one) would hide which package the frame belongs to.
      if (url.endsWith('.js') && !url.includes('/node_modules/') && fs.existsSync(file))
        map = new SourceMap(JSON.parse(fs.readFileSync(file, 'utf8')));
    } catch {
      map = null;
    }
    maps.set(url, map);
    return map;
  };
  return (frame) => {
    const map = frame.url ? mapOf(frame.url) : null;
    if (!map) return frame;
    const entry = map.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string; originalLine?: number };
    if (!entry.originalSource) return frame;
    // Sources are relative to the map's folder (../../../packages/store/src/x.ts): resolved, packageOf finds the folder.
    const source = path.resolve(path.dirname(fileOf(frame.url)), entry.originalSource);
    return { ...frame, url: source, lineNumber: entry.originalLine ?? frame.lineNumber };
  };
}

const UNATTRIBUTED = new Set(['(native)', 'node (internals)', '(anonymous)']);

/** The nearest ancestor frame (or the frame itself) that belongs to a package, for charging native time to its caller. */
function callerPackage(id: number, nodes: Map<number, ProfileNode>, parents: Map<number, number>): string {
  for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
    const frame = nodes.get(at)?.callFrame;
    if (!frame) break;
    const pkg = packageOf(frame.url, frame.functionName);
    if (!UNATTRIBUTED.has(pkg) && pkg !== '(root)') return pkg;
  }
  return '(native)';
}

function ranked(totals: Map<string, number>, share: (ms: number) => number) {
  return [...totals].sort((a, b) => b[1] - a[1]).map(([name, ms]) => ({ name, ms: round(ms, 0), share: share(ms) }));
}

/** Reads a .cpuprofile and sums self time by package and by function. */
export function summarizeCpuProfile(file: string, top = 25, inclusive = false): CpuSummary {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMs = new Map<number, number>();
  for (const [i, id] of profile.samples.entries()) selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);

  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const mapped = sourceMapper();
  for (const node of profile.nodes) node.callFrame = mapped(node.callFrame);

  const byPackage = new Map<string, number>();
  const byCaller = new Map<string, number>();
  const byFunction = new Map<string, { name: string; where: string; ms: number }>();
  let idleMs = 0;
  for (const [id, ms] of selfMs) {
    const frame = nodes.get(id)?.callFrame;
    if (!frame) continue;
    if (frame.functionName === '(idle)') {
      idleMs += ms;
      continue;
    }
    const pkg = packageOf(frame.url, frame.functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + ms);
    const caller = UNATTRIBUTED.has(pkg) ? callerPackage(id, nodes, parents) : pkg;
    byCaller.set(caller, (byCaller.get(caller) ?? 0) + ms);
    const where = frame.url ? shortWhere(frame.url, frame.lineNumber) : pkg;
    const key = `${frame.functionName}@${where}`;
    const entry = byFunction.get(key) ?? { name: frame.functionName || '(anonymous)', where, ms: 0 };
    entry.ms += ms;
    byFunction.set(key, entry);
  }
  const busyMs = [...byPackage.values()].reduce((sum, ms) => sum + ms, 0);
  const share = (ms: number) => round((100 * ms) / busyMs);
  const inclusiveFunctions = inclusive ? inclusiveRanking(nodes, parents, selfMs, top, share) : undefined;
  return {
    ...(inclusiveFunctions ? { inclusiveFunctions } : {}),
    file,
    busyMs: round(busyMs, 0),
    idleMs: round(idleMs, 0),
    byPackage: ranked(byPackage, share),
    byCallingPackage: ranked(byCaller, share),
    topFunctions: [...byFunction.values()]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top)
      .map((f) => ({ ...f, ms: round(f.ms, 0), share: share(f.ms) })),
  };
}

/** Each function's inclusive time: every non-idle sample charged once to each distinct function on its stack. */
function inclusiveRanking(
  nodes: Map<number, ProfileNode>,
  parents: Map<number, number>,
  selfMs: Map<number, number>,
  top: number,
  share: (ms: number) => number,
) {
  const totals = new Map<string, { name: string; where: string; ms: number }>();
  for (const [id, ms] of selfMs) {
    if (nodes.get(id)?.callFrame.functionName === '(idle)') continue;
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
      const frame = nodes.get(at)?.callFrame;
      if (!frame || frame.functionName === '(root)') break;
      const where = frame.url ? shortWhere(frame.url, frame.lineNumber) : packageOf(frame.url, frame.functionName);
      const key = `${frame.functionName}@${where}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const entry = totals.get(key) ?? { name: frame.functionName || '(anonymous)', where, ms: 0 };
      entry.ms += ms;
      totals.set(key, entry);
    }
  }
  return [...totals.values()]
    .sort((a, b) => b.ms - a.ms)
    .slice(0, top)
    .map((f) => ({ ...f, ms: round(f.ms, 0), share: share(f.ms) }));
}

function printSummary(summary: CpuSummary): void {
  const lines = [`${summary.file}: ${summary.busyMs} ms busy, ${summary.idleMs} ms idle`, '', 'self time by package:'];
  for (const p of summary.byPackage.slice(0, 20))
    lines.push(`  ${p.share.toFixed(1).padStart(5)} %  ${p.ms.toString().padStart(7)} ms  ${p.name}`);
  lines.push('', 'self time with native code and node internals charged to the calling package:');
  for (const p of summary.byCallingPackage.slice(0, 20))
    lines.push(`  ${p.share.toFixed(1).padStart(5)} %  ${p.ms.toString().padStart(7)} ms  ${p.name}`);
  lines.push('', 'busiest functions (self time):');
  for (const f of summary.topFunctions)
    lines.push(`  ${f.share.toFixed(1).padStart(5)} %  ${f.ms.toString().padStart(7)} ms  ${f.name}  ${f.where}`);
  if (summary.inclusiveFunctions) {
    lines.push('', "busiest functions (inclusive time: their own and their callees'):");
    for (const f of summary.inclusiveFunctions)
      lines.push(`  ${f.share.toFixed(1).padStart(5)} %  ${f.ms.toString().padStart(7)} ms  ${f.name}  ${f.where}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const file = args[0];
  if (!file) {
    process.stderr.write('usage: npx tsx bench/cpuprofile-summary.ts <file.cpuprofile> [--top N] [--inclusive]\n');
    process.exit(1);
  }
  const topAt = args.indexOf('--top');
  printSummary(summarizeCpuProfile(file, topAt > 0 ? Number(args[topAt + 1]) : 25, args.includes('--inclusive')));
}
