export { createLogger, type Logger, type LoggerOptions } from './create-logger';
export { isSecretName, maskSecretsInText, SECRET_MASK } from './mask-secrets';
export { REDACTED, redactSecrets, scrubText } from './redact';
export { revealedUrl, urlSecretValues } from './revealed-url';
export { MASK, maskUrlsInText, shownUrl, slashedPassword, withUrlShown } from './shown-url';
