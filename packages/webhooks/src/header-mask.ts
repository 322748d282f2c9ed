const SECRET_HEADER = /auth|token|secret|senha|password|key|cookie|signature/i;

/**
 * Request headers as recorded and shown: the endpoint's own (custom) headers, write-only secrets, and every header whose
 * name may carry a secret have their whole value replaced by `***` (no prefix: a few characters are most of a short token).
 */
export function maskHeaders(headers: Record<string, string>, custom: Iterable<string> = []): Record<string, string> {
  const own = new Set([...custom].map((name) => name.toLowerCase()));
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name, own.has(name.toLowerCase()) || SECRET_HEADER.test(name) ? '***' : value]),
  );
}

/**
 * The headers the hub itself sends whose values hold no secret (content-type, Standard Webhooks' id and timestamp,
 * the gatilho: deliver.ts); `webhook-signature` is masked by its name.
 */
const HUB_HEADERS = new Set(['content-type', 'webhook-id', 'webhook-timestamp', 'webhook-gatilho']);

/**
 * A recorded attempt's headers as shown: every header the hub does not send itself came from the endpoint's custom
 * headers (the only other source of an attempt's headers), so each is masked whole whatever its name — also in rows
 * recorded before custom headers were masked when written (an ordinary-looking `X-Cliente` kept its value there), and
 * for a header the endpoint has since dropped.
 */
export function maskRecordedHeaders(headers: Record<string, string>): Record<string, string> {
  return maskHeaders(
    headers,
    Object.keys(headers).filter((name) => !HUB_HEADERS.has(name.toLowerCase())),
  );
}
