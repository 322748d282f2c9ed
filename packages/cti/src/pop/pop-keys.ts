/** Redis keys and channels of the screen pop; all under the fleet's prefix (one Cluster slot, like the queues). */
export const popKeys = (prefix: string) => ({
  /** Pub/sub channel of one ramal of one empresa. */
  channel: (empresaId: number, ramal: string) => `${prefix}:cti:pop:${empresaId}:${ramal}`,
  /** Monotonic event ids of one ramal (SSE id / Last-Event-ID). */
  sequence: (empresaId: number, ramal: string) => `${prefix}:cti:seq:${empresaId}:${ramal}`,
  /** callId → latest pop event of the calls still ringing or in progress at one ramal (replayed on connect). */
  active: (empresaId: number, ramal: string) => `${prefix}:cti:active:${empresaId}:${ramal}`,
  /** Marker of a call that ended at one ramal: a late "ringing" or caller card for it publishes nothing. */
  ended: (empresaId: number, ramal: string, callId: string) => `${prefix}:cti:ended:${empresaId}:${ramal}:${callId}`,
  /** A pop subscription token (by its SHA-256) → its empresa and ramal. */
  token: (tokenHash: string) => `${prefix}:cti:pop-token:${tokenHash}`,
});
