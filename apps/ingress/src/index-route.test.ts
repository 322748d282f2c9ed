import type { FastifyInstance } from 'fastify';
import { buildDocsApp } from '../../../test/support/docs-app';

/**
 * A newcomer opening http://127.0.0.1:3000/ after `npm start` finds where to go (the docs, the dashboard, the probes)
 * in their language, instead of a bare 404; every other unknown route keeps its 404.
 */
describe('GET / on the ingress', () => {
  let app: FastifyInstance;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ app, close } = await buildDocsApp({ dashboard: true }));
  });
  afterAll(async () => {
    await close?.();
  });

  it('answers JSON pointing to /docs, /dashboard and the probes, in pt-BR by default and in English on request', async () => {
    const pt = await app.inject('/');
    expect(pt.statusCode).toBe(200);
    expect(pt.headers['content-type']).toContain('application/json');
    const body = pt.json() as { message: string; links: { href: string; description: string }[] };
    expect(body.links.map((link) => link.href)).toEqual(['docs', 'openapi.json', 'dashboard', 'healthz', 'readyz', 'metrics']);
    expect(body.message).toContain('A API fica em /v1');
    expect(body.links[0]?.description).toContain('documentação da API');
    const en = (await app.inject({ url: '/', headers: { 'accept-language': 'en-US,en;q=0.9' } })).json() as typeof body;
    expect(en.message).toContain('The API is under /v1');
    expect(en.links[0]?.description).toContain('API documentation');
  });

  it('answers a browser a small page with the same links, each reachable', async () => {
    const page = await app.inject({ url: '/', headers: { accept: 'text/html,application/xhtml+xml', 'accept-language': 'en' } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('<a href="docs">docs</a>');
    expect(page.body).toContain('<html lang="en">');
    const hrefs = [...page.body.matchAll(/<a href="([^"]+)"/g)].map((match) => match[1] ?? '');
    expect(hrefs).toHaveLength(6);
    for (const href of ['docs', 'healthz', 'dashboard'])
      expect((await app.inject(new URL(href, 'http://localhost/').pathname)).statusCode).toBeLessThan(400);
  });

  // Review rev2 #7: behind a proxy serving the ingress under a path prefix, root-absolute links left the prefix.
  it('links relative to the page, so they stay under a PUBLIC_URL path prefix', async () => {
    const page = await app.inject({ url: '/', headers: { accept: 'text/html' } });
    const hrefs = [...page.body.matchAll(/<a href="([^"]+)"/g)].map((match) => match[1] ?? '');
    const json = ((await app.inject('/')).json() as { links: { href: string }[] }).links.map((link) => link.href);
    for (const href of [...hrefs, ...json])
      expect(new URL(href, 'https://hub.example/integrador/').href).toMatch(/^https:\/\/hub\.example\/integrador\/[a-z.]+$/);
  });

  it('leaves the dashboard out when this ingress does not serve it', async () => {
    const bare = await buildDocsApp();
    try {
      const hrefs = ((await bare.app.inject('/')).json() as { links: { href: string }[] }).links.map((link) => link.href);
      expect(hrefs).not.toContain('dashboard');
      expect(hrefs).toContain('docs');
    } finally {
      await bare.close();
    }
  });

  it('keeps the JSON 404 of an unknown route', async () => {
    const unknown = await app.inject('/nada-aqui');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'rota não encontrada: GET /nada-aqui' } });
  });
});
