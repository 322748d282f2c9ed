import { Registry } from 'prom-client';
import { createWebhookMetrics } from './webhook-metrics';

// An operator alerts on a receiver that keeps failing from worker-webhook's /metrics: delivery outcomes by a bounded
// cause, breakers opened and endpoints disabled. No endpoint id or URL is a label (unbounded, and a URL may hold a token).
describe("worker-webhook's delivery metrics", () => {
  it('counts outcomes by cause, breakers opened and endpoints disabled, with bounded labels only', async () => {
    const registry = new Registry();
    const events = createWebhookMetrics(registry);
    events.outcome({ kind: 'delivered', attempt: 1, status: 200 });
    events.outcome({ kind: 'retry', untilMs: 0, attempt: 1, maxAttempts: 8, errorClass: 'http_5xx' });
    events.outcome({ kind: 'retry', untilMs: 0, attempt: 2, maxAttempts: 8, errorClass: 'http_5xx' });
    events.outcome({ kind: 'wait', untilMs: 0, reason: 'breaker' });
    events.outcome({
      kind: 'failed',
      attempt: 8,
      reason: 'gave up after 8 attempts: HTTP 500',
      code: 'WEBHOOK_RECEIVER_HTTP_ERROR',
      params: { status: 500, tentativas: 8 },
    });
    events.breakerOpened();
    events.endpointDisabled('GONE');
    const text = await registry.metrics();
    expect(text).toContain('integrador_webhook_deliveries_total{outcome="delivered",cause=""} 1');
    expect(text).toContain('integrador_webhook_deliveries_total{outcome="retry",cause="http_5xx"} 2');
    expect(text).toContain('integrador_webhook_deliveries_total{outcome="wait",cause="breaker"} 1');
    expect(text).toContain('integrador_webhook_deliveries_total{outcome="failed",cause="WEBHOOK_RECEIVER_HTTP_ERROR"} 1');
    expect(text).toContain('integrador_webhook_breaker_opened_total 1');
    expect(text).toContain('integrador_webhook_endpoints_disabled_total{reason="GONE"} 1');
    expect(text).not.toMatch(/endpoint(_id)?="|url="|empresa="/);
  });
});
