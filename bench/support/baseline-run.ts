// The timing and the report line both baseline processes share (soap-baseline.ts, handwritten-baseline.ts).

/**
 * Runs the untimed warm-up calls, then the timed ones, prints one JSON line with msg "baseline done" and exits (the
 * clients' kept-alive sockets would hold the process open; exiting also writes a --cpu-prof profile).
 * `callMany(n)` makes n calls and resolves with how many failed.
 */
export async function timeAndReport(
  plan: { calls: number; warmupCalls: number },
  callMany: (calls: number) => Promise<number>,
  close: () => Promise<void> = async () => undefined,
): Promise<never> {
  const warmStarted = performance.now();
  const warmupErrors = await callMany(plan.warmupCalls);
  const warmupMs = performance.now() - warmStarted;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const errors = await callMany(plan.calls);
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  await close();
  const line = {
    msg: 'baseline done',
    calls: plan.calls,
    errors,
    warmupCalls: plan.warmupCalls,
    warmupErrors,
    warmupMs,
    elapsedMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    rssMb: process.memoryUsage().rss / 1024 / 1024,
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
  process.exit(0);
}
