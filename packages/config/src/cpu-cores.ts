import fs from 'node:fs';
import os from 'node:os';

/**
 * The CPU cores this process may use: the CPUs it may run on (os.availableParallelism), capped by a container's CPU
 * quota. Node 20's availableParallelism ignores the quota (libuv reads it only from 1.49 on), so a container limited
 * to one CPU on a 16-core node would otherwise count 16. A fractional quota rounds down (1.5 CPUs run one process
 * at full speed, not two at three quarters), never below one.
 */
export function availableCores(cgroupRoot = '/sys/fs/cgroup'): number {
  const cpus = os.availableParallelism();
  const quota = cgroupCpuQuota(cgroupRoot);
  return quota === undefined ? cpus : Math.max(1, Math.min(cpus, Math.floor(quota)));
}

/** The CPU quota in cores from cgroup v2 (cpu.max) or v1 (cpu.cfs_quota_us / cpu.cfs_period_us); undefined = none. */
function cgroupCpuQuota(root: string): number | undefined {
  const v2 = readText(`${root}/cpu.max`)?.split(/\s+/);
  if (v2) return v2[0] === 'max' ? undefined : ratio(v2[0], v2[1]);
  const quota = readText(`${root}/cpu/cpu.cfs_quota_us`);
  return quota === undefined || quota.startsWith('-') ? undefined : ratio(quota, readText(`${root}/cpu/cpu.cfs_period_us`));
}

function ratio(quota: string | undefined, period: string | undefined): number | undefined {
  const q = Number(quota);
  const p = Number(period);
  return q > 0 && p > 0 ? q / p : undefined;
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}
