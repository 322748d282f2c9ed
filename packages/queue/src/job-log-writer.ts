import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';

/** How long lines are gathered before one pipeline writes them all (a line is never awaited by its job). */
export const JOB_LOG_FLUSH_MS = 50;
/** Lines that make a batch go at once, whatever the clock. */
const JOB_LOG_BATCH_MAX = 200;

/** BullMQ's addLog without its trimming (no job sets keepLogs): the line goes in only while the job exists. */
const APPEND_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('RPUSH', KEYS[2], ARGV[1]) end
return -1
`;

interface AppendCommand {
  integradorJobLogAppend(jobKey: string, logsKey: string, line: string): Promise<number>;
}

/**
 * Appends lines to jobs' logs (the list `job.log` writes, which getJobLogs and the dashboard read), gathered for
 * JOB_LOG_FLUSH_MS and written in one pipeline: a busy worker pays one round trip per batch instead of one per line.
 * A line may land after its job finished (BullMQ keeps the logs with the job); a failed write loses its lines only.
 */
export class JobLogWriter {
  private pending: { jobKey: string; line: string }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly redis: Redis & AppendCommand;

  constructor(
    redis: Redis,
    private readonly onError: (err: unknown) => void,
    private readonly flushMs = JOB_LOG_FLUSH_MS,
  ) {
    redis.defineCommand('integradorJobLogAppend', { lua: APPEND_SCRIPT, numberOfKeys: 2 });
    this.redis = redis as Redis & AppendCommand;
  }

  /** Queues one line for the job's log. */
  append(job: Pick<Job, 'id' | 'queueQualifiedName'>, line: string): void {
    this.pending.push({ jobKey: `${job.queueQualifiedName}:${job.id}`, line });
    if (this.pending.length >= JOB_LOG_BATCH_MAX) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.flushMs);
  }

  /**
   * Writes what was gathered (also at close). The pipeline is sent at once, not after the previous one answered: one
   * connection keeps the order of what is sent on it, and at close the lines go out before the connection quits.
   */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending.length) return Promise.resolve();
    const batch = this.pending;
    this.pending = [];
    const pipeline = this.redis.pipeline() as unknown as AppendCommand & { exec(): Promise<[Error | null, unknown][] | null> };
    for (const { jobKey, line } of batch) void pipeline.integradorJobLogAppend(jobKey, `${jobKey}:logs`, line);
    return pipeline
      .exec()
      .then((results) => {
        const failed = (results ?? []).find(([err]) => err)?.[0];
        if (failed) throw failed;
      })
      .catch(this.onError);
  }
}
