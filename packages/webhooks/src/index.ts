export { installCaptureTriggers, removeCaptureTriggers } from './capture-triggers';
export { type ChangeEvent, type ChangeEventResult, receiveChangeEvent } from './change-event';
export { type DeliveryDeps, type DeliveryEvents, type DeliveryOutcome, deliverOnce, GATILHO_HEADER, maskHeaders } from './deliver';
export { deletedEndpointIds, ENTREGA_STATUSES, listEntregas, listTentativas } from './deliveries.repository';
export { deliveryRetryRefusal, deliveryRetryRefusals, runDeliveryJob } from './delivery-job';
export { createDeliveryStore, type DeliveryStore } from './delivery-store';
export { countEndpointsByEmpresa, listWebhookEndpoints, type WebhookEndpoint } from './endpoints.repository';
export { WebhookError, type WebhookErrorCode } from './errors';
export { type CircuitState, circuitStates, EndpointFlowControl } from './flow-control';
export {
  GATILHOS,
  type Gatilho,
  isConcluida,
  isWebhookTable,
  OPERACOES,
  type Operacao,
  WEBHOOK_TABLES,
  type WebhookTable,
} from './gatilhos';
export { classifyError, createWebhookHttpClient, type ErrorClass, type SendResult, type WebhookHttpClient } from './http-client';
export { type CancelReason, cancelReasonOf, isWebhookMessageCode, type Locale, webhookMessage } from './messages';
export {
  isRedisUnusable,
  ORPHAN_MIN_AGE_MS,
  type OrphanSweepResult,
  requeueOrphanedDeliveries,
  startOrphanSweep,
} from './orphan-sweep';
export { drainOutbox, startOutboxDrain } from './outbox-drain';
export { deliveryErrorMessage, deliveryReasonCode } from './outcome-wording';
export { buildPayload } from './payloads';
export { deliveryJobId, type NothingSent, type PublishResult, publishChange } from './publish-change';
export { nextRetryDelay } from './retry-schedule';
export { countSealedEndpoints, resealPlainSecrets, warnIfSealedWithoutKey } from './sealed-secrets';
export { generateSigningSecret, openSecret, parseSecretKey, sealSecret } from './secret-box';
export { DEFAULT_WEBHOOK_SETTINGS, SVIX_RETRY_SCHEDULE_MS, type WebhookSettings, webhookSettingsFrom } from './settings';
export { standardWebhookHeaders } from './signing';
export { samplePayload, type TestResult, testWebhookEndpoint } from './test-endpoint';
export {
  createEndpoint,
  deliveryAttempts,
  type EndpointPatchInput,
  type EndpointSettingsInput,
  endpointOfDeliveries,
  heldByBreaker,
  patchEndpoint,
  presentEndpoint,
  presentEntregas,
  type Recovered,
  recoverDeliveries,
  removeEndpoint,
  replaceEndpoint,
  requireChangeableEndpoint,
  requireEndpoint,
  resendDelivery,
  rotateSecret,
} from './webhooks.service';
