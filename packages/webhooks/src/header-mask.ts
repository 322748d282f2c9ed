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
