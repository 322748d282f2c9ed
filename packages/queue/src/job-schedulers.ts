import { type JobName, type JobPayload, jobDefinition, type QueueName, RETENTION, validatePayload } from '@integrador/jobs';
import { defaultRepeatStrategy, type JobSchedulerJson, type Queue } from 'bullmq';

/** A BullMQ job scheduler as the fleet reads it back. */
export interface SchedulerState {
  id: string;
  pattern: string | null;
  tz: string | null;
  /** When the scheduler produces its next job (epoch ms), null when it has none. */
  next: number | null;
  name: string;
  data: unknown;
}

/** What one scheduler should produce: a cron in a time zone and the job (validated like any enqueued job). */
export interface SchedulerSpec<Q extends QueueName, N extends JobName<Q>> {
  id: string;
  pattern: string;
  tz: string;
  name: N;
  data: JobPayload<Q, N>;
}

/** A cron text BullMQ (cron-parser) refuses; the message is cron-parser's. */
export class InvalidCronError extends Error {
  override name = 'InvalidCronError';
  constructor(
    readonly pattern: string,
    options: ErrorOptions,
  ) {
    super(`invalid cron "${pattern}": ${(options.cause as Error).message}`, options);
  }
}

/**
 * The next time (epoch ms) a cron fires after `from`, computed as BullMQ's schedulers do; throws InvalidCronError for a
 * text BullMQ cannot parse (5 fields, or 6 with seconds first).
 */
export function nextCronTime(pattern: string, tz: string, from = Date.now()): number | null {
  try {
    return defaultRepeatStrategy(from, { pattern, tz }) ?? null;
  } catch (err) {
    throw new InvalidCronError(pattern, { cause: err });
  }
}

function stateOf(s: JobSchedulerJson): SchedulerState {
  return { id: s.key, pattern: s.pattern ?? null, tz: s.tz ?? null, next: s.next ?? null, name: s.name, data: s.template?.data };
}

/** Every job scheduler of a queue. */
export async function listSchedulers(queue: Queue): Promise<SchedulerState[]> {
  return (await queue.getJobSchedulers(0, -1, true)).map(stateOf);
}

/** One job scheduler, or undefined. */
export async function getScheduler(queue: Queue, id: string): Promise<SchedulerState | undefined> {
  const found = await queue.getJobScheduler(id);
  return found ? stateOf(found) : undefined;
}

/**
 * Creates or updates a scheduler; the produced jobs get the job kind's attempts/backoff and the fleet's retention,
 * like enqueued ones. A cron BullMQ cannot parse throws InvalidCronError before anything is written.
 */
export async function upsertScheduler<Q extends QueueName, N extends JobName<Q>>(
  queue: Queue,
  queueName: Q,
  spec: SchedulerSpec<Q, N>,
): Promise<void> {
  nextCronTime(spec.pattern, spec.tz);
  const data = validatePayload(queueName, spec.name, spec.data);
  const policy = jobDefinition(queueName, spec.name)?.policy;
  await queue.upsertJobScheduler(
    spec.id,
    { pattern: spec.pattern, tz: spec.tz },
    { name: spec.name, data, opts: { attempts: policy?.attempts, backoff: policy?.backoff, ...RETENTION } },
  );
}

/** Removes a scheduler (and its pending next job); true when it existed. */
export async function removeScheduler(queue: Queue, id: string): Promise<boolean> {
  return queue.removeJobScheduler(id);
}
