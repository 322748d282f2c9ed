import { ConfigError } from './load-config';

/**
 * OUTBOUND_ALLOW_LOOPBACK alone, validated as loadConfig validates it: for the CLI, whose commands load the rest of the
 * configuration only when they need it, but may reach a connection from its own process (connections test, info,
 * cti test-pbx --send, endpoints validate). Throws a ConfigError naming a value other than true or false.
 */
export function outboundLoopbackAllowed(source: NodeJS.ProcessEnv = process.env): boolean {
  const value = source.OUTBOUND_ALLOW_LOOPBACK;
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') return true;
  throw new ConfigError('OUTBOUND_ALLOW_LOOPBACK', JSON.stringify(value));
}
