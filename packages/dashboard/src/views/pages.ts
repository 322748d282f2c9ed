import { failureReason, soapWrapperMessage, statusMessage } from '@integrador/integrador';
import { showJobLogLine } from '@integrador/queue';
import { changeableBy, type RegistroJob, recordParameters } from '@integrador/store';
import { attemptFailureOf, type MissingSoapWrapper } from '@integrador/transports';
import { isWebhookMessageCode, webhookMessage } from '@integrador/webhooks';
import type { Viewer } from '../access';
import { refusedCounts, type SkipReason } from '../actions';
import { html, type Raw } from '../html';
import { dateTimeFormat, formatTime, jobStateWord, messages, word } from '../i18n';
import { zoneLabel } from '../job-filter';
import { maskedJson, maskJsonText, maskMessage, maskSecrets } from '../mask';

/** Counts of one group (tenant or integration) over a window, by the overview's columns. */
export interface Tally {
  runs: number;
  concluido: number;
  falhou: number;
  aguardando_retentativa: number;
  adiado: number;
  bloqueado: number;
  ativo: number;
}

export const COLUMNS = ['runs', 'concluido', 'falhou', 'aguardando_retentativa', 'adiado', 'bloqueado'] as const;

function columnLabels(viewer: Viewer): string[] {
  const t = messages(viewer.locale);
  return [t.runs, t.successes, t.failed, t.retriesPending, t.delayed, t.blocked];
}

/**
 * A small bar chart (inline SVG): completed and failed jobs per hour over the last 24 hours. Each bar's tooltip names
 * its hour in the viewer's zone and language (`at`: the hour's start) and the counts in the viewer's language.
 */
export function hourChart(viewer: Viewer, buckets: Array<{ at: Date; ok: number; failed: number }>): Raw {
  const t = messages(viewer.locale);
  const hour = dateTimeFormat(viewer.locale, viewer.timeZone, false);
  const max = Math.max(1, ...buckets.map((b) => b.ok + b.failed));
  const w = 12;
  const h = 60;
  const bars = buckets.map((b, i) => {
    const okH = Math.round((b.ok / max) * h);
    const failH = Math.round((b.failed / max) * h);
    return html`<g><title>${hour.format(b.at)}: ${t.hourCounts(b.ok, b.failed)}</title><rect x="${i * w}" y="${h - okH - failH}" width="${w - 2}" height="${failH}" fill="#c62828"/><rect x="${i * w}" y="${h - okH}" width="${w - 2}" height="${okH}" fill="#2e7d32"/></g>`;
  });
  return html`<svg role="img" aria-label="jobs/h" width="${buckets.length * w}" height="${h}" viewBox="0 0 ${buckets.length * w} ${h}">${bars}</svg>`;
}

export interface OverviewData {
  hour: Tally;
  day: Tally;
  tenants: Array<{ empresaId: number; nome: string; hour: Tally; day: Tally; chart: Raw }>;
  integrations: Array<{ empresaId: number; integracaoId: number | null; nome: string; day: Tally }>;
}

function tallyCells(tally: Tally): Raw[] {
  return COLUMNS.map((c) => html`<td class="num ${c}">${tally[c]}</td>`);
}

export function overviewBody(viewer: Viewer, data: OverviewData): Raw {
  const t = messages(viewer.locale);
  const labels = columnLabels(viewer);
  const cards = COLUMNS.map(
    (c, i) =>
      html`<div class="card"><span>${labels[i]}</span><b data-live-count="${c}" class="${c}">${data.hour[c]}</b><span class="muted">${data.day[c]} / 24 h</span></div>`,
  );
  return html`<p class="muted">${t.lastHour}</p><div class="cards">${cards}</div>
<section><h2>${t.tenant} · ${t.lastDay}</h2><table><thead><tr><th>${t.tenant}</th>${labels.map((l) => html`<th class="num">${l}</th>`)}<th>${t.lastDay}</th></tr></thead><tbody>
${data.tenants.map((row) => html`<tr><td><a href="/dashboard/falhas?empresa=${row.empresaId}">${row.nome} (#${row.empresaId})</a></td>${tallyCells(row.day)}<td>${row.chart}</td></tr>`)}
</tbody></table></section>
<section><h2>${t.integration} · ${t.lastDay}</h2><table><thead><tr><th>${t.tenant}</th><th>${t.integration}</th>${labels.map((l) => html`<th class="num">${l}</th>`)}</tr></thead><tbody>
${data.integrations.map((row) => html`<tr><td>${data.tenants.find((tenant) => tenant.empresaId === row.empresaId)?.nome ?? ''} (#${row.empresaId})</td><td><a href="/dashboard/falhas?empresa=${row.empresaId}${row.integracaoId ? `&integracao=${row.integracaoId}` : ''}">${row.nome}</a></td>${tallyCells(row.day)}</tr>`)}
</tbody></table></section>`;
}

export interface FailureQuery {
  empresa?: number | undefined;
  filial?: number | undefined;
  /** '-': the records of no integration (a group of the hub's own jobs, opened). */
  integracao?: number | '-' | undefined;
  /** A failure code (a group opened); '-': the records without one. */
  codigo?: string | undefined;
  /** '1': repeated failures grouped (failureGroupsBody). */
  agrupar?: '1' | undefined;
  fila?: string | undefined;
  estado?: string | undefined;
  desde?: string | undefined;
  ate?: string | undefined;
  q?: string | undefined;
}

export function queryString(query: FailureQuery): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
  return params.toString();
}

/** A record's class and code, as support quotes them. */
const errorCodeOf = (r: RegistroJob) => [r.erro_classe, r.erro_codigo].filter(Boolean).join(' ');

/**
 * A record's failure code worded in the locale (the "motivo"; undefined for a code nobody words), from its failure's
 * values masked as its message is (rows written before the recorder masked them may hold an echoed secret).
 */
export function wordedFailure(locale: Viewer['locale'], r: Pick<RegistroJob, 'erro_codigo' | 'parametros'>): string | undefined {
  return failureReason(locale, r.erro_codigo, recordParameters(maskJsonText(r.parametros)).failure);
}

/**
 * A record's failure as the operator reads it, in one language: the code's worded reason in the operator's language
 * (the failure catalogue, with the values the record keeps) and, folded away for support, the technical detail:
 * class, code and the stored message (English, its secrets masked). A code nobody words shows a general line in the
 * operator's language; the message is then in the detail too. `limit` cuts the message (the list); the detail page
 * shows it whole.
 */
export function failureCell(viewer: Viewer, r: RegistroJob, limit?: number): Raw | string {
  if (!r.erro_mensagem && !r.erro_codigo) return '';
  const t = messages(viewer.locale);
  const whole = maskMessage(r.erro_mensagem) ?? '';
  const message = whole.slice(0, limit);
  const worded = wordedFailure(viewer.locale, r);
  // The ERP's own words (its erroExecucao): what the operator must read, in the ERP's language, not the hub's English.
  if (worded !== undefined && r.erro_codigo !== null && THEIR_WORDS.has(r.erro_codigo) && message)
    return html`<span class="erro-motivo">${worded}</span>: <span class="erro-resposta">${message}</span>${technicalDetails(viewer, errorCodeOf(r), '')}`;
  // A message that is the reason itself (an endpoint sync's, in pt-BR) is not repeated in the detail.
  const repeated = worded !== undefined && (whole === worded || whole === maskSecrets(wordedFailure('pt-BR', r)));
  return html`<span class="erro-motivo">${worded ?? t.unwordedFailure}</span>${technicalDetails(viewer, errorCodeOf(r), repeated ? '' : message)}`;
}

/** Codes whose message is the other system's own answer (the ERP's erroExecucao), shown beside the reason. */
const THEIR_WORDS: ReadonlySet<string> = new Set(['RECEPTOR_ERROR', 'RECEPTOR_LOGIN_REFUSED']);

/** The technical side of a failure (class, code, English message), folded: support reads it, the operator need not. */
export function technicalDetails(viewer: Viewer, code: string, message: string | null | undefined): Raw | string {
  if (!code && !message) return '';
  const t = messages(viewer.locale);
  return html`<details class="detalhes-tecnicos"><summary>${t.technicalDetails}</summary>${code ? html`<span class="muted erro-codigo">${code}</span>` : ''}${message ? html`${code ? ' ' : ''}<span class="muted erro-mensagem">${message}</span>` : ''}</details>`;
}

/** The names a failures list shows beside ids (queries.ts rowNames); none known: the ids alone. */
export interface ListNames {
  empresas: ReadonlyMap<number, string>;
  filiais?: ReadonlyMap<string, string>;
  integracoes: ReadonlyMap<string, string>;
  contas?: ReadonlyMap<string, string>;
  contatos?: ReadonlyMap<string, string>;
  entregas?: ReadonlyMap<string, string>;
  /** A SET job's sends across its runs by "empresa/jobId" (a retried run counts from 1 again): its attempts in all. */
  envios?: ReadonlyMap<string, number>;
}

/**
 * A job's attempts as every page counts them: this run's of its maximum, and all its sends when a retry ran them again
 * ("3 tentativas (1/2 nesta execução)"), so the list and the job's page never disagree (trial 4).
 */
export function attemptsText(viewer: Viewer, r: Pick<RegistroJob, 'tentativas' | 'max_tentativas'>, sends: number | undefined): string {
  return messages(viewer.locale).attemptsCount(Math.max(r.tentativas, sends ?? 0), r.tentativas, r.max_tentativas);
}

/**
 * A job id as an operator reads it: a job scheduler's run (BullMQ names it repeat:<scheduler>:<time>) as "the schedule
 * of <integration> at <time>" in the viewer's zone; any other id as it is.
 */
export function readableJobId(viewer: Viewer, jobId: string, integracao: string | undefined): string | undefined {
  const at = /^repeat:.+:(\d{10,16})$/.exec(jobId)?.[1];
  if (!at) return undefined;
  const time = dateTimeFormat(viewer.locale, viewer.timeZone, false).format(new Date(Number(at)));
  return messages(viewer.locale).scheduledRun(integracao ?? '', time);
}

/** The customer a record's key parameters name (contaId, contatoId), by name when it is the record's tenant's. */
export function customerOf(viewer: Viewer, r: Pick<RegistroJob, 'empresa_id' | 'parametros'>, names: ListNames): string | undefined {
  const t = messages(viewer.locale);
  const key = recordParameters(r.parametros).key;
  const parts: string[] = [];
  for (const [field, table, label] of [
    ['contaId', names.contas, t.account],
    ['contatoId', names.contatos, t.contact],
  ] as const) {
    const id = key[field];
    if (id === undefined || id === null || typeof id === 'object') continue;
    const nome = table?.get(`${r.empresa_id}/${String(id)}`);
    parts.push(`${label} ${nome === undefined ? `#${String(id)}` : `${nome} (#${String(id)})`}`);
  }
  return parts.length ? parts.join(' · ') : undefined;
}

/** A failed webhook job whose delivery was delivered since (a recover, a resend): shown as recovered, not as failed. */
function recoveredDelivery(r: RegistroJob, names: ListNames): boolean {
  if (r.fila !== 'webhook' || r.estado !== 'falhou') return false;
  const entregaId = recordParameters(r.parametros).key.entregaId;
  return entregaId !== undefined && names.entregas?.get(`${r.empresa_id}/${String(entregaId)}`) === 'entregue';
}

/** A record's state cell: a delivery recovered since its job failed says so. */
function stateCell(viewer: Viewer, r: RegistroJob, names: ListNames): Raw {
  const t = messages(viewer.locale);
  if (recoveredDelivery(r, names)) return html`<td class="concluido estado">${t.recoveredDelivery}</td>`;
  return html`<td class="${r.estado} estado">${word(t.states, r.estado)}</td>`;
}

const NO_NAMES: ListNames = { empresas: new Map(), integracoes: new Map() };

/** A record's key parameters as the list shows them (`contaId=150`), its trigger left out, secrets masked. */
export function keyParameters(r: RegistroJob): string {
  const { trigger: _t, ...key } = recordParameters(maskJsonText(r.parametros)).key;
  return Object.entries(key)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ')
    .slice(0, 200);
}

/**
 * A row's selection box, offered only where the viewer may change the job (the filial rule: a filial viewer reads the
 * empresa-wide jobs but changes only its own filial's); elsewhere the reason, so the row is not silently unselectable.
 */
function selectCell(viewer: Viewer, r: RegistroJob): Raw {
  const ref = `${r.fila}/${r.job_id}`;
  if (changeableBy(viewer, r.empresa_filial_id)) return html`<input type="checkbox" name="job" value="${ref}" aria-label="${ref}">`;
  const t = messages(viewer.locale);
  return html`<span class="muted nao-selecionavel" title="${t.notChangeableByFilial}">${t.empresaWideJob}</span>`;
}

/** The rows of the failures list (also served alone for live updates). */
export function failureRows(viewer: Viewer, rows: RegistroJob[], names: ListNames = NO_NAMES): Raw {
  const t = messages(viewer.locale);
  if (!rows.length) return html`<tr><td colspan="8" class="muted">${t.noRows}</td></tr>`;
  return html`${rows.map((r) => {
    const empresa = names.empresas.get(r.empresa_id);
    const integracao = r.integracao_id === null ? undefined : names.integracoes.get(`${r.empresa_id}/${r.integracao_id}`);
    const params = keyParameters(r);
    const customer = customerOf(viewer, r, names);
    const readable = readableJobId(viewer, r.job_id, integracao ?? (r.integracao_id === null ? undefined : `#${r.integracao_id}`));
    return html`<tr data-job="${r.fila}/${r.job_id}">
<td>${selectCell(viewer, r)}</td>
<td><a href="/dashboard/jobs/${r.fila}/${encodeURIComponent(r.job_id)}" title="${r.fila}/${r.job_id}">${readable ?? `${r.fila}/${r.job_id}`}</a><br><span class="muted">${r.nome_job}</span>${customer ? html`<br><span class="cliente">${customer}</span>` : ''}${params ? html`<br><code class="parametros">${params}</code>` : ''}</td>
<td class="empresa">${named(empresa ?? null, r.empresa_id)}${filialOf(r, names)}</td><td class="integracao">${r.integracao_id === null ? '—' : named(integracao ?? null, r.integracao_id)}</td>${stateCell(viewer, r, names)}
<td class="num tentativas">${attemptsText(viewer, r, names.envios?.get(`${r.empresa_id}/${r.job_id}`))}</td>
<td>${failureCell(viewer, r, 300)}</td>
<td>${formatTime(r.atualizado_em, viewer.locale, viewer.timeZone)}</td></tr>`;
  })}`;
}

/** The failures list's filter form, filled with the query (also shown alone above a refused filter's message). */
/** What the failures filter offers: the empresas the viewer sees, and the integrações of the chosen one (by name, with id). */
export interface FilterChoices {
  empresas: ReadonlyArray<{ id: number; nome: string }>;
  integracoes: ReadonlyArray<{ id: number; nome: string }>;
  /** The chosen empresa's filiais (none chosen, or none: no filial select). */
  filiais?: ReadonlyArray<{ id: number; nome: string }>;
}

/**
 * A select of named ids whose value stays the id (`empresa=<id>`: links keep working); an id in the query the list
 * does not hold (not the viewer's, or of another empresa) stays selected as `#id`, so the filter shown is the one applied.
 */
function idSelect(name: string, all: string, options: FilterChoices['empresas'], chosen: number | undefined, none?: string): Raw {
  const known = chosen === undefined || options.some((o) => o.id === chosen);
  return html`<select name="${name}"><option value="">${all}</option>${none ? html`<option value="-" selected>${none}</option>` : ''}${options.map(
    (o) => html`<option value="${o.id}" ${o.id === chosen ? html`selected` : ''}>${o.nome} (#${o.id})</option>`,
  )}${known ? '' : html`<option value="${chosen}" selected>#${chosen}</option>`}</select>`;
}

export function filterForm(viewer: Viewer, query: FailureQuery, choices: FilterChoices): Raw {
  const t = messages(viewer.locale);
  const states = ['falhou', 'aguardando_retentativa', 'adiado', 'bloqueado', 'ativo', 'concluido', 'descartado'];
  return html`<form class="filters" method="get" action="/dashboard/falhas">
<label>${t.tenant}${idSelect('empresa', t.allTenants, choices.empresas, query.empresa)}</label>
${choices.filiais?.length || query.filial !== undefined ? html`<label>${t.filial}${idSelect('filial', t.allFiliais, choices.filiais ?? [], query.filial)}</label>` : ''}
<label>${t.integration}${idSelect('integracao', t.allIntegrations, choices.integracoes, query.integracao === '-' ? undefined : query.integracao, query.integracao === '-' ? t.noIntegration : undefined)}</label>
<label>${t.queue}<select name="fila"><option value=""></option>${['set', 'get', 'cti', 'webhook'].map((f) => html`<option ${query.fila === f ? 'selected' : ''}>${f}</option>`)}</select></label>
<label>${t.state}<select name="estado"><option value="todos" ${query.estado === 'todos' ? 'selected' : ''}>${t.allStates}</option>${states.map((s) => html`<option value="${s}" ${(query.estado ?? 'falhou') === s ? 'selected' : ''}>${t.states[s]}</option>`)}</select></label>
<label>${t.since}<input type="datetime-local" name="desde" value="${query.desde ?? ''}"></label>
<label>${t.until}<input type="datetime-local" name="ate" value="${query.ate ?? ''}"></label>
<span class="muted" id="fuso">${t.timeZone(zoneLabel(viewer.timeZone))}</span>
<label>${t.search}<input name="q" size="28" placeholder="${t.searchPlaceholder}" title="${t.searchHint}" value="${query.q ?? ''}"></label>
<label>${t.failureCode}<input name="codigo" size="18" value="${query.codigo ?? ''}"></label>
<label class="agrupar"><span><input type="checkbox" name="agrupar" value="1" ${query.agrupar === '1' ? html`checked` : ''}> ${t.groupRepeated}</span></label>
<button type="submit">${t.filter}</button> <a id="exportar-csv" href="/dashboard/falhas.csv?${queryString({ ...query, agrupar: undefined })}">${t.exportCsv}</a></form>`;
}

/** Where a failures list stands: its first row's offset, and the page's size. */
export interface ListPage {
  offset: number;
  size: number;
}

/**
 * Links to the previous and next pages of the failures list, grouped or not (the same filter, another offset). `total`
 * as text ("5000+", "51+"): more than counted, so a full page has a next one.
 */
export function pageLinks(viewer: Viewer, query: FailureQuery, page: ListPage, shown: number, total: number | string): Raw {
  const t = messages(viewer.locale);
  const more = typeof total === 'string' || page.offset + shown < total;
  const link = (offset: number, label: string, rel: string) => {
    const qs = queryString(query);
    const href = `/dashboard/falhas?${qs}${qs ? '&' : ''}offset=${offset}`;
    return html`<a href="${href}" rel="${rel}">${label}</a>`;
  };
  const range = shown ? html`<span class="muted faixa">${t.showing(page.offset + 1, page.offset + shown)}</span>` : '';
  const prev = page.offset > 0 ? link(Math.max(0, page.offset - page.size), t.previousPage, 'prev') : '';
  const next = more && shown === page.size ? link(page.offset + page.size, t.nextPage, 'next') : '';
  return html`<p class="paginas">${range} ${prev} ${next}</p>`;
}

export function failuresBody(
  viewer: Viewer,
  query: FailureQuery,
  rows: RegistroJob[],
  total: number | string,
  page: ListPage = { offset: 0, size: rows.length },
  names: ListNames = NO_NAMES,
  choices: FilterChoices = { empresas: [], integracoes: [] },
  retryable: number | string = total,
): Raw {
  const t = messages(viewer.locale);
  const qs = queryString(query);
  const act = viewer.papel !== 'leitor';
  const hidden = Object.entries(query).filter(([, v]) => v !== undefined && v !== '');
  const live = `/dashboard/falhas/linhas?${qs}${page.offset ? `${qs ? '&' : ''}offset=${page.offset}` : ''}`;
  return html`${filterForm(viewer, query, choices)}
<p>${t.total}: <b id="total">${total}</b></p>
<form method="post" action="/dashboard/acoes/reprocessar" id="acoes">
<input type="hidden" name="_csrf" value="${viewer.csrf ?? ''}">
${hidden.map(([k, v]) => html`<input type="hidden" name="filtro_${k}" value="${v}">`)}
${act ? html`<p><button name="modo" value="selecao">${t.retrySelected}</button> <button name="modo" value="filtro" id="reprocessar-todos" ${retryable === 0 ? html`disabled` : ''}>${t.retryAll} (${retryable})</button> <button name="modo" value="descartar" formaction="/dashboard/acoes/descartar">${t.discard}</button></p>` : ''}
${pageLinks(viewer, query, page, rows.length, total)}
<table><thead><tr><th></th><th>${t.job}</th><th>${t.tenant}</th><th>${t.integration}</th><th>${t.state}</th><th class="num">${t.attempts}</th><th>${t.error}</th><th>${t.updatedAt} <span class="muted fuso-coluna">(${zoneLabel(viewer.timeZone)})</span></th></tr></thead>
<tbody data-live-rows="${live}">${failureRows(viewer, rows, names)}</tbody></table></form>
${pageLinks(viewer, query, page, rows.length, total)}`;
}

/**
 * The bulk retry's confirmation: how many failed jobs the filter finds now and the first of them; confirming posts
 * that count back (`esperado`), and the server retries nothing when the filter finds another count by then.
 */
export function bulkConfirmBody(
  viewer: Viewer,
  query: FailureQuery,
  refs: ReadonlyArray<{ queue: string; id: string }>,
  shown: ConfirmShown = { records: [], names: NO_NAMES },
  /** How many of them hold back a SET record (SET_RECORD_HELD), which their retry sends again. */
  held = 0,
): Raw {
  const t = messages(viewer.locale);
  const hidden = Object.entries(query).filter(([, v]) => v !== undefined && v !== '');
  const back = `/dashboard/falhas?${queryString(query)}`;
  return html`<p id="confirmacao">${t.bulkConfirm(refs.length, [...new Set(refs.map((r) => r.queue))])}</p>
${refusedNote(viewer, shown.refused)}
${held > 0 ? html`<p id="retidos" class="flash err">${t.bulkHeld(held)}</p>` : ''}
${
  refs.length
    ? html`${confirmJobList(viewer, refs, shown)}
<form method="post" action="/dashboard/acoes/reprocessar"><input type="hidden" name="_csrf" value="${viewer.csrf ?? ''}">
${hidden.map(([k, v]) => html`<input type="hidden" name="filtro_${k}" value="${v}">`)}<input type="hidden" name="esperado" value="${refs.length}">
<button name="modo" value="filtro" id="confirmar">${t.confirm} (${refs.length})</button> <a href="${back}">${t.cancel}</a></form>`
    : html`<p><a href="${back}">${t.cancel}</a></p>`
}`;
}

/**
 * What a retry's confirmation lists: the first jobs' records and names, and the failed jobs the retry would refuse
 * ("fila/job_id" → why: a webhook delivery delivered since, its endpoint disabled or deleted), left out of its count.
 */
interface ConfirmShown {
  records: readonly RegistroJob[];
  names: ListNames;
  refused?: ReadonlyMap<string, SkipReason> | undefined;
}

/** The confirmation's note on the failed jobs it leaves out and why (none: nothing). */
function refusedNote(viewer: Viewer, refused: ReadonlyMap<string, SkipReason> | undefined): Raw | string {
  if (!refused?.size) return '';
  return html`<p id="recusados" class="flash">${messages(viewer.locale).bulkRefused(refusedCounts(refused))}</p>`;
}

/**
 * "Retry selected" with whole groups ticked: the count, the held-record warning and the group limit, as "retry all" says
 * them; its confirm posts the same selection back with the count, and retries only when the selection still finds it.
 */
export function groupsConfirmBody(
  viewer: Viewer,
  posted: { jobs: readonly string[]; grupos: readonly string[]; filtro: ReadonlyArray<readonly [string, string]>; back: string },
  refs: ReadonlyArray<{ queue: string; id: string }>,
  shown: ConfirmShown,
  held: number,
  capped: number | null,
): Raw {
  const t = messages(viewer.locale);
  return html`<p id="confirmacao">${t.groupsConfirm(refs.length, [...new Set(refs.map((r) => r.queue))])}</p>
${refusedNote(viewer, shown.refused)}
${held > 0 ? html`<p id="retidos" class="flash err">${t.bulkHeld(held)}</p>` : ''}
${capped === null ? '' : html`<p id="limite" class="flash err">${t.groupsTooLarge(capped)}</p>`}
${confirmJobList(viewer, refs, shown)}
<form method="post" action="/dashboard/acoes/reprocessar"><input type="hidden" name="_csrf" value="${viewer.csrf ?? ''}">
${posted.jobs.map((v) => html`<input type="hidden" name="job" value="${v}">`)}${posted.grupos.map((v) => html`<input type="hidden" name="grupo" value="${v}">`)}${posted.filtro.map(([k, v]) => html`<input type="hidden" name="filtro_${k}" value="${v}">`)}
<input type="hidden" name="voltar" value="${posted.back}"><input type="hidden" name="esperado" value="${refs.length}">
<button id="confirmar">${t.confirm} (${refs.length})</button> <a href="${posted.back}">${t.cancel}</a></form>`;
}

/** The first 20 jobs a confirmation acts on, each with the customer it names (retry by filter, discard). */
export function confirmJobList(
  viewer: Viewer,
  refs: ReadonlyArray<{ queue: string; id: string }>,
  shown: { records: readonly RegistroJob[]; names: ListNames },
): Raw {
  const t = messages(viewer.locale);
  const first = refs.slice(0, 20);
  return html`<p>${t.bulkFirst(first.length, refs.length)}</p><ul id="primeiros">${first.map((r) => {
    const record = shown.records.find((x) => x.fila === r.queue && x.job_id === r.id);
    const customer = record ? customerOf(viewer, record, shown.names) : undefined;
    return html`<li><code>${r.queue}/${r.id}</code>${customer ? html` <span class="cliente">${customer}</span>` : ''}</li>`;
  })}</ul>`;
}

export interface Attempt {
  tentativa: number;
  url: string | null;
  requisicao: string | null;
  resposta: string | null;
  status_http: number | null;
  duracao_ms: number | null;
  erro: string | null;
  criado_em: Date | string;
}

export interface JobDetail {
  record: RegistroJob;
  /** The record's empresa and integration by name (the integration only when it is the record's tenant's). */
  empresaNome: string | null;
  integracaoNome: string | null;
  /** The actions the record's state allows (the page offers only these; the server refuses the others). */
  actions: Array<'retry' | 'discard'>;
  /** `nextRunAt`: when a delayed job runs next (its next attempt, or the end of a wait). */
  live: {
    state: string;
    failedReason: string | null;
    logs: string[];
    flow: unknown;
    stalledCounter: number;
    nextRunAt?: Date | null;
  } | null;
  /** `nota`: a push accepted with nothing written back, worded in the viewer's language (the receptor's words stay `mensagem`). */
  execucoes: Array<{ chave: string; status: string; mensagem: string | null; nota: string | null; tentativas: Attempt[] }>;
  /** The SET's dry run; `porta` (its operation) words a SOAP mapping's missing wrapper. */
  preview:
    | { consulta: unknown; records: unknown[]; porta?: string | null }
    | { error: string; code?: string; params?: Readonly<Record<string, string | number>> }
    | null;
  dependencies: Array<{ queue: string; jobId: string; integracaoId: number | null; estado: string | null }>;
  /** The customers its parameters name and its webhook delivery's status now (queries.ts rowNames). */
  names?: ListNames;
}

/** The record's states that say what BullMQ's state says, each more precisely (why a job waits, why it failed). */
const RECORD_STATES_OF: Readonly<Record<string, readonly string[]>> = {
  active: ['ativo'],
  delayed: ['aguardando_retentativa', 'adiado'],
  // A retry whose delay has passed (or that an operator asked for) waits in the queue for a worker.
  waiting: ['aguardando_retentativa'],
  prioritized: ['aguardando_retentativa'],
  failed: ['falhou', 'bloqueado', 'descartado'],
  completed: ['concluido'],
};
/** BullMQ's states the record has a word of its own for. */
const RECORD_STATE_FOR: Readonly<Record<string, string>> = { active: 'ativo', failed: 'falhou', completed: 'concluido' };

/**
 * The one state a job's page shows (trial L4: never "aguardando retentativa (Redis: em execução)"). BullMQ's state is
 * the job's now, as GET /v1/jobs/:queue/:id gives it: the record (written by the workers, up to a second behind, a
 * retry's start held back) words it when it agrees, more precisely (waiting to retry vs. for a limit); when it does
 * not, BullMQ's state is shown (a retry under way is running). A job BullMQ no longer holds shows its record's.
 */
export function shownJobState(estado: string, live: string | undefined): string {
  if (live === undefined || live === 'unknown') return estado;
  if (RECORD_STATES_OF[live]?.includes(estado)) return estado;
  return RECORD_STATE_FOR[live] ?? live;
}

/** When a waiting job runs next: its next attempt (numbered) for a job retrying, else when its wait ends. */
function nextRunLine(viewer: Viewer, r: RegistroJob, estado: string, at: Date | null | undefined): Raw | string {
  if (!at) return '';
  const t = messages(viewer.locale);
  const when = formatTime(at, viewer.locale, viewer.timeZone);
  const text = estado === 'aguardando_retentativa' ? t.nextAttempt(when, r.tentativas + 1, r.max_tentativas) : t.nextRunAt(when);
  return html`<br><span id="proxima">${text}</span>`;
}

/** A record's filial after its empresa (" / Filial Santos (#6)"), by name when known; nothing for an empresa-wide job. */
function filialOf(r: Pick<RegistroJob, 'empresa_id' | 'empresa_filial_id'>, names: ListNames): string {
  if (r.empresa_filial_id === null) return '';
  const nome = names.filiais?.get(`${r.empresa_id}/${r.empresa_filial_id}`);
  return ` / ${nome === undefined ? `filial #${r.empresa_filial_id}` : named(nome, r.empresa_filial_id)}`;
}

/** A name with its id, as the overview shows them; the id alone when the name is not the viewer's to see. */
export function named(nome: string | null, id: number): string {
  return nome === null ? `#${id}` : `${nome} (#${id})`;
}

/**
 * The job's log ("Registro"): the lines our handlers wrote in the viewer's language; any other line (a library's) as
 * it was written, marked technical.
 */
function logSection(viewer: Viewer, logs: readonly string[]): Raw {
  const t = messages(viewer.locale);
  const lines = logs.map((line) => showJobLogLine(viewer.locale, line));
  return html`<section id="registro"><h2>${t.log}</h2><ol class="registro">${lines.map((line) =>
    line.code === null
      ? html`<li class="tecnico"><span class="muted">[${t.technicalLine}]</span> <code>${line.text}</code></li>`
      : html`<li data-codigo="${line.code}">${line.text}${'detail' in line ? technicalDetails(viewer, '', line.detail) : ''}</li>`,
  )}</ol></section>`;
}

/**
 * The job's attempts as the page counts them: a SET's sends listed below (#1, #2…) count too, so a job retried by hand
 * (BullMQ counts its attempts again from 1) never reads "1" above two attempts of its record (trial L1).
 */
function attemptsShown(detail: JobDetail): number {
  const sends = detail.execucoes.map((e) => Math.max(0, ...e.tentativas.map((a) => a.tentativa)));
  return Math.max(detail.record.tentativas, ...sends);
}

/** The states of a job that runs again: the error its record keeps is its previous attempt's (trial 4: after "Reprocessar"). */
const RUNNING_AGAIN: ReadonlySet<string> = new Set(['ativo', 'aguardando_retentativa']);

/** The record states of a job no attempt is under way for, and none will be unless an operator retries it. */
const ENDED_STATES: ReadonlySet<string> = new Set(['falhou', 'bloqueado', 'descartado', 'concluido']);

/**
 * A record of the job's outbox as its section is headed: the customer the job names (as the failures list names it)
 * or the record's key, never the internal outbox key alone; its state worded for a job that has ended (an "enviando"
 * of a failed job is an outcome nobody knows, not a send under way).
 */
function outboxHeading(
  viewer: Viewer,
  e: JobDetail['execucoes'][number],
  customer: string | undefined,
  only: boolean,
  ended: boolean,
): Raw {
  const t = messages(viewer.locale);
  const key = e.chave.split(':').slice(3).join(':') || e.chave;
  const name = only && customer ? customer : t.outboxRecord(key);
  const state = ended ? word(t.endedSendStatuses, e.status) : word(t.sendStatuses, e.status);
  return html`<h2 class="envio" title="${e.chave}">${name} — <span class="envio-estado ${e.status}">${state}</span></h2>`;
}

/**
 * An attempt's error as the operator reads it: worded from the failure catalogue in the page's language (HTTP status, no
 * answer in time, connection refused…), the transport's English text folded under the technical details.
 */
function attemptError(viewer: Viewer, a: Attempt): Raw | string {
  if (!a.erro) return '';
  const known = attemptFailureOf(a.erro, a.status_http);
  const worded = known ? failureReason(viewer.locale, known.code, known.params) : undefined;
  return html`<p class="falhou tentativa-erro"><span class="erro-motivo">${worded ?? messages(viewer.locale).unwordedFailure}</span>${technicalDetails(viewer, '', a.erro)}</p>`;
}

export function jobBody(viewer: Viewer, detail: JobDetail): Raw {
  const t = messages(viewer.locale);
  const r = detail.record;
  const act = viewer.papel !== 'leitor';
  const ref = `${r.fila}/${r.job_id}`;
  const names = detail.names ?? NO_NAMES;
  const readable = readableJobId(viewer, r.job_id, detail.integracaoNome ?? (r.integracao_id === null ? undefined : `#${r.integracao_id}`));
  const customer = customerOf(viewer, r, names);
  const estado = shownJobState(r.estado, detail.live?.state);
  const recovered = recoveredDelivery(r, names);
  return html`<table><tbody>
<tr><th>${t.job}</th><td>${readable ? html`${readable} <span class="muted">(${ref})</span>` : ref} · ${r.nome_job}</td></tr>${customer ? html`<tr><th>${t.customer}</th><td id="cliente">${customer}</td></tr>` : ''}<tr><th>${t.tenant}</th><td id="empresa">${named(detail.empresaNome, r.empresa_id)}${filialOf(r, names)}</td></tr>
<tr><th>${t.integration}</th><td id="integracao">${r.integracao_id === null ? '—' : named(detail.integracaoNome, r.integracao_id)}</td></tr>
<tr><th>${t.state}</th><td class="${recovered ? 'concluido' : estado}" id="estado">${recovered ? t.recoveredDelivery : (jobStateWord(viewer.locale, estado) ?? estado)}${nextRunLine(viewer, r, estado, detail.live?.nextRunAt)}</td></tr>
<tr><th>${t.attempts}</th><td id="tentativas">${t.attemptsCount(attemptsShown(detail), r.tentativas, r.max_tentativas)}${detail.live?.stalledCounter ? html` <span class="falhou retomado">${t.retakenAfterStall(detail.live.stalledCounter, r.fila)}</span>` : ''}</td></tr>
<tr><th>${t.parameters}</th><td><code>${JSON.stringify(recordParameters(r.parametros).key)}</code></td></tr>
${r.estado === 'concluido' && !r.erro_mensagem && !r.erro_codigo ? '' : html`<tr><th>${RUNNING_AGAIN.has(estado) ? t.previousError : t.error}</th><td id="erro">${failureCell(viewer, r)}</td></tr>`}
<tr><th>${t.updatedAt}</th><td>${formatTime(r.atualizado_em, viewer.locale, viewer.timeZone)}</td></tr>
</tbody></table>
${act && !changeableBy(viewer, r.empresa_filial_id) ? html`<p class="muted" id="sem-acoes">${t.notChangeableByFilial}</p>` : ''}
${act && detail.actions.length ? html`<form method="post" action="/dashboard/acoes/reprocessar" class="job-actions"><input type="hidden" name="_csrf" value="${viewer.csrf ?? ''}"><input type="hidden" name="job" value="${ref}">${detail.actions.includes('retry') ? html`<button name="modo" value="selecao">${t.retry}</button> ` : ''}${detail.actions.includes('discard') ? html`<button formaction="/dashboard/acoes/descartar" name="modo" value="descartar">${t.discard}</button>` : ''}</form>` : ''}
${
  detail.dependencies.length
    ? html`<section><h2>${t.dependencies}</h2><ol>${detail.dependencies.map((d) => html`<li><a href="/dashboard/jobs/${d.queue}/${d.jobId}">${d.queue}/${d.jobId}</a> ${t.integration} ${d.integracaoId ?? '—'} <span class="${d.estado ?? ''}">${word(t.states, d.estado)}</span></li>`)}</ol></section>`
    : ''
}
${detail.execucoes.map(
  (
    e,
  ) => html`<section>${outboxHeading(viewer, e, customer, detail.execucoes.length === 1, ENDED_STATES.has(estado))}${e.mensagem ? html`<p>${e.mensagem}</p>` : ''}${e.nota ? html`<p class="nota-execucao">${e.nota}</p>` : ''}
${e.tentativas.map(
  (
    a,
  ) => html`<h3>#${a.tentativa} · ${formatTime(a.criado_em, viewer.locale, viewer.timeZone)} · HTTP ${a.status_http ?? '—'} · ${a.duracao_ms ?? '—'} ms</h3>
${attemptError(viewer, a)}<p class="muted">${a.url ?? ''}</p>
<h4>${t.request}</h4><pre class="requisicao">${maskSecrets(a.requisicao)}</pre><h4>${t.response}</h4><pre class="resposta">${maskSecrets(a.resposta)}</pre>`,
)}</section>`,
)}
${
  detail.preview
    ? previewSection(
        viewer,
        detail.preview,
        detail.execucoes.some((e) => e.tentativas.length > 0),
      )
    : ''
}
${detail.live?.logs.length ? logSection(viewer, detail.live.logs) : ''}`;
}

/**
 * The consulta with its bound values (CRM only) and the request rebuilt now from today's data: not what was sent (the
 * attempts above show that). A receptor that cannot be reached leaves the request out, said in one line; a preview that
 * failed says so in one line (previewFailedSection).
 */
function previewSection(viewer: Viewer, preview: NonNullable<JobDetail['preview']>, sent: boolean): Raw {
  const t = messages(viewer.locale);
  if ('error' in preview) return previewFailedSection(viewer, preview, sent);
  const records = preview.records as Array<{ request?: { missingWrapper?: MissingSoapWrapper } | null; requestUnavailable?: boolean }>;
  const unavailable = records.some((rec) => rec.requestUnavailable);
  // A mapping that misses the WSDL's wrapper misses it in every record: worded once, after the requests (as the CLI does).
  const missing = records.map((rec) => rec.request?.missingWrapper).find((wrapper) => wrapper !== undefined);
  return html`<section><h2>${t.consulta}</h2><pre class="consulta">${maskedJson(preview.consulta)}</pre>
<h3>${t.rebuiltRequest}</h3>${unavailable ? html`<p class="muted requisicao-indisponivel">${t.receptorUnreachable}</p>` : ''}
${records.filter((rec) => !rec.requestUnavailable).map((rec) => html`<pre class="requisicao-reconstruida">${maskedJson(rec.request ?? rec)}</pre>`)}${missing ? html`<p class="falhou wrapper-ausente">${soapWrapperMessage(preview.porta ?? '', missing)[viewer.locale]}</p>` : ''}</section>`;
}

/**
 * A preview that failed, in the viewer's language alone: the record the job pushed no longer found (deleted since, e.g. a
 * conta removed from the CRM) said so; another coded failure by its worded reason, its code folded; only an uncoded one
 * keeps its English message, folded for support.
 */
function previewFailedSection(
  viewer: Viewer,
  preview: { error: string; code?: string; params?: Readonly<Record<string, string | number>> },
  sent: boolean,
): Raw {
  const t = messages(viewer.locale);
  const parametros = preview.params?.parametros;
  const gone =
    preview.code === 'NO_RECORDS' ? t.previewRecordGone(typeof parametros === 'string' ? parametros : undefined, sent) : undefined;
  const reason = gone === undefined && preview.code !== undefined ? failureReason(viewer.locale, preview.code, preview.params) : undefined;
  const shown = gone ?? (reason === undefined ? t.previewFailed : t.previewFailedBecause(reason));
  // Worded in the viewer's language: the English message is not repeated below it, only the code for support.
  const detail = gone === undefined && reason === undefined ? preview.error : '';
  return html`<section><h2>${t.consulta}</h2><p class="falhou previa-falhou">${maskSecrets(shown)}</p>${technicalDetails(viewer, preview.code ?? '', maskSecrets(detail))}</section>`;
}

/** An ISO 8601 instant as the audit stores the filter's dates (toISOString). */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

type AuditParams = Record<string, string | number>;

/**
 * The fields of an action whose detail is an outcome rather than a filter, in the viewer's words: a webhook test's
 * code worded by the webhook messages (with its HTTP status), a service validation's result per evento worded by the
 * endpoint messages. Undefined for any other action (or a detail of another shape): the generic fields then.
 */
function outcomeFields(viewer: Viewer, acao: string, value: Record<string, unknown>): Array<[string, unknown]> | undefined {
  if (acao === 'webhook-test' && typeof value.code === 'string') {
    const params = (value.params ?? {}) as AuditParams;
    const result = isWebhookMessageCode(value.code) ? webhookMessage(viewer.locale, value.code, params) : value.code;
    return [
      ['resultado', result],
      ['status', value.status],
    ];
  }
  if (acao === 'endpoint-validate' && Array.isArray(value.eventos)) {
    return (value.eventos as Array<{ tipo?: unknown; code?: unknown; params?: AuditParams }>).map((e) => [
      String(e.tipo ?? ''),
      typeof e.code === 'string' ? statusMessage(viewer.locale, e.code, e.params ?? { tipo: String(e.tipo ?? '') }) : '',
    ]);
  }
  return undefined;
}

/**
 * An audit entry's detail (stored JSON: the filter of a bulk retry, a recover's start, a test's or validation's
 * outcome) as labelled fields: names in the viewer's words where the dashboard has them, instants in the viewer's
 * zone, nested objects (the filter) flattened, outcomes worded (outcomeFields). Text that is not a JSON object is
 * shown as stored.
 */
function auditDetail(viewer: Viewer, acao: string, detalhe: string | null): Raw | string {
  if (!detalhe) return '';
  let value: unknown;
  try {
    value = JSON.parse(detalhe);
  } catch {
    return html`<br><span class="muted">${detalhe}</span>`;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return html`<br><span class="muted">${detalhe}</span>`;
  const t = messages(viewer.locale);
  const outcome = outcomeFields(viewer, acao, value as Record<string, unknown>);
  const fields: Array<[string, unknown]> = outcome ?? [];
  if (!outcome)
    for (const [key, item] of Object.entries(value)) {
      if (item && typeof item === 'object' && !Array.isArray(item)) fields.push(...Object.entries(item));
      else fields.push([key, item]);
    }
  const shown = (item: unknown, key: string) =>
    key === 'modo' && typeof item === 'string'
      ? word(t.auditModes, item)
      : typeof item === 'string' && ISO_INSTANT.test(item)
        ? formatTime(item, viewer.locale, viewer.timeZone)
        : typeof item === 'string'
          ? item
          : JSON.stringify(item);
  return html`<dl class="auditoria-detalhe muted">${fields
    .filter(([, item]) => item !== undefined && item !== null && item !== '')
    .map(([key, item]) => html`<dt>${word(t.auditFields, key)}</dt><dd data-campo="${key}">${shown(item, key)}</dd>`)}</dl>`;
}

export function auditBody(
  viewer: Viewer,
  rows: Array<{
    autor: string;
    acao: string;
    alvo: string | null;
    quantidade: number;
    empresa_id: number | null;
    criado_em: Date | string;
    detalhe: string | null;
  }>,
  empresas: ReadonlyMap<number, string> = new Map(),
): Raw {
  const t = messages(viewer.locale);
  return html`<table><thead><tr><th>${t.when}</th><th>${t.who}</th><th>${t.tenant}</th><th>${t.what}</th><th class="num">${t.howMany}</th><th>${t.target}</th></tr></thead><tbody>
${rows.length ? rows.map((a) => html`<tr class="audit"><td>${formatTime(a.criado_em, viewer.locale, viewer.timeZone)}</td><td>${a.autor}</td><td class="empresa">${a.empresa_id === null ? '—' : named(empresas.get(a.empresa_id) ?? null, a.empresa_id)}</td><td class="acao" data-acao="${a.acao}">${word(t.auditActions, a.acao)}</td><td class="num">${a.quantidade}</td><td><code>${a.alvo ?? ''}</code>${auditDetail(viewer, a.acao, a.detalhe)}</td></tr>`) : html`<tr><td colspan="6" class="muted">${t.noRows}</td></tr>`}
</tbody></table>`;
}
