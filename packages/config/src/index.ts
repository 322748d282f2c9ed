export { type Env, EnvSchema } from './env';
export { type Config, ConfigError, childEnvironment, loadConfig, loadConfigOrExit } from './load-config';
