export { createLogger, type Logger, type LoggerOptions } from './create-logger';
export { redactSecrets, scrubText, REDACTED } from './redact';
