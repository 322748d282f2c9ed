import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '@integrador/config';
import { type ConnectionsRegistry, loadConnections } from '@integrador/connections';
import type { SetRunResult } from '@integrador/integrador';
import { enqueuePlannedRun, StepQueueUnavailableError } from '@integrador/integrador';
import type { GetRunResult } from '@integrador/jobs';
import { findBlockingFailure, type JobProducer } from '@integrador/queue';
import { withoutConnectionsFileDetail } from '@integrador/store';
import type { Command } from 'commander';
import { type Cli, print, printJson, withDatabase } from '../cli-context';
import { CliError } from '../cli-error';
import { getOpsMessages } from '../get-ops.messages';
import { addTargetOptions, admitOrExplain, loadTenant, parseTargetArgs, type TargetOptions } from '../integration-target';
import { failedJobReason } from '../job-failure';
import { localTime } from '../local-time';
import { withJobProducer } from '../queue-connection';
import { attemptReporter } from './attempt-report';
import { runGet } from './get-run';
import { limitWaitWatch } from './limit-wait-watch';
import { waitUnlessInterrupted } from './wait-interrupt';
import { noWorkerWatch } from './worker-watch';

interface RunOptions extends TargetOptions {
  wait?: boolean;
}

/** How a waited-for job ended (blocked: a prerequisite of its flow failed; it waits for a retry). */
type Settled =
  | { state: 'completed'; result: SetRunResult | GetRunResult }
  | { state: 'failed'; failedReason: string }
  | { state: 'blocked'; failedReason: string; blockedBy: string; blocker: { queue: string; jobId: string } };

type RunQueue = 'set' | 'get';
/** How often --wait reads the job's state. */
const POLL_MS = 250;

/** `integrador run <integracaoId> --empresa <id> [-p name=value ...] [--wait]`: enqueues integration.run, as the ingress does. */
export function registerRunCommand(program: Command, cli: Cli): void {
  addTargetOptions(program.command('run <integracaoId>').description(cli.text.run), cli)
    .option('--wait', cli.text.waitOption)
    .action((integracaoId: string, options: RunOptions) => runIntegration(cli, integracaoId, options));
}

/**
 * The connections file, for admission's empresa check; undefined when it cannot be read here (e.g. its secrets are
 * not in this shell): the run is then left to the workers, which read their own file.
 */
async function connectionsIfReadable(config: ReturnType<typeof loadConfig>): Promise<ConnectionsRegistry | undefined> {
  try {
    return (await loadConnections(config)).connections;
  } catch {
    return undefined;
  }
}

async function runIntegration(cli: Cli, integracaoIdText: string, options: RunOptions): Promise<void> {
  const args = parseTargetArgs(cli, integracaoIdText, options);
  const config = loadConfig();
  const connections = await connectionsIfReadable(config);
  // Every check the ingress makes happens before Redis is touched: a refused run enqueues nothing.
  const { tenant, plan } = await withDatabase(async (database) => {
    const found = await loadTenant(cli, database.db, args);
    // The engine's admission, as the ingress: prerequisites first, a refusal named in one line.
    const admitted = await admitOrExplain(cli, database.db, found, args, 'run', connections);
    return { tenant: found, plan: admitted.plan };
  }, config);
  const request = {
    tenant: { empresaId: tenant.empresaId, filialId: tenant.filialId },
    integracaoId: args.integracaoId,
    parametros: args.parametros,
    trigger: 'cli' as const,
  };
  // A GET pull on its own: one run at a time per integration, followed with a progress bar (get-run.ts).
  if (plan.length === 1 && plan[0]?.queue === 'get')
    return withJobProducer(cli, config, (producer) => runGet(cli, config, producer, request, options));
  await withJobProducer(cli, config, async (producer) => {
    const run = await enqueuePlannedRun(producer, request, plan).catch((err: unknown) => {
      throw err instanceof StepQueueUnavailableError ? new CliError(cli.text.runRefused(err.message)) : err;
    });
    const { jobId, queue } = run;
    const announce = () => {
      print(cli.text.enqueued(args.integracaoId, jobId, queue));
      if (run.steps.length > 1) {
        run.steps.forEach((s, i) => {
          print(cli.text.flowStep(i + 1, run.steps.length, s.integracaoId, s.nome, s.jobId, s.queue));
        });
      }
    };
    if (!options.wait) {
      if (options.json) printJson({ queue, jobId, deduplicated: run.deduplicated, steps: run.steps });
      else announce();
      return;
    }
    if (!options.json) announce();
    // A failed attempt's line words its reason as the final one does (the record of that attempt, read once per attempt).
    const attemptReason = (failedReason: string) =>
      failedJobReason(cli, config, { queue, jobId, empresaId: tenant.empresaId }, failedReason, 'aguardando_retentativa');
    const watchWorkers = noWorkerWatch(cli, producer, [...run.steps.map((step) => step.queue), queue]);
    // A job a limit holds (a receptor's 429, the tenant's rate or cap) is said once, with its reason, on stderr.
    const watchWait = limitWaitWatch(cli, config, tenant.empresaId, run.steps);
    const watch = async (state: string) => {
      await watchWorkers(state);
      await watchWait(state);
    };
    const retryAt = (date: Date) => localTime(date, config.scheduleTimezone);
    const report = options.json ? undefined : { print, attemptReason, retryAt };
    const settled = await waitUnlessInterrupted(cli, queue, jobId, waitForJob(cli, producer, queue, jobId, report, watch));
    if (options.json) printJson({ queue, jobId, deduplicated: run.deduplicated, steps: run.steps, ...settled });
    if (settled.state === 'failed') {
      const reason = await failedJobReason(cli, config, { queue, jobId, empresaId: tenant.empresaId }, settled.failedReason);
      throw new CliError(cli.text.jobFailed(jobId, reason));
    }
    if (settled.state === 'blocked') {
      const reason = await failedJobReason(cli, config, { ...settled.blocker, empresaId: tenant.empresaId }, settled.failedReason);
      throw new CliError(cli.text.jobBlocked(jobId, settled.blockedBy, reason));
    }
    if (options.json) return;
    const result = settled.result;
    if (!('records' in result)) {
      // A chain ending in a GET pull: its counts, worded as a lone GET's (it has no receptor).
      print(getOpsMessages(cli.locale).getCompleted(jobId, result));
      return;
    }
    print(cli.text.jobCompleted(jobId, result.message));
    for (const record of result.records) {
      print(cli.text.jobRecord(record.key, record.values));
      if (record.missingReturnKeys?.length)
        print(cli.text.jobRecordMissingKeys(record.key, record.missingReturnKeys, record.heldBack === true));
    }
  });
}

/** Where waitForJob reports: the line printer and how a failed attempt's reason is worded. */
interface WaitReport {
  print: (line: string) => void;
  attemptReason: (failedReason: string) => Promise<string>;
  /** The next attempt's time as the user reads it. */
  retryAt: (date: Date) => string;
}

/** Polls the job until it completes or fails, reporting (unless `report` is undefined) each new state and failed attempt on one line. */
async function waitForJob(
  cli: Cli,
  producer: JobProducer,
  queue: RunQueue,
  jobId: string,
  report: WaitReport | undefined,
  watch: (state: string) => Promise<void>,
): Promise<Settled> {
  let shown = '';
  // The worded reason of the last failed attempt seen, so each attempt's record is looked up once.
  const attempt = report ? attemptReporter(producer, queue, jobId, report) : undefined;
  for (;;) {
    const found = await producer.getJobWithState(queue, jobId);
    if (!found) throw new CliError(cli.text.jobGone(jobId));
    const { job, state } = found;
    if (state === 'completed') return { state, result: job.returnvalue as SetRunResult | GetRunResult };
    if (state === 'failed') return { state, failedReason: withoutConnectionsFileDetail(job.failedReason ?? '') };
    if (state === 'waiting-children') {
      const prefix = producer.queue(queue).opts.prefix ?? '';
      const blocker = await findBlockingFailure(job, prefix, (q, id) => producer.getJob(q as RunQueue, id));
      if (blocker) {
        const label = `#${blocker.integracaoId ?? '?'} (job ${blocker.queue}/${blocker.jobId})`;
        return {
          state: 'blocked',
          failedReason: withoutConnectionsFileDetail(blocker.failedReason),
          blockedBy: label,
          blocker: { queue: blocker.queue, jobId: blocker.jobId },
        };
      }
    }
    // BullMQ's failedReason as the API and the dashboard show it (read-time scrub of old connection failures).
    const { failedReason, retryAt } = attempt
      ? await attempt(job, state)
      : { failedReason: withoutConnectionsFileDetail(job.failedReason), retryAt: undefined };
    const line = cli.text.jobState(jobId, state, job.attemptsMade, failedReason, retryAt);
    if (line !== shown) report?.print(line);
    shown = line;
    await watch(state);
    await sleep(POLL_MS);
  }
}
