import { listTenantSchedules, previewSetWithoutReceptor, resolveSetTarget } from '@integrador/integrador';
import {
  countJobRecords,
  customerSearchNeedsEmpresa,
  groupJobRecords,
  type JobFilter,
  listAudit,
  listFiliais,
  listIntegracoes,
  listPausedTenants,
  type RegistroJob,
  recordParameters,
  searchJobRecords,
} from '@integrador/store';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { canAct, type Viewer, viewerOf } from './access';
import {
  type ActionResult,
  BULK_LIMIT,
  BulkCountChangedError,
  countMatchingFailed,
  discardJobs,
  GROUP_SELECTION_LIMIT,
  groupMembers,
  JobStateError,
  matchingFailedHeld,
  NoScheduleError,
  pauseSchedule,
  pauseTenant,
  retryJobs,
  retryMatching,
  runNow,
  SKIP_REASONS,
  type SkipReason,
} from './actions';
import type { DashboardDeps } from './deps';
import { failuresCsv } from './failures-csv';
import { FieldRefusedError, fieldRefusalText } from './field-refusal';
import { formGroups, formId, formJobRefs, queryEmpresa } from './form-input';
import { html } from './html';
import { formatTime, jobStateWord, messages, word } from './i18n';
import {
  jobDetail,
  overviewData,
  PAGE_SIZE,
  pageOffset,
  type RowNames,
  recordsById,
  recordsOf,
  rowNames,
  visibleFilterOf,
} from './queries';
import { sendStatusPage } from './status-page';
import { discardConfirmBody, pauseConfirmBody, pausedNotice } from './views/confirm';
import { failureGroupsBody } from './views/failure-groups';
import { ACTION_REPORT_KEYS, layout } from './views/layout';
import {
  auditBody,
  bulkConfirmBody,
  type FailureQuery,
  type FilterChoices,
  failureRows,
  failuresBody,
  filterForm,
  groupsConfirmBody,
  jobBody,
  overviewBody,
  queryString,
  technicalDetails,
} from './views/pages';

type Query = Record<string, string | undefined>;

function page(
  reply: FastifyReply,
  viewer: Viewer,
  title: string,
  active: string,
  body: ReturnType<typeof html>,
  flash?: string | { text: string; error: boolean },
) {
  return reply.type('text/html').send(layout(viewer, { title, active, body, flash: typeof flash === 'string' ? { text: flash } : flash }));
}

/** The flash of a page an action came back to: its refusal (worded here from checked codes, never echoed), or its count. */
function actionFlash(viewer: Viewer, query: Query): string | { text: string; error: boolean } | undefined {
  const t = messages(viewer.locale);
  const { recusado, acao, jobRecusado: job, estadoRecusado: estado } = query;
  if (
    (recusado === 'JOB_NOT_FAILED' || recusado === 'JOB_NOT_RETRYABLE') &&
    (acao === 'retry' || acao === 'discard') &&
    job &&
    /^[a-z]+\/[\w:.-]{1,200}$/.test(job)
  ) {
    const state = estado ? jobStateWord(viewer.locale, estado) : undefined;
    if (state) return { text: t.jobStateRefused(acao, job, state), error: true };
  }
  if (query.vazio !== undefined) return { text: t.noneSelected, error: true };
  if (query.feito !== undefined && acao === 'discard') return t.discarded(Number(query.feito));
  if (query.feito === undefined) return undefined;
  if (acao === 'retry') return t.retryOutcome(Number(query.feito), skipsOf(query.ignorados), Number(query.naoEncontrados ?? 0) || 0);
  // Jobs of a selection nobody here can see (another tenant's, gone): counted, never named or said whose (trial 4).
  const missing = /^\d{1,6}$/.test(query.naoEncontrados ?? '') ? Number(query.naoEncontrados) : 0;
  return missing > 0 ? `${t.done(Number(query.feito))} ${t.notFoundJobs(missing)}` : t.done(Number(query.feito));
}

/** A retry's report in the query of the page it comes back to: how many were done, skipped (by why) and not found. */
function retryReport(result: ActionResult): Record<string, string> {
  const skipped = SKIP_REASONS.flatMap((reason) => {
    const n = result.skippedReasons[reason] ?? 0;
    return n > 0 ? [[reason, n] as const] : [];
  });
  return {
    feito: String(result.done),
    acao: 'retry',
    ...(skipped.length ? { ignorados: skipped.map(([reason, n]) => `${reason}:${n}`).join(',') } : {}),
    ...(result.notFound ? { naoEncontrados: String(result.notFound) } : {}),
  };
}

/** The skip reasons of a retry's report (`ignorados`): only the known reasons with a count, in SKIP_REASONS' order. */
function skipsOf(text: string | undefined): Array<[SkipReason, number]> {
  const counts = new Map((text ?? '').split(',').map((part) => part.split(':') as [string, string | undefined]));
  return SKIP_REASONS.flatMap((reason) => {
    const n = Number(counts.get(reason));
    return Number.isSafeInteger(n) && n > 0 ? [[reason, n] as [SkipReason, number]] : [];
  });
}

/**
 * Said above a search's results when its text could name a customer but the search spans every tenant with no empresa
 * (an admin's): the store then looks no customer up (customerSearchNeedsEmpresa), so the list holds only the records'
 * own text, and choosing an empresa finds the customer's failures.
 */
function customerSearchNotice(viewer: Viewer, filter: JobFilter) {
  if (!filter.texto || !customerSearchNeedsEmpresa(filter, filter.texto)) return '';
  return html`<p class="flash" id="busca-clientes" role="status">${messages(viewer.locale).customerSearchNeedsEmpresa}</p>`;
}

function failureQuery(query: Query): FailureQuery {
  const num = (v: string | undefined) => (v && /^\d+$/.test(v) ? Number(v) : undefined);
  return {
    empresa: num(query.empresa),
    filial: num(query.filial),
    integracao: query.integracao === '-' ? '-' : num(query.integracao),
    codigo: query.codigo || undefined,
    agrupar: query.agrupar === '1' ? '1' : undefined,
    fila: query.fila,
    estado: query.estado,
    desde: query.desde,
    ate: query.ate,
    q: query.q,
  };
}

/**
 * A SET job's consulta with bound values and the request rebuilt now from today's data (the ingress' preview logic).
 * It reads the CRM as the viewer may: a filial viewer's preview of an empresa-wide job (filial null, which would
 * read every filial's rows) runs bound to the viewer's filial; an empresa-wide viewer's, as the job ran.
 */
export function previewer(deps: DashboardDeps) {
  const { transports } = deps;
  return async (record: RegistroJob, viewer: Pick<Viewer, 'filialId'>) => {
    if (!deps.connections || !transports || record.fila !== 'set' || !record.integracao_id) return null;
    const filialId = viewer.filialId ?? record.empresa_filial_id;
    const tenant = { empresaId: record.empresa_id, filialId, nome: '' };
    // The job's key parameters, without its trigger nor the values of its last failure.
    const { trigger: _t, ...parametros } = recordParameters(record.parametros).key;
    const target = await resolveSetTarget(deps.database, deps.connections, transports, tenant, record.integracao_id);
    // The consulta needs only the CRM: a receptor that is down leaves the request out, said in one line.
    const preview = await previewSetWithoutReceptor({
      db: deps.database.db,
      dialect: deps.database.dialect,
      empresaId: record.empresa_id,
      filialId,
      definition: target.definition,
      parametros,
      transport: target.transport,
      timeoutMs: target.timeoutMs,
    });
    // The operation names the WSDL in a missing-wrapper warning (the page words it).
    return { ...preview, porta: target.definition.integracao.porta_ws };
  };
}

/** The server-rendered pages and the form actions behind them. */
export function pageRoutes(deps: DashboardDeps): FastifyPluginAsync {
  const preview = previewer(deps);
  return async (app) => {
    app.get('/dashboard', async (request, reply) => {
      const viewer = viewerOf(request);
      const t = messages(viewer.locale);
      const [data, paused] = await Promise.all([overviewData(deps.database, viewer), pausedEmpresas(deps, viewer)]);
      return page(reply, viewer, t.overview, 'overview', html`${pausedNotice(viewer, paused)}${overviewBody(viewer, data)}`);
    });

    // The router is strict about a trailing slash (and stays so for the API); the dashboard's root, typed by hand or
    // left by a proxy, goes to its one address. The session check ran before, as for /dashboard.
    app.get('/dashboard/', async (request, reply) => {
      const query = request.url.indexOf('?');
      return reply.redirect(query === -1 ? '/dashboard' : `/dashboard${request.url.slice(query)}`);
    });

    app.get('/dashboard/falhas', async (request, reply) => {
      const viewer = viewerOf(request);
      const query = request.query as Query;
      let filter: ReturnType<typeof visibleFilterOf>;
      try {
        filter = visibleFilterOf(viewer, query);
      } catch (err) {
        if (!(err instanceof FieldRefusedError)) throw err;
        // Said on the page, in its frame, above the filter to correct (still a 400: nothing was listed).
        const refused = { text: fieldRefusalText(err, viewer.locale, true), error: true };
        const t = messages(viewer.locale);
        const choices = await filterChoices(deps, viewer, failureQuery(query));
        return page(reply.status(400), viewer, t.failures, 'failures', filterForm(viewer, failureQuery(query), choices), refused);
      }
      // An empresa the operator does not see: not found, as the API and the bulk-retry form answer it.
      if (!filter) return sendStatusPage(reply, viewer, 404);
      if (query.agrupar === '1') return groupedFailures(reply, viewer, query, filter);
      const offset = pageOffset(query);
      const { scope: _scope, ...unscoped } = filter;
      // The bulk retry's button counts what it would retry (failed jobs the viewer may change), not every row listed.
      const [rows, total, retryable] = await Promise.all([
        searchJobRecords(deps.database.db, filter, PAGE_SIZE, offset),
        countJobRecords(deps.database.db, filter, BULK_LIMIT),
        canAct(viewer) ? countMatchingFailed(deps, viewer, unscoped) : Promise.resolve(0),
      ]);
      const flash = actionFlash(viewer, query);
      const [names, choices, paused] = await Promise.all([
        rowNames(deps.database, viewer, rows),
        filterChoices(deps, viewer, failureQuery(query)),
        pausedEmpresas(deps, viewer),
      ]);
      const shown = total > BULK_LIMIT ? `${BULK_LIMIT}+` : total;
      return page(
        reply,
        viewer,
        messages(viewer.locale).failures,
        'failures',
        html`${pausedNotice(viewer, paused)}${customerSearchNotice(viewer, filter)}${failuresBody(viewer, failureQuery(query), rows, shown, { offset, size: PAGE_SIZE }, names, choices, retryable)}`,
        flash,
      );
    });

    app.get('/dashboard/falhas/linhas', async (request, reply) => {
      const viewer = viewerOf(request);
      const query = request.query as Query;
      const filter = visibleFilterOf(viewer, query);
      if (!filter) return sendStatusPage(reply, viewer, 404);
      const rows = await searchJobRecords(deps.database.db, filter, PAGE_SIZE, pageOffset(query));
      return reply.type('text/html').send(failureRows(viewer, rows, await rowNames(deps.database, viewer, rows)).value);
    });

    // The failures list as CSV: the page's filter (its text, dates, group), bound to the viewer's tenants and filial as
    // the page is; at most BULK_LIMIT rows, newest first, in the viewer's language and zone.
    app.get('/dashboard/falhas.csv', async (request, reply) => {
      const viewer = viewerOf(request);
      const filter = visibleFilterOf(viewer, request.query as Query);
      if (!filter) return sendStatusPage(reply, viewer, 404);
      const rows = await searchJobRecords(deps.database.db, filter, BULK_LIMIT, 0);
      // Names read per slice of rows: each lookup is one query whose size grows with its rows.
      const names: Required<RowNames> = {
        empresas: new Map(),
        filiais: new Map(),
        integracoes: new Map(),
        contas: new Map(),
        contatos: new Map(),
        entregas: new Map(),
        envios: new Map(),
      };
      for (let i = 0; i < rows.length; i += 500) {
        const slice = await rowNames(deps.database, viewer, rows.slice(i, i + 500));
        for (const key of Object.keys(names) as Array<keyof RowNames>)
          for (const [k, v] of slice[key] ?? []) (names[key] as Map<unknown, unknown>).set(k, v);
      }
      const stamp = new Date().toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
      const file = `${viewer.locale === 'en' ? 'failures' : 'falhas'}-${stamp}.csv`;
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${file}"`)
        .header('cache-control', 'no-store')
        .send(failuresCsv(viewer, rows, names));
    });

    /**
     * The failures list grouped (`agrupar=1`): one line per empresa, integration and failure code, the groups seen
     * last first, PAGE_SIZE a page (`offset`, as the ungrouped list); each worded from its newest run (read, with the
     * names, through the viewer-bound recordsById).
     */
    async function groupedFailures(reply: FastifyReply, viewer: Viewer, query: Query, filter: JobFilter) {
      const { scope: _scope, ...unscoped } = filter;
      const offset = pageOffset(query);
      // One group more than a page: whether another page follows (said above the table, with its link).
      const [read, total, retryable, choices, paused] = await Promise.all([
        groupJobRecords(deps.database.db, filter, PAGE_SIZE + 1, offset),
        countJobRecords(deps.database.db, filter, BULK_LIMIT),
        canAct(viewer) ? countMatchingFailed(deps, viewer, unscoped) : Promise.resolve(0),
        filterChoices(deps, viewer, failureQuery(query)),
        pausedEmpresas(deps, viewer),
      ]);
      const groups = read.slice(0, PAGE_SIZE);
      const samples = await recordsById(
        deps.database,
        viewer,
        groups.map((g) => g.ultimoId),
      );
      const names = await rowNames(deps.database, viewer, [...samples.values()]);
      const shown = total > BULK_LIMIT ? `${BULK_LIMIT}+` : total;
      const body = failureGroupsBody(
        viewer,
        failureQuery(query),
        groups,
        { offset, size: PAGE_SIZE, more: read.length > PAGE_SIZE },
        samples,
        names,
        choices,
        shown,
        retryable,
      );
      return page(
        reply,
        viewer,
        messages(viewer.locale).failures,
        'failures',
        html`${pausedNotice(viewer, paused)}${customerSearchNotice(viewer, filter)}${body}`,
        actionFlash(viewer, query),
      );
    }

    app.get('/dashboard/jobs/:fila/:id', async (request, reply) => {
      const viewer = viewerOf(request);
      const { fila, id } = request.params as { fila: string; id: string };
      const detail = await jobDetail(deps.database, deps.producer, viewer, fila, id, preview);
      const t = messages(viewer.locale);
      if (!detail) return sendStatusPage(reply, viewer, 404);
      return page(
        reply,
        viewer,
        `${t.job} ${fila}/${id}`,
        'failures',
        jobBody(viewer, detail),
        actionFlash(viewer, request.query as Query),
      );
    });

    app.get('/dashboard/agendamentos', async (request, reply) => {
      const viewer = viewerOf(request);
      const t = messages(viewer.locale);
      const empresas = await visibleEmpresas(deps, viewer);
      // The empresa filter, as the failures, calls and webhooks pages have it: one the viewer does not see is a 404.
      const requested = queryEmpresa(request.query as Query);
      const chosen = requested === undefined ? undefined : empresas.find((e) => e.id === requested);
      if (requested !== undefined && !chosen) return sendStatusPage(reply, viewer, 404);
      const sections = [
        html`<form class="filters" method="get" action="/dashboard/agendamentos" id="filtro-empresa"><label>${t.tenant}<select name="empresa"><option value="">${t.allTenants}</option>${empresas.map(
          (e) => html`<option value="${e.id}" ${e.id === chosen?.id ? html`selected` : ''}>${e.nome} (#${e.id})</option>`,
        )}</select></label><button type="submit">${t.filter}</button></form>`,
      ];
      for (const empresa of chosen ? [chosen] : empresas) {
        const { tenantPaused, items } = await listTenantSchedules(
          deps.database.db,
          deps.producer,
          { empresaId: empresa.id, filialId: viewer.filialId, nome: empresa.nome },
          { locale: viewer.locale },
        );
        sections.push(html`<section data-empresa="${empresa.id}"><h2>${empresa.nome} (#${empresa.id})</h2>${tenantPaused ? html`<p class="falhou">${t.tenantPaused}</p>` : ''}${canAct(viewer) ? tenantButton(viewer, empresa.id, tenantPaused) : ''}<table><thead><tr><th>${t.integration}</th><th>cron</th><th>${t.status}</th><th>${t.nextRun}</th><th>${t.lastResult}</th><th></th></tr></thead><tbody>
${items.map(
  (
    s,
  ) => html`<tr><td>${s.nome} (#${s.integracaoId})</td><td><code>${s.cron ?? '—'}</code></td><td>${s.schedulePaused ? t.paused : pausedWithTenant(s) ? t.pausedWithTenant : word(t.scheduleStatuses, s.status)}</td><td>${formatTime(s.nextRunAt, viewer.locale, viewer.timeZone)}</td>
<td>${s.lastRun ? html`<span class="${s.lastRun.status}">${word(t.runStatuses, s.lastRun.status)}</span> ${formatTime(s.lastRun.finishedAt ?? s.lastRun.startedAt, viewer.locale, viewer.timeZone)}${s.lastRun.error === null ? '' : html` <span class="erro-motivo">${s.lastRun.errorReason ?? t.unwordedFailure}</span>${technicalDetails(viewer, '', s.lastRun.errorDetail)}`}` : '—'}</td>
<td>${canAct(viewer) ? scheduleButtons(viewer, empresa.id, s.integracaoId, s.schedulePaused, s.status !== 'not_scheduled' && !pausedWithTenant(s)) : ''}</td></tr>`,
)}
</tbody></table></section>`);
      }
      return page(reply, viewer, t.schedules, 'schedules', html`${sections}`, scheduleFlash(viewer, request.query as Query, empresas));
    });

    app.get('/dashboard/auditoria', async (request, reply) => {
      const viewer = viewerOf(request);
      return page(
        reply,
        viewer,
        messages(viewer.locale).audit,
        'audit',
        // The empresa by name: the viewer's own empresas only (listAudit is bound to the same scope).
        auditBody(
          viewer,
          await listAudit(deps.database.db, viewer.scope),
          new Map((await visibleEmpresas(deps, viewer)).map((e) => [Number(e.id), e.nome])),
        ),
      );
    });

    app.post('/dashboard/acoes/reprocessar', async (request, reply) => {
      const viewer = viewerOf(request);
      if (!canAct(viewer)) return sendStatusPage(reply, viewer, 403);
      const body = (request.body ?? {}) as Record<string, unknown>;
      const filterQuery = postedFilter(body);
      if (body.modo === 'filtro') return retryByFilter(reply, viewer, filterQuery, body.esperado);
      const selected = await selectedJobs(viewer, body, filterQuery);
      if (!selected) return sendStatusPage(reply, viewer, 404);
      if (selected.refs.length === 0) return backTo(reply, request, { vazio: '1' });
      // Whole groups ticked: asked first as "retry all" is (count, held records among the groups' jobs, the group
      // limit), and retried only when the selection still finds the count confirmed (a count changed since is asked
      // again; only the count is compared, so one job leaving a group as another joins it is not told apart).
      if (selected.grouped) {
        const esperado = typeof body.esperado === 'string' && /^\d{1,6}$/.test(body.esperado) ? Number(body.esperado) : null;
        if (esperado !== selected.refs.length) {
          const t = messages(viewer.locale);
          const records = await recordsOf(deps.database, viewer, selected.refs.slice(0, 20));
          const names = await rowNames(deps.database, viewer, records);
          const posted = {
            jobs: formValues(body.job),
            grupos: formValues(body.grupo),
            filtro: Object.entries(filterQuery).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
            back: backUrl(request),
          };
          const held = selected.refs.filter((ref) => selected.held.has(`${ref.queue}/${ref.id}`)).length;
          return page(
            reply,
            viewer,
            t.bulkConfirmTitle,
            'failures',
            groupsConfirmBody(
              viewer,
              posted,
              selected.refs,
              { records, names, refused: selected.refused },
              held,
              selected.capped ? GROUP_SELECTION_LIMIT : null,
            ),
            esperado === null ? undefined : { text: t.bulkCountChanged(esperado, selected.refs.length), error: true },
          );
        }
      }
      return actOrRefuse(reply, request, () => retryJobs(deps, viewer, selected.refs, selected.refused));
    });

    /**
     * The jobs a selection names: its rows (`job`) and the failed runs of its groups (`grupo`, groupMembers: within the
     * page's filter posted as filtro_*); undefined when that filter names an empresa the viewer does not see.
     */
    async function selectedJobs(viewer: Viewer, body: Record<string, unknown>, filterQuery: Query) {
      const refs = formJobRefs(body.job);
      const groups = formGroups(body.grupo);
      if (groups.length === 0)
        return { refs, capped: false, grouped: false, held: new Set<string>(), refused: new Map<string, SkipReason>() };
      const visible = visibleFilterOf(viewer, filterQuery, 'body.filtro_');
      if (!visible) return undefined;
      const { scope: _s, ...filter } = visible;
      const members = await groupMembers(deps, viewer, filter, groups);
      const named = new Set(refs.map((r) => `${r.queue}/${r.id}`));
      // A row named in the selection is retried (or refused) as itself: not counted again as a group's refused job.
      for (const key of named) members.refused.delete(key);
      return {
        refs: [...refs, ...members.refs.filter((r) => !named.has(`${r.queue}/${r.id}`))],
        capped: members.capped,
        grouped: true,
        held: members.held,
        refused: members.refused,
      };
    }

    /**
     * "Retry all matching": first a confirmation page with the count and the first jobs (no `esperado` posted); its
     * confirm posts the count back and retries only when the filter still finds exactly that many (else the
     * confirmation again, with the new count and why nothing was retried).
     */
    async function retryByFilter(reply: FastifyReply, viewer: Viewer, filterQuery: Query, esperado: unknown) {
      const t = messages(viewer.locale);
      const visible = visibleFilterOf(viewer, filterQuery, 'body.filtro_');
      if (!visible) return sendStatusPage(reply, viewer, 404);
      const { scope: _s, ...filter } = visible;
      const shownQuery = failureQuery(filterQuery);
      const confirmation = async (flash?: { text: string; error: boolean }) => {
        const { refs, held: heldRefs, refused } = await matchingFailedHeld(deps, viewer, filter);
        // The first jobs listed name their customers: their records and names read in one query each.
        const records = await recordsOf(deps.database, viewer, refs.slice(0, 20));
        const names = await rowNames(deps.database, viewer, records);
        // Held SET records go out again when their jobs are retried: the confirmation says how many.
        const held = heldRefs.size;
        return page(
          reply,
          viewer,
          t.bulkConfirmTitle,
          'failures',
          bulkConfirmBody(viewer, shownQuery, refs, { records, names, refused }, held),
          flash,
        );
      };
      if (typeof esperado !== 'string' || !/^\d{1,6}$/.test(esperado)) return confirmation();
      try {
        const result = await retryMatching(deps, viewer, filter, Number(esperado));
        const report = new URLSearchParams(retryReport(result)).toString();
        const qs = queryString(shownQuery);
        return reply.redirect(`/dashboard/falhas?${qs}${qs ? '&' : ''}${report}`);
      } catch (err) {
        if (!(err instanceof BulkCountChangedError)) throw err;
        return confirmation({ text: t.bulkCountChanged(err.expected, err.found), error: true });
      }
    }

    app.post('/dashboard/acoes/descartar', async (request, reply) => {
      const viewer = viewerOf(request);
      if (!canAct(viewer)) return sendStatusPage(reply, viewer, 403);
      const body = (request.body ?? {}) as Record<string, unknown>;
      const filterQuery = postedFilter(body);
      const selected = await selectedJobs(viewer, body, filterQuery);
      if (!selected) return sendStatusPage(reply, viewer, 404);
      const { refs } = selected;
      if (refs.length === 0) return backTo(reply, request, { vazio: '1' });
      // Asked first (a discarded record is not sent any more); the confirmation lists only the viewer's jobs.
      if (body.confirmado !== '1') {
        const records = await recordsOf(deps.database, viewer, refs.slice(0, 20));
        const names = await rowNames(deps.database, viewer, records);
        const t = messages(viewer.locale);
        return page(
          reply,
          viewer,
          t.discardConfirmTitle,
          'failures',
          discardConfirmBody(viewer, refs, { records, names }, backUrl(request)),
          selected.capped ? { text: t.groupsTooLarge(GROUP_SELECTION_LIMIT), error: true } : undefined,
        );
      }
      return actOrRefuse(reply, request, () => discardJobs(deps, viewer, refs), 'discard');
    });

    app.post('/dashboard/acoes/agendamento', async (request, reply) => {
      const viewer = viewerOf(request);
      if (!canAct(viewer)) return sendStatusPage(reply, viewer, 403);
      const body = (request.body ?? {}) as Record<string, unknown>;
      const empresaId = formId(body, 'empresa');
      const integracaoId = formId(body, 'integracao');
      let ok: boolean;
      try {
        ok = await pauseSchedule(deps, viewer, empresaId, integracaoId, body.modo === 'pausar');
      } catch (err) {
        if (!(err instanceof NoScheduleError)) throw err;
        return reply.redirect(`/dashboard/agendamentos?recusado=${err.code}&integracao=${err.integracaoId}`);
      }
      if (!ok) return sendStatusPage(reply, viewer, 404);
      return reply.redirect(`/dashboard/agendamentos?${body.modo === 'pausar' ? 'pausado' : 'retomado'}=${integracaoId}`);
    });

    app.post('/dashboard/acoes/empresa', async (request, reply) => {
      const viewer = viewerOf(request);
      if (!canAct(viewer)) return sendStatusPage(reply, viewer, 403);
      const body = (request.body ?? {}) as Record<string, unknown>;
      const empresaId = formId(body, 'empresa');
      const pausing = body.modo === 'pausar';
      // A pause stops every queue of the empresa: asked first, naming it (one the viewer does not see is a 404).
      if (pausing && body.confirmado !== '1') {
        const empresa = (await visibleEmpresas(deps, viewer)).find((e) => e.id === empresaId);
        if (!empresa) return sendStatusPage(reply, viewer, 404);
        return page(reply, viewer, messages(viewer.locale).pauseConfirmTitle, 'schedules', pauseConfirmBody(viewer, empresa));
      }
      if (!(await pauseTenant(deps, viewer, empresaId, pausing))) return sendStatusPage(reply, viewer, 404);
      return reply.redirect(`/dashboard/agendamentos?${pausing ? 'pausada' : 'retomada'}=${empresaId}`);
    });

    app.post('/dashboard/acoes/executar', async (request, reply) => {
      const viewer = viewerOf(request);
      if (!canAct(viewer)) return sendStatusPage(reply, viewer, 403);
      const body = (request.body ?? {}) as Record<string, unknown>;
      const integracaoId = formId(body, 'integracao');
      const run = await runNow(deps, viewer, formId(body, 'empresa'), integracaoId);
      if (!run) return sendStatusPage(reply, viewer, 404);
      // The flash names the job it queued, so the operator can follow it (trial L2).
      return reply.redirect(`/dashboard/agendamentos?executada=${integracaoId}&job=${encodeURIComponent(`${run.queue}/${run.jobId}`)}`);
    });
  };
}

/** A posted field's values (one or many), as posted: a confirmation posts them back. */
function formValues(value: unknown): string[] {
  return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
}

/** The page's filter a form posts back as `filtro_<field>` (the failures list's hidden inputs), as a query. */
function postedFilter(body: Record<string, unknown>): Query {
  return Object.fromEntries(
    Object.entries(body)
      .filter(([k]) => k.startsWith('filtro_'))
      .map(([k, v]) => [k.slice(7), typeof v === 'string' ? v : undefined]),
  ) as Query;
}

/** The schedules page's flash: an action's count, or a pause refused for want of a cron (worded here, never echoed). */
function scheduleFlash(
  viewer: Viewer,
  query: Query,
  empresas: ReadonlyArray<{ id: number; nome: string }>,
): string | { text: string; error: boolean } | undefined {
  const t = messages(viewer.locale);
  const id = query.integracao;
  if (query.recusado === 'NO_SCHEDULE' && id && /^\d{1,10}$/.test(id)) return { text: t.noSchedule(Number(id)), error: true };
  // A tenant paused or resumed: named from the empresas the viewer sees (an id of another tenant's words nothing).
  const tenant = empresas.find((e) => String(e.id) === (query.pausada ?? query.retomada));
  if (tenant) return (query.pausada ? t.tenantPausedDone : t.tenantResumedDone)(`${tenant.nome} (#${tenant.id})`);
  const paused = query.pausado ?? query.retomado;
  if (paused && /^\d{1,10}$/.test(paused)) return t.scheduleDone(Number(paused), query.pausado !== undefined);
  if (query.executada && /^\d{1,10}$/.test(query.executada) && query.job && /^[a-z]+\/[\w:.-]{1,200}$/.test(query.job))
    return t.runQueued(Number(query.executada), query.job);
  return query.feito !== undefined ? t.done(1) : undefined;
}

/** A schedule paused only because its whole empresa is: no row pause to offer, the empresa's resume is what runs it (trial L3). */
function pausedWithTenant(s: { status: string; schedulePaused: boolean }): boolean {
  return s.status === 'paused' && !s.schedulePaused;
}

/** Run now, and pause or resume, for one schedule row: no pause without a cron (nothing to pause; a resume stays offered). */
function scheduleButtons(viewer: Viewer, empresaId: number, integracaoId: number, paused: boolean, scheduled: boolean) {
  const t = messages(viewer.locale);
  const hidden = html`<input type="hidden" name="_csrf" value="${viewer.csrf ?? ''}"><input type="hidden" name="empresa" value="${empresaId}"><input type="hidden" name="integracao" value="${integracaoId}">`;
  const pause =
    paused || scheduled
      ? html`
<form method="post" action="/dashboard/acoes/agendamento" class="inline">${hidden}<button name="modo" value="${paused ? 'retomar' : 'pausar'}">${paused ? t.resume : t.pause}</button></form>`
      : '';
  return html`<form method="post" action="/dashboard/acoes/executar" class="inline">${hidden}<button>${t.runNow}</button></form>${pause}`;
}

/** Pause or resume a whole tenant. */
function tenantButton(viewer: Viewer, empresaId: number, paused: boolean) {
  const t = messages(viewer.locale);
  return html`<form method="post" action="/dashboard/acoes/empresa"><input type="hidden" name="_csrf" value="${viewer.csrf ?? ''}"><input type="hidden" name="empresa" value="${empresaId}"><button name="modo" value="${paused ? 'retomar' : 'pausar'}">${paused ? t.resumeTenant : t.pauseTenant}</button></form>`;
}

/**
 * Runs a job action from a form and goes back to the page it came from: with the count of jobs it changed, or with
 * the refusal of a stale form (the one job it names is no longer failed) for that page to word.
 */
async function actOrRefuse(reply: FastifyReply, request: FastifyRequest, act: () => Promise<ActionResult>, acao?: 'discard') {
  try {
    const result = await act();
    const missing: Record<string, string> = result.notFound > 0 ? { naoEncontrados: String(result.notFound) } : {};
    return backTo(reply, request, acao ? { feito: String(result.done), ...missing, acao } : retryReport(result));
  } catch (err) {
    if (!(err instanceof JobStateError)) throw err;
    return backTo(reply, request, { recusado: err.code, acao: err.action, jobRecusado: err.job, estadoRecusado: err.estado });
  }
}

/**
 * The page an action came from: a confirmation's `voltar` (the confirmation page itself is a POST's answer), else the
 * referer; a dashboard page of this origin only, else the failures list.
 */
function backUrl(request: FastifyRequest): string {
  const voltar = (request.body as Record<string, unknown> | undefined)?.voltar;
  const from = typeof voltar === 'string' ? voltar : (request.headers.referer ?? '');
  try {
    const url = new URL(from, `http://${request.headers.host ?? 'dashboard'}`);
    const page =
      url.host === request.headers.host && url.pathname.startsWith('/dashboard') && !url.pathname.startsWith('/dashboard/acoes/');
    if (page) return `${url.pathname}${url.search}`;
  } catch {
    // Not a URL: the failures list.
  }
  return '/dashboard/falhas';
}

/** Back to the page the action came from (backUrl), with what the action reports in its query. */
function backTo(reply: FastifyReply, request: FastifyRequest, report: Record<string, string>) {
  const url = new URL(backUrl(request), 'http://dashboard');
  for (const key of ACTION_REPORT_KEYS) url.searchParams.delete(key);
  for (const [key, value] of Object.entries(report)) url.searchParams.set(key, value);
  return reply.redirect(`${url.pathname}?${url.searchParams.toString()}`);
}

/**
 * The failures filter's choices: the empresas the viewer sees, and the integrações of the chosen empresa (or of the
 * viewer's only one) through the engine's tenant-bound listIntegracoes — none of an empresa the viewer does not see.
 */
async function filterChoices(deps: DashboardDeps, viewer: Viewer, query: FailureQuery): Promise<FilterChoices> {
  const empresas = await visibleEmpresas(deps, viewer);
  // An empresa asked for that the viewer does not see lists no integração (not the viewer's only empresa's).
  const chosen =
    query.empresa === undefined ? (empresas.length === 1 ? empresas[0] : undefined) : empresas.find((e) => e.id === query.empresa);
  if (!chosen) return { empresas, integracoes: [] };
  const [integracoes, filiais] = await Promise.all([
    listIntegracoes(deps.database.db, { empresaId: chosen.id, filialId: viewer.filialId, nome: chosen.nome }),
    // The chosen empresa's filiais the viewer may see (a filial key: its own only, never its siblings' names).
    listFiliais(deps.database.db, { empresaIds: [chosen.id], filialId: viewer.filialId }),
  ]);
  return {
    empresas,
    integracoes: integracoes.map((i) => ({ id: i.id, nome: i.nome })),
    filiais: filiais.map((f) => ({ id: f.id, nome: f.nome })),
  };
}

/** The empresas the viewer sees (all for an admin). */
export async function visibleEmpresas(deps: DashboardDeps, viewer: Viewer) {
  let query = deps.database.db.selectFrom('empresas').select(['id', 'nome']);
  if (viewer.scope !== 'all') query = query.where('id', 'in', viewer.scope.length ? [...viewer.scope] : [-1]);
  return query.orderBy('id').execute();
}

/** The paused empresas among those the viewer sees (the overview's, the failures list's and the webhooks page's notice). */
export async function pausedEmpresas(deps: DashboardDeps, viewer: Viewer): Promise<Array<{ id: number; nome: string }>> {
  const paused = new Set(await listPausedTenants(deps.database.db));
  if (paused.size === 0) return [];
  return (await visibleEmpresas(deps, viewer)).filter((e) => paused.has(Number(e.id))).map((e) => ({ id: Number(e.id), nome: e.nome }));
}
