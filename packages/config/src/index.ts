export { EnvSchema, type Env } from './env';
export { ConfigError, loadConfig, loadConfigOrExit, childEnvironment, type Config } from './load-config';
