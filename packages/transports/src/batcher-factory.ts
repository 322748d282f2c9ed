import { LRUCache } from 'lru-cache';
import { type BatchingOptions, batchingTransport } from './batching-transport';
import type { Transport, TransportResult } from './transport';

/** The micro-batchers of one process, one per batch key (e.g. tenant and integration); created at boot, closed at shutdown. */
export interface BatcherFactory {
  /** The batcher of `key` over `inner`; a new one when the key's transport or options changed. */
  batcherFor(key: string, inner: Transport, options: BatchingOptions): Transport;
  /** Forgets every batcher and waits for the calls they still have under way; a shutdown step. */
  close(): Promise<void>;
}

interface Entry {
  inner: Transport;
  options: BatchingOptions;
  batcher: Transport;
}

const sameOptions = (a: BatchingOptions, b: BatchingOptions) =>
  a.max === b.max && a.answerList === b.answerList && a.waitMs === b.waitMs && a.gatherMs === b.gatherMs;

/**
 * A process's batcher factory: at most `max` batchers (least recently used evicted), so integrations that stopped
 * batching or were deleted do not hold one for the life of the worker. An evicted batcher is only forgotten: its open
 * batch still fires on its own timer, and close() still waits for it. The inner transports are the transport
 * factory's and are closed there, never here.
 */
export function createBatcherFactory(options: { max?: number } = {}): BatcherFactory {
  const batchers = new LRUCache<string, Entry>({ max: options.max ?? 1000 });
  const pending = new Set<Promise<TransportResult>>();
  // The batcher's close() would be its inner transport's: left out, the transport factory closes those.
  const tracked = ({ close: _inner, ...batcher }: Transport): Transport => ({
    ...batcher,
    send(request) {
      const sent = batcher.send(request);
      pending.add(sent);
      const forget = () => void pending.delete(sent);
      sent.then(forget, forget);
      return sent;
    },
  });
  return {
    batcherFor(key, inner, batching) {
      const known = batchers.get(key);
      if (known && known.inner === inner && sameOptions(known.options, batching)) return known.batcher;
      const batcher = tracked(batchingTransport(inner, batching));
      batchers.set(key, { inner, options: batching, batcher });
      return batcher;
    },
    async close() {
      batchers.clear();
      await Promise.allSettled([...pending]);
    },
  };
}
