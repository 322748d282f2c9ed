import type { Connection } from '@integrador/connections';
import { type ConnectionTestOptions, type ConnectionTestResult, runConnectionTest } from '@integrador/sources';
import { webServiceLogin } from '@integrador/transports';

/**
 * Tests a connection of the file (seed 000's "ping and first access"): a database step by step (@integrador/sources),
 * a web service by reachability and its login through the receptors' own SOAP transport (the path its pushes take),
 * an API by the reachability of its base URL. The one entry point of the CLI, the API route and the dashboard.
 */
export function testConnection(connection: Connection, options: ConnectionTestOptions = {}): Promise<ConnectionTestResult> {
  return runConnectionTest(connection, { webServiceLogin }, options);
}
