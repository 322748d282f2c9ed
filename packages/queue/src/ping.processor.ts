import { setTimeout as sleep } from 'node:timers/promises';
import type { PingPayload, PingResult } from '@integrador/jobs';
import type { JobContext } from './queue-worker';

/** system.ping on any queue: optionally holds the slot for sleepMs, then answers with the worker's pid. */
export async function pingProcessor(payload: PingPayload, ctx: JobContext): Promise<PingResult> {
  if (payload.sleepMs > 0) await sleep(payload.sleepMs, undefined, ctx.signal ? { signal: ctx.signal } : undefined);
  return { pong: true, pid: process.pid, sleptMs: payload.sleepMs, at: new Date().toISOString() };
}
