import { Cluster, type ClusterNode, Redis, type RedisOptions } from 'ioredis';
import { QueueUnavailableError, RedisConfigurationError, RedisFullError, RedisWriteRefusedError } from './errors';
import { type ErrorLogger, logRedisErrors } from './redis-error-log';

/**
 * producer: the ingress — commands fail at once while Redis is down so requests get a 503 instead of hanging.
 * worker: the worker apps — commands wait across reconnects (BullMQ requires maxRetriesPerRequest: null).
 */
export type RedisRole = 'producer' | 'worker';

export interface RedisConnectionOptions {
  role: RedisRole;
  /** Producer only: how long a command may take before it is given up (and answered with 503). */
  commandTimeoutMs?: number;
  /** Client name shown by CLIENT LIST, e.g. "ingress" or "worker-set". */
  name?: string;
  /** Seed nodes (host:port) of a Redis Cluster (REDIS_CLUSTER_NODES); empty or absent = the single Redis of the URL. */
  clusterNodes?: readonly string[];
  /**
   * Where the connection's errors (and its duplicates') go, rate-limited (redis-error-log.ts). Every app passes its
   * logger; without one the caller must listen to 'error' itself, or ioredis prints unheard errors as raw lines.
   */
  logger?: ErrorLogger;
}

/** Reconnect forever, backing off up to 2 s, so the fleet resumes by itself when Redis returns. */
function retryStrategy(times: number): number {
  return Math.min(times * 200, 2000);
}

const READONLY = /(?:^|-)READONLY /;

/**
 * After a failover behind one address (a proxy, a DNS name, a managed endpoint) a connection opened before it stays on
 * the demoted node, which answers every write READONLY until the process restarts: on READONLY the connection
 * reconnects, so the address takes it to the node that is primary now. The refused command itself fails (ioredis' 1, not
 * 2 = resend it): resending one refused command alone would be safe (a replica applied nothing), but one refused inside
 * a MULTI (BullMQ writes in transactions) would be resent outside its transaction, and the caller already copes with the
 * failure (a 503 the client retries, BullMQ's retry loops). A worker connection reconnects at once: its unanswered
 * commands are resent after the reconnect. A producer has no offline queue, so a reconnect would fail its other commands
 * in flight as "connection closed" (an enqueue then answers "outcome unknown" for a write that was refused): it leaves
 * once those have their answers (at most 1 s later); meanwhile its writes keep being refused as READONLY.
 */
function reconnectOnReadonly(role: RedisRole, connection: () => Redis | undefined): RedisOptions['reconnectOnError'] {
  return (err) => {
    if (!READONLY.test(err.message)) return false;
    if (role === 'worker') return 1;
    const redis = connection();
    if (redis) leaveWhenIdle(redis, Date.now() + 1000);
    return false;
  };
}

const leaving = new WeakSet<Redis>();

function leaveWhenIdle(redis: Redis, deadline: number): void {
  if (leaving.has(redis)) return;
  leaving.add(redis);
  const leave = () => {
    if (redis.status !== 'ready') {
      leaving.delete(redis);
    } else if (redis.commandQueue.length > 0 && Date.now() < deadline) {
      setTimeout(leave, 10).unref();
    } else {
      leaving.delete(redis);
      redis.disconnect(true);
    }
  };
  setImmediate(leave);
}

/**
 * Opens an ioredis connection with the fleet's rules for its role: to the Redis of `url`, or, given cluster nodes, to
 * that Redis Cluster with the URL's user, password and TLS applied to every node.
 *
 * The result is typed `Redis` in both cases. The fleet uses only what ioredis' Cluster shares with Redis (commands and
 * scripts on keys of one hash tag, `status`, `duplicate`, `defineCommand`, pub/sub, events, quit), and BullMQ takes
 * either as its connection; the one Redis-only member, `options.host`, is read only by assertRedisSafe, which checks a
 * Cluster node by node. A union type would be the truer type, but would reach every signature that takes a connection.
 */
export function createRedis(url: string, options: RedisConnectionOptions): Redis {
  let redis: Redis | undefined;
  const reconnectOnError = reconnectOnReadonly(options.role, () => redis);
  const common: RedisOptions = { retryStrategy, reconnectOnError, connectionName: options.name, lazyConnect: false };
  const producer = options.role === 'producer';
  const roleOptions: RedisOptions = producer
    ? { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: options.commandTimeoutMs ?? 2000, connectTimeout: 2000 }
    : { enableOfflineQueue: true, maxRetriesPerRequest: null };
  let connection: Redis;
  if (!options.clusterNodes?.length) {
    redis = new Redis(url, { ...common, ...roleOptions });
    connection = redis;
  } else {
    // `redis` stays unset for a Cluster: leaveWhenIdle reads a single connection's command queue, which a Cluster lacks.
    const cluster = new Cluster(options.clusterNodes.map(clusterNode), {
      clusterRetryStrategy: retryStrategy,
      enableOfflineQueue: roleOptions.enableOfflineQueue,
      redisOptions: { ...credentials(url), ...common, ...roleOptions },
    });
    connection = cluster as unknown as Redis;
  }
  return options.logger ? logRedisErrors(connection, options.logger, options.name) : connection;
}

/** "host:port" (also "[::1]:6379") as an ioredis cluster node. */
function clusterNode(node: string): ClusterNode {
  const at = node.lastIndexOf(':');
  return { host: node.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(node.slice(at + 1)) };
}

/** The user, password and TLS of a Redis URL, for the nodes of a Cluster (which has no database other than 0). */
function credentials(url: string): RedisOptions {
  const parsed = new URL(url);
  return {
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** True for a connection createRedis opened on a Redis Cluster. */
export function isCluster(redis: Redis): boolean {
  return (redis as unknown as { isCluster?: boolean }).isCluster === true;
}

/** Parses the "key:value" lines of an INFO reply. */
export function parseInfo(info: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of info.split(/\r?\n/)) {
    const at = line.indexOf(':');
    if (at > 0 && !line.startsWith('#')) fields[line.slice(0, at)] = line.slice(at + 1).trim();
  }
  return fields;
}

const MINIMUM_VERSION = [6, 2, 0];

function olderThanMinimum(version: string): boolean {
  const parts = version.split('.').map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < MINIMUM_VERSION.length; i++) {
    const have = parts[i] ?? 0;
    const need = MINIMUM_VERSION[i] ?? 0;
    if (have !== need) return have < need;
  }
  return false;
}

/**
 * Refuses a Redis that could lose jobs: maxmemory-policy must be noeviction (an evicted key is a lost job
 * or lock) and the server at least 6.2. INFO is used rather than CONFIG GET, which managed Redis often disables.
 */
export async function assertRedisSafe(redis: Redis): Promise<{ version: string; policy: string }> {
  // A Cluster answers INFO from one node; every master must be safe, since each holds some of the queues.
  const nodes = isCluster(redis) ? (redis as unknown as Cluster).nodes('master') : [redis];
  let checked = { version: '0.0.0', policy: 'unknown' };
  for (const node of nodes) checked = await assertNodeSafe(node);
  return checked;
}

async function assertNodeSafe(redis: Redis): Promise<{ version: string; policy: string }> {
  const info = parseInfo(await redis.info());
  const version = info.redis_version ?? '0.0.0';
  const policy = info.maxmemory_policy ?? 'unknown';
  const where = `${redis.options.host ?? '?'}:${redis.options.port ?? '?'}`;
  if (olderThanMinimum(version)) {
    throw new RedisConfigurationError(`Redis at ${where} is version ${version}; the fleet needs Redis 6.2 or newer`);
  }
  if (policy !== 'noeviction') {
    throw new RedisConfigurationError(
      `Redis at ${where} has maxmemory-policy "${policy}"; set it to "noeviction" (redis.conf: maxmemory-policy noeviction, or CONFIG SET maxmemory-policy noeviction): with eviction Redis silently deletes queued jobs and locks`,
    );
  }
  return { version, policy };
}

/** Throws QueueUnavailableError unless the connection is ready (producers use it to fail fast). */
export function assertReady(redis: Redis): void {
  if (redis.status !== 'ready') {
    throw new QueueUnavailableError(`Redis is unavailable (connection ${redis.status}); try again shortly`);
  }
}

/**
 * The replies of a Redis that is up but will not write now (a replica after a failover, too few replicas, a failed
 * snapshot, a script running, a slot moving), at the start of the message or, from a script on Redis < 7, after the
 * "-" of the wrapped reply. BUSY and not BUSYKEY/BUSYGROUP (an answer about the data): the space ends the word.
 */
const WRITE_REFUSAL = /(?:^|-)(READONLY|NOREPLICAS|MASTERDOWN|MISCONF|BUSY|TRYAGAIN) /;

/**
 * The one translation of a Redis error for callers that answer HTTP: a full Redis → RedisFullError, a refused write →
 * RedisWriteRefusedError, an unreachable or slow one → QueueUnavailableError (all 503); anything else as it came.
 */
function asQueueError(err: unknown, what: string): unknown {
  if (err instanceof QueueUnavailableError || !(err instanceof Error)) return err;
  if (/(?:^|-)OOM /.test(err.message)) return new RedisFullError(`Redis is full (maxmemory) during ${what}`, { cause: err });
  const refusal = WRITE_REFUSAL.exec(err.message)?.[1];
  if (refusal) return new RedisWriteRefusedError(`Redis refused the write (${refusal}) during ${what}`, { cause: err });
  if (isConnectionError(err)) return new QueueUnavailableError(`Redis is unavailable during ${what}`, { cause: err });
  return err;
}

/** Races a Redis operation against a deadline; a late or failed call becomes QueueUnavailableError (asQueueError). */
export async function withRedisDeadline<T>(operation: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new QueueUnavailableError(`Redis did not answer ${what} within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([operation, deadline]);
  } catch (err) {
    throw asQueueError(err, what);
  } finally {
    clearTimeout(timer);
  }
}

/** True for the errors ioredis raises when the server is unreachable or the command timed out. */
export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const text = `${err.name} ${err.message} ${String((err as { code?: unknown }).code ?? '')}`;
  return /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|Connection is closed|Stream isn't writeable|enableOfflineQueue|Command timed out|MaxRetriesPerRequest|CLUSTERDOWN|LOADING/i.test(
    text,
  );
}

/** Resolves once the connection is ready (or at once if it already is); rejects after timeoutMs. */
export function waitUntilReady(redis: Redis, timeoutMs = 10000): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      reject(new QueueUnavailableError(`Redis did not become ready within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    redis.once('ready', onReady);
  });
}
