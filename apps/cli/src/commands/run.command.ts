import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '@integrador/config';
import type { SetRunResult } from '@integrador/integrador';
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
type Settled = { state: 'completed'; result: SetRunResult } | { state: 'failed'; failedReason: string };

const QUEUE = 'set';
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
  const { tenant, tipo } = await withDatabase(async ({ db }) => {
    const found = await loadTenant(cli, db, args);
    const integracao = await requireIntegracao(cli, db, found, args.integracaoId);
    assertRunnable(cli, integracao);
    assertParameters(cli, integracao, args.parametros);
    return { tenant: found, tipo: integracao.tipo_servico };
  }, config);
  if (tipo === 'GET') {
    const payload = {
      tenant: { empresaId: tenant.empresaId, filialId: tenant.filialId },
      integracaoId: args.integracaoId,
      parametros: args.parametros,
      trigger: 'cli' as const,
    };
    return withJobProducer(cli, config, (producer) => runGet(cli, producer, payload, options));
  }
  await withJobProducer(cli, config, async (producer) => {
    const job = await producer.enqueue(QUEUE, 'integration.run', {
      tenant: { empresaId: tenant.empresaId, filialId: tenant.filialId },
      integracaoId: args.integracaoId,
      parametros: args.parametros,
      trigger: 'cli',
    });
    const jobId = String(job.id);
    if (!options.wait) {
      if (options.json) printJson({ queue: QUEUE, jobId });
      else print(cli.text.enqueued(args.integracaoId, jobId, QUEUE));
      return;
    }
    if (!options.json) print(cli.text.enqueued(args.integracaoId, jobId, QUEUE));
    const settled = await waitForJob(cli, producer, jobId, options.json ? () => undefined : print);
    if (options.json) printJson({ queue: QUEUE, jobId, ...settled });
    if (settled.state === 'failed') throw new CliError(cli.text.jobFailed(jobId, settled.failedReason));
    if (options.json) return;
    print(cli.text.jobCompleted(jobId, settled.result.message));
    for (const record of settled.result.records) print(cli.text.jobRecord(record.key, record.values));
  });
}

/** Polls the job until it completes or fails, reporting each new state (and failed attempt) on one line. */
async function waitForJob(cli: Cli, producer: JobProducer, jobId: string, report: (line: string) => void): Promise<Settled> {
  let shown = '';
  for (;;) {
    const job = await producer.getJob(QUEUE, jobId);
    if (!job) throw new CliError(cli.text.jobGone(jobId));
    const state = await job.getState();
    if (state === 'completed') return { state, result: job.returnvalue as SetRunResult };
    if (state === 'failed') return { state, failedReason: job.failedReason ?? '' };
    const line = cli.text.jobState(jobId, state, job.attemptsMade, job.failedReason);
    if (line !== shown) report(line);
    shown = line;
    await sleep(POLL_MS);
  }
}
