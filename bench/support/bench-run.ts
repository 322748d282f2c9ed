import { allowLoopbackOutbound } from '@integrador/connections';

/** One benchmark process: a timestamped stderr log, a stamp for result files, and teardown steps run on exit or Ctrl-C. */
export interface BenchRun {
  /** ISO time of the start, safe in a file name. */
  stamp: string;
  log(message: string): void;
  /** Teardown steps, run in reverse by cleanUp on success, failure or Ctrl-C; every step runs even if one fails. */
  cleanups: { name: string; run: () => Promise<unknown> | unknown }[];
  cleanUp(): Promise<void>;
}

/** Starts the clock and installs the SIGINT/SIGTERM handlers that clean up before exiting. */
export function startBenchRun(): BenchRun {
  // The benches' doubles and databases listen on loopback: opened as the operator would (OUTBOUND_ALLOW_LOOPBACK).
  allowLoopbackOutbound(true);
  const began = performance.now();
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const log = (message: string): void => {
    process.stderr.write(`[${((performance.now() - began) / 1000).toFixed(0).padStart(5)} s] ${message}\n`);
  };
  const cleanups: BenchRun['cleanups'] = [];
  const cleanUp = async (): Promise<void> => {
    for (const step of cleanups.splice(0).reverse()) {
      try {
        await step.run();
      } catch (err) {
        log(`cleanup ${step.name} failed: ${(err as Error).message}`);
      }
    }
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: cleaning up`);
      cleanUp().finally(() => process.exit(130));
    });
  }
  return { stamp, log, cleanups, cleanUp };
}
