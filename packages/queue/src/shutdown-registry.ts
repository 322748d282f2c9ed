import type { Logger } from '@integrador/logging';

type Step = { name: string; run: () => Promise<unknown> | unknown };

/** How a shutdown ended: every step done in time, or the deadline passed first. */
export interface ShutdownOutcome {
  clean: boolean;
  failedSteps: string[];
  timedOut: boolean;
}

/**
 * One per process. Steps run in reverse order of registration (intake first, then queues and Redis,
 * then database pools), each even if an earlier one failed, all within one deadline.
 */
export class ShutdownRegistry {
  private readonly steps: Step[] = [];
  private running: Promise<ShutdownOutcome> | undefined;
  /** Started by the fleet (FLEET_START_ID, with its IPC channel): a repeated signal is then the fleet's echo of the group's. */
  private supervised = false;

  constructor(
    private readonly logger: Logger,
    private readonly deadlineMs: number,
  ) {}

  /** Registers a step; register resources in the order they are opened. */
  add(name: string, run: Step['run']): void {
    this.steps.push({ name, run });
  }

  /** Runs every step once (later calls return the same outcome). */
  run(reason: string): Promise<ShutdownOutcome> {
    this.running ??= this.execute(reason);
    return this.running;
  }

  private async execute(reason: string): Promise<ShutdownOutcome> {
    this.logger.info({ reason, deadlineMs: this.deadlineMs }, 'shutting down');
    const failedSteps: string[] = [];
    const all = (async () => {
      for (const step of [...this.steps].reverse()) {
        try {
          await step.run();
          this.logger.debug({ step: step.name }, 'shutdown step done');
        } catch (err) {
          failedSteps.push(step.name);
          this.logger.error({ err, step: step.name }, 'shutdown step failed');
        }
      }
      return false;
    })();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), this.deadlineMs);
    });
    const timedOut = await Promise.race([all, deadline]);
    clearTimeout(timer);
    if (timedOut) this.logger.error({ deadlineMs: this.deadlineMs }, 'shutdown deadline passed');
    return { clean: !timedOut && failedSteps.length === 0, failedSteps, timedOut };
  }

  /**
   * SIGTERM/SIGINT run the shutdown, then exit (0 when clean, 1 otherwise). A repeated signal during the shutdown is
   * logged once (info: nothing is wrong) and ignored; the deadline still bounds it.
   */
  installSignalHandlers(options: { exit?: (code: number) => void; startedByFleet?: boolean } = {}): void {
    const exit = options.exit ?? ((code: number) => process.exit(code));
    let repeated = false;
    // Kept installed (not `once`): a signal to the process group (systemd's default KillMode, supervisord's
    // stopasgroup, `tini -g`, Ctrl-C) reaches a cluster's worker process twice, the group's and the primary's, and
    // without a handler the second would kill it mid-drain, its jobs in flight cut off.
    const onSignal = (signal: NodeJS.Signals) => {
      if (this.running) {
        // Not a warning: the double delivery described above is the expected case (the group's signal, then the fleet's
        // or the cluster primary's), and an operator's second Ctrl-C changes nothing.
        // Under the fleet the second signal is the expected echo (the terminal's Ctrl-C, then the fleet's SIGTERM): five
        // apps saying so at info read like a problem, and the fleet says once that it is stopping.
        if (!repeated) this.logger[this.supervised ? 'debug' : 'info']({ signal }, 'shutdown already under way, signal ignored');
        repeated = true;
        return;
      }
      this.run(signal).then((outcome) => exit(outcome.clean ? 0 : 1));
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    this.watchSupervisor(exit, options.startedByFleet ?? false);
  }

  /**
   * When the fleet started this process (its environment has FLEET_START_ID: `startedByFleet`), its IPC channel closing
   * means the fleet is gone, even by SIGKILL: the process drains and exits as on SIGTERM instead of running on as an
   * orphan holding its ports. Read from the environment, not from a message over the channel: a fleet killed right after
   * it spawned its apps never flushes one. A cluster member's channel is its primary's. The channel never keeps the
   * process alive.
   */
  private watchSupervisor(exit: (code: number) => void, startedByFleet: boolean): void {
    const channel = process.channel;
    if (!startedByFleet || !process.send || !channel) return;
    this.supervised = true;
    const onGone = () => {
      if (this.running) return;
      this.logger.warn('supervisor gone (its IPC channel closed), shutting down');
      this.run('supervisor gone').then((outcome) => exit(outcome.clean ? 0 : 1));
    };
    if (process.connected) process.once('disconnect', onGone);
    else onGone();
    channel.unref();
  }
}
