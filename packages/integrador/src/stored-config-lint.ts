import type { ConnectionsRegistry } from '@integrador/connections';
import { type CrmDatabase, GET_SYNC_TABLES, loadConfiguration } from '@integrador/store';
import { lintConfiguration } from './config-lint';
import type { KnownConnections } from './connection-kind';
import { describeCrmTable } from './get/crm-table';
import type { CrmTableColumns } from './get-lint';
import type { LintFinding } from './lint-finding';

/** The connections file as the linter sees it: nome_conexao → kind and empresa restriction. */
export function knownConnections(connections: ConnectionsRegistry): KnownConnections {
  return new Map(
    [...connections.entries()].map(([name, connection]) => [name, { kind: connection.kind, empresaId: connection.empresaId }]),
  );
}

/**
 * Lints the Integrador configuration tables of one empresa (or, with null, of every empresa). With an empresa it is
 * bound to it: only its rows (and the shared conexao_integracao rows it uses) are read, and hints name only the
 * connections of the file it may use.
 */
export async function lintStoredConfiguration(
  database: CrmDatabase,
  connections: ConnectionsRegistry,
  empresaId: number | null,
): Promise<LintFinding[]> {
  const configuration = await loadConfiguration(database.db, empresaId);
  return lintConfiguration(configuration, knownConnections(connections), { crmTables: await crmTableColumns(database), empresaId });
}

/** The columns of the CRM tables a GET may upsert into, as the database has them (GET lint checks sql_consulta's aliases). */
async function crmTableColumns(database: CrmDatabase): Promise<CrmTableColumns> {
  const tables = new Map<string, ReadonlySet<string>>();
  for (const name of GET_SYNC_TABLES) {
    const table = await describeCrmTable(database.db, database.dialect, name);
    if (table) tables.set(name, new Set(table.columns.keys()));
  }
  return tables;
}
