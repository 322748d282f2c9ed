import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { availableCores } from './cpu-cores';

// A container's CPU quota caps WORKER_PROCESSES=auto; the cgroup files are written to a temporary folder.
describe('availableCores', () => {
  const cpus = os.availableParallelism();
  let root: string;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'cgroup-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), `${text}\n`);
  };

  it('counts the CPUs the process may run on when no quota is set', () => {
    expect(availableCores(root)).toBe(cpus);
    write('cpu.max', 'max 100000');
    expect(availableCores(root)).toBe(cpus);
  });

  it('gives a container limited to one CPU (or less, or 1.5) one process (cgroup v2)', () => {
    for (const quota of ['100000 100000', '50000 100000', '150000 100000']) {
      write('cpu.max', quota);
      expect(availableCores(root)).toBe(1);
    }
  });

  it('reads a cgroup v1 quota, and never counts more than the CPUs there are', () => {
    write('cpu/cpu.cfs_quota_us', '-1');
    write('cpu/cpu.cfs_period_us', '100000');
    expect(availableCores(root)).toBe(cpus);
    write('cpu/cpu.cfs_quota_us', String(100000 * (cpus + 8)));
    expect(availableCores(root)).toBe(cpus);
    write('cpu/cpu.cfs_quota_us', '100000');
    expect(availableCores(root)).toBe(1);
  });
});
