import type { Redis } from 'ioredis';
import { popKeys } from './pop-keys';

type Listener = (message: string) => void;

/**
 * One Redis subscription per ingress process, fanned out in-process to the SSE streams of each (empresa, ramal):
 * a pop published by any process (listener or worker) reaches every subscriber wherever it is connected. ioredis
 * subscribes again by itself after a reconnect; what was published meanwhile is replayed from the active-call state.
 */
export class PopHub {
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(
    private readonly subscriber: Redis,
    private readonly prefix: string,
  ) {
    subscriber.on('message', (channel: string, message: string) => {
      for (const listener of this.listeners.get(channel) ?? []) listener(message);
    });
  }

  /** Delivers every pop of the ramal to `listener` until the returned function is called. */
  async subscribe(empresaId: number, ramal: string, listener: Listener): Promise<() => Promise<void>> {
    const channel = popKeys(this.prefix).channel(empresaId, ramal);
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
      await this.subscriber.subscribe(channel);
    }
    set.add(listener);
    return async () => {
      const current = this.listeners.get(channel);
      current?.delete(listener);
      if (current && current.size === 0) {
        this.listeners.delete(channel);
        await this.subscriber.unsubscribe(channel).catch(() => undefined);
      }
    };
  }

  /** Closes the subscription connection. */
  async close(): Promise<void> {
    this.listeners.clear();
    await this.subscriber.quit().catch(() => this.subscriber.disconnect());
  }
}
