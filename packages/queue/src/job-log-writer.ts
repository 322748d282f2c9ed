import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';

/** How long lines are gathered before one script call writes them all (a line is never awaited by its job). */
export const JOB_LOG_FLUSH_MS = 50;
/** Lines that make a batch go at once, whatever the clock. */
const JOB_LOG_BATCH_MAX = 200;

/**
 * BullMQ's addLog without its trimming (no job sets keepLogs), for many lines in one call: KEYS are (job, job's log)
 * pairs, one pair per job, and ARGV for each pair in turn how many lines it has, then those lines, in order; a job's
 * lines go in only while the job exists, in one RPUSH. One script call per batch: as one call per line, every line
 * was a command of its own for ioredis to build and Redis to answer; and a job's lines of a batch (the records of a
 * job of several pushes) cost one EXISTS and one RPUSH, not two commands a line. Each RPUSH is a pcall: a job's lines
 * that cannot be written (its log key holding another type) are counted and the other jobs' lines still go in.
 */
const APPEND_SCRIPT = `
local failed = 0
local at = 1
for i = 1, #KEYS, 2 do
  local count = tonumber(ARGV[at])
  if redis.call('EXISTS', KEYS[i]) == 1 then
    local written = redis.pcall('RPUSH', KEYS[i + 1], unpack(ARGV, at + 1, at + count))
    if type(written) == 'table' and written.err then failed = failed + count end
  end
  at = at + count + 1
end
return failed
`;

interface AppendCommand {
  /** numberOfKeys first (2 per job), then the keys, then each job's count and lines; answers how many lines could not be written. */
  integradorJobLogAppend(...args: (string | number)[]): Promise<number>;
}

/**
 * Appends lines to jobs' logs (the list `job.log` writes, which getJobLogs and the dashboard read), gathered for
 * JOB_LOG_FLUSH_MS and written by one script call per queue: a busy worker pays one command per batch, not one per line.
 * A line may land after its job finished (BullMQ keeps the logs with the job); a line Redis refuses is lost alone and
 * reported to `onError`, and a failed call loses that call's lines only.
 */
export class JobLogWriter {
  /**
   * Lines waiting, by queue (its keys share the queue's prefix, so a call of one queue's keys stays in one cluster slot),
   * then by job key, each job's lines in order.
   */
  private pending = new Map<string, Map<string, string[]>>();
  private size = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly redis: Redis & AppendCommand;

  constructor(
    redis: Redis,
    private readonly onError: (err: unknown) => void,
    private readonly flushMs = JOB_LOG_FLUSH_MS,
  ) {
    redis.defineCommand('integradorJobLogAppend', { lua: APPEND_SCRIPT });
    this.redis = redis as Redis & AppendCommand;
  }

  /** Queues one line for the job's log. */
  append(job: Pick<Job, 'id' | 'queueQualifiedName'>, line: string): void {
    let queued = this.pending.get(job.queueQualifiedName);
    if (!queued) {
      queued = new Map();
      this.pending.set(job.queueQualifiedName, queued);
    }
    const jobKey = `${job.queueQualifiedName}:${job.id}`;
    const lines = queued.get(jobKey);
    if (lines) lines.push(line);
    else queued.set(jobKey, [line]);
    if (++this.size >= JOB_LOG_BATCH_MAX) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.flushMs);
  }

  /**
   * Writes what was gathered (also at close). The calls are sent at once, not after the previous ones answered: one
   * connection keeps the order of what is sent on it, and at close the lines go out before the connection quits.
   */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.size) return Promise.resolve();
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.size = 0;
    return Promise.all(
      batch.map((jobs) => {
        const keys: string[] = [];
        const args: (string | number)[] = [];
        for (const [jobKey, lines] of jobs) {
          keys.push(jobKey, `${jobKey}:logs`);
          args.push(lines.length, ...lines);
        }
        const total = args.length - jobs.size;
        return this.redis.integradorJobLogAppend(keys.length, ...keys, ...args).then((failed) => {
          if (failed > 0) this.onError(new Error(`${failed} of ${total} job log lines could not be written`));
        });
      }),
    ).then(() => undefined, this.onError);
  }
}
