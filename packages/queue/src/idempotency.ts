import { createHash } from 'node:crypto';
import type { TenantRef } from '@integrador/jobs';

/** What an Idempotency-Key may hold: 1–200 visible ASCII characters (Stripe's and the IETF draft's practice). */
export const IDEMPOTENCY_KEY_PATTERN = '^[\\x21-\\x7e]{1,200}$';

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
