import type { DeliveryEvents, DeliveryOutcome } from '@integrador/webhooks';
import { Counter, type Registry } from 'prom-client';

/**
 * The cause a delivery run's outcome is counted under: a bounded set (an attempt's error class, a failure code, a
 * wait's or a skip's reason), never an endpoint, a URL or an empresa.
 */
function causeOf(outcome: DeliveryOutcome): string {
  switch (outcome.kind) {
    case 'delivered':
      return '';
    case 'retry':
      return outcome.errorClass ?? 'hub_refused';
    case 'failed':
      return outcome.code;
    case 'wait':
    case 'skipped':
      return outcome.reason;
  }
}

/**
 * worker-webhook's delivery metrics, for an operator's alerts on a receiver that keeps failing: how each delivery run
 * ended (delivered, retry, failed for good, wait, skipped) and why, breakers opened and endpoints disabled.
 */
export function createWebhookMetrics(registry: Registry): DeliveryEvents {
  const outcomes = new Counter({
    name: 'integrador_webhook_deliveries_total',
    help: 'Webhook delivery runs this worker ended, by outcome (delivered, retry, failed = for good, wait, skipped) and cause (error class, failure code or wait reason)',
    labelNames: ['outcome', 'cause'],
    registers: [registry],
  });
  const breakers = new Counter({
    name: 'integrador_webhook_breaker_opened_total',
    help: "Times an endpoint's circuit breaker opened from closed (its WEBHOOK_BREAKER_FAILURES-th failure in a row; a failed half-open probe re-opening it is not counted), counted by this worker",
    registers: [registry],
  });
  const disabled = new Counter({
    name: 'integrador_webhook_endpoints_disabled_total',
    help: 'Endpoints this worker disabled, by reason (GONE: the receiver answered 410; FAILING_TOO_LONG: WEBHOOK_DISABLE_AFTER_MS)',
    labelNames: ['reason'],
    registers: [registry],
  });
  return {
    outcome: (outcome) => outcomes.inc({ outcome: outcome.kind, cause: causeOf(outcome) }),
    breakerOpened: () => breakers.inc(),
    endpointDisabled: (reason) => disabled.inc({ reason }),
  };
}
