import { LRUCache } from 'lru-cache';
import type { Client } from 'soap';

/**
 * soap clients by WSDL URL, least recently used dropped past `max`. Parsing a WSDL costs a request and some CPU,
 * so every transport of a process shares these (a client holds no credentials or sockets: both are per call).
 * Concurrent first calls for one WSDL share one load; a failed load is forgotten, so the next call tries again.
 */
export class SoapClientCache {
  readonly #clients: LRUCache<string, Client>;
  // Loads in flight stay out of the LRU: a WSDL that fails to load must not evict a client that works.
  readonly #loading = new Map<string, Promise<Client>>();

  constructor(options: { max: number } = { max: 100 }) {
    this.#clients = new LRUCache({ max: options.max });
  }

  /** The client for `wsdlUrl`, from the cache, from a load already under way, or from `load`. */
  get(wsdlUrl: string, load: (wsdlUrl: string) => Promise<Client>): Promise<Client> {
    const cached = this.#clients.get(wsdlUrl);
    if (cached) return Promise.resolve(cached);
    const pending = this.#loading.get(wsdlUrl);
    if (pending) return pending;
    const loading = load(wsdlUrl).then(
      (client) => {
        this.#loading.delete(wsdlUrl);
        this.#clients.set(wsdlUrl, client);
        return client;
      },
      (error: unknown) => {
        this.#loading.delete(wsdlUrl);
        throw error;
      },
    );
    this.#loading.set(wsdlUrl, loading);
    return loading;
  }

  /** How many clients are cached. */
  get size(): number {
    return this.#clients.size;
  }

  /** Drops every cached client; the next call for each WSDL loads it again. */
  clear(): void {
    this.#clients.clear();
  }
}

/** The cache transports use when none is given: one per process. */
export const sharedSoapClientCache = new SoapClientCache({ max: 100 });
