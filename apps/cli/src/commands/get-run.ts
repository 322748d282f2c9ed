import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '@integrador/config';
import type { GetRunProgress, GetRunResult, IntegrationRunPayload } from '@integrador/jobs';
import { enqueueGetRun, isSkippedRun, type JobProducer } from '@integrador/queue';
import { withoutConnectionsFileDetail } from '@integrador/store';
import { Presets, SingleBar } from 'cli-progress';
import { type Cli, print, printJson } from '../cli-context';
import { CliError } from '../cli-error';
import { type GetOpsMessages, getOpsMessages } from '../get-ops.messages';
import { failedJobReason } from '../job-failure';
import { localTime } from '../local-time';
import { attemptReporter } from './attempt-report';
import { limitWaitWatch } from './limit-wait-watch';
import { waitUnlessInterrupted } from './wait-interrupt';
import { noWorkerWatch } from './worker-watch';

/** How often --wait reads the job (state and progress). */
const POLL_MS = 250;

type Settled = { state: 'completed'; result: unknown } | { state: 'failed'; failedReason: string };

function isProgress(value: unknown): value is GetRunProgress {
  return typeof value === 'object' && value !== null && typeof (value as GetRunProgress).rowsRead === 'number';
}

/**
 * The live view of a GET run on stderr: a counter, not a bar — the total of a pull is not known until its source is
 * exhausted (counting it first would run the consulta twice), and a bar of rows written out of rows read so far would
 * always look full. It shows the phase, rows read and written, the rate and the time since the run started.
 */
class ProgressView {
  private readonly bar: SingleBar;
  private started = false;

  constructor(private readonly text: GetOpsMessages) {
    // noTTYOutput: a redirected stderr (CI logs, tests) gets a line every few seconds instead of nothing.
    this.bar = new SingleBar(
      { format: text.progressFormat, hideCursor: true, noTTYOutput: true, notTTYSchedule: 2000 },
      Presets.shades_classic,
    );
  }

  update(progress: GetRunProgress): void {
    const elapsed = (Date.now() - Date.parse(progress.startedAt)) / 1000;
    const rate = elapsed > 0 ? Math.round(progress.rowsWritten / elapsed) : 0;
    const values = {
      phase: this.text.phase[progress.phase] ?? progress.phase,
      rowsRead: progress.rowsRead,
      rowsWritten: progress.rowsWritten,
      rate,
    };
    // The format has no {bar}: value and total only drive cli-progress's redraws.
    if (!this.started) {
      this.bar.start(0, 0, values);
      this.started = true;
      return;
    }
    this.bar.update(0, values);
  }

  stop(): void {
    if (this.started) this.bar.stop();
  }
}

/** Polls the job until it settles, feeding its progress to the view (when there is one). */
async function follow(
  cli: Cli,
  producer: JobProducer,
  jobId: string,
  view: ProgressView | undefined,
  watchWait: (state: string) => Promise<void>,
  attempt: ReturnType<typeof attemptReporter> | undefined,
): Promise<Settled> {
  const watchWorkers = noWorkerWatch(cli, producer, ['get']);
  let shown = '';
  try {
    for (;;) {
      const found = await producer.getJobWithState('get', jobId);
      if (!found) throw new CliError(cli.text.jobGone(jobId));
      const { job, state } = found;
      if (isProgress(job.progress)) view?.update(job.progress);
      // A failed attempt is said once, worded as the final failure, with the next attempt's time (as for SET).
      const failed = attempt ? await attempt(job, state) : undefined;
      if (failed?.failedAttempt) {
        const line = cli.text.jobState(jobId, state, job.attemptsMade, failed.failedReason, failed.retryAt);
        if (line !== shown) print(line);
        shown = line;
      }
      if (state === 'completed') return { state, result: job.returnvalue };
      if (state === 'failed') return { state, failedReason: withoutConnectionsFileDetail(job.failedReason ?? '') };
      await watchWorkers(state);
      await watchWait(state);
      await sleep(POLL_MS);
    }
  } finally {
    view?.stop();
  }
}

/**
 * `integrador run <id> [--wait] [--json]` for a GET integration: enqueues it (or follows the run of it already in
 * progress), and with --wait shows a progress bar and the final counts; --json prints one JSON document, no bar.
 */
export async function runGet(
  cli: Cli,
  config: Config,
  producer: JobProducer,
  payload: IntegrationRunPayload,
  options: { wait?: boolean; json?: boolean },
) {
  const text = getOpsMessages(cli.locale);
  const { job, deduplicated } = await enqueueGetRun(producer, payload);
  const jobId = String(job.id);
  const head = { queue: 'get', jobId, deduplicated };
  if (!options.wait && options.json) return printJson(head);
  if (!options.json)
    print(deduplicated ? text.runDeduplicated(payload.integracaoId, jobId) : cli.text.enqueued(payload.integracaoId, jobId, 'get'));
  if (!options.wait) return;

  const watchWait = limitWaitWatch(cli, config, payload.tenant.empresaId, [{ queue: 'get', jobId }]);
  // A failed attempt's line words its reason as the final one does (the record of that attempt, read once per attempt).
  const attempt = options.json
    ? undefined
    : attemptReporter(producer, 'get', jobId, {
        attemptReason: (failedReason) =>
          failedJobReason(
            cli,
            config,
            { queue: 'get', jobId, empresaId: payload.tenant.empresaId },
            failedReason,
            'aguardando_retentativa',
          ),
        retryAt: (date) => localTime(date, config.scheduleTimezone),
      });
  const following = follow(cli, producer, jobId, options.json ? undefined : new ProgressView(text), watchWait, attempt);
  const settled = await waitUnlessInterrupted(cli, 'get', jobId, following);
  if (options.json) printJson({ ...head, ...settled });
  if (settled.state === 'failed') {
    const reason = await failedJobReason(cli, config, { queue: 'get', jobId, empresaId: payload.tenant.empresaId }, settled.failedReason);
    throw new CliError(cli.text.jobFailed(jobId, reason));
  }
  if (options.json) return;
  if (isSkippedRun(settled.result)) return print(text.skipped(jobId, settled.result.runningJobId));
  print(text.getCompleted(jobId, settled.result as GetRunResult));
}
