import fs from 'node:fs';

// Linux /proc readings: another process's memory and CPU without instrumenting it (the worker runs unchanged).

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** Resident set size of a process in MB (VmRSS), or null once it has gone. */
export function rssMb(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/**
 * A process and its direct children (a worker app run with WORKER_PROCESSES > 1 is a primary and its worker processes):
 * readings of "the worker" sum over them.
 */
export function withChildren(pid: number): number[] {
  try {
    const children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return [pid, ...(children ? children.split(/\s+/).map(Number) : [])];
  } catch {
    return [pid];
  }
}

/** Peak resident set size of a process since it started, in MB (VmHWM), or null once it has gone. */
export function peakRssMb(pid: number): number | null {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** CPU time (user + system) a process has used so far, in ms, or null once it has gone. */
export function cpuMs(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may hold spaces: "pid (comm) state ppid …"; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** Busy and total jiffies of the whole machine (first line of /proc/stat). */
function machineTicks(): { busy: number; total: number } {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const total = values.reduce((sum, value) => sum + value, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: total - idle, total };
}

/** Starts measuring the machine's CPU use; the returned function gives the busy share since then (0–1 over all cores). */
export function machineCpu(): () => number {
  const start = machineTicks();
  return () => {
    const end = machineTicks();
    const total = end.total - start.total;
    return total > 0 ? (end.busy - start.busy) / total : 0;
  };
}

/** CPU time used so far by every running process whose command name (comm) is one of `commands`, summed per name (ms). */
export function cpuOfCommands(commands: readonly string[]): Map<string, number> {
  const totals = new Map<string, number>(commands.map((command) => [command, 0]));
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    if (!totals.has(command)) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    totals.set(command, (totals.get(command) ?? 0) + ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND);
  }
  return totals;
}

/**
 * Starts measuring the CPU of the database and Redis servers on this machine; the returned function gives each one's
 * share of one core since then. Processes that exit meanwhile drop out (the worker's pool keeps its backends open).
 */
export function serverCpu(commands: readonly string[]): () => Record<string, number> {
  const start = cpuOfCommands(commands);
  const started = performance.now();
  return () => {
    const end = cpuOfCommands(commands);
    const elapsed = performance.now() - started;
    return Object.fromEntries(
      commands.map((command) => [command, Math.max(0, (end.get(command) ?? 0) - (start.get(command) ?? 0)) / elapsed]),
    );
  };
}
