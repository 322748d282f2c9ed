import type { ConnectionsRegistry } from '@integrador/connections';
import { type KnownConnections, type LintFinding, lintConfiguration } from '@integrador/integrador';
import { type CrmDatabase, loadConfiguration } from '@integrador/store';

/** The connections file as the linter sees it: nome_conexao → kind. */
export function knownConnections(connections: ConnectionsRegistry): KnownConnections {
  return new Map([...connections.entries()].map(([name, connection]) => [name, { kind: connection.kind }]));
}

/** Lints the Integrador configuration tables of one empresa (or, with null, of every empresa). */
export async function lintStoredConfiguration(
  database: CrmDatabase,
  connections: ConnectionsRegistry,
  empresaId: number | null,
): Promise<LintFinding[]> {
  const configuration = await loadConfiguration(database.db, empresaId);
  return lintConfiguration(configuration, knownConnections(connections));
}
