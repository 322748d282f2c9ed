import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import type { AppProcess } from '@integrador/test-support/processes';
import type { HandwrittenPlan } from './handwritten-baseline';
import type { BaselinePlan } from './soap-baseline';
import { spawnNode } from './spawn';

/** What one baseline process reports (see soap-baseline.ts). */
export interface BaselineReport {
  calls: number;
  errors: number;
  warmupCalls: number;
  warmupErrors: number;
  warmupMs: number;
  elapsedMs: number;
  cpuMs: number;
  rssMb: number;
}

/** Resolves with the first log line whose msg matches, or rejects once the process has closed without printing it. */
async function lineOrExit(proc: AppProcess, msg: string, timeoutMs: number): Promise<Record<string, unknown>> {
  const closed = once(proc.child, 'close').then(() => {
    const line = proc.lines.find((l) => l.msg === msg);
    if (line) return line;
    throw new Error(
      `${msg}: process exited (${proc.child.exitCode ?? proc.child.signalCode}) without it; ${proc.stderr.join('').slice(-2000)}`,
    );
  });
  return Promise.race([proc.waitForLog(msg, timeoutMs), closed]);
}

/** Runs the bare soap loop in its own process (plan written to `dir`), waits for its report. */
export function runBaseline(dir: string, label: string, plan: BaselinePlan, nodeFlags: string[] = []): Promise<BaselineReport> {
  return runBaselineProcess('bench/support/soap-baseline.ts', dir, label, plan, nodeFlags);
}

/** Runs the hand-written pg + soap loop in its own process, waits for its report. */
export function runHandwrittenBaseline(
  dir: string,
  label: string,
  plan: HandwrittenPlan,
  nodeFlags: string[] = [],
): Promise<BaselineReport> {
  return runBaselineProcess('bench/support/handwritten-baseline.ts', dir, label, plan, nodeFlags);
}

async function runBaselineProcess(
  script: string,
  dir: string,
  label: string,
  plan: { calls: number; warmupCalls: number },
  nodeFlags: string[],
): Promise<BaselineReport> {
  const planFile = path.join(dir, `baseline-${label}.json`);
  fs.writeFileSync(planFile, JSON.stringify(plan));
  const proc = spawnNode(script, {}, nodeFlags, [planFile]);
  // A safety net, not a measure: room for 10 calls/s, which a 2-core machine shared with a dozen test runs can fall to.
  const timeoutMs = 60000 + (plan.calls + plan.warmupCalls) * 100;
  try {
    const line = await lineOrExit(proc, 'baseline done', timeoutMs);
    await proc.exited; // it exits by itself once it has reported (and writes its CPU profile then)
    return line as unknown as BaselineReport;
  } finally {
    if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGTERM');
    await proc.exited;
  }
}
