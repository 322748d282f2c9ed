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
  const flash = status === 403 ? { text: text ?? messages(viewer.locale).forbidden, error: true } : undefined;
  return reply
    .status(status)
    .type('text/html')
    .send(layout(viewer, { title: String(status), active: '', body: html``, flash }));
}
