/** How a reader connects; every field has a default. */
export interface SourceReaderOptions {
  /** Connections the reader may hold at once (default 2: one stream and one lookup). */
  poolSize?: number;
  /** How long to wait for the server to accept the connection and login (default 10000 ms). */
  connectTimeoutMs?: number;
}

export const DEFAULT_POOL_SIZE = 2;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** The options with their defaults applied. */
export function withDefaults(options: SourceReaderOptions = {}): Required<SourceReaderOptions> {
  return {
    poolSize: options.poolSize ?? DEFAULT_POOL_SIZE,
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
  };
}
