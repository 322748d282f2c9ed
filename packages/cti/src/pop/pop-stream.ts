import type { ServerResponse } from 'node:http';
import type { Redis } from 'ioredis';
import { activePops } from './pop-events';
import type { PopHub } from './pop-hub';
import { type PopGrant, touchPopToken } from './pop-tokens';

export interface PopStreamOptions {
  hub: PopHub;
  redis: Redis;
  prefix: string;
  grant: PopGrant;
  token: string;
  /** SSE Last-Event-ID: only events after it are replayed (0 = every call still ringing or in progress). */
  lastEventId: number;
  tokenTtlMs: number;
  heartbeatMs?: number;
}

/**
 * Streams one ramal's screen pop as Server-Sent Events: subscribes first, then replays the calls still ringing or
 * in progress (after Last-Event-ID), then live events — each event id sent once, in order. A heartbeat keeps proxies
 * from closing the stream and the token alive while it is used. Returns a function that ends the stream.
 */
export async function streamPops(res: ServerResponse, options: PopStreamOptions): Promise<() => void> {
  const { hub, redis, prefix, grant, token } = options;
  const empresaId = grant.tenant.empresaId;
  let lastSent = options.lastEventId;
  let replaying = true;
  const held: string[] = [];
  const send = (text: string) => {
    const event = JSON.parse(text) as { id: number; type: string };
    if (event.id <= lastSent || res.writableEnded) return;
    lastSent = event.id;
    res.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${text}\n\n`);
  };
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write(': ok\nretry: 2000\n\n');
  const unsubscribe = await hub.subscribe(empresaId, grant.ramal, (message) => (replaying ? held.push(message) : send(message)));
  for (const message of await activePops(redis, prefix, empresaId, grant.ramal, lastSent)) send(message);
  replaying = false;
  for (const message of held.splice(0)) send(message);

  const heartbeat = setInterval(() => {
    if (!res.writableEnded) res.write(': ping\n\n');
    touchPopToken(redis, prefix, token, options.tokenTtlMs).catch(() => undefined);
  }, options.heartbeatMs ?? 15000);
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    unsubscribe().catch(() => undefined);
    touchPopToken(redis, prefix, token, options.tokenTtlMs).catch(() => undefined);
    if (!res.writableEnded) res.end();
  };
  res.on('close', close);
  return close;
}
