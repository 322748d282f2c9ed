/** Codes the webhook engine answers with; messages.ts words them in pt-BR and English. */
export type WebhookErrorCode =
  | 'WEBHOOK_NOT_FOUND'
  | 'DELIVERY_NOT_FOUND'
  | 'WEBHOOK_URL_INVALID'
  | 'WEBHOOK_URL_PLACEHOLDER'
  | 'WEBHOOK_URL_CREDENTIALS'
  | 'WEBHOOK_GATILHO_INVALID'
  | 'WEBHOOK_HEADER_INVALID'
  | 'WEBHOOK_HEADERS_REQUIRED'
  | 'WEBHOOK_DISABLED'
  | 'CHANGE_TABLE_INVALID';

/** A refusal of the caller's input or a missing resource (never an internal failure); `status` is the HTTP one. */
export class WebhookError extends Error {
  override name = 'WebhookError';
  constructor(
    readonly code: WebhookErrorCode,
    readonly status: 400 | 404 | 409,
    readonly params: Record<string, string> = {},
  ) {
    super(`${code} ${JSON.stringify(params)}`);
  }
}
