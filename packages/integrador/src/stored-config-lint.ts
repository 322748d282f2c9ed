import type { ConnectionsRegistry } from '@integrador/connections';
import { listOpenHostLabels } from '@integrador/cti';
import { type CrmDatabase, GET_SYNC_TABLES, loadConfiguration } from '@integrador/store';
import type { TransportFactory } from '@integrador/transports';
import { lintConfiguration } from './config-lint';
import { knownConnections } from './connection-kind';
import { consultaTables } from './consulta-lint';
import { crmTableShapes } from './crm-table-shapes';
import type { LintFinding } from './lint-finding';
import { lintSoapWrappers } from './soap-wrapper-lint';

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
  const names = new Set<string>([...GET_SYNC_TABLES, ...consultaTables(configuration)]);
  const findings = lintConfiguration(configuration, knownConnections(connections), {
    crmTables: await crmTableShapes(database.db, database.dialect, names, { collations: true }),
    empresaId,
  });
  return [...findings, ...(await ctiFindings(database, empresaId))];
}

/**
 * The receptor-side lint of one empresa (or every one, with null): each SOAP SET/INFO mapping against its WSDL, loaded
 * through `transports` (the network: `config lint --wsdl` only). Bound to the empresa like lintStoredConfiguration.
 */
export async function lintStoredSoapWrappers(
  database: CrmDatabase,
  connections: ConnectionsRegistry,
  transports: TransportFactory,
  empresaId: number | null,
): Promise<LintFinding[]> {
  return lintSoapWrappers(await loadConfiguration(database.db, empresaId), connections, transports);
}

/** Each tenant whose CTI host label no allowlist guards (the rule is packages/cti's hostLabelIsOpen). */
async function ctiFindings(database: CrmDatabase, empresaId: number | null): Promise<LintFinding[]> {
  return (await listOpenHostLabels(database.db, empresaId)).map((open) => ({
    code: 'CTI_HOST_LABEL_WITHOUT_ALLOWLIST',
    severity: 'warning',
    integracaoId: null,
    integracaoNome: null,
    table: 'cti_configuracoes',
    rowId: open.rowId,
    column: 'enderecos_permitidos',
    message: {
      'pt-BR': `empresa #${open.empresaId}: o rótulo do host "${open.hostLabel}" não tem lista de endereços, então aceita eventos de ligação de qualquer origem que conheça o rótulo (ligações falsas, screen pops); informe os endereços do PABX (integrador cti configure ${open.empresaId} --allow <ip/cidr,…>) ou use o caminho com token`,
      en: `empresa #${open.empresaId}: the host label "${open.hostLabel}" has no address list, so it accepts call events from anyone who knows the label (forged calls, screen pops); give the PBX addresses (integrador cti configure ${open.empresaId} --allow <ip/cidr,…>) or use the token path`,
    },
  }));
}
