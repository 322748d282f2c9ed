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
}
