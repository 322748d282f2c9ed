import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import {
  type AddressAllowlist,
  addressRange,
  assertAllowedAddress,
  assertPublicAddress,
  createGuardedLookup,
  isPublicAddress,
  lookupName,
  loopbackOutboundAllowed,
  OutboundAddressError,
} from '@integrador/connections';
import { Agent, buildConnector } from 'undici';

// The hosts come from the tenant's connections file and the link from a CRM table: without this guard an integration
// could make the worker call its cloud's metadata service, the hub's Redis or anything else on the private network.
// The check runs where the socket connects (the agent's lookup), after DNS, so a name that resolves to a public address
// when validated and to 127.0.0.1 when used (DNS rebinding) is still refused. The address check itself lives in
// @integrador/connections (the database readers use it too).

export { addressRange, assertPublicAddress, createGuardedLookup, isPublicAddress };

/** dns.lookup that fails with OutboundAddressError when any address the name resolves to is not public. */
export const guardedLookup = createGuardedLookup();

/** The lookup of a connection with allowPrivateNetwork: only link-local / cloud metadata addresses are refused. */
const privateNetworkLookup = createGuardedLookup([], true);

/** A literal IP host (which skips DNS, and so the lookup) checked before connecting; a name passes (its lookup checks it). */
export function assertAllowedLiteral(host: string, allowlist: AddressAllowlist = [], allowPrivateNetwork = false): void {
  const bare = host.replace(/^\[|\]$/g, '');
  if (net.isIP(bare) !== 0) assertAllowedAddress(bare, host, { allowlist, allowPrivateNetwork });
}

/** The loopback address `localhost` is judged as: RFC 6761 reserves the name for loopback, whatever a resolver says. */
const LOCALHOST_ADDRESS = '127.0.0.1';

/**
 * The guard's verdict on a host that needs no DNS, for a check when a URL is saved: an IP literal (as the connector
 * checks it) and `localhost` (judged as 127.0.0.1). Throws OutboundAddressError; any other name passes, its addresses
 * are checked when it is used (after DNS, at connect time).
 */
export function assertAllowedWithoutDns(host: string, allowlist: AddressAllowlist = []): void {
  if (lookupName(host).toLowerCase() === 'localhost') assertPublicAddress(LOCALHOST_ADDRESS, host, allowlist);
  else assertAllowedLiteral(host, allowlist);
}

type ConnectCallback = (error: Error | null, stream: Duplex) => void;

/**
 * Why the guard refuses to connect to `host` before any DNS, or undefined: a literal IP skips the lookup, so both
 * adapters (node's agents, undici's connector) ask this before connecting.
 */
function literalRefusal(host: string, allowlist: AddressAllowlist, allowPrivateNetwork: boolean): OutboundAddressError | undefined {
  try {
    assertAllowedLiteral(host, allowlist, allowPrivateNetwork);
    return undefined;
  } catch (refused) {
    return refused as OutboundAddressError;
  }
}

/**
 * node's side of literalRefusal: the request's host checked before connecting (true: refused, `callback` told). A unix
 * socket (node's agents only; undici's connector is given host names) is on this machine: refused unless `allowPrivateNetwork`
 * and the operator's OUTBOUND_ALLOW_LOOPBACK.
 */
function refuseLiteral(options: http.ClientRequestArgs, callback: ConnectCallback | undefined, allowPrivateNetwork: boolean): boolean {
  const refused =
    options.socketPath !== undefined && !(allowPrivateNetwork && loopbackOutboundAllowed())
      ? new OutboundAddressError(options.socketPath, options.socketPath, 'unix socket')
      : literalRefusal(options.host ?? options.hostname ?? '', [], allowPrivateNetwork);
  if (refused) callback?.(refused, undefined as never);
  return refused !== undefined;
}

type GuardedAgentInit = http.AgentOptions & { allowPrivateNetwork: boolean };

class GuardedHttpAgent extends http.Agent {
  readonly #allowPrivateNetwork: boolean;
  constructor({ allowPrivateNetwork, ...options }: GuardedAgentInit) {
    super(options);
    this.#allowPrivateNetwork = allowPrivateNetwork;
  }
  override createConnection(options: http.ClientRequestArgs, callback?: ConnectCallback): Duplex | null | undefined {
    return refuseLiteral(options, callback, this.#allowPrivateNetwork) ? undefined : super.createConnection(options, callback);
  }
}

class GuardedHttpsAgent extends https.Agent {
  readonly #allowPrivateNetwork: boolean;
  constructor({ allowPrivateNetwork, ...options }: GuardedAgentInit & https.AgentOptions) {
    super(options);
    this.#allowPrivateNetwork = allowPrivateNetwork;
  }
  override createConnection(options: http.ClientRequestArgs, callback?: ConnectCallback): Duplex | null | undefined {
    return refuseLiteral(options, callback, this.#allowPrivateNetwork) ? undefined : super.createConnection(options, callback);
  }
}

/** The http and https agents every outbound request of one transport goes through. */
export interface OutboundAgents {
  readonly http: http.Agent;
  readonly https: https.Agent;
  /** Closes the kept-alive sockets. */
  destroy(): void;
}

/**
 * Keep-alive agents that refuse non-public addresses at connect time; with `allowPrivateNetwork`, only link-local /
 * cloud metadata ones (169.254.169.254 serves a cloud machine's credentials; no ERP or PBX lives there).
 */
export function createOutboundAgents(options: { allowPrivateNetwork?: boolean } = {}): OutboundAgents {
  const allowPrivateNetwork = options.allowPrivateNetwork ?? false;
  const agentOptions = { keepAlive: true, allowPrivateNetwork, lookup: allowPrivateNetwork ? privateNetworkLookup : guardedLookup };
  const agents = { http: new GuardedHttpAgent(agentOptions), https: new GuardedHttpsAgent(agentOptions) };
  return {
    ...agents,
    destroy() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

/** What an undici Agent of the guard is built with, beyond the guard itself. */
export interface GuardedAgentOptions {
  /**
   * Lets requests reach private addresses (an ERP on the LAN) and, when the operator opened it (OUTBOUND_ALLOW_LOOPBACK),
   * loopback; link-local / cloud metadata stay refused.
   */
  allowPrivateNetwork?: boolean;
  /** Ranges where a non-public address may still be reached (the webhooks' operator setting). */
  allowlist?: AddressAllowlist;
  /** TCP + TLS handshake limit (undici's default is 10 s). */
  connectTimeoutMs?: number;
  /** Sockets per origin (keep-alive pool size); unbounded when unset, as node's agents were. */
  connections?: number;
  keepAliveTimeout?: number;
  headersTimeout?: number;
  bodyTimeout?: number;
  /** Bytes of an answer's body as received (before any decoding) past which the socket is destroyed. */
  maxResponseSize?: number;
}

/**
 * An undici Agent (a keep-alive pool per origin) whose every socket goes through the guard: the connector's lookup
 * checks what a name resolves to, a literal IP (which skips DNS) is checked before connecting. No proxy is read from
 * the environment and no redirect is followed (an Agent does neither); close() ends its sockets.
 */
export function createGuardedAgent(options: GuardedAgentOptions = {}): Agent {
  const { allowPrivateNetwork, allowlist = [], connectTimeoutMs, ...agentOptions } = options;
  const timeout = connectTimeoutMs === undefined ? {} : { timeout: connectTimeoutMs };
  const privateNetwork = allowPrivateNetwork ?? false;
  const connector = buildConnector({ ...timeout, lookup: createGuardedLookup(allowlist, privateNetwork) as never });
  return new Agent({
    ...agentOptions,
    connect: (connectOptions, callback) => {
      const refused = literalRefusal(connectOptions.hostname, allowlist, privateNetwork);
      if (refused) callback(refused, null);
      else connector(connectOptions, callback);
    },
  });
}
