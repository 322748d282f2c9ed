import type { Connection, ConnectionsRegistry } from '@integrador/connections';
import { loadSetDefinition, PermanentError, type SetDefinition } from '@integrador/integrador';
import type { CrmDatabase, Tenant } from '@integrador/store';
import { createDatabaseTransport, createRestTransport, createSoapTransport, SoapClientCache, type Transport } from '@integrador/transports';
import { LRUCache } from 'lru-cache';

/** The transports of one process, one per connection; created at boot, handed to processors and routes, closed at shutdown. */
export interface TransportFactory {
  /** The transport a connection's kind calls for (SOAP clients share the bounded cache, a database receptor a pool). */
  transportFor(connection: Connection): Transport;
  /** Closes every transport it opened (database receptor pools); a shutdown step. */
  close(): Promise<void>;
}

/** A process's transport factory (Temporal's createActivities(db) style: injected, never a module-level cache). */
export function createTransportFactory(soapCache: SoapClientCache = new SoapClientCache({ max: 100 })): TransportFactory {
  const transports = new Map<Connection, Transport>();
  return {
    transportFor(connection) {
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
    },
    async close() {
      const open = [...transports.values()];
      transports.clear();
      await Promise.allSettled(open.map((transport) => transport.close?.()));
    },
  };
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
  transports: TransportFactory,
  tenant: Tenant,
  integracaoId: number,
): Promise<SetTarget> {
  const definition = await loadSetDefinition(database.db, tenant, integracaoId);
  const { integracao, conexao } = definition;
  if (!conexao) {
    throw new PermanentError('MISSING_CONNECTION', `integracao #${integracao.id} (${integracao.nome}) has no conexao_integracao row`);
  }
  const connection = connections.require(conexao.nome_conexao, tenant.empresaId);
  if (connection.kind === 'webservice' && !integracao.porta_ws?.trim()) {
    throw new PermanentError(
      'MISSING_PORTA_WS',
      `integracao #${integracao.id} (${integracao.nome}) porta_ws: expected the SOAP operation to call (e.g. GravarClientes), found none`,
    );
  }
  const timeoutMs = integracao.timeout_ms ?? ('timeoutMs' in connection ? connection.timeoutMs : 30000);
  return { definition, connection, transport: transports.transportFor(connection), timeoutMs };
}

/**
 * Workers reuse an integration's loaded configuration for a few seconds: six queries a push saved, while an edit to
 * the configuration tables still reaches running workers within `ttlMs`.
 */
export function cachedSetTargets(
  database: CrmDatabase,
  connections: ConnectionsRegistry,
  transports: TransportFactory,
  options: { ttlMs?: number; max?: number } = {},
): (tenant: Tenant, integracaoId: number) => Promise<SetTarget> {
  const cache = new LRUCache<string, Promise<SetTarget>>({ max: options.max ?? 500, ttl: options.ttlMs ?? 5000 });
  return (tenant, integracaoId) => {
    const key = `${tenant.empresaId}:${tenant.filialId ?? ''}:${integracaoId}`;
    let target = cache.get(key);
    if (!target) {
      target = resolveSetTarget(database, connections, transports, tenant, integracaoId);
      cache.set(key, target);
      // A failed load (missing row, bad connection) is not kept: the next job tries again.
      target.catch(() => cache.delete(key));
    }
    return target;
  };
}
