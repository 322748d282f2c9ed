import {
  admitEndpointSync,
  type EventoValidation,
  recordErrorMessage,
  SEED_003_LIMITS,
  statusMessage,
  validateEndpointService,
  validationLimits,
} from '@integrador/integrador';
import { findServicoEndpoint, listServicosEndpoint } from '@integrador/store';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { canAct, seesTenant, type Viewer, viewerOf } from './access';
import { auditAction } from './actions';
import type { DashboardDeps } from './deps';
import { formId } from './form-input';
import { html, type Raw } from './html';
import { formatTime, messages, word } from './i18n';
import { visibleEmpresas } from './pages.routes';
import { sendStatusPage } from './status-page';
import { layout } from './views/layout';

type Query = Record<string, string | undefined>;

/** How many record errors of one event type the validation shows (the engine reports up to 50). */
const ERRORS_SHOWN = 10;

/** A service's validation, shown above its row: per event type, the engine's verdict and its first record errors. */
interface ShownValidation {
  servicoId: number;
  ok: boolean;
  eventos: EventoValidation[];
}

function validationBlock(viewer: Viewer, shown: ShownValidation): Raw {
  const t = messages(viewer.locale);
  return html`<div id="validacao" data-servico="${shown.servicoId}"><ul>${shown.eventos.map(
    (e) =>
      html`<li data-tipo="${e.tipo}" class="${e.ok ? 'concluido' : 'falhou'}"><strong>${e.tipo}</strong> <code>${e.url}</code>: ${statusMessage(viewer.locale, e.code, e.params)}${
        e.erros?.length
          ? html`<ul>${e.erros.slice(0, ERRORS_SHOWN).map((r) => html`<li>${recordErrorMessage(viewer.locale, r)}</li>`)}${
              e.erros.length > ERRORS_SHOWN ? html`<li class="muted">${t.recordErrorsOmitted(e.erros.length - ERRORS_SHOWN)}</li>` : ''
            }</ul>`
          : ''
      }</li>`,
  )}</ul></div>`;
}

/** The sync flash of a redirect (`sincronizado=<servico>&job=<id>`), checked here, never echoed as given. */
function syncFlash(viewer: Viewer, query: Query): string | undefined {
  const { sincronizado: id, job } = query;
  if (!id || !job || !/^\d{1,10}$/.test(id) || !/^[\w:.-]{1,100}$/.test(job)) return undefined;
  return messages(viewer.locale).syncEnqueued(Number(id), job);
}

/**
 * Seed 003's JSON endpoint services: status and reason per empresa the viewer sees, and for operators "Validar" (the
 * engine's validateEndpointService: fetch and check each URL, write nothing) and "Sincronizar" (endpoint.sync on queue
 * get after the engine's admitEndpointSync), both through the same functions as the /v1 API and the CLI.
 */
export function servicesRoutes(deps: DashboardDeps): FastifyPluginAsync {
  const endpoints = deps.endpoints ?? { limits: SEED_003_LIMITS, env: {} };
  return async (app) => {
    const servicesPage = async (
      reply: FastifyReply,
      viewer: Viewer,
      flash?: { text: string; error?: boolean },
      validation?: ShownValidation,
    ) => {
      const t = messages(viewer.locale);
      const act = canAct(viewer);
      const hidden = (empresaId: number, servicoId: number) =>
        html`<input type="hidden" name="_csrf" value="${viewer.csrf ?? ''}"><input type="hidden" name="empresa" value="${empresaId}"><input type="hidden" name="servico" value="${servicoId}">`;
      const sections = [];
      for (const empresa of await visibleEmpresas(deps, viewer)) {
        const items = await listServicosEndpoint(deps.database.db, { empresaId: empresa.id, filialId: viewer.filialId });
        if (!items.length) continue;
        sections.push(html`<section data-empresa="${empresa.id}"><h2>${empresa.nome} (#${empresa.id})</h2><table><thead><tr><th>#</th><th>${t.name}</th><th>${t.status}</th><th>${t.reason}</th><th>${t.updatedAt}</th><th></th></tr></thead><tbody>
${items.map(
  (
    s,
  ) => html`<tr data-servico="${s.id}"><td>${s.id}</td><td>${s.nome}</td><td class="${s.status === 'falha' ? 'falhou' : 'concluido'}">${word(t.serviceStatuses, s.status)}</td><td>${s.statusMotivo ? statusMessage(viewer.locale, s.statusMotivo.code, s.statusMotivo.params) : '—'}${validation?.servicoId === s.id ? validationBlock(viewer, validation) : ''}</td><td>${formatTime(s.ultimaExecucaoEm, viewer.locale, viewer.timeZone)}</td>
<td>${act ? html`<form method="post" action="/dashboard/acoes/servico-validar" class="inline">${hidden(empresa.id, s.id)}<button>${t.validate}</button></form> <form method="post" action="/dashboard/acoes/servico-sincronizar" class="inline">${hidden(empresa.id, s.id)}<button>${t.sync}</button></form>` : ''}</td></tr>`,
)}
</tbody></table></section>`);
      }
      const body = sections.length ? html`${sections}` : html`<p class="muted">${t.noRows}</p>`;
      return reply.type('text/html').send(layout(viewer, { title: t.services, active: 'services', body, flash }));
    };

    app.get('/dashboard/servicos', async (request, reply) => {
      const viewer = viewerOf(request);
      const text = syncFlash(viewer, request.query as Query);
      return servicesPage(reply, viewer, text ? { text } : undefined);
    });

    /** The service a form names, when the viewer sees its empresa and it is that empresa's (else undefined: a 404). */
    const formService = (viewer: Viewer, body: Record<string, unknown>) => {
      const empresaId = formId(body, 'empresa');
      const servicoId = formId(body, 'servico');
      if (!seesTenant(viewer, empresaId)) return undefined;
      return { empresaId, servicoId, caller: { empresaId, filialId: viewer.filialId } };
    };

    // Validate answers with the page (the result beside its service); nothing is written but the audit row.
    app.post('/dashboard/acoes/servico-validar', async (request, reply) => {
      const viewer = viewerOf(request);
      if (!canAct(viewer)) return sendStatusPage(reply, viewer, 403);
      const named = formService(viewer, (request.body ?? {}) as Record<string, unknown>);
      const service = named && (await findServicoEndpoint(deps.database.db, named.caller, named.servicoId));
      if (!named || !service) return sendStatusPage(reply, viewer, 404);
      const ctx = { database: deps.database, limits: validationLimits(endpoints.limits, endpoints.validateTimeoutMs), env: endpoints.env };
      const result = await validateEndpointService(ctx, service);
      await auditAction(deps, viewer, {
        empresaId: named.empresaId,
        acao: 'endpoint-validate',
        alvo: `servico/${service.id}`,
        quantidade: 1,
        // Each evento's code with its values: the audit log words it as the page did (views/pages.ts outcomeFields).
        detalhe: { ok: result.ok, eventos: result.eventos.map((e) => ({ tipo: e.tipo, code: e.code, params: e.params })) },
      });
      const text = messages(viewer.locale).validation(service.id, result.ok);
      return servicesPage(reply, viewer, { text, error: !result.ok }, { servicoId: service.id, ...result });
    });

    // Sync enqueues endpoint.sync as POST /v1/endpoints/:id/sync does; an inactive service is the engine's 409, in its words.
    app.post('/dashboard/acoes/servico-sincronizar', async (request, reply) => {
      const viewer = viewerOf(request);
      if (!canAct(viewer)) return sendStatusPage(reply, viewer, 403);
      const named = formService(viewer, (request.body ?? {}) as Record<string, unknown>);
      const service = named && (await admitEndpointSync(deps.database.db, named.caller, named.servicoId));
      if (!named || !service) return sendStatusPage(reply, viewer, 404);
      const job = await deps.producer.enqueue('get', 'endpoint.sync', { tenant: named.caller, servicoId: service.id, trigger: 'api' });
      const jobId = String(job.id);
      await auditAction(deps, viewer, {
        empresaId: named.empresaId,
        acao: 'endpoint-sync',
        alvo: `servico/${service.id} → get/${jobId}`,
        quantidade: 1,
      });
      return reply.redirect(`/dashboard/servicos?sincronizado=${service.id}&job=${encodeURIComponent(jobId)}`);
    });
  };
}
