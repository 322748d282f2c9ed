import { loadConfig } from '@integrador/config';
import {
  isQueueName,
  WEBHOOK_DELIVERED_NO_RETRY,
  WEBHOOK_ENDPOINT_DELETED_NO_RETRY,
  WEBHOOK_ENDPOINT_DISABLED_NO_RETRY,
} from '@integrador/jobs';
import { retryFailedJob } from '@integrador/queue';
import { deliveryRetryRefusal } from '@integrador/webhooks';
import type { Command } from 'commander';
import { type Cli, parseId, print, printJson, withDatabase } from '../cli-context';
import { CliError } from '../cli-error';
import { withJobProducer } from '../queue-connection';

interface RetryOptions {
  empresa: string;
  json?: boolean;
}

/** `integrador job retry <queue> <jobId> --empresa <id>`: retries one failed job of an empresa, as the API route does. */
export function registerJobCommand(program: Command, cli: Cli): void {
  const job = program.command('job').description(cli.text.jobCommand);
  job
    .command('retry <queue> <jobId>')
    .description(cli.text.jobRetry)
    .requiredOption('--empresa <id>', cli.text.jobEmpresaOption)
    .option('--json', cli.text.jsonOption)
    .action((queue: string, jobId: string, options: RetryOptions) => retryJob(cli, queue, jobId, options));
}

async function retryJob(cli: Cli, queue: string, jobId: string, options: RetryOptions): Promise<void> {
  if (!isQueueName(queue)) throw new CliError(cli.text.invalidQueue(queue));
  const empresaId = parseId(cli, '--empresa', options.empresa);
  const config = loadConfig();
  await withJobProducer(cli, config, async (producer) => {
    const job = await producer.getJob(queue, jobId);
    // Another empresa's job is indistinguishable from a missing one.
    if (!job || (job.data as { tenant?: { empresaId?: number } }).tenant?.empresaId !== empresaId) {
      throw new CliError(cli.text.jobNotFound(queue, jobId, empresaId));
    }
    // The one retry rule (packages/queue), shared with the API route and the dashboard: a blocked flow resumes too.
    // A webhook delivery job whose delivery was delivered since is not retried (the database says so).
    const outcome = await retryFailedJob(job, producer.connection, config.keyPrefix, config.redisCommandTimeoutMs, (failed) =>
      queue === 'webhook' ? withDatabase((database) => deliveryRetryRefusal(database.db)(failed), config) : Promise.resolve(undefined),
    );
    if (!outcome.retried && outcome.notRetryable === WEBHOOK_DELIVERED_NO_RETRY)
      throw new CliError(cli.text.jobAlreadyDelivered(queue, jobId));
    if (!outcome.retried && outcome.notRetryable === WEBHOOK_ENDPOINT_DISABLED_NO_RETRY)
      throw new CliError(cli.text.jobEndpointDisabled(queue, jobId));
    if (!outcome.retried && outcome.notRetryable === WEBHOOK_ENDPOINT_DELETED_NO_RETRY)
      throw new CliError(cli.text.jobEndpointDeleted(queue, jobId));
    if (!outcome.retried && outcome.notRetryable) throw new CliError(cli.text.jobNotRetryable(queue, jobId));
    if (!outcome.retried) throw new CliError(cli.text.jobNotFailed(queue, jobId, outcome.state));
    if (options.json) printJson({ queue, jobId, state: 'waiting' });
    else print(cli.text.jobRetried(queue, jobId));
  });
}
