/** Codes the webhook engine answers with; messages.ts words them in pt-BR and English. */
export type WebhookErrorCode =
  | 'WEBHOOK_NOT_FOUND'
  | 'DELIVERY_NOT_FOUND'
  | 'WEBHOOK_URL_INVALID'
  | 'WEBHOOK_URL_PLACEHOLDER'
  | 'WEBHOOK_URL_CREDENTIALS'
  | 'WEBHOOK_URL_HTTPS_REQUIRED'
  | 'WEBHOOK_URL_FORBIDDEN'
  | 'WEBHOOK_GATILHO_INVALID'
  | 'WEBHOOK_HEADER_INVALID'
  | 'WEBHOOK_HEADERS_REQUIRED'
  | 'WEBHOOK_DISABLED'
  | 'WEBHOOK_DELETED'
  | 'WEBHOOK_ROTATION_IN_GRACE'
  | 'CHANGE_TABLE_INVALID'
  | 'CHANGE_ID_REQUIRED'
  | 'CHANGE_IN_PROGRESS'
  | 'CHANGE_KEY_REUSED'
  | 'WEBHOOK_SECRET_KEY_MISSING';

/**
 * A refusal of the caller's input, a missing resource, or (503) a signing secret this host cannot open (never an
 * internal failure); `status` is the HTTP one.
 */
export class WebhookError extends Error {
  override name = 'WebhookError';
  constructor(
    readonly code: WebhookErrorCode,
    readonly status: 400 | 404 | 409 | 422 | 503,
    readonly params: Record<string, string> = {},
    /** The message that words it when the code has more than one case (an address no allowlist can open): the code by default. */
    readonly wording: WebhookWording = code,
  ) {
    super(`${code} ${JSON.stringify(params)}`);
  }
}

/** The catalogue entries a WebhookError is worded with: its code's, or one of a code's particular cases. */
export type WebhookWording = WebhookErrorCode | 'WEBHOOK_URL_NEVER_ALLOWED';
