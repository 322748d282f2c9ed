import type { FastifyReply } from 'fastify';
import type { Viewer } from './access';
import { html } from './html';
import { messages } from './i18n';
import { layout } from './views/layout';

/**
 * A form action's bare answer page: 404 (nothing of the viewer's under those ids) or 403 with the text saying why
 * (by default: the viewer's role may not act).
 */
export function sendStatusPage(reply: FastifyReply, viewer: Viewer, status: 403 | 404, text?: string): FastifyReply {
  const t = messages(viewer.locale);
  // One not-found page for every URL the viewer may not see or that does not exist (another empresa's id, a job, a
  // schedule): the same words and status whichever page was asked (trial L5).
  if (status === 404)
    return reply
      .status(404)
      .type('text/html')
      .send(layout(viewer, { title: t.notFound, active: '', body: html`<p id="nao-encontrado">${t.notFound}</p>` }));
  const flash = { text: text ?? t.forbidden, error: true };
  return reply
    .status(status)
    .type('text/html')
    .send(layout(viewer, { title: String(status), active: '', body: html``, flash }));
}
