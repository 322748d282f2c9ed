import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { ROOT } from '@integrador/test-support/processes';
import type { LoadTask } from './cti-load';

/** The forked load process (support/cti-load.ts) and how to give it one task at a time. */
export interface LoadProcess {
  child: ChildProcess;
  ask<T>(task: LoadTask): Promise<T>;
}

/**
 * The load generator (and cti.bench's SSE clients) run in a process of their own: sharing the ingress's process, their
 * CPU was charged to the ingress and their work delayed its event loop (and the other way round). Tasks are queued:
 * each is sent once the previous one has answered.
 */
export function startLoadProcess(): LoadProcess {
  const child = fork(path.join(ROOT, 'bench/support/cti-load.ts'), [], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  let queue: Promise<unknown> = Promise.resolve();
  const ask = <T>(task: LoadTask): Promise<T> => {
    const answer = queue.then(
      () =>
        new Promise<T>((resolve, reject) => {
          const onExit = (code: number | null) => reject(new Error(`the load process exited (${code})`));
          child.once('exit', onExit);
          child.once('message', (message: { ok: boolean; value?: T; error?: string }) => {
            child.off('exit', onExit);
            if (message.ok) resolve(message.value as T);
            else reject(new Error(`load process: ${message.error}`));
          });
          child.send(task);
        }),
    );
    queue = answer.catch(() => undefined);
    return answer;
  };
  return { child, ask };
}
