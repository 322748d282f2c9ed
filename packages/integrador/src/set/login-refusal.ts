import { RECEPTOR_LOGIN_REFUSAL } from '@integrador/queue';

/**
 * Whether a receptor's refusal is the ERP refusing the connection's login itself (RECEPTOR_LOGIN_REFUSAL: the answer as
 * a whole, so a record-level refusal that only mentions a password stays the record's own refusal).
 */
export function isLoginRefusal(message: string): boolean {
  return RECEPTOR_LOGIN_REFUSAL.test(message);
}
