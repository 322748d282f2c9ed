import type { Connection, ConnectionsRegistry } from '@integrador/connections';
import type { CrmDatabase, Tenant } from '@integrador/store';
import type { BatcherFactory, Transport, TransportFactory } from '@integrador/transports';
import { LRUCache } from 'lru-cache';
import { type CompiledSetDefinition, compileSetDefinition } from './compile-set';
import { linkVariables } from './link-template';
import { PermanentError } from './permanent-error';
import { loadSetDefinition } from './set-definition.repository';

/** Everything a SET/INFO run needs besides the records: the compiled definition, its transport and its timeout. */
export interface SetTarget {
  definition: CompiledSetDefinition;
  connection: Connection;
  /**
   * The connection's transport, looked up in the factory on every call (never held: a reload of the connections file
   * retires the transports of replaced definitions, and a target cached for a few seconds must not keep one alive).
   */
  transport: Transport;
  timeoutMs: number;
}

// One per factory and loaded connection, so that the batcher of an integration (keyed by its inner transport) stays the
// same while targets are resolved anew every few seconds; a reload makes new connection objects, hence new entries.
const lookedUp = new WeakMap<TransportFactory, WeakMap<Connection, Transport>>();

/** A transport that asks the factory for the connection's transport on each call (SetTarget.transport). */
function lookedUpTransport(transports: TransportFactory, connection: Connection): Transport {
  const ofFactory = lookedUp.get(transports) ?? new WeakMap<Connection, Transport>();
  lookedUp.set(transports, ofFactory);
  const known = ofFactory.get(connection);
  if (known) return known;
  const transport: Transport = {
    // Known from the connection, without opening its transport: a database receptor inserts on every send.
    ...(connection.kind === 'database' ? { resendMayDuplicate: true } : {}),
    send: (request) => transports.transportFor(connection).send(request),
    preview: (request) => transports.transportFor(connection).preview(request),
  };
  if (connection.kind === 'webservice')
    transport.describeParameters = async (link, operation) => transports.transportFor(connection).describeParameters?.(link, operation);
  ofFactory.set(connection, transport);
  return transport;
}

/**
 * Loads an integration of the tenant, compiles it (compileSetDefinition: once per load, every push of it reuses that)
 * and finds the transport of its connection (PermanentError when misconfigured).
 */
export async function resolveSetTarget(
  database: CrmDatabase,
  connections: ConnectionsRegistry,
  transports: TransportFactory,
  tenant: Tenant,
  integracaoId: number,
): Promise<SetTarget> {
  const loaded = await loadSetDefinition(database.db, tenant, integracaoId);
  const { integracao, conexao } = loaded;
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
  // A SOAP link is the WSDL's address: a #var# there would load a WSDL per record and churn the shared client cache.
  if (connection.kind === 'webservice' && linkVariables(integracao.link).length > 0) {
    throw new PermanentError(
      'TRANSPORT_INVALID_INTEGRATION',
      `integracao #${integracao.id} (${integracao.nome}) link: a SOAP link is the WSDL's address, the same for every record; expected a fixed link without #variables# (values go in the envelope, through the campos)`,
    );
  }
  const timeoutMs = integracao.timeout_ms ?? ('timeoutMs' in connection ? connection.timeoutMs : 30000);
  return {
    definition: compileSetDefinition(loaded, database.dialect, connection),
    connection,
    transport: lookedUpTransport(transports, connection),
    timeoutMs,
  };
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
  const fresh = (key: string, tenant: Tenant, integracaoId: number): Promise<SetTarget> => {
    const target = resolveSetTarget(database, connections, transports, tenant, integracaoId);
    cache.set(key, target);
    // A failed load (missing row, bad connection) is not kept: the next job tries again.
    target.catch(() => cache.delete(key));
    return target;
  };
  return (tenant, integracaoId) => {
    const key = `${tenant.empresaId}:${tenant.filialId ?? ''}:${integracaoId}`;
    const known = cache.get(key);
    if (!known) return fresh(key, tenant, integracaoId);
    // A target resolved before the connections file changed its connection is resolved anew (a reload that changed
    // nothing keeps the objects, so the targets stay); once, by whichever job comes first: the others take its promise.
    return known.then((target) => {
      if (connections.get(target.connection.name) === target.connection) return target;
      const now = cache.get(key);
      return now !== undefined && now !== known ? now : fresh(key, tenant, integracaoId);
    });
  };
}

/**
 * The transport a push goes out on: with integracao.lote_maximo > 1 and an indice_array_retorno (micro-batching,
 * opt-in), the batcher of `key` (tenant and integration), so pushes taken within a few milliseconds share one call.
 */
export function pushTransportOf(target: SetTarget, batchers: BatcherFactory, key: string): Transport {
  const batch = microBatchOf(target.definition.integracao);
  return batch ? batchers.batcherFor(key, target.transport, batch) : target.transport;
}

/** Micro-batching of an integration: on with lote_maximo > 1 and an answer list to split (indice_array_retorno); else null. */
export function microBatchOf(integracao: {
  lote_maximo?: number | null;
  indice_array_retorno?: string | null;
}): { max: number; answerList: string } | null {
  const max = integracao.lote_maximo ?? 1;
  const answerList = integracao.indice_array_retorno?.trim();
  return max > 1 && answerList ? { max, answerList } : null;
}
