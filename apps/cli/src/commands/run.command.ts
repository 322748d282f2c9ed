import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '@integrador/config';
import type { SetRunResult } from '@integrador/integrador';
import type { GetRunResult } from '@integrador/jobs';
import type { JobProducer } from '@integrador/queue';
import type { Command } from 'commander';
import { type Cli, print, printJson, withDatabase } from '../cli-context';
import { CliError } from '../cli-error';
import {
  addTargetOptions,
  assertParameters,
  assertRunnable,
  loadTenant,
  parseTargetArgs,
  requireIntegracao,
  type TargetOptions,
} from '../integration-target';
import { withJobProducer } from '../queue-connection';
import { runGet } from './get-run';

interface RunOptions extends TargetOptions {
  wait?: boolean;
}

/** How a waited-for job ended. */
type Settled = { state: 'completed'; result: SetRunResult | GetRunResult } | { state: 'failed'; failedReason: string };
type RunQueue = 'set' | 'get';
/** How often --wait reads the job's state. */
const POLL_MS = 250;

/** `integrador run <integracaoId> --empresa <id> [-p name=value ...] [--wait]`: enqueues integration.run, as the ingress does. */
export function registerRunCommand(program: Command, cli: Cli): void {
  addTargetOptions(program.command('run <integracaoId>').description(cli.text.run), cli)
    .option('--wait', cli.text.waitOption)
    .action((integracaoId: string, options: RunOptions) => runIntegration(cli, integracaoId, options));
}

async function runIntegration(cli: Cli, integracaoIdText: string, options: RunOptions): Promise<void> {
  const args = parseTargetArgs(cli, integracaoIdText, options);
  const config = loadConfig();
  // Every check the ingress makes happens before Redis is touched: a refused run enqueues nothing.
  const { tenant, queue } = await withDatabase(async ({ db }) => {
    const found = await loadTenant(cli, db, args);
    const integracao = await requireIntegracao(cli, db, found, args.integracaoId);
    assertRunnable(cli, integracao);
    assertParameters(cli, integracao, args.parametros);
    // GET pulls run on the get queue (worker-get), SET pushes on the set queue.
    return { tenant: found, queue: (integracao.tipo_servico === 'GET' ? 'get' : 'set') as RunQueue };
  }, config);
  // GET pulls: one run at a time per integration, with a progress bar (get-run.ts).
  if (queue === 'get') {
    const payload = {
      tenant: { empresaId: tenant.empresaId, filialId: tenant.filialId },
      integracaoId: args.integracaoId,
      parametros: args.parametros,
      trigger: 'cli' as const,
    };
    return withJobProducer(cli, config, (producer) => runGet(cli, producer, payload, options));
  }
  await withJobProducer(cli, config, async (producer) => {
    const data = {
      tenant: { empresaId: tenant.empresaId, filialId: tenant.filialId },
      integracaoId: args.integracaoId,
      parametros: args.parametros,
      trigger: 'cli' as const,
    };
    const job = await producer.enqueue('set', 'integration.run', data);
    const jobId = String(job.id);
    if (!options.wait) {
      if (options.json) printJson({ queue: queue, jobId });
      else print(cli.text.enqueued(args.integracaoId, jobId, queue));
      return;
    }
    if (!options.json) print(cli.text.enqueued(args.integracaoId, jobId, queue));
    const settled = await waitForJob(cli, producer, queue, jobId, options.json ? () => undefined : print);
    if (options.json) printJson({ queue: queue, jobId, ...settled });
    if (settled.state === 'failed') throw new CliError(cli.text.jobFailed(jobId, settled.failedReason));
    if (options.json) return;
    const { result } = settled;
    if ('rowsRead' in result) {
      print(cli.text.getJobCompleted(jobId, result));
      return;
    }
    print(cli.text.jobCompleted(jobId, result.message));
    for (const record of result.records) print(cli.text.jobRecord(record.key, record.values));
  });
}

/** Polls the job until it completes or fails, reporting each new state (and failed attempt) on one line. */
async function waitForJob(
  cli: Cli,
  producer: JobProducer,
  queue: RunQueue,
  jobId: string,
  report: (line: string) => void,
): Promise<Settled> {
  let shown = '';
  for (;;) {
    const job = await producer.getJob(queue, jobId);
    if (!job) throw new CliError(cli.text.jobGone(jobId));
    const state = await job.getState();
    if (state === 'completed') return { state, result: job.returnvalue as SetRunResult | GetRunResult };
    if (state === 'failed') return { state, failedReason: job.failedReason ?? '' };
    const line = cli.text.jobState(jobId, state, job.attemptsMade, job.failedReason);
    if (line !== shown) report(line);
    shown = line;
    await sleep(POLL_MS);
  }
}
