import { scrubText } from './redact';
import { shownSecretQuery } from './secret-query';
import { shownUrl } from './shown-url';

/**
 * An incoming request's target (path and query) as request logs show it: the path with CTI tokens scrubbed (scrubText:
 * `ctk_[redacted]`, the kind kept), then as every URL is shown (other token-looking segments masked, a userinfo
 * dropped up to its last '@'); the query by the rule of every view that keeps plain values (shownSecretQuery), strict: the
 * value of a credential-named parameter (`key`, `sig`, `token`, `senha`…), a token-looking or an unusual value masked,
 * so `/dashboard/falhas?lang=en&page=2` stays readable while `?key=…` does not; and a person's phone or CPF/CNPJ
 * (`?telefone=`, `?numero=`, `?cpf=`, or any value of 10 to 14 digits such as a search box's `?q=123.456.789-09`:
 * personal data, not a secret) shown as *** and at most its last 4 digits.
 */
export function shownRequestTarget(target: string): string {
  const question = target.indexOf('?');
  if (question === -1 || target.includes('#')) return shownUrl(scrubText(target));
  return `${shownUrl(scrubText(target.slice(0, question)))}?${shownSecretQuery(target.slice(question + 1), { personal: true, strict: true })}`;
}
