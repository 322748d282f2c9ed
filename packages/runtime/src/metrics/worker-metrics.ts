import type { JobObserver, ObservedJobEvent } from '@integrador/queue';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Seconds: from a webhook delivery (tens of milliseconds) to a long GET pull (tens of minutes). */
const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

/** How a job's attempt ended, as the outcome label says it. */
function outcomeOf(event: ObservedJobEvent): 'completed' | 'failed' | 'retried' | 'delayed' | undefined {
  if (event.kind === 'completed' || event.kind === 'delayed') return event.kind;
  if (event.kind === 'failed') return event.final ? 'failed' : 'retried';
  return undefined;
}

/**
 * This worker process's job metrics: each attempt's duration by queue and job name, how attempts ended (completed,
 * failed for good, retried, delayed by a limit without using an attempt) and the jobs running now. Fed by the queue
 * worker's observer events, so it sees exactly what the worker ran; nothing here reads Redis at scrape time.
 */
export function createWorkerMetrics(registry: Registry): JobObserver {
  // Two workers in one process share the registry, and a metric name may be registered once per registry.
  let observer = observers.get(registry);
  if (!observer) {
    observer = jobMetrics(registry);
    observers.set(registry, observer);
  }
  return observer;
}

const observers = new WeakMap<Registry, JobObserver>();

function jobMetrics(registry: Registry): JobObserver {
  const duration = new Histogram({
    name: 'integrador_worker_job_duration_seconds',
    help: 'Time one attempt of a job took in this worker, by queue, job name and outcome',
    labelNames: ['queue', 'job', 'outcome'],
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const outcomes = new Counter({
    name: 'integrador_worker_jobs_total',
    help: 'Job attempts this worker ended, by queue, job name and outcome (completed, failed = for good, retried, delayed)',
    labelNames: ['queue', 'job', 'outcome'],
    registers: [registry],
  });
  const active = new Gauge({
    name: 'integrador_worker_active_jobs',
    help: 'Jobs this worker is running now, by queue',
    labelNames: ['queue'],
    registers: [registry],
  });
  // Keyed by the Job instance BullMQ hands to the processor and to its events: an entry goes with its job.
  const startedAt = new WeakMap<ObservedJobEvent['job'], number>();
  return {
    onJobEvent(event) {
      const { queue, job } = event;
      if (event.kind === 'started') {
        startedAt.set(job, performance.now());
        active.inc({ queue });
        return;
      }
      const outcome = outcomeOf(event);
      if (!outcome) return;
      const labels = { queue, job: job.name, outcome };
      // Every end counts, also one this process never saw start: BullMQ fails a job that stalled more than
      // maxStalledCount times (its workers died under it: an OOM, a crash) in the worker that takes it next, without
      // running it — a job failed for good that IntegradorJobsFailingForGood must see. No attempt ran here: no duration.
      outcomes.inc(labels);
      const start = startedAt.get(job);
      if (start === undefined) return;
      startedAt.delete(job);
      active.dec({ queue });
      duration.observe(labels, (performance.now() - start) / 1000);
    },
  };
}
