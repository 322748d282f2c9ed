import { createHash, randomBytes } from 'node:crypto';
import type { TenantRef } from '@integrador/jobs';
import type { Redis } from 'ioredis';
import { popKeys } from './pop-keys';

/** What a pop token grants: the screen pop of one ramal of one tenant. */
export interface PopGrant {
  tenant: TenantRef;
  ramal: string;
}

const hash = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Issues a short-lived token for the SSE stream of one ramal (EventSource cannot send headers, and an API key must
 * never sit in a URL). It expires `ttlMs` after issue or after the last connection using it closed.
 */
export async function issuePopToken(redis: Redis, prefix: string, grant: PopGrant, ttlMs: number): Promise<string> {
  const token = `cpt_${randomBytes(24).toString('base64url')}`;
  await redis.set(popKeys(prefix).token(hash(token)), JSON.stringify(grant), 'PX', ttlMs);
  return token;
}

/** The grant of a live token, or undefined (unknown or expired). */
export async function readPopToken(redis: Redis, prefix: string, token: string): Promise<PopGrant | undefined> {
  if (!/^cpt_[A-Za-z0-9_-]{20,64}$/.test(token)) return undefined;
  const text = await redis.get(popKeys(prefix).token(hash(token)));
  return text ? (JSON.parse(text) as PopGrant) : undefined;
}

/** Keeps a token alive while a stream uses it (called on every heartbeat). */
export async function touchPopToken(redis: Redis, prefix: string, token: string, ttlMs: number): Promise<void> {
  await redis.pexpire(popKeys(prefix).token(hash(token)), ttlMs);
}
