export { type BatcherFactory, createBatcherFactory } from './batcher-factory';
export { createDatabaseTransport, isReceptorTable } from './database-transport';
export {
  findOutboundAddressError,
  InvalidIntegrationError,
  OutboundAddressError,
  ReceptorError,
  ResponseTooLargeError,
  TransientTransportError,
} from './errors';
export { attemptFailureOf, parseRetryAfter } from './http-failures';
export { JsonArrayCounter } from './json-array-counter';
export {
  EndpointFetchError,
  type EndpointFetchFailure,
  fetchJsonRecords,
  type JsonEndpointRequest,
  type JsonEndpointResponse,
} from './json-endpoint-client';
export {
  assertAllowedLiteral,
  assertAllowedWithoutDns,
  assertPublicAddress,
  createGuardedAgent,
  createGuardedLookup,
  createOutboundAgents,
  type GuardedAgentOptions,
  isPublicAddress,
  type OutboundAgents,
} from './outbound-guard';
export { createRestTransport } from './rest-transport';
export {
  authorizationForms,
  connectionMasker,
  connectionSecrets,
  createSecretMasker,
  ECHO_MASK,
  MIN_MASKED_SECRET_LENGTH,
  type SecretMasker,
} from './secret-mask';
export { SoapClientCache, sharedSoapClientCache } from './soap-client-cache';
export { createSoapTransport } from './soap-transport';
export { type MissingSoapWrapper, missingSoapWrapper } from './soap-wrapper-check';
export type { Transport, TransportExchange, TransportPreview, TransportRequest, TransportResult } from './transport';
export { createTransportFactory, type TransportFactory, type TransportFactoryOptions } from './transport-factory';
export { webServiceLogin } from './webservice-login';
