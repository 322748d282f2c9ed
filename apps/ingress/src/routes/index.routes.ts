import { defineTexts, localeFromAcceptLanguage } from '@integrador/i18n';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';

export interface IndexRouteOptions {
  /** Whether this ingress serves the operators' dashboard under /dashboard (DASHBOARD=on). */
  dashboard: boolean;
}

type Place = 'docs' | 'openapi' | 'dashboard' | 'healthz' | 'readyz' | 'metrics';

/**
 * Relative to the page (served at the ingress's root): behind a proxy that serves the ingress under a path prefix
 * (PUBLIC_URL https://hub.example/integrador/), `docs` is …/integrador/docs where `/docs` would leave the prefix.
 */
const PATHS: Readonly<Record<Place, string>> = {
  docs: 'docs',
  openapi: 'openapi.json',
  dashboard: 'dashboard',
  healthz: 'healthz',
  readyz: 'readyz',
  metrics: 'metrics',
};

const TEXTS = defineTexts<{ title: string; intro: string; places: Readonly<Record<Place, string>> }>({
  'pt-BR': {
    title: 'Integrador — hub de integração de CRMs',
    intro:
      'Este é o ingress do Integrador. A API fica em /v1, com a chave da empresa no cabeçalho Authorization: Bearer <chave> (integrador tenant create a imprime). Por onde começar:',
    places: {
      docs: 'documentação da API (Swagger UI), com cada rota e resposta',
      openapi: 'o documento OpenAPI 3.1 da API',
      dashboard: 'painel de operação (entre com um operador criado por integrador operators create)',
      healthz: 'vivacidade: responde 200 enquanto o processo está no ar',
      readyz: 'prontidão: o Redis aceita escritas e o banco do CRM responde',
      metrics: 'métricas no formato do Prometheus',
    },
  },
  en: {
    title: 'Integrador — integration hub for CRMs',
    intro:
      "This is the Integrador ingress. The API is under /v1, with the empresa's key in the header Authorization: Bearer <key> (integrador tenant create prints it). Where to start:",
    places: {
      docs: 'API documentation (Swagger UI), with every route and answer',
      openapi: "the API's OpenAPI 3.1 document",
      dashboard: 'operations dashboard (log in with an operator made by integrador operators create)',
      healthz: 'liveness: answers 200 while the process is up',
      readyz: 'readiness: Redis takes writes and the CRM database answers',
      metrics: 'metrics in the Prometheus format',
    },
  },
});

const Index = Type.Object({
  title: Type.String(),
  message: Type.String(),
  links: Type.Array(Type.Object({ href: Type.String(), description: Type.String() })),
});

const escapeHtml = (text: string) =>
  text.replace(/[&<>"]/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[char] ?? char);

/**
 * GET /: what a newcomer opening the ingress's address finds — where the documentation, the dashboard and the probes
 * are, in the request's language; a small page for a browser (Accept: text/html), JSON for anything else. Every
 * other unknown route keeps its 404.
 */
export function indexRoutes(options: IndexRouteOptions) {
  const places = (Object.keys(PATHS) as Place[]).filter((place) => place !== 'dashboard' || options.dashboard);
  return async (app: FastifyInstance) => {
    // Like the probes, out of the OpenAPI document: a signpost for people, not part of the API's contract.
    app.get('/', { schema: { hide: true, response: { 200: Index } } }, async (request, reply) => {
      const locale = localeFromAcceptLanguage(request.headers['accept-language']);
      const texts = TEXTS(locale);
      const links = places.map((place) => ({ href: PATHS[place], description: texts.places[place] }));
      reply.header('vary', 'Accept, Accept-Language');
      if (!String(request.headers.accept ?? '').includes('text/html')) return { title: texts.title, message: texts.intro, links };
      const items = links.map((link) => `<li><a href="${link.href}">${link.href}</a> — ${escapeHtml(link.description)}</li>`);
      return reply
        .type('text/html; charset=utf-8')
        .header('content-security-policy', "default-src 'none'; frame-ancestors 'none'")
        .serializer((body: string) => body)
        .send(
          `<!doctype html><html lang="${locale}"><head><meta charset="utf-8"><title>${escapeHtml(texts.title)}</title></head>` +
            `<body><h1>${escapeHtml(texts.title)}</h1><p>${escapeHtml(texts.intro)}</p><ul>${items.join('')}</ul></body></html>`,
        );
    });
  };
}
