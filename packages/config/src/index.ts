export { type Env, EnvSchema } from './env';
export {
  type AdmissionRate,
  type Config,
  ConfigError,
  childEnvironment,
  loadConfig,
  loadConfigOrExit,
  type WebhookConfig,
} from './load-config';
export { type PreferredLocale, preferredLocale } from './preferred-locale';
