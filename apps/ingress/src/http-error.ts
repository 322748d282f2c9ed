import type { MessageKey } from './i18n';

/** An error the HTTP boundary turns into `{ error: { code, message } }` with this status. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly statusCode: number,
    readonly code: MessageKey,
    readonly params: Record<string, string> = {},
    options?: ErrorOptions,
  ) {
    super(code, options);
  }
}
