import type { QueueName } from '@integrador/jobs';
import type { Job } from 'bullmq';

/** A moment of a job's life the worker runner reports: taken, delayed without an attempt, completed, failed. */
export interface ObservedJobEvent {
  queue: QueueName;
  job: Job;
  kind: 'started' | 'delayed' | 'completed' | 'failed';
  /** For a failure: true when no attempt is left (or the error is permanent). */
  final?: boolean;
  error?: Error;
}

/**
 * Listens to the jobs a worker runs (the dashboard's job records). Called synchronously from the runner: an
 * observer must return at once and do its I/O in the background, so recording can never slow or fail a job.
 */
export interface JobObserver {
  onJobEvent(event: ObservedJobEvent): void;
  /**
   * The start of a job taken again after its worker died mid-run (BullMQ's stalled check gave it back: stalledCounter
   * > 0), told instead of onJobEvent and awaited before the job runs: a job that may kill its worker again is recorded
   * as running first. Must settle within a bound and never reject. Optional: without it, onJobEvent is told.
   */
  onDurableStart?(event: ObservedJobEvent): Promise<void>;
}
