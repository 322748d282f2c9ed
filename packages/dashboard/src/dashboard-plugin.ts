import formbody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import { fillTemplate, type ValidationIssue, validationMessage } from '@integrador/i18n';
import { runRefusalMessage, runRefusalOf } from '@integrador/integrador';
import { QueueUnavailableError } from '@integrador/queue';
import { isWriteMethod, TENANT_RATE_LIMITED } from '@integrador/runtime';
import { authenticateOperador, createSessao, deleteSessao } from '@integrador/store';
import { createTransportFactory, SoapClientCache } from '@integrador/transports';
import { createWebhookHttpClient, DEFAULT_WEBHOOK_SETTINGS, WebhookError, webhookMessage } from '@integrador/webhooks';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { chosenLocale, csrfValid, LANG_COOKIE, resolveViewer, SESSION_COOKIE, sendError } from './access';
import { JobStateError } from './actions';
import { apiRoutes } from './api.routes';
import { RowId } from './api.schemas';
import { mountBullBoard } from './bull-board';
import { connectionsRoutes } from './connections.routes';
import { readCookie, writeCookie } from './cookies';
import { ctiWebhooksRoutes } from './cti-webhooks.routes';
import type { DashboardDeps } from './deps';
import { FieldRefusedError, fieldRefusalText } from './field-refusal';
import { html } from './html';
import { jobStateWord, messages, pickLocale } from './i18n';
import {
  clearLoginFailures,
  DEFAULT_LOGIN_FAILURE_LIMIT,
  LOGIN_CSRF_COOKIE,
  LoginCounterUnavailableError,
  loginCsrfToken,
  loginCsrfValid,
  loginLockedFor,
  recordLoginFailure,
} from './login';
import { pageRoutes } from './pages.routes';
import { securityHeaders } from './security-headers';
import { servicesRoutes } from './services.routes';
import { sendStatusPage } from './status-page';
import { errorPage, LIVE_JS, layout, loginPage, STYLE_CSS } from './views/layout';

const PUBLIC = new Set(['/dashboard/login', '/dashboard/live.js', '/dashboard/style.css']);
const isApi = (request: FastifyRequest) => request.url.startsWith('/dashboard/api/');

function requireViewer(deps: DashboardDeps) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? '';
    if (PUBLIC.has(path)) return;
    request.viewer = await resolveViewer(deps.database, request, deps.scheduleTimezone);
    // A session's ?lang= choice outlives the page: links and forms need not carry it (an API key's request keeps none).
    // Only a language we have is kept, in a cookie of the browser session (login and logout clear it).
    const lang = chosenLocale((request.query as { lang?: unknown } | undefined)?.lang);
    if (request.viewer?.csrf && lang) writeCookie(reply, LANG_COOKIE, lang, { secure: deps.secureCookies ?? false, path: '/dashboard' });
    if (request.viewer) return;
    if (isApi(request) || path.startsWith('/dashboard/filas')) {
      // No user or password was sent here: the message says what to send (as the /v1 API's 401 does).
      return sendError(
        reply,
        401,
        'UNAUTHORIZED',
        messages(pickLocale(undefined, undefined, request.headers['accept-language'])).apiUnauthorized,
      );
    }
    return reply.redirect('/dashboard/login');
  };
}

// A refused run that is no refusal of the admission path (runRefusalOf words those): the integration is not the tenant's.
const STATUS_BY_CODE: Readonly<Record<string, number>> = { NOT_FOUND: 404 };

function statusOf(error: Error & { statusCode?: number; validation?: unknown; code?: unknown; permanent?: unknown }): number {
  if (error instanceof QueueUnavailableError) return 503;
  if (error.validation) return 400;
  const coded = typeof error.code === 'string' ? STATUS_BY_CODE[error.code] : undefined;
  if (coded) return coded;
  if (error.permanent === true) return 422;
  return error.statusCode ?? 500;
}

/** Too many login posts from one address: answered with the login page and the wait, not a JSON body. */
class LoginRateLimited extends Error {
  override name = 'LoginRateLimited';
  readonly statusCode = 429;
  readonly code = 'TOO_MANY_REQUESTS';
  constructor(
    readonly retryAfterSeconds: number,
    readonly secureCookies: boolean,
  ) {
    super(`too many login attempts; retry in ${retryAfterSeconds} s`);
  }
}

/**
 * A refused input worded as the /v1 API words it: malformed JSON → INVALID_JSON; a field the schema refuses →
 * VALIDATION_FAILED naming it ("querystring.estado") and what it expects, in the viewer's language.
 */
function badInput(
  error: Error & { code?: unknown; validation?: unknown; validationContext?: string },
  locale: ReturnType<typeof pickLocale>,
  routeSchema?: unknown,
): { code: string; message: string } | undefined {
  const t = messages(locale);
  if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError)
    return { code: 'INVALID_JSON', message: t.invalidJson };
  const first = Array.isArray(error.validation) ? (error.validation[0] as ValidationIssue | undefined) : undefined;
  if (!first) return undefined;
  const missing = first.params.missingProperty ?? first.params.additionalProperty;
  const path = [...first.instancePath.split('/').filter(Boolean), ...(missing === undefined ? [] : [String(missing)])];
  const field = [error.validationContext ?? 'body', ...path].join('.');
  const allowed = first.params.allowedValues;
  const pattern = String(first.params.pattern ?? '');
  const expected = Array.isArray(allowed)
    ? t.expectedOneOf(allowed.filter((v) => v !== '').join(', '))
    : first.keyword === 'format' && first.params.format === 'date-time'
      ? t.expectedZonedDateTime
      : pattern.includes('\\d{4}-')
        ? t.expectedDate
        : /^\^\\d\{/.test(pattern) || (first.keyword === 'type' && String(first.params.type).includes('integer'))
          ? t.expectedInteger
          : first.keyword === 'minimum' || first.keyword === 'maximum'
            ? boundsText(t, first, fieldSchema(routeSchema, error.validationContext, path))
            : undefined;
  // Any other refusal (a field not allowed, one missing, a wrong type) in the /v1 API's words, never ajv's English.
  if (expected === undefined)
    return {
      code: 'VALIDATION_FAILED',
      message: sentence(validationMessage(error.validation as ValidationIssue[], locale, error.validationContext).message),
    };
  return { code: 'VALIDATION_FAILED', message: t.badField(field, expected) };
}

/** The schema of one refused field: the route's schema for its part (body, querystring…) followed along its path. */
function fieldSchema(routeSchema: unknown, context: string | undefined, path: readonly string[]): Record<string, unknown> | undefined {
  let node = (routeSchema as Record<string, unknown> | undefined)?.[context ?? 'body'] as Record<string, unknown> | undefined;
  for (const key of path) {
    const next = /^\d+$/.test(key) ? node?.items : (node?.properties as Record<string, unknown> | undefined)?.[key];
    node = next && typeof next === 'object' ? (next as Record<string, unknown>) : undefined;
  }
  return node;
}

/**
 * A number past its schema's bounds, worded from them: an id (RowId: 1 to MAX_ROW_ID) as an id, anything else (the bulk
 * retry's `expected`, a count from 0) by its own limits; the refused keyword's limit alone when the schema is not found.
 */
function boundsText(t: ReturnType<typeof messages>, issue: ValidationIssue, schema: Record<string, unknown> | undefined): string {
  const bound = (value: unknown) => (typeof value === 'number' ? value : undefined);
  const limit = bound(issue.params.limit);
  const min = schema ? bound(schema.minimum) : issue.keyword === 'minimum' ? limit : undefined;
  const max = schema ? bound(schema.maximum) : issue.keyword === 'maximum' ? limit : undefined;
  if (min === RowId.minimum && max === RowId.maximum) return t.expectedId;
  return min === undefined && max === undefined ? t.expectedInteger : t.expectedIntegerWithin(min, max);
}

/** A coded refusal the engine does not word, in the operator's words; never the engine's (English) message. */
function refusalText(locale: ReturnType<typeof pickLocale>, status: number, code: string): string {
  const t = messages(locale);
  if (code === 'QUEUE_UNAVAILABLE' || status === 503) return t.queueUnavailable;
  if (status === 404) return t.notFound;
  return t.requestRefused(status, code);
}

/** The engine's words as the dashboard's flash and messages read: a sentence (capital first, final stop). */
function sentence(text: string): string {
  const capital = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** A form of the pages posted here (HTML forms, no script): its refusals answer a page, not a JSON body. */
const isFormAction = (request: FastifyRequest) => request.method === 'POST' && request.url.startsWith('/dashboard/acoes/');

/**
 * Every failure answers the house shape on the API and a short page elsewhere (a form action's too: the page in the
 * layout, in the viewer's language); never a stack trace.
 */
function errorHandler(
  error: Error & { statusCode?: number; validation?: unknown; code?: unknown },
  request: FastifyRequest,
  reply: FastifyReply,
) {
  if (error instanceof LoginRateLimited) {
    const locale = pickLocale((request.query as { lang?: string } | undefined)?.lang, undefined, request.headers['accept-language']);
    return reply
      .status(429)
      .header('retry-after', String(error.retryAfterSeconds))
      .type('text/html')
      .send(
        loginPage(
          locale,
          loginCsrfToken(request, reply, error.secureCookies),
          messages(locale).tooManyLogins(error.retryAfterSeconds),
          chosenLocale((request.query as { lang?: unknown } | undefined)?.lang) !== undefined,
        ),
      );
  }
  const locale = pickLocale(
    (request.query as { lang?: string } | undefined)?.lang,
    request.viewer?.locale,
    request.headers['accept-language'],
  );
  const form = isFormAction(request);
  const answer = (status: number, code: string, text: string) => {
    if (isApi(request) || (request.method !== 'GET' && !form)) return sendError(reply, status, code, text);
    if (request.viewer)
      return reply
        .status(status)
        .type('text/html')
        .send(layout(request.viewer, { title: String(status), active: '', body: html``, flash: { text, error: true } }));
    return reply.status(status).type('text/html').send(errorPage(text));
  };
  // The tenant's admission budget (admitApiWrite): the limiter's own words, as /v1 says them, made a sentence.
  if (error.statusCode === 429 && error.code === 'TENANT_RATE_LIMITED')
    return answer(
      429,
      error.code,
      sentence(fillTemplate(TENANT_RATE_LIMITED[locale], { seconds: String(reply.getHeader('retry-after') ?? 1) })),
    );
  // The webhook engine's refusals (409 for a disabled endpoint…) carry their status and are worded beside them.
  if (error instanceof WebhookError) return answer(error.status, error.code, webhookMessage(locale, error.wording, error.params));
  // Before the engine's refusals: a field's CONTROL_CHARACTER is said of the field, not of a run's parameter.
  if (error instanceof FieldRefusedError) {
    // A page or a form names a filter field by its label ("Desde"), the API by its request path ("body.filter.desde").
    const onPage = !isApi(request) && (form || request.method === 'GET');
    const text = fieldRefusalText(error, locale, onPage);
    // A page's filter it cannot apply (the failures list's live rows; the list itself answers its own page): said in
    // the failures list's frame.
    if (error.isFilter && onPage && !form && request.viewer)
      return reply
        .status(400)
        .type('text/html')
        .send(layout(request.viewer, { title: messages(locale).failures, active: 'failures', body: html``, flash: { text, error: true } }));
    return answer(400, error.code, text);
  }
  // The admission path's refusals (run now, pausing a schedule or a tenant): the engine's words, as the ingress says them.
  const refusal = runRefusalOf(error);
  if (refusal) return answer(refusal.status, refusal.code, sentence(runRefusalMessage(locale, refusal)));
  const status = statusOf(error);
  if (status === 400 && (isApi(request) || request.method !== 'GET')) {
    const worded = badInput(error, locale, request.routeOptions.schema);
    if (worded) return answer(400, worded.code, worded.message);
  }
  if (status >= 500) request.log.error({ err: error }, 'dashboard request failed');
  const fallback =
    status === 503 ? 'QUEUE_UNAVAILABLE' : status === 400 ? 'VALIDATION_FAILED' : status === 429 ? 'TOO_MANY_REQUESTS' : 'INTERNAL';
  const code = typeof error.code === 'string' && status < 500 && !error.code.startsWith('FST_') ? error.code : fallback;
  const text =
    status >= 500 && status !== 503
      ? messages(locale).internalError
      : error instanceof JobStateError
        ? messages(locale).jobStateRefused(error.action, error.job, jobStateWord(locale, error.estado) ?? error.estado)
        : refusalText(locale, status, code);
  return answer(status, code, text);
}

/**
 * The operators' dashboard as a Fastify plugin: server-rendered pages under /dashboard, a JSON API under
 * /dashboard/api (session + CSRF, or a tenant API key for scripts), bull-board for admins under /dashboard/filas.
 * Its cookie, form and rate-limit plugins stay inside this scope, so the ingress it is mounted in is unchanged.
 */
export function dashboardPlugin(given: DashboardDeps): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    // The job detail's preview reaches receptors through transports: the caller's, or the dashboard's own.
    const deps = {
      ...given,
      transports: given.transports ?? createTransportFactory(new SoapClientCache({ max: 20 })),
      // The webhooks page's Testar: the caller's settings and client, or the defaults and the dashboard's own.
      webhooks: given.webhooks ?? { settings: DEFAULT_WEBHOOK_SETTINGS, http: createWebhookHttpClient(DEFAULT_WEBHOOK_SETTINGS) },
    };
    if (!given.transports) app.addHook('onClose', () => deps.transports.close());
    if (!given.webhooks) app.addHook('onClose', () => deps.webhooks.http.close());
    // Only the JSON API is an API: the pages, form actions, login and bull-board stay out of the OpenAPI document of
    // an ingress that mounts the dashboard (it documents answers; an HTML page or a redirect is not one to generate from).
    // `hide` is @fastify/swagger's flag: the ingress registers swagger, this package does not depend on it.
    const hidden = { hide: true };
    app.addHook('onRoute', (route) => {
      if (!route.url.startsWith('/dashboard/api/')) route.schema = { ...route.schema, ...hidden };
    });
    await app.register(formbody);
    await app.register(rateLimit, { global: false });
    app.decorateRequest('viewer', null);
    app.setErrorHandler(errorHandler);
    app.addHook('onRequest', requireViewer(deps));
    // A script's writes (a tenant API key) spend the tenant's /v1 budget, before the body is read: the same actions
    // as /v1 (run, retry, resend, pause…), so a script refused there cannot carry on here.
    app.addHook('onRequest', async (request, reply) => {
      const viewer = request.viewer;
      if (!deps.admitApiWrite || !viewer || viewer.operadorId !== null || viewer.scope === 'all') return;
      const empresaId = viewer.scope[0];
      if (empresaId !== undefined && isWriteMethod(request.method)) await deps.admitApiWrite(request, reply, empresaId);
    });
    app.addHook('onSend', securityHeaders);
    // A repeated query parameter (?q=a&q=b) arrives as an array where every page and API route reads one string (a 500
    // when it was trimmed or searched): refused, naming it (bull-board's own UI keeps its queries).
    app.addHook('preValidation', async (request) => {
      if (request.method !== 'GET' || request.url.startsWith('/dashboard/filas')) return;
      const repeated = Object.entries((request.query ?? {}) as Record<string, unknown>).find(([, v]) => Array.isArray(v));
      if (repeated) throw new FieldRefusedError(isApi(request) ? `querystring.${repeated[0]}` : repeated[0], 'single');
    });
    // Every state-changing request of a session carries its CSRF token (synchronizer token; API keys are exempt).
    app.addHook('preHandler', async (request, reply) => {
      if (request.method === 'GET' || request.method === 'HEAD' || !request.viewer || csrfValid(request.viewer, request)) return;
      const text = messages(request.viewer.locale).csrf;
      // A form posted from a page older than the session (a new login since): the page says to reload, not a JSON body.
      if (isFormAction(request)) return sendStatusPage(reply, request.viewer, 403, text);
      return sendError(reply, 403, 'CSRF_INVALID', text);
    });
    const ttl = deps.sessionTtlMs ?? 8 * 3600_000;

    const secure = deps.secureCookies ?? false;
    const failureLimit = deps.loginFailureLimit ?? DEFAULT_LOGIN_FAILURE_LIMIT;
    /** The Retry-After of a login refused while the failure counter (Redis) is out of reach. */
    const LOGIN_COUNTER_RETRY_S = 5;

    app.get('/dashboard/live.js', async (_request, reply) => reply.type('application/javascript').send(LIVE_JS));
    app.get('/dashboard/style.css', async (_request, reply) => reply.type('text/css; charset=utf-8').send(STYLE_CSS));
    app.get('/dashboard/login', async (request, reply) => {
      const { lang } = request.query as { lang?: string };
      const locale = pickLocale(lang, undefined, request.headers['accept-language']);
      return reply
        .type('text/html')
        .send(loginPage(locale, loginCsrfToken(request, reply, secure), undefined, chosenLocale(lang) !== undefined));
    });
    app.post(
      '/dashboard/login',
      {
        config: {
          rateLimit: {
            max: deps.loginRateLimit ?? 10,
            timeWindow: 60_000,
            // Thrown to the error handler, which answers the login page with the wait worded (an HTML form posted here).
            errorResponseBuilder: (_request, context) => new LoginRateLimited(Math.max(1, Math.ceil(context.ttl / 1000)), secure),
          },
        },
      },
      async (request, reply) => {
        const body = (request.body ?? {}) as { login?: string; senha?: string; _csrf?: string };
        const locale = pickLocale((request.query as { lang?: string }).lang, undefined, request.headers['accept-language']);
        const page = (status: number, text: string) =>
          reply
            .status(status)
            .type('text/html')
            .send(
              loginPage(
                locale,
                loginCsrfToken(request, reply, secure),
                text,
                chosenLocale((request.query as { lang?: unknown }).lang) !== undefined,
              ),
            );
        // Login CSRF: only a form this dashboard rendered (its token in the form and the login cookie) logs in.
        if (!loginCsrfValid(request, body._csrf)) return page(403, messages(locale).loginCsrf);
        const login = typeof body.login === 'string' ? body.login.slice(0, 100) : '';
        // The failure counter out of reach (Redis): nobody logs in until it is back (fail closed), and a login whose
        // failure could not be counted is told so, not "wrong password".
        const counterUnavailable = (err: unknown) => {
          if (!(err instanceof LoginCounterUnavailableError)) throw err;
          request.log.warn(
            { login, reason: err.cause instanceof Error ? err.cause.message : String(err.cause) },
            'dashboard login refused: failure counter unavailable',
          );
          reply.header('retry-after', String(LOGIN_COUNTER_RETRY_S));
          return page(503, messages(locale).loginCounterUnavailable);
        };
        // Per login, besides per address: a login with too many failures is locked, known or not (the same words).
        let locked: number;
        try {
          locked = login ? await loginLockedFor(deps, failureLimit, login) : 0;
        } catch (err) {
          return counterUnavailable(err);
        }
        if (locked) {
          reply.header('retry-after', String(locked));
          return page(429, messages(locale).loginLocked(Math.ceil(locked / 60)));
        }
        const operador =
          login && typeof body.senha === 'string'
            ? await authenticateOperador(deps.database.db, login, body.senha.slice(0, 200))
            : undefined;
        if (!operador) {
          request.log.warn({ login }, 'dashboard login refused');
          try {
            if (login) await recordLoginFailure(deps, failureLimit, login);
          } catch (err) {
            return counterUnavailable(err);
          }
          return page(401, messages(locale).badLogin);
        }
        await clearLoginFailures(deps, login);
        const { token } = await createSessao(deps.database.db, operador.id, ttl);
        // The login form's token is spent with the login (a new form mints a new one).
        writeCookie(reply, LOGIN_CSRF_COOKIE, '', { secure, path: '/dashboard/login', maxAgeSeconds: 0 });
        writeCookie(reply, SESSION_COOKIE, token, {
          secure: deps.secureCookies ?? false,
          path: '/dashboard',
          maxAgeSeconds: Math.floor(ttl / 1000),
        });
        // The login page's language chosen with its ?lang= (which the page's form carries when English was chosen) goes
        // on after the login, kept as a choice; a login page in pt-BR, or in English only by the browser's
        // Accept-Language, leaves the operator's saved preference to decide (a language another operator chose in this
        // browser is not this one's either).
        const loginLanguage = chosenLocale((request.query as { lang?: unknown } | undefined)?.lang);
        if (loginLanguage) writeCookie(reply, LANG_COOKIE, loginLanguage, { secure: deps.secureCookies ?? false, path: '/dashboard' });
        else clearLanguage(reply, deps);
        return reply.redirect('/dashboard');
      },
    );

    await app.register(pageRoutes(deps));
    await app.register(apiRoutes(deps));
    await app.register(servicesRoutes(deps));
    await app.register(connectionsRoutes(deps));
    await app.register(ctiWebhooksRoutes(deps));
    await mountBullBoard(app, deps);

    app.post('/dashboard/logout', async (request, reply) => {
      const token = readCookie(request, SESSION_COOKIE);
      if (token) await deleteSessao(deps.database.db, token);
      writeCookie(reply, SESSION_COOKIE, '', { secure: deps.secureCookies ?? false, path: '/dashboard', maxAgeSeconds: 0 });
      clearLanguage(reply, deps);
      return reply.redirect('/dashboard/login');
    });
  };
}

/** Clears the session's language choice (LANG_COOKIE). */
function clearLanguage(reply: FastifyReply, deps: DashboardDeps): void {
  writeCookie(reply, LANG_COOKIE, '', { secure: deps.secureCookies ?? false, path: '/dashboard', maxAgeSeconds: 0 });
}
