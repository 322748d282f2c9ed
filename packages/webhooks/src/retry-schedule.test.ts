import { nextRetryDelay, retryAfterMs } from './retry-schedule';
import { DEFAULT_WEBHOOK_SETTINGS, SVIX_RETRY_SCHEDULE_MS } from './settings';

describe('retry schedule', () => {
  const settings = DEFAULT_WEBHOOK_SETTINGS;

  it("follows Svix's schedule with ±20 % jitter and gives up after the last delay", () => {
    SVIX_RETRY_SCHEDULE_MS.forEach((base, i) => {
      expect(nextRetryDelay(settings, i + 1, 'http_5xx', undefined, () => 0)).toBe(Math.round(base * 0.8));
      expect(nextRetryDelay(settings, i + 1, 'http_5xx', undefined, () => 1)).toBe(Math.round(base * 1.2));
    });
    expect(nextRetryDelay(settings, SVIX_RETRY_SCHEDULE_MS.length + 1, 'http_5xx', undefined)).toBeUndefined();
  });

  it('waits at least a minute after a 429 or a timeout, and honours Retry-After within [delay, 2 × delay]', () => {
    expect(nextRetryDelay(settings, 1, 'rate_limited', undefined, () => 0.5)).toBe(60000);
    expect(nextRetryDelay(settings, 1, 'timeout', undefined, () => 0.5)).toBe(60000);
    expect(nextRetryDelay(settings, 2, 'http_5xx', 400000, () => 0.5)).toBe(400000);
    expect(nextRetryDelay(settings, 2, 'http_5xx', 10 * 3600000, () => 0.5)).toBe(600000);
    expect(nextRetryDelay(settings, 2, 'http_5xx', 1000, () => 0.5)).toBe(300000);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterMs('120')).toBe(120000);
    expect(retryAfterMs(new Date(Date.now() + 5000).toUTCString(), Date.now())).toBeGreaterThan(3000);
    expect(retryAfterMs('soon')).toBeUndefined();
  });
});
