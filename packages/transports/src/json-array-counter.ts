/**
 * Counts the elements of a top-level JSON array as its bytes arrive, without parsing them, so a call with too many
 * records is cancelled as soon as the first record past the limit starts. Structural characters are ASCII and every
 * byte of a multi-byte UTF-8 character is >= 0x80, so scanning bytes is exact. Malformed JSON is left to JSON.parse.
 */
export class JsonArrayCounter {
  /** Elements of the top-level array seen so far (0 while the body is not an array). */
  count = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private awaitingElement = false;

  /** Scans one more chunk of the body. */
  feed(chunk: Uint8Array): void {
    for (const byte of chunk) {
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (byte === 0x5c) this.escaped = true;
        else if (byte === 0x22) this.inString = false;
        continue;
      }
      if (byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09) continue;
      if (this.depth === 1 && this.awaitingElement && byte !== 0x5d && byte !== 0x2c) {
        this.count++;
        this.awaitingElement = false;
      }
      if (byte === 0x22) this.inString = true;
      else if (byte === 0x5b || byte === 0x7b) {
        // Only an array at the top counts; an object body has no records to count.
        if (this.depth === 0 && byte === 0x5b) this.awaitingElement = true;
        this.depth++;
      } else if (byte === 0x5d || byte === 0x7d) this.depth--;
      else if (byte === 0x2c && this.depth === 1) this.awaitingElement = true;
    }
  }
}
