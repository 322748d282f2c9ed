export { type CallEventDeps, type CallEventResult, expireOpenCalls, processCallEvent } from './calls/call-events';
export {
  type CallFilter,
  type CallTenants,
  listCalls,
  type PhoneFilter,
  phoneFilterFor,
  readPhoneFilter,
  typedTelefone,
} from './calls/call-list.repository';
export { type CallRow, type CallStatus, EXTENSION_EXPIRED, findCall, RING_EXPIRED } from './calls/call-log.repository';
export { callStatusReason, callStatusWord, tenantFailureReason } from './calls/call-status.messages';
export {
  admitClickToCall,
  type ClickToCallDeps,
  type ClickToCallResult,
  checkUsuarioRamal,
  completePlacedCall,
  PBX_CONNECTION,
  placeCall,
} from './click-to-call/click-to-call';
export { type ClickToCallFailure, clickToCallFailures, clickToCallJobId } from './click-to-call/click-to-call-failures';
export { sendPbxRequest } from './click-to-call/pbx-client';
export { buildPbxRequest, checkPbxTemplate, dialledNumber, type PbxRequest, pbxSecretVariable } from './click-to-call/pbx-request';
export { failUnknownOutcome, type PbxSendRecord } from './click-to-call/pbx-send-record';
export {
  PBX_PLACEHOLDERS,
  type PbxTemplateProblem,
  pbxTemplateMessage,
  pbxTemplateProblem,
  revealedPbxUrl,
} from './click-to-call/pbx-template';
export { CtiError } from './cti-error';
export { AddressListError, parseRanges } from './listener/client-address';
export {
  type CallEventKind,
  LISTENER_PARAMETER_TAKES,
  type ListenerOutcome,
  type ListenerParameterFault,
  type ListenerRequest,
  restoreTelefonePlus,
  WConnectListener,
  type WConnectListenerOptions,
} from './listener/wconnect-listener';
export { type CallerLookup, lookUpCaller, lookUpIndexedCaller } from './phone/caller-lookup';
export { type NormalizedPhone, normalizePhone } from './phone/normalize-phone';
export { type CallerMatch, catchUpPhoneIndex, findCallers, rebuildPhoneIndex } from './phone/phone-index';
export { operatorPage } from './pop/operator-page';
export { activePops, type PopEvent, publishPop } from './pop/pop-events';
export { PopHub } from './pop/pop-hub';
export { streamPops } from './pop/pop-stream';
export { issuePopToken, type PopGrant, readPopToken, touchPopToken } from './pop/pop-tokens';
export { RAMAL_MAX_LENGTH, RAMAL_PATTERN, RAMAL_TAKES, ramalOf } from './ramal';
export {
  type CtiSettings,
  type CtiSettingsPatch,
  findCtiSettings,
  hostLabelIsOpen,
  issueListenerToken,
  listOpenHostLabels,
  type OpenHostLabel,
  PBX_AUTH_MODES,
  type PbxAuth,
  saveCtiSettings,
  warnOpenHostLabels,
} from './settings/cti-settings.repository';
export { SettingsCache, TtlCache } from './settings/settings-cache';
