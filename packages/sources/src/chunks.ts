import type { SourceRow } from './source-reader';

/** Groups a stream of rows into arrays of at most `size` rows; only one chunk is ever held. */
export async function* chunkRows(rows: AsyncIterable<SourceRow>, size: number): AsyncGenerator<SourceRow[]> {
  let chunk: SourceRow[] = [];
  for await (const row of rows) {
    chunk.push(row);
    if (chunk.length >= size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

/** Throws unless `size` is a positive integer: a chunk of 0 or 1.5 rows is a caller's bug. */
export function assertChunkSize(size: number): void {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`chunkSize must be a positive integer, got ${size}`);
}

/** The signal's reason as an Error (AbortSignal.abort() gives a DOMException named AbortError). */
export function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException('The operation was aborted', 'AbortError');
}

/**
 * Awaits `next` unless the signal aborts first. An abort while `next` is pending calls `cancel` at once (it cuts the
 * driver's fetch, e.g. by destroying the connection) and throws the abort reason. The caller checks
 * `signal.aborted` before starting a fetch: an abort between fetches closes the cursor the ordinary way.
 */
export async function raceAbort<T>(next: Promise<T>, signal: AbortSignal | undefined, cancel: () => void): Promise<T> {
  if (!signal) return next;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      cancel();
      reject(abortReason(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
  // The fetch may still settle (or fail) after the abort: nobody waits for it any more.
  next.catch(() => {});
  try {
    return await Promise.race([next, aborted]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}
