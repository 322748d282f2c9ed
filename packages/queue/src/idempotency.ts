import { createHash } from 'node:crypto';
import type { TenantRef } from '@integrador/jobs';

/** The longest Idempotency-Key accepted. */
export const IDEMPOTENCY_KEY_MAX_LENGTH = 200;

/** The characters a key may hold: visible ASCII, no space. */
const KEY_CHARACTERS = '\\x21-\\x7e';

/** What an Idempotency-Key may hold: 1–200 visible ASCII characters (Stripe's and the IETF draft's practice). */
export const IDEMPOTENCY_KEY_PATTERN = `^[${KEY_CHARACTERS}]{1,${IDEMPOTENCY_KEY_MAX_LENGTH}}$`;

const OTHER_CHARACTER = new RegExp(`[^${KEY_CHARACTERS}]`, 'u');

/** Why a key breaks IDEMPOTENCY_KEY_PATTERN, for a message in words: its length, or the first character not allowed (1-based). */
export type IdempotencyKeyFault = { kind: 'length'; length: number } | { kind: 'character'; position: number };

/** The first rule of IDEMPOTENCY_KEY_PATTERN a key breaks, undefined when it is valid. */
export function idempotencyKeyFault(key: string): IdempotencyKeyFault | undefined {
  const chars = [...key];
  if (chars.length === 0 || chars.length > IDEMPOTENCY_KEY_MAX_LENGTH) return { kind: 'length', length: chars.length };
  const at = chars.findIndex((c) => OTHER_CHARACTER.test(c));
  return at === -1 ? undefined : { kind: 'character', position: at + 1 };
}

/**
 * The job id an idempotency key stands for: the same tenant, operation and key always name the same job, so a retried
 * request finds the job its first attempt created (BullMQ adds nothing for an id it already holds) and different
 * tenants' keys never meet. Hashed: a key may hold any visible character, a job id no `:` and not only digits.
 * `scope` names the operation and its target (e.g. "run-i42", "ping-set").
 */
export function idempotentJobId(tenant: TenantRef, scope: string, key: string): string {
  const digest = createHash('sha256')
    .update(`${tenant.empresaId}|${tenant.filialId ?? ''}|${scope}|${key}`)
    .digest('hex');
  return `idem-${digest.slice(0, 40)}`;
}
