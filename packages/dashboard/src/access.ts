import { LOCALES } from '@integrador/i18n';
import type { CrmDatabase, Operador, PapelOperador, TenantScope } from '@integrador/store';
import { findSessao, findTenantByApiKey } from '@integrador/store';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { readCookie } from './cookies';
import { type Locale, pickLocale } from './i18n';

export const SESSION_COOKIE = 'integrador_sessao';
/**
 * The language a session chose with ?lang= (pt-BR or en), kept across its pages: a browser-session cookie, written
 * only for a language we have and cleared at login and logout (the next operator of the browser gets their own).
 */
export const LANG_COOKIE = 'integrador_idioma';

/** A ?lang= value or the cookie's when it names a language we have; undefined otherwise (the preference decides). */
export function chosenLocale(value: unknown): Locale | undefined {
  return LOCALES.find((locale) => locale === value);
}

/** Who is asking: an operator (session cookie) or a script (tenant API key), and what they may see and do. */
export interface Viewer {
  /** The audit log's "who": the operator's login, or `api:<key prefix>` for a script. */
  autor: string;
  operadorId: number | null;
  papel: PapelOperador;
  /** The tenants whose jobs this viewer sees: every one for an admin. */
  scope: TenantScope;
  /** A filial API key sees only its filial's jobs. */
  filialId: number | null;
  timeZone: string;
  locale: Locale;
  /** The session's CSRF token (absent for API keys: a bearer token is no ambient credential). */
  csrf: string | null;
  /**
   * The page's query (without `?`), which the language switch keeps with only `lang` changed; null on a POST's
   * answer, which has no address to load again (the switch is not offered there).
   */
  pageQuery?: string | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    viewer: Viewer | null;
  }
}

/**
 * The viewer of a request the auth hook let through (every dashboard route but the login's): a 401 if there is none,
 * which only a route registered outside the hook would meet.
 */
export function viewerOf(request: FastifyRequest): Viewer {
  if (!request.viewer) throw Object.assign(new Error('no viewer'), { statusCode: 401 });
  return request.viewer;
}

function scopeOf(operador: Operador): TenantScope {
  return operador.papel === 'admin' ? 'all' : operador.empresas;
}

function bearer(request: FastifyRequest): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
}

/** SCHEDULE_TIMEZONE's default (packages/config), for a dashboard given no zone. */
const DEFAULT_API_TIME_ZONE = 'America/Sao_Paulo';

/**
 * Resolves the viewer of a request from its API key or session cookie; null when neither is valid. An operator reads
 * and writes times in their own zone; an API key, which has none, in the fleet's (`apiTimeZone`, SCHEDULE_TIMEZONE).
 */
export async function resolveViewer(
  database: CrmDatabase,
  request: FastifyRequest,
  apiTimeZone: string = DEFAULT_API_TIME_ZONE,
): Promise<Viewer | null> {
  const query = request.query as { lang?: string } | undefined;
  const accept = request.headers['accept-language'];
  const pageQuery = request.method === 'GET' ? (request.url.split('?')[1] ?? '') : null;
  const token = bearer(request);
  if (token) {
    const tenant = await findTenantByApiKey(database.db, token);
    if (!tenant) return null;
    return {
      autor: `api:${token.split('_')[1] ?? '?'}`,
      operadorId: null,
      papel: 'operador',
      scope: [tenant.empresaId],
      filialId: tenant.filialId,
      timeZone: apiTimeZone,
      locale: pickLocale(query?.lang, undefined, accept),
      csrf: null,
      pageQuery,
    };
  }
  const cookie = readCookie(request, SESSION_COOKIE);
  if (!cookie) return null;
  const session = await findSessao(database.db, cookie);
  if (!session) return null;
  const { operador } = session;
  return {
    autor: operador.login,
    operadorId: operador.id,
    papel: operador.papel,
    scope: scopeOf(operador),
    filialId: null,
    timeZone: operador.fuso_horario,
    // A language chosen with ?lang= is kept in a cookie (requireViewer writes it): the next page keeps it. A value
    // that names no language of ours chooses nothing: the operator's preference stands.
    locale: pickLocale(chosenLocale(query?.lang) ?? chosenLocale(readCookie(request, LANG_COOKIE)), operador.idioma, accept),
    csrf: session.csrf,
    pageQuery,
  };
}

/** True when the viewer may act (retry, discard, run now…): leitores only read. */
export function canAct(viewer: Viewer): boolean {
  return viewer.papel !== 'leitor';
}

/** True when the viewer sees this tenant. */
export function seesTenant(viewer: Viewer, empresaId: number): boolean {
  return viewer.scope === 'all' || viewer.scope.includes(empresaId);
}

/** The CSRF token a session-authenticated action must carry (form field `_csrf` or header `x-csrf-token`). */
export function csrfValid(viewer: Viewer, request: FastifyRequest): boolean {
  if (viewer.csrf === null) return true;
  const sent = (request.headers['x-csrf-token'] as string | undefined) ?? (request.body as { _csrf?: string } | undefined)?._csrf;
  return typeof sent === 'string' && sent.length === viewer.csrf.length && sent === viewer.csrf;
}

/** A JSON error in the house shape. */
export function sendError(reply: FastifyReply, status: number, code: string, message: string) {
  return reply.status(status).send({ error: { code, message } });
}
