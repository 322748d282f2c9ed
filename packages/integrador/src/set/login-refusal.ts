/**
 * Whether a receptor's refusal is the ERP refusing the connection's login itself (Senior G5's whole answer "Usuário ou
 * senha inválidos"), in pt-BR or English: the answer as a whole, so a record-level refusal that only mentions a password
 * ("A senha inválida do usuário do portal…", an ERP validating a field) stays the record's own refusal.
 */
const LOGIN_REFUSAL = /^\s*(?:usu[aá]rio ou senha inv[aá]lid[oa]s?|invalid (?:user(?:name)? or password|credentials))\s*[.!]?\s*$/i;

export function isLoginRefusal(message: string): boolean {
  return LOGIN_REFUSAL.test(message);
}
