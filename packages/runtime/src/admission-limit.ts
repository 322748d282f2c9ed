import rateLimit from '@fastify/rate-limit';
import type { AdmissionRate } from '@integrador/config';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';

/** The two admission budgets of a tenant: PBX listener events (cti) and /v1 writes (api). */
export type AdmissionBudget = 'cti' | 'api';

/**
 * Methods that change nothing: a tenant's write budget does not count them (the ingress's /v1, the dashboard's
 * actions with a tenant API key) and an Idempotency-Key on them is ignored.
 */
export const READ_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Whether a request with this method may change something: what the api admission budget counts. */
export function isWriteMethod(method: string): boolean {
  return !READ_METHODS.has(method);
}

/**
 * The words of a 429 TENANT_RATE_LIMITED, wherever a tenant is refused (a /v1 write, a PBX listener event, a
 * dashboard action with a tenant API key): the ingress's catalogue holds it as it is, the dashboard says it as a
 * sentence. `{seconds}`: the Retry-After.
 */
export const TENANT_RATE_LIMITED = {
  'pt-BR':
    'limite de requisições da empresa excedido; esta requisição não foi aceita (nada foi alterado nem enfileirado): tente novamente em {seconds} s',
  en: "the empresa's request rate limit is exceeded; this request was not accepted (nothing was changed or enqueued): try again in {seconds} s",
} as const;

/**
 * A tenant over its admission budget: answered 429 TENANT_RATE_LIMITED, Retry-After already set on the reply. The
 * request was not accepted and nothing was enqueued.
 */
export class TenantRateLimitedError extends Error {
  override name = 'TenantRateLimitedError';
  readonly code = 'TENANT_RATE_LIMITED';
  readonly statusCode = 429;
  readonly params: { seconds: string };
  constructor(seconds: string) {
    super(`the tenant's admission budget is spent; retry in ${seconds} s`);
    this.params = { seconds };
  }
}

/** Resolves when the tenant may go on; throws TenantRateLimitedError (Retry-After set on the reply) when over its budget. */
export type AdmitTenant = (request: FastifyRequest, reply: FastifyReply, empresaId: number) => Promise<void>;

export interface AdmissionLimitDeps {
  /** The producer-role connection: shared by every ingress, fails fast while Redis is down. */
  redis: Redis;
  prefix: string;
  budget: AdmissionBudget;
  rate: AdmissionRate;
  /** Counts a refusal (integrador_admission_refused_total). */
  onRefused: (budget: AdmissionBudget, empresaId: number) => void;
}

/** The fixed window that grants `burst` requests and averages `perSecond`: burst / perSecond seconds. */
export function admissionWindowMs(rate: AdmissionRate): number {
  return Math.max(1, Math.round((rate.burst * 1000) / rate.perSecond));
}

const admitAll: AdmitTenant = async () => undefined;

/**
 * The one owner of the per-tenant admission limits, for every app that takes a tenant's writes (the ingress's /v1 and
 * PBX listeners, the dashboard's actions with a tenant API key, whether the ingress serves it or it runs on its own).
 * Registers @fastify/rate-limit (Redis store, so every ingress counts the same window) in `scope` for one budget and
 * returns its check, keyed by the empresa the caller resolved (the API key's or the listener URL's) — never by anything
 * the request says about itself. A refused request did nothing: the check runs before any enqueue.
 *
 * Redis down or frozen: the request is admitted (the enqueue behind it answers 503 QUEUE_UNAVAILABLE as before, and a
 * /v1 write that needs no Redis still works); the store's error is logged as a warning. The producer connection's
 * command timeout bounds the wait.
 */
export async function registerAdmissionLimit(scope: FastifyInstance, deps: AdmissionLimitDeps): Promise<AdmitTenant> {
  if (deps.rate.perSecond <= 0) return admitAll;
  // The tenant travels from the caller to keyGenerator with the request, without a request decorator.
  const tenants = new WeakMap<FastifyRequest, number>();
  await scope.register(rateLimit, {
    global: false,
    redis: deps.redis,
    nameSpace: `${deps.prefix}:ratelimit:${deps.budget}:`,
    max: deps.rate.burst,
    timeWindow: admissionWindowMs(deps.rate),
    keyGenerator: (request) => `e:${tenants.get(request)}`,
  });
  const limit = scope.createRateLimit();
  return async (request, reply, empresaId) => {
    tenants.set(request, empresaId);
    let outcome: Awaited<ReturnType<typeof limit>>;
    try {
      outcome = await limit(request);
    } catch (err) {
      request.log.warn({ reason: (err as Error).message, budget: deps.budget }, 'admission limit unavailable, request admitted');
      return;
    }
    if (outcome.isAllowed || !outcome.isExceeded) return;
    deps.onRefused(deps.budget, empresaId);
    const seconds = String(Math.max(1, outcome.ttlInSeconds));
    reply.header('retry-after', seconds);
    throw new TenantRateLimitedError(seconds);
  };
}

/**
 * registerAdmissionLimit in a scope of its own under `app`, for a check shared by several scopes (the ingress's /v1 and
 * its dashboard): its plugin's hooks then meet no other route's own limits (the dashboard login's).
 */
export async function createAdmissionLimit(app: FastifyInstance, deps: AdmissionLimitDeps): Promise<AdmitTenant> {
  let admit: AdmitTenant = admitAll;
  await app.register(async (scope) => {
    admit = await registerAdmissionLimit(scope, deps);
  });
  return admit;
}
