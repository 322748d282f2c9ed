import { type ChildProcess, spawn } from 'node:child_process';
import type { Logger } from '@integrador/logging';
import { RestartBackoff } from '@integrador/runtime/restart-backoff';

/** One deployable the all-in-one fleet runs as a child process. */
export interface AppSpec {
  name: string;
  /** TypeScript entry file, relative to the repository root (run through tsx in development). */
  entry: string;
  /** Variables this app gets on top of the fleet's environment (e.g. its own METRICS_PORT). */
  env?: Record<string, string>;
  /**
   * Node/V8 flags of this app, in both modes (worker-get caps its heap, see packages/integrador/GET.md); a flag the
   * environment's NODE_OPTIONS sets too is left out, so the operator's value wins.
   */
  nodeFlags?: readonly string[];
}

/**
 * How the fleet starts its apps: `compiled` runs apps/<app>/dist/main.js with source maps (what `npm start` does after
 * `npm run build`), `source` runs the TypeScript entry through tsx (what `tsx apps/fleet/src/main.ts` does). The fleet
 * starts its apps the way it was started itself, so a development run never mixes fresh sources with an old build.
 */
export type LaunchMode = 'compiled' | 'source';

/**
 * The node arguments that start an app in a mode. Node reads NODE_OPTIONS before the command line, so a flag given on
 * both would take the command line's value: the app's own flags that NODE_OPTIONS names are left out instead.
 */
export function launchArgs(spec: AppSpec, mode: LaunchMode, nodeOptions = ''): string[] {
  const operators = new Set(nodeOptions.split(/\s+/).filter(Boolean).map(flagName));
  const flags = (spec.nodeFlags ?? []).filter((flag) => !operators.has(flagName(flag)));
  if (mode === 'source') return [...flags, '--import', 'tsx', spec.entry];
  return [...flags, '--enable-source-maps', `apps/${spec.name}/dist/main.js`];
}

/** A flag's name without its value; V8 spells its flags with - or _ alike (--max-old-space-size, --max_old_space_size). */
function flagName(flag: string): string {
  return (flag.split('=')[0] ?? flag).replaceAll('_', '-');
}

interface Running {
  spec: AppSpec;
  child: ChildProcess | undefined;
  backoff: RestartBackoff;
  timer: NodeJS.Timeout | undefined;
}

export interface SupervisorOptions {
  root: string;
  env: NodeJS.ProcessEnv;
  mode: LaunchMode;
  logger: Logger;
  /** Upper bound of the restart backoff. */
  maxBackoffMs?: number;
  /** How long stop() waits for the apps to exit before it kills the ones still running (SIGKILL). */
  stopTimeoutMs: number;
}

/**
 * Runs each app as its own process (as in production, one per Deployment), restarts one that dies with
 * a growing backoff, and on stop forwards SIGTERM so every app drains within its own deadline.
 */
export class Supervisor {
  private readonly apps = new Map<string, Running>();
  private stopping = false;

  constructor(private readonly options: SupervisorOptions) {}

  /** Starts the apps (nothing once stop() was called). */
  start(specs: AppSpec[]): void {
    if (this.stopping) return;
    for (const spec of specs) {
      const running: Running = { spec, child: undefined, backoff: new RestartBackoff(this.options.maxBackoffMs), timer: undefined };
      this.apps.set(spec.name, running);
      this.launch(running);
    }
  }

  private launch(running: Running): void {
    if (this.stopping) return;
    const { spec } = running;
    const env = spec.env ? { ...this.options.env, ...spec.env } : this.options.env;
    const startedAt = Date.now();
    const restart = (context: Record<string, unknown>, msg: string) => {
      running.child = undefined;
      if (this.stopping) return;
      const delay = running.backoff.next(Date.now() - startedAt);
      this.options.logger.error({ app: spec.name, ...context, restartInMs: delay }, msg);
      running.timer = setTimeout(() => this.launch(running), delay);
    };
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, launchArgs(spec, this.options.mode, env.NODE_OPTIONS), {
        cwd: this.options.root,
        env,
        // The IPC channel, with FLEET_START_ID in the environment, makes each app supervised: when the channel closes (this
        // process gone, even by SIGKILL) the app drains and exits instead of running on as an orphan
        // (ShutdownRegistry.installSignalHandlers).
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        // Not detached: the apps stay in the fleet's process group, so a stop sent to the group (a terminal's Ctrl-C,
        // systemd, kill -- -pgid) reaches each of them even when the fleet itself is gone.
      });
    } catch (err) {
      // Some spawn failures throw instead of emitting 'error' (ENOMEM, ENOTDIR, E2BIG): retried the same way.
      restart({ err }, 'app failed to start, restarting');
      return;
    }
    running.child = child;
    child.on('exit', (code, signal) => restart({ code, signal }, 'app exited, restarting'));
    // A spawn that failed (EAGAIN, a missing working directory) emits 'error' and no 'exit': without this handler it
    // would be an uncaught exception that takes the fleet down; it is retried like an app that died.
    child.on('error', (err) => {
      if (child.pid === undefined) return restart({ err }, 'app failed to start, restarting');
      this.options.logger.error({ err, app: spec.name }, 'app process error');
    });
    if (child.pid !== undefined) this.options.logger.info({ app: spec.name, pid: child.pid }, 'app started');
  }

  /**
   * Sends SIGTERM to every app and resolves when all have exited, with how each one exited (code or signal); an app still
   * running after stopTimeoutMs is killed (SIGKILL), so the fleet's stop has a deadline even when an app's drain hangs.
   */
  async stop(): Promise<Record<string, number | string>> {
    this.stopping = true;
    const exits: Promise<[string, number | string]>[] = [];
    const children = new Map<string, ChildProcess>();
    for (const [name, running] of this.apps) {
      clearTimeout(running.timer);
      const child = running.child;
      // No pid: its spawn failed and its 'error' is still to come (a kill would signal pid 0, the fleet's own group).
      if (!child || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) continue;
      children.set(name, child);
      exits.push(new Promise((resolve) => child.once('exit', (code, signal) => resolve([name, code ?? signal ?? -1]))));
      child.kill('SIGTERM');
    }
    const deadline = setTimeout(() => {
      const stragglers = [...children].filter(([, child]) => child.exitCode === null && child.signalCode === null);
      if (stragglers.length === 0) return;
      this.options.logger.error(
        { apps: stragglers.map(([name]) => name), stopTimeoutMs: this.options.stopTimeoutMs },
        'apps still running after the stop deadline, killing them',
      );
      for (const [, child] of stragglers) child.kill('SIGKILL');
    }, this.options.stopTimeoutMs);
    try {
      return Object.fromEntries(await Promise.all(exits));
    } finally {
      clearTimeout(deadline);
    }
  }
}
