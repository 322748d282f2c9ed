import {
  type CallRow,
  type CallTenants,
  type ClickToCallFailure,
  clickToCallFailures,
  listCalls,
  ramalOf,
  readPhoneFilter,
  typedTelefone,
} from '@integrador/cti';
import { latestAudit } from '@integrador/store';
import {
  type CircuitState,
  circuitStates,
  countEndpointsByEmpresa,
  DEFAULT_WEBHOOK_SETTINGS,
  deletedEndpointIds,
  deliveryAttempts,
  deliveryErrorMessage,
  deliveryReasonCode,
  ENTREGA_STATUSES,
  listEntregas,
  listTentativas,
  listWebhookEndpoints,
  presentEndpoint,
  requireChangeableEndpoint,
  testWebhookEndpoint,
  WebhookError,
  webhookMessage,
} from '@integrador/webhooks';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { canAct, seesTenant, sendError, type Viewer, viewerOf } from './access';
import { auditAction } from './actions';
import {
  actionErrors,
  CallsResponse,
  EnqueuedResponse,
  ErrorBody,
  RecoveredResponse,
  RowId,
  readErrors,
  WebhookAttemptsResponse,
  WebhooksResponse,
} from './api.schemas';
import type { DashboardDeps } from './deps';
import { FieldRefusedError, fieldRefusalText } from './field-refusal';
import { formDate, formId, optionalFormId, queryEmpresa } from './form-input';
import { html, type Raw } from './html';
import { messages, word } from './i18n';
import { filterDate, zoneLabel } from './job-filter';
import { maskUrl, maskUrlsIn } from './mask';
import { pausedEmpresas, visibleEmpresas } from './pages.routes';
import { customerNames, usuarioNames } from './queries';
import { sendStatusPage } from './status-page';
import { pausedNotice } from './views/confirm';
import { type CallExtras, type CallsShown, callsBody, type EndpointView, tenantFilters, webhooksBody } from './views/cti-webhooks';
import { layout } from './views/layout';
import { recoverWebhookFailures, resendWebhookDelivery } from './webhook-actions';

type Query = Record<string, string | undefined>;

/** How many of an endpoint's latest deliveries the page and the API list (each with its attempts). */
const DELIVERIES_SHOWN = 20;

/** How many tenants the webhooks page shows at once when it opens on every tenant the viewer sees (the rest by the filter). */
const WEBHOOK_TENANTS_SHOWN = 10;

const num = (v: unknown) => (typeof v === 'string' && /^\d{1,9}$/.test(v) ? Number(v) : typeof v === 'number' ? v : undefined);
/**
 * A date filter of the calls (`desde`, `ate`), read as the failures filter reads it: zone-less is a wall clock in the
 * viewer's zone; empty is no filter; anything else (an impossible day such as 2026-02-30) is refused naming the field.
 */
const date = (query: Query, key: 'desde' | 'ate', timeZone: string) => {
  const v = query[key];
  if (!v) return undefined;
  return filterDate(v, timeZone) ?? refuseFilter(`querystring.${key}`);
};
const refuseFilter = (field: string): never => {
  throw new FieldRefusedError(field, 'date');
};

/** The tenant a request is about: the one asked for when the viewer sees it, else the viewer's first; undefined otherwise. */
function tenantOf(viewer: Viewer, requested: unknown): number | undefined {
  const id = num(requested);
  if (id !== undefined) return seesTenant(viewer, id) ? id : undefined;
  return viewer.scope === 'all' ? undefined : viewer.scope[0];
}

/**
 * The empresa a calls or webhooks request asks for (`?empresa=`), read by the pages' and the calls API's one rule: none
 * asked for is undefined (every empresa the viewer sees); one the viewer sees is its id; another empresa's id, or one
 * there is not, is 'not-found' — the same 404 for both, so an id tells nothing of another tenant.
 */
function askedEmpresa(empresas: ReadonlyArray<{ id: number }>, query: Query): number | undefined | 'not-found' {
  // Present and no id (`abc`, 11 digits) is refused (400), as the schedules page refuses it: never every empresa.
  const requested = queryEmpresa(query);
  if (requested === undefined) return undefined;
  return empresas.find((e) => e.id === requested)?.id ?? 'not-found';
}

/**
 * Which empresas a calls request covers, for the page and the API alike: the one asked for, or the viewer's only one,
 * as `empresaId`; otherwise every empresa the viewer sees (an admin's read without a list: 'all').
 */
function callScope(viewer: Viewer, empresas: ReadonlyArray<{ id: number }>, asked: number | undefined) {
  const empresaId = asked ?? (empresas.length === 1 ? empresas[0]?.id : undefined);
  const tenants: CallTenants = empresaId ?? (viewer.scope === 'all' ? 'all' : empresas.map((e) => e.id));
  return { empresaId, tenants };
}

/** The calls filter's ramal, read as every entry point reads one (ramalOf: `SIP/201` or `'201 '` is 201); else refused. */
const ramalFilter = (query: Query) => {
  if (!query.ramal?.trim()) return undefined;
  return ramalOf(query.ramal) ?? refuseRamal();
};
const refuseRamal = (): never => {
  throw new FieldRefusedError('querystring.ramal', 'ramal');
};

/** The calls filter of a query, over the tenants listed (a number is read as each of them stored its calls). */
async function callFilter(deps: DashboardDeps, tenants: CallTenants, query: Query, timeZone: string) {
  const from = date(query, 'desde', timeZone);
  const to = date(query, 'ate', timeZone);
  const ramal = ramalFilter(query);
  // The '+' an unencoded `?telefone=+1 212…` became a space of is restored before the text is trimmed (as /v1 reads it).
  const typed = typedTelefone(query.telefone)?.trim();
  const telefone = typed ? await readPhoneFilter(deps.database.db, tenants, typed.slice(0, 40)) : undefined;
  return {
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    ...(ramal ? { ramal } : {}),
    ...(telefone ? { telefone } : {}),
    ...(num(query.antes) ? { before: num(query.antes) } : {}),
    limit: Math.min(num(query.limit) ?? 50, 500),
  };
}

/**
 * Which deliveries the webhooks page and API list: one status (ENTREGA_STATUSES) or all; one endpoint or all; and the
 * page of an endpoint's deliveries older than `antes` (a delivery id: the previous page's last, its nextCursor).
 */
interface DeliveryFilter {
  status?: string | undefined;
  endpoint?: number | undefined;
  antes?: number | undefined;
}

/** The deliveries filter of a query; a value it cannot apply answers 400 naming the field (never silently all). */
function deliveryFilter(query: Query): DeliveryFilter | { refused: string; expected: 'status' | 'integer' } {
  const status = query.status || undefined;
  if (status !== undefined && !(ENTREGA_STATUSES as readonly string[]).includes(status)) return { refused: 'status', expected: 'status' };
  for (const key of ['endpoint', 'antes'] as const)
    if (query[key] && num(query[key]) === undefined) return { refused: key, expected: 'integer' };
  return { status, endpoint: num(query.endpoint), antes: num(query.antes) };
}

function deliveryRefusal(viewer: Viewer, refused: { refused: string; expected: 'status' | 'integer' }): string {
  const t = messages(viewer.locale);
  const expected = refused.expected === 'status' ? t.expectedOneOf(ENTREGA_STATUSES.join(', ')) : t.expectedInteger;
  return t.badField(refused.refused, expected);
}

/**
 * An empresa's endpoints with their latest deliveries (by the filter, DELIVERIES_SHOWN at a time) and every attempt, for
 * the page and the API; then its deleted endpoints that still have deliveries (kept until the retention purge), marked
 * `excluido`, with no name, URL or circuit (the endpoint row is gone).
 */
async function endpointViews(deps: DashboardDeps, viewer: Viewer, empresaId: number, filter: DeliveryFilter = {}): Promise<EndpointView[]> {
  const views: EndpointView[] = [];
  const endpoints = (await listWebhookEndpoints(deps.database.db, empresaId)).filter(
    (e) => filter.endpoint === undefined || e.id === filter.endpoint,
  );
  const circuits = await circuitsOf(
    deps,
    endpoints.map((e) => e.id),
  );
  for (const [i, endpoint] of endpoints.entries()) {
    const shown = presentEndpoint(endpoint, viewer.locale, (deps.webhooks ?? { settings: DEFAULT_WEBHOOK_SETTINGS }).settings);
    views.push({
      id: endpoint.id,
      nome: endpoint.nome,
      // The operator sees where deliveries go, not a token the tenant put in the URL's query.
      url: maskUrl(endpoint.url),
      ativo: endpoint.ativo,
      excluido: false,
      desativado: shown.desativado?.message ?? null,
      bloqueado: shown.bloqueado?.message ?? null,
      ...(await deliveriesShown(deps, viewer, empresaId, endpoint.id, filter)),
      circuito: circuits?.[i] ?? null,
    });
  }
  const deleted = (await deletedEndpointIds(deps.database.db, empresaId)).filter(
    (id) => filter.endpoint === undefined || id === filter.endpoint,
  );
  for (const id of deleted) {
    const shown = await deliveriesShown(deps, viewer, empresaId, id, filter);
    views.push({ id, nome: null, url: null, ativo: false, excluido: true, desativado: null, bloqueado: null, ...shown, circuito: null });
  }
  return views;
}

/** A page of one endpoint's deliveries (by the filter) with every attempt, and the cursor of the next page. */
async function deliveriesShown(deps: DashboardDeps, viewer: Viewer, empresaId: number, endpointId: number, filter: DeliveryFilter) {
  const deliveries = await listEntregas(deps.database.db, empresaId, endpointId, {
    limit: DELIVERIES_SHOWN + 1,
    ...(filter.status ? { status: filter.status } : {}),
    ...(filter.antes !== undefined ? { before: filter.antes } : {}),
  });
  const page = deliveries.slice(0, DELIVERIES_SHOWN);
  return {
    deliveries: await Promise.all(
      page.map(async (d) => ({
        ...d,
        id: Number(d.id),
        ultimo_erro: maskUrlsIn(deliveryErrorMessage(viewer.locale, d)),
        motivo: deliveryReasonCode(d),
        attempts: (await listTentativas(deps.database.db, empresaId, Number(d.id))).map((a) => ({ ...a, erro: maskUrlsIn(a.erro) })),
      })),
    ),
    nextCursor: deliveries.length > DELIVERIES_SHOWN ? Number(page.at(-1)?.id) : null,
  };
}

/**
 * The webhooks page's body: one tenant's endpoints (`empresaId`), or, when none is asked for, those of every tenant the
 * viewer sees that has endpoints (up to WEBHOOK_TENANTS_SHOWN, each under its name), with a tenant filter offering both.
 * An empty page says why: no tenant visible, no endpoint in the tenant (naming the tenants that have some) or in any,
 * no such endpoint, no delivery yet or none with the status asked for. `refused`: a filter value it cannot apply.
 */
async function webhooksPage(
  deps: DashboardDeps,
  viewer: Viewer,
  query: Query,
  empresas: ReadonlyArray<{ id: number; nome: string }>,
  empresaId: number | undefined,
): Promise<{ body: Raw; refused?: string }> {
  const t = messages(viewer.locale);
  const filter = deliveryFilter(query);
  const status = 'refused' in filter ? undefined : filter.status;
  const extra = html`<label>${t.status}<select name="status"><option value="">${t.allStatuses}</option>${ENTREGA_STATUSES.map((s) => html`<option value="${s}" ${s === status ? 'selected' : ''}>${word(t.deliveryStatuses, s)}</option>`)}</select></label>`;
  const filters = tenantFilters(viewer, '/dashboard/webhooks', [...empresas], empresaId ?? null, extra, true);
  if ('refused' in filter) return { body: filters, refused: deliveryRefusal(viewer, filter) };
  const why = (text: string, more: Raw | string = '') => ({ body: html`${filters}<p class="muted vazio">${text}</p>${more}` });
  if (empresas.length === 0) return why(t.noTenantsVisible);
  const counts = await countEndpointsByEmpresa(deps.database.db, viewer.scope === 'all' ? 'all' : empresas.map((e) => e.id));
  const withEndpoints = empresas.filter((e) => counts.has(e.id));
  const name = (e: { id: number; nome: string }) => `${e.nome} (#${e.id})`;
  const tenantBody = async (id: number) => {
    const views = await endpointViews(deps, viewer, id, filter);
    const older = (view: EndpointView) =>
      view.nextCursor === null
        ? null
        : `/dashboard/webhooks?${new URLSearchParams({ empresa: String(id), ...(status ? { status } : {}), endpoint: String(view.id), antes: String(view.nextCursor) })}`;
    return { views, body: webhooksBody(viewer, html``, id, views, canAct(viewer), older, status) };
  };
  if (empresaId !== undefined) {
    const empresa = empresas.find((e) => e.id === empresaId) as { id: number; nome: string };
    // An empresa whose endpoints were all deleted still shows their deliveries (until the retention purge).
    if (!counts.has(empresaId) && (await deletedEndpointIds(deps.database.db, empresaId, 1)).length === 0) {
      const others = withEndpoints.slice(0, 20);
      const links = others.length
        ? html`<p class="muted">${t.webhooksElsewhere} ${others.map((e, i) => html`${i ? ', ' : ''}<a href="/dashboard/webhooks?empresa=${e.id}">${name(e)}</a>`)}</p>`
        : '';
      return why(t.noWebhooksIn(name(empresa)), links);
    }
    const { views, body } = await tenantBody(empresaId);
    if (views.length === 0 && filter.endpoint !== undefined) return why(t.noSuchEndpoint(filter.endpoint, name(empresa)));
    return { body: html`${filters}${body}` };
  }
  if (withEndpoints.length === 0) return why(t.noWebhooksAnywhere(empresas.length));
  const sections: Raw[] = [];
  for (const empresa of withEndpoints.slice(0, WEBHOOK_TENANTS_SHOWN)) {
    const { views, body } = await tenantBody(empresa.id);
    // An endpoint filter names one endpoint: the tenants without it are left out.
    if (views.length > 0)
      sections.push(html`<section data-empresa="${empresa.id}"><h2 class="empresa">${name(empresa)}</h2>${body}</section>`);
  }
  const more =
    withEndpoints.length > WEBHOOK_TENANTS_SHOWN
      ? html`<p class="muted">${t.moreTenantsWithWebhooks(WEBHOOK_TENANTS_SHOWN, withEndpoints.length)}</p>`
      : '';
  return { body: html`${filters}${more}${sections.length ? sections : html`<p class="muted vazio">${t.noRows}</p>`}` };
}

/** Whether the calls page is filtered beyond its tenant (an empty list then says the filters found nothing). */
const filteredCalls = (query: Query) => ['desde', 'ate', 'telefone', 'ramal', 'antes'].some((key) => query[key]?.trim());

/**
 * The calls page's body: one tenant's calls (`requested`, or the one tenant the viewer sees), or, when none is asked
 * for, those of every tenant the viewer sees, newest first, each naming its tenant (an admin's read without a list of
 * tenants; an operator's within theirs), with a tenant filter offering both. An empty list says why: no tenant visible,
 * no call logged in the tenant(s), none matching the filters (or none among the rows read so far, with the link that
 * reads on), or an admin's number search needing an empresa.
 * `refused`: a filter value it cannot read.
 */
async function callsPage(
  deps: DashboardDeps,
  viewer: Viewer,
  query: Query,
  empresas: ReadonlyArray<{ id: number; nome: string }>,
  requested: number | undefined,
): Promise<{ body: Raw; refused?: string }> {
  const t = messages(viewer.locale);
  const { empresaId, tenants } = callScope(viewer, empresas, requested);
  const extra = html`<label>${t.since}<input type="datetime-local" name="desde" value="${query.desde ?? ''}"></label><label>${t.until}<input type="datetime-local" name="ate" value="${query.ate ?? ''}"></label><span class="muted">${t.timeZone(zoneLabel(viewer.timeZone))}</span><label>${t.phone}<input name="telefone" value="${query.telefone ?? ''}"></label><label>${t.ramal}<input name="ramal" value="${query.ramal ?? ''}" size="8"></label>`;
  const filters = tenantFilters(viewer, '/dashboard/ligacoes', [...empresas], empresaId ?? null, extra, true);
  if (empresas.length === 0) return { body: html`${filters}<p class="muted vazio">${t.noTenantsVisible}</p>` };
  // No index serves a number (stored or raw) across the calls: within a tenant its empresa index bounds the read, over
  // every tenant it would read the whole call log. An admin chooses an empresa first (as for a customer search).
  if (tenants === 'all' && query.telefone?.trim()) return { body: html`${filters}<p class="muted vazio">${t.callsNumberNeedsEmpresa}</p>` };
  let shown: Awaited<ReturnType<typeof shownCalls>>;
  try {
    shown = await shownCalls(deps, viewer, tenants, query);
  } catch (err) {
    // A date it cannot read: the page with its filter to correct, saying which field (never all the calls).
    if (!(err instanceof FieldRefusedError)) throw err;
    return { body: filters, refused: fieldRefusalText(err, viewer.locale, true) };
  }
  const { calls, nextCursor } = shown;
  const where: Record<string, string> = empresaId === undefined ? {} : { empresa: String(empresaId) };
  const next = nextCursor
    ? `/dashboard/ligacoes?${new URLSearchParams({ ...(query as Record<string, string>), ...where, antes: String(nextCursor) })}`
    : null;
  const one = empresas.find((e) => e.id === empresaId);
  const name = one ? `${one.nome} (#${one.id})` : undefined;
  // A page that stopped at its reading bound (a number filter whose rows are other numbers) found none so far, not
  // none at all: its "Older" link goes on reading.
  const empty = next
    ? t.noCallsMatchingYet
    : filteredCalls(query)
      ? name
        ? t.noCallsMatchingIn(name)
        : t.noCallsMatchingAnywhere(empresas.length)
      : name
        ? t.noCallsIn(name)
        : t.noCallsAnywhere(empresas.length);
  const listed: CallsShown = { empty, ...(one ? {} : { empresas: new Map(empresas.map((e) => [e.id, e.nome] as const)) }) };
  return { body: callsBody(viewer, filters, calls, next, await callExtras(deps, viewer, calls), listed) };
}

/**
 * The endpoints' circuit breakers now, as GET /v1/webhooks reads them (one round trip; the ids are the tenant's, listed
 * above); null when Redis does not answer — the page still shows the endpoints, the circuit as unknown.
 */
async function circuitsOf(deps: DashboardDeps, ids: number[]): Promise<CircuitState[] | null> {
  const breakerFailures = (deps.webhooks ?? { settings: DEFAULT_WEBHOOK_SETTINGS }).settings.breakerFailures;
  return deps.producer
    .read('read webhook circuits', () => circuitStates(deps.producer.connection, deps.keyPrefix, ids, breakerFailures))
    .catch(() => null);
}

/** The refusal a form action came back with (only the engine's codes it redirects with, worded here, never echoed). */
function refusalOf(viewer: Viewer, query: Query): string | undefined {
  const endpointId = num(query.recusadoEndpoint);
  const code = query.recusado;
  if ((code !== 'WEBHOOK_DISABLED' && code !== 'WEBHOOK_DELETED') || endpointId === undefined) return undefined;
  return webhookMessage(viewer.locale, code, { id: String(endpointId) });
}

function notFound(reply: FastifyReply, viewer: Viewer) {
  return sendError(reply, 404, 'NOT_FOUND', messages(viewer.locale).notFound);
}

/**
 * CTI call logs and webhook endpoints with their delivery attempts (pages and API), and the webhook engine's resend
 * and recover as audited actions. Every query takes one tenant the viewer sees; another tenant's ids answer 404.
 */
export function ctiWebhooksRoutes(deps: DashboardDeps): FastifyPluginAsync {
  return async (app) => {
    const page = async (request: FastifyRequest, reply: FastifyReply, kind: 'calls' | 'webhooks') => {
      const viewer = viewerOf(request);
      const t = messages(viewer.locale);
      const query = request.query as Query;
      const empresas = await visibleEmpresas(deps, viewer);
      // Both pages open on every tenant the viewer sees (an operator's calls or endpoints may all be in another tenant
      // than the first), unless one is asked for.
      const asked = askedEmpresa(empresas, query);
      // Another empresa's id (or none there is) is the dashboard's one not-found page, as on the other pages (trial L5).
      if (asked === 'not-found') return sendStatusPage(reply, viewer, 404);
      const empresaId = asked;
      // A webhook test's outcome after its redirect (`testado=<endpoint>`): the viewer's latest one, worded now.
      const answer = kind === 'webhooks' && empresaId !== undefined ? await testOutcome(deps, viewer, empresaId, query) : undefined;
      // The webhooks page's actions (resend, recover) count deliveries, not jobs.
      const flash =
        query.feito !== undefined ? (kind === 'webhooks' ? t.doneDeliveries(Number(query.feito)) : t.done(Number(query.feito))) : undefined;
      const refused = answer?.error ? answer.text : refusalOf(viewer, query);
      let body = html`<p class="muted">${t.noRows}</p>`;
      if (kind === 'calls') {
        const calls = await callsPage(deps, viewer, query, empresas, empresaId);
        if (calls.refused !== undefined)
          return reply
            .status(400)
            .type('text/html')
            .send(layout(viewer, { title: t.calls, active: 'calls', body: calls.body, flash: { text: calls.refused, error: true } }));
        body = calls.body;
      } else if (kind === 'webhooks') {
        const webhooks = await webhooksPage(deps, viewer, query, empresas, empresaId);
        if (webhooks.refused !== undefined)
          return reply
            .status(400)
            .type('text/html')
            .send(
              layout(viewer, {
                title: t.webhooks,
                active: 'webhooks',
                body: webhooks.body,
                flash: { text: webhooks.refused, error: true },
              }),
            );
        // A paused empresa takes no delivery, a resend included, until it is resumed: said above its endpoints (trial L3).
        const paused = (await pausedEmpresas(deps, viewer)).filter((e) => empresaId === undefined || e.id === empresaId);
        body = html`${pausedNotice(viewer, paused)}${webhooks.body}`;
      }
      const [title, active] = kind === 'calls' ? [t.calls, 'calls'] : [t.webhooks, 'webhooks'];
      const shown = refused ? { text: refused, error: true } : answer ? { text: answer.text } : flash ? { text: flash } : undefined;
      return reply.type('text/html').send(layout(viewer, { title, active, body, flash: shown }));
    };
    app.get('/dashboard/ligacoes', (request, reply) => page(request, reply, 'calls'));
    app.get('/dashboard/webhooks', (request, reply) => page(request, reply, 'webhooks'));

    const formAction = async (request: FastifyRequest, reply: FastifyReply, kind: 'resend' | 'recover') => {
      const viewer = viewerOf(request);
      const body = (request.body ?? {}) as Record<string, unknown>;
      if (!canAct(viewer)) return sendStatusPage(reply, viewer, 403);
      // Malformed fields are refused (400 naming them) before anything is looked up; an empresa not the viewer's is a 404.
      const requested = optionalFormId(body, 'empresa');
      const endpointId = formId(body, 'endpoint');
      const deliveryId = kind === 'resend' ? formId(body, 'entrega') : undefined;
      const since = kind === 'recover' ? formDate(body, 'desde', viewer.timeZone) : undefined;
      const empresaId = tenantOf(viewer, requested === undefined ? undefined : String(requested));
      let done: number | undefined;
      if (empresaId !== undefined) {
        try {
          if (deliveryId !== undefined)
            done = (await resendWebhookDelivery(deps, viewer, empresaId, endpointId, deliveryId)) ? 1 : undefined;
          if (since) done = (await recoverWebhookFailures(deps, viewer, empresaId, endpointId, since))?.recovered;
        } catch (err) {
          // A page older than the endpoint's disabling still offers the buttons: back to the page, which says why (the
          // endpoint named apart from `endpoint`, the deliveries filter: the page shows every endpoint as before).
          if (err instanceof WebhookError && (err.code === 'WEBHOOK_DISABLED' || err.code === 'WEBHOOK_DELETED'))
            return reply.redirect(`/dashboard/webhooks?empresa=${empresaId}&recusado=${err.code}&recusadoEndpoint=${endpointId}`);
          throw err;
        }
      }
      if (done === undefined) return sendStatusPage(reply, viewer, 404);
      return reply.redirect(`/dashboard/webhooks?empresa=${empresaId}&feito=${done}`);
    };
    app.post('/dashboard/acoes/webhook-reenviar', (request, reply) => formAction(request, reply, 'resend'));

    // "Testar" (seed 004's test button, the engine's testWebhookEndpoint as POST /v1/webhooks/:id/test): a sample sent
    // now, then a 303 to the page, which words its outcome (from the audit row) in the engine's words — a reload sends
    // nothing again. Another tenant's endpoint is a 404, a filial key's 403.
    app.post('/dashboard/acoes/webhook-testar', async (request, reply) => {
      const viewer = viewerOf(request);
      const body = (request.body ?? {}) as Record<string, unknown>;
      if (!canAct(viewer)) return sendStatusPage(reply, viewer, 403);
      const requested = optionalFormId(body, 'empresa');
      const endpointId = formId(body, 'endpoint');
      const empresaId = tenantOf(viewer, requested === undefined ? undefined : String(requested));
      const tested = empresaId === undefined ? undefined : await testedEndpoint(deps, viewer, empresaId, endpointId);
      if (empresaId === undefined || !tested) return sendStatusPage(reply, viewer, 404);
      return reply.redirect(`/dashboard/webhooks?empresa=${empresaId}&testado=${endpointId}`, 303);
    });
    app.post('/dashboard/acoes/webhook-recuperar', (request, reply) => formAction(request, reply, 'recover'));

    const tags = ['dashboard'];
    // The calls page's rule (askedEmpresa, callScope): every empresa the session sees unless one is asked for; another
    // empresa's id is the same 404; an admin's number search over every empresa needs an empresa (400, worded).
    app.get(
      '/dashboard/api/calls',
      {
        schema: {
          tags,
          summary: 'The CTI call log of the empresas the session sees (or of ?empresa=), newest first',
          response: { 200: CallsResponse, 400: ErrorBody, ...readErrors },
        },
      },
      async (request, reply) => {
        const viewer = viewerOf(request);
        const query = request.query as Query;
        const empresas = await visibleEmpresas(deps, viewer);
        const asked = askedEmpresa(empresas, query);
        if (asked === 'not-found') return notFound(reply, viewer);
        if (empresas.length === 0) return { empresaId: null, items: [], calls: [], nextCursor: null };
        const { empresaId, tenants } = callScope(viewer, empresas, asked);
        if (tenants === 'all' && query.telefone?.trim())
          return sendError(reply, 400, 'VALIDATION_FAILED', messages(viewer.locale).callsNumberNeedsEmpresa);
        const { calls, nextCursor } = await shownCalls(deps, viewer, tenants, query);
        // `calls` stays one release as a deprecated alias of `items` (CHANGELOG), as GET /v1/cti/calls answers.
        return { empresaId: empresaId ?? null, items: calls, calls, nextCursor };
      },
    );

    app.get(
      '/dashboard/api/webhooks',
      {
        schema: {
          tags,
          summary:
            "A tenant's webhook endpoints with their latest deliveries (20 each; ?status=, ?endpoint=, ?antes=<nextCursor>) and attempts",
          response: { 200: WebhooksResponse, 400: ErrorBody, ...readErrors },
        },
      },
      async (request, reply) => {
        const viewer = viewerOf(request);
        const query = request.query as Query;
        // An empresa that is no id (`abc`) is a 400, as for the calls API and both pages; another's id the one 404.
        const empresaId = tenantOf(viewer, queryEmpresa(query));
        if (empresaId === undefined) return notFound(reply, viewer);
        const filter = deliveryFilter(query);
        if ('refused' in filter) return sendError(reply, 400, 'VALIDATION_FAILED', deliveryRefusal(viewer, filter));
        return { empresaId, items: await endpointViews(deps, viewer, empresaId, filter) };
      },
    );

    const Ids = {
      type: 'object',
      properties: { id: RowId, entrega: RowId },
    } as const;
    const EndpointId = { type: 'object', properties: { id: RowId } } as const;

    app.get(
      '/dashboard/api/webhooks/:id/deliveries/:entrega/attempts',
      {
        schema: {
          tags,
          summary: "One delivery's attempts",
          params: Ids,
          response: { 200: WebhookAttemptsResponse, 400: ErrorBody, ...readErrors },
        },
      },
      async (request, reply) => {
        const viewer = viewerOf(request);
        const { id, entrega } = request.params as { id: number; entrega: number };
        const empresaId = tenantOf(viewer, queryEmpresa(request.query as Query));
        if (empresaId === undefined) return notFound(reply, viewer);
        try {
          const items = await deliveryAttempts(deps.database.db, empresaId, id, entrega);
          return { items: items.map((a) => ({ ...a, erro: maskUrlsIn(a.erro) })) };
        } catch (err) {
          if ((err as { status?: number }).status === 404) return notFound(reply, viewer);
          throw err;
        }
      },
    );

    app.post(
      '/dashboard/api/webhooks/:id/deliveries/:entrega/resend',
      {
        schema: {
          tags,
          summary: 'Send one delivery again (409 while its endpoint is disabled)',
          response: { 202: EnqueuedResponse, ...actionErrors, 409: ErrorBody },
          params: Ids,
          body: {
            type: 'object',
            additionalProperties: false,
            properties: { empresaId: RowId, _csrf: { type: 'string' } },
          },
        },
      },
      async (request, reply) => {
        const viewer = viewerOf(request);
        if (!canAct(viewer)) return sendError(reply, 403, 'FORBIDDEN', messages(viewer.locale).forbidden);
        const { id, entrega } = request.params as { id: number; entrega: number };
        const empresaId = tenantOf(viewer, (request.body as { empresaId?: number } | undefined)?.empresaId);
        const jobId = empresaId === undefined ? undefined : await resendWebhookDelivery(deps, viewer, empresaId, id, entrega);
        if (jobId === undefined) return notFound(reply, viewer);
        return reply.status(202).send({ queue: 'webhook', jobId });
      },
    );

    app.post(
      '/dashboard/api/webhooks/:id/recover',
      {
        schema: {
          tags,
          summary: "Re-send an endpoint's deliveries since a time that failed or were cancelled by its disabling",
          response: { 200: RecoveredResponse, ...actionErrors, 409: ErrorBody },
          params: EndpointId,
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['since'],
            properties: {
              since: { type: 'string', format: 'date-time' },
              empresaId: RowId,
              _csrf: { type: 'string' },
            },
          },
        },
      },
      async (request, reply) => {
        const viewer = viewerOf(request);
        if (!canAct(viewer)) return sendError(reply, 403, 'FORBIDDEN', messages(viewer.locale).forbidden);
        const { id } = request.params as { id: number };
        const body = request.body as { since: string; empresaId?: number };
        const empresaId = tenantOf(viewer, body.empresaId);
        const recovered =
          empresaId === undefined ? undefined : await recoverWebhookFailures(deps, viewer, empresaId, id, new Date(body.since));
        if (recovered === undefined) return notFound(reply, viewer);
        return recovered;
      },
    );
  };
}

/** Sends the test sample to one of the viewer's endpoints and audits it; undefined when the endpoint is not the tenant's. */
async function testedEndpoint(deps: DashboardDeps, viewer: Viewer, empresaId: number, endpointId: number) {
  const webhooks = deps.webhooks;
  if (!webhooks) return undefined;
  let endpoint: Awaited<ReturnType<typeof requireChangeableEndpoint>>;
  try {
    endpoint = await requireChangeableEndpoint(deps.database.db, { empresaId, filialId: viewer.filialId }, endpointId);
  } catch (err) {
    if (err instanceof WebhookError && err.status === 404) return undefined;
    throw err;
  }
  const result = await testWebhookEndpoint(webhooks.http, webhooks.settings, endpoint, viewer.locale);
  await auditAction(deps, viewer, {
    empresaId,
    acao: 'webhook-test',
    alvo: `webhook/${endpointId}`,
    quantidade: 1,
    detalhe: { ok: result.ok, code: result.code, status: result.status, params: result.params },
  });
  return result;
}

/** The outcome of the viewer's latest test of `testado` (the audit row testedEndpoint wrote), in the viewer's words. */
async function testOutcome(deps: DashboardDeps, viewer: Viewer, empresaId: number, query: Query) {
  const endpointId = num(query.testado);
  if (endpointId === undefined) return undefined;
  const where = { empresaId, acao: 'webhook-test', alvo: `webhook/${endpointId}`, autor: viewer.autor };
  const row = await latestAudit(deps.database.db, where);
  const detalhe = row?.detalhe
    ? (JSON.parse(row.detalhe) as { ok?: boolean; code?: string; params?: Record<string, string | number> })
    : undefined;
  if (!detalhe?.code) return undefined;
  const t = messages(viewer.locale);
  const message = webhookMessage(viewer.locale, detalhe.code as Parameters<typeof webhookMessage>[1], detalhe.params ?? {});
  const ok = detalhe.ok === true;
  return { text: ok ? t.webhookTestOk(endpointId, message) : t.webhookTestFailed(endpointId, message), error: !ok };
}

/**
 * A page of calls as an operator sees it: rows written before the PBX client masked its errors still quote full URLs.
 * Calls belong to the empresa, not a filial (seed 002: one PBX per empresa; ligacoes.empresa_filial_id is never set),
 * so a filial key lists them all, as GET /cti/calls does; the conta / contato names beside them follow the filial rule.
 */
async function shownCalls(deps: DashboardDeps, viewer: Viewer, tenants: CallTenants, query: Query) {
  const page = await listCalls(deps.database.db, tenants, await callFilter(deps, tenants, query, viewer.timeZone));
  return { ...page, calls: page.calls.map((call) => ({ ...call, erro: maskUrlsIn(call.erro) })) };
}

/** The (empresa, id) pairs a page of calls names in one column, each once. */
function callPairs(calls: ReadonlyArray<CallRow>, pick: (c: CallRow) => number | null) {
  const pairs = new Map<string, { empresaId: number; id: number }>();
  for (const call of calls) {
    const id = pick(call);
    if (id !== null) pairs.set(`${call.empresa_id}/${id}`, { empresaId: call.empresa_id, id: Number(id) });
  }
  return [...pairs.values()];
}

/** Why each failed click-to-call of the page failed, by "empresa/evento_id": one query per empresa that has one. */
async function callFailures(deps: DashboardDeps, calls: ReadonlyArray<CallRow>): Promise<Map<string, ClickToCallFailure>> {
  const byEmpresa = new Map<number, CallRow[]>();
  for (const call of calls) byEmpresa.set(call.empresa_id, [...(byEmpresa.get(call.empresa_id) ?? []), call]);
  const found = await Promise.all(
    [...byEmpresa].map(async ([empresaId, rows]) => [empresaId, await clickToCallFailures(deps.database.db, empresaId, rows)] as const),
  );
  return new Map(found.flatMap(([empresaId, failures]) => [...failures].map(([evento, f]) => [`${empresaId}/${evento}`, f] as const)));
}

/**
 * What the calls page shows beside a page of calls, each bound to its call's empresa: the names of the contas,
 * contatos and agents (usuarios) they name, and the failure code of each failed click-to-call (its job's record,
 * clickToCallFailures), worded by the failure catalogue.
 */
async function callExtras(deps: DashboardDeps, viewer: Viewer, calls: ReadonlyArray<CallRow>): Promise<CallExtras> {
  const [contas, contatos, usuarios, failures] = await Promise.all([
    customerNames(
      deps.database,
      'contas',
      callPairs(calls, (c) => c.conta_id),
      viewer.filialId,
    ),
    customerNames(
      deps.database,
      'contatos',
      callPairs(calls, (c) => c.contato_id),
      viewer.filialId,
    ),
    // The agent of each call (its ramal's usuario when the call was logged).
    usuarioNames(
      deps.database,
      callPairs(calls, (c) => c.usuario_id),
    ),
    callFailures(deps, calls),
  ]);
  return { contas, contatos, usuarios, failures };
}
