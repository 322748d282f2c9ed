import type { ServicoEndpoint } from '@integrador/store';

/** `${NOME}`: how a service names its secret (the same reference syntax as the connections file). */
export const SECRET_REFERENCE = /^\$\{([A-Z][A-Z0-9_]{0,99})\}$/;

/** The secret a service's reference names is missing from the worker's environment. */
export class EndpointSecretError extends Error {
  override name = 'EndpointSecretError';
  readonly code = 'SECRET_MISSING';
  readonly permanent = true;
  constructor(
    readonly ref: string,
    readonly variable: string,
  ) {
    super(`secret ${ref} is not set: define the environment variable ${variable}`);
  }
}

/**
 * The environment variable a service's `${NOME}` resolves to: ENDPOINT_SECRET_<empresaId>_<NOME>. The empresa is part of
 * the name so a tenant can only reach the secrets the operator set up for it, never another tenant's or the fleet's own
 * (REDIS_URL, database passwords…).
 */
export function secretVariable(empresaId: number, ref: string): string {
  const name = SECRET_REFERENCE.exec(ref)?.[1];
  return `ENDPOINT_SECRET_${empresaId}_${name ?? 'INVALID'}`;
}

/** The Authorization header of a service (none for "nenhuma"), its secret resolved from `env`. */
export function authHeaders(service: ServicoEndpoint, env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  if (service.autenticacao === 'nenhuma') return {};
  const ref = service.segredoRef ?? '';
  const variable = secretVariable(service.empresaId, ref);
  const secret = SECRET_REFERENCE.test(ref) ? env[variable] : undefined;
  if (secret === undefined || secret === '') throw new EndpointSecretError(ref, variable);
  if (service.autenticacao === 'basic') {
    return { authorization: `Basic ${Buffer.from(`${service.usuario ?? ''}:${secret}`).toString('base64')}` };
  }
  return { authorization: `Bearer ${secret}` };
}
