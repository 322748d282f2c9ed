export { brasiliaDateTime, eventoChave, writeContatos, writeEventos } from './crm-writer';
export {
  admitEndpointSync,
  EndpointSyncRefusedError,
  SEED_003_LIMITS,
  VALIDATE_TIMEOUT_MS,
  validationLimits,
} from './endpoint-admission';
export { authHeaders, EndpointSecretError, SECRET_REFERENCE, secretVariable } from './endpoint-auth';
export { endpointFailureText, recordErrorMessage, statusMessage } from './endpoint-messages';
export {
  type EndpointLimits,
  type EndpointRunContext,
  EndpointSyncError,
  type EventoReport,
  type EventoValidation,
  MAX_REPORTED_ERRORS,
  type SyncReport,
  syncEndpointService,
  validateEndpointService,
} from './endpoint-sync';
export { normalizeRecord } from './payload-normalize';
export { CONTATO_FIELDS, EVENTO_FIELDS } from './payload-schemas';
export { type RecordError, type RecordErrorCode, type ValidRecord, validateRecord, validateRecords } from './payload-validation';
export { checkServiceInput, type ServiceInputProblem } from './service-input';
