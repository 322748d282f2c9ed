import { type Cli, printError } from '../cli-context';

/**
 * `run --wait` follows a job that lives in Redis, not in the CLI: a Ctrl-C while waiting stops the following only. Says
 * so, and where to follow the job, then exits 130 (a shell's code for SIGINT) instead of leaving it retrying unseen.
 */
export async function waitUnlessInterrupted<T>(cli: Cli, queue: string, jobId: string, waiting: Promise<T>): Promise<T> {
  const onInterrupt = () => {
    printError(cli.text.waitInterrupted(queue, jobId));
    process.exit(130);
  };
  process.once('SIGINT', onInterrupt);
  try {
    return await waiting;
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}
