export { type Env, EnvSchema } from './env';
export { HUB_VERSION } from './hub-version';
export {
  type AdmissionRate,
  type Config,
  ConfigError,
  childEnvironment,
  DEFAULT_HTTP_TIMEOUTS,
  type HttpTimeouts,
  loadConfig,
  loadConfigOrExit,
  type RetentionConfig,
  type WebhookConfig,
} from './load-config';
export { outboundLoopbackAllowed } from './outbound-loopback';
export { type PreferredLocale, preferredLocale } from './preferred-locale';
