/** One configured limit (a row of limites_tenant). 0 / null means "no limit" for that dimension. */
export interface LimitRule {
  empresaId: number;
  filialId: number | null;
  /** null: the limit counts the tenant's jobs; a name: its outbound calls through that connection. */
  connection: string | null;
  /** Sustained rate (jobs or calls per second); 0 = no rate limit. */
  ratePerSecond: number;
  /** How many may start back to back before the rate applies (≥ 1). */
  burst: number;
  /** Jobs of the scope active at once across every worker; 0 = no cap (connection scopes: calls in flight are not capped). */
  maxConcurrency: number;
}

/** The hot-path form of a rule, as mirrored into Redis. */
export interface ScopeLimit {
  rate: number;
  burst: number;
  concurrency: number;
}

/** "rate,burst,concurrency" — the mirror's value. */
export function encodeLimit(rule: Pick<LimitRule, 'ratePerSecond' | 'burst' | 'maxConcurrency'>): string {
  return `${rule.ratePerSecond},${Math.max(1, rule.burst)},${rule.maxConcurrency}`;
}

/** Parses a mirror value; undefined when unreadable. */
export function decodeLimit(value: string): ScopeLimit | undefined {
  const [rate, burst, concurrency] = value.split(',').map(Number);
  if (![rate, burst, concurrency].every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0)) return undefined;
  return { rate: rate as number, burst: Math.max(1, burst as number), concurrency: concurrency as number };
}
