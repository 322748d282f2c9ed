import { Writable } from 'node:stream';

/** A pino destination that keeps what a logger writes: each JSON line parsed, and the raw text. */
export interface LogCapture {
  destination: Writable;
  /** Every line written so far, parsed. */
  lines: Record<string, unknown>[];
  /** Everything written so far, as written (for "this secret appears nowhere"). */
  text(): string;
}

/** A destination for createLogger({ destination }) that a test reads back. */
export function captureLogs(): LogCapture {
  const lines: Record<string, unknown>[] = [];
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      const text = String(chunk);
      chunks.push(text);
      for (const line of text.split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { destination, lines, text: () => chunks.join('') };
}
