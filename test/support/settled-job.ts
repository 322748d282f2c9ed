import type { JobProducer } from '@integrador/queue';

/** Waits until a SET job is completed or failed (polling every 50 ms) and returns it as it ended, with that state. */
export async function settledSetJob(producer: JobProducer, jobId: string, timeoutMs = 60000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await producer.getJob('set', jobId);
    const state = await job?.getState();
    if (job && (state === 'completed' || state === 'failed')) return { job: (await producer.getJob('set', jobId)) ?? job, state };
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${state}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
