import { inspect } from 'node:util';

const REDACTED = '[REDACTED]';

/**
 * A secret value from the connections file (password, token, credentialed URL).
 * Only `reveal()` gives the text; JSON, string conversion and util.inspect print "[REDACTED]", so logging a connection is safe.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The secret text; call it only where the value is handed to a client. */
  reveal(): string {
    return this.#value;
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
