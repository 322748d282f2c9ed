/** FAULTS_LONG=1 (npm run test:faults) runs each scenario bigger and more often; `npm test` runs the short mode. */
export const LONG = process.env.FAULTS_LONG === '1';

/** One line per scenario: what was enqueued, processed, lost and duplicated (lost and duplicated must be 0). */
export function report(scenario: string, counts: { enqueued: number; processed: number; lost: number; duplicated: number }): void {
  process.stdout.write(
    `[fault] ${scenario}: enqueued ${counts.enqueued}, processed ${counts.processed}, lost ${counts.lost}, duplicated ${counts.duplicated}\n`,
  );
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` answers true (or throws after timeoutMs naming what was awaited). */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 120_000, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}
