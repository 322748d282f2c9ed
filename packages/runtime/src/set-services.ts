import type { Connection, ConnectionsRegistry } from '@integrador/connections';
import { loadSetDefinition, PermanentError, type SetDefinition } from '@integrador/integrador';
import type { CrmDatabase, Tenant } from '@integrador/store';
import {
  createDatabaseTransport,
  createRestTransport,
  createSoapTransport,
  type SoapClientCache,
  type Transport,
} from '@integrador/transports';
import { LRUCache } from 'lru-cache';

const transports = new Map<Connection, Transport>();

/** The transport a connection's kind calls for, one per connection (SOAP clients share the bounded cache, databases a pool). */
export function transportFor(connection: Connection, soapCache: SoapClientCache): Transport {
  const known = transports.get(connection);
  if (known) return known;
  const created =
    connection.kind === 'webservice'
      ? createSoapTransport(connection, { cache: soapCache })
      : connection.kind === 'api'
        ? createRestTransport(connection)
        : createDatabaseTransport(connection);
  transports.set(connection, created);
  return created;
}

/** Closes every transport opened by this process (database receptor pools); a shutdown step of each app. */
export async function closeAllTransports(): Promise<void> {
  const open = [...transports.values()];
  transports.clear();
  await Promise.allSettled(open.map((transport) => transport.close?.()));
}

/** Everything a SET/INFO run needs besides the records: the definition, its transport and its timeout. */
export interface SetTarget {
  definition: SetDefinition;
  connection: Connection;
  transport: Transport;
  timeoutMs: number;
}

/** Loads an integration of the tenant and the transport of its connection (PermanentError when misconfigured). */
export async function resolveSetTarget(
  database: CrmDatabase,
  connections: ConnectionsRegistry,
  soapCache: SoapClientCache,
  tenant: Tenant,
  integracaoId: number,
): Promise<SetTarget> {
  const definition = await loadSetDefinition(database.db, tenant, integracaoId);
  const { integracao, conexao } = definition;
  if (!conexao) {
    throw new PermanentError('MISSING_CONNECTION', `integracao #${integracao.id} (${integracao.nome}) has no conexao_integracao row`);
  }
  const connection = connections.require(conexao.nome_conexao, tenant.empresaId);
  const timeoutMs = integracao.timeout_ms ?? ('timeoutMs' in connection ? connection.timeoutMs : 30000);
  return { definition, connection, transport: transportFor(connection, soapCache), timeoutMs };
}

/**
 * Workers reuse an integration's loaded configuration for a few seconds: six queries a push saved, while an edit to
 * the configuration tables still reaches running workers within `ttlMs`.
 */
export function cachedSetTargets(
  database: CrmDatabase,
  connections: ConnectionsRegistry,
  soapCache: SoapClientCache,
  options: { ttlMs?: number; max?: number } = {},
): (tenant: Tenant, integracaoId: number) => Promise<SetTarget> {
  const cache = new LRUCache<string, Promise<SetTarget>>({ max: options.max ?? 500, ttl: options.ttlMs ?? 5000 });
  return (tenant, integracaoId) => {
    const key = `${tenant.empresaId}:${tenant.filialId ?? ''}:${integracaoId}`;
    let target = cache.get(key);
    if (!target) {
      target = resolveSetTarget(database, connections, soapCache, tenant, integracaoId);
      cache.set(key, target);
      // A failed load (missing row, bad connection) is not kept: the next job tries again.
      target.catch(() => cache.delete(key));
    }
    return target;
  };
}
