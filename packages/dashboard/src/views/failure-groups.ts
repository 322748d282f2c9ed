import type { JobRecordGroup, RegistroJob } from '@integrador/store';
import type { Viewer } from '../access';
import { html, type Raw } from '../html';
import { formatTime, messages } from '../i18n';
import {
  type FailureQuery,
  type FilterChoices,
  failureCell,
  filterForm,
  type ListNames,
  type ListPage,
  named,
  pageLinks,
  queryString,
  technicalDetails,
} from './pages';

/** A group's value in the form (`grupo`) and on its row: "empresa/integração/código", '-' for none. */
export function groupKey(group: Pick<JobRecordGroup, 'empresaId' | 'integracaoId' | 'codigo'>): string {
  return `${group.empresaId}/${group.integracaoId ?? '-'}/${group.codigo ?? '-'}`;
}

/** The failures list of one group (its runs): the page's filter with the group's empresa, integração and code. */
export function groupHref(query: FailureQuery, group: JobRecordGroup): string {
  return `/dashboard/falhas?${queryString({
    ...query,
    agrupar: undefined,
    empresa: group.empresaId,
    integracao: group.integracaoId ?? '-',
    codigo: group.codigo ?? '-',
  })}`;
}

/**
 * The failures list grouped: one line per integration and failure code (how many, first and last seen, the failure
 * worded from its newest run), its box selecting every failed run of the group for the list's retry and discard
 * buttons, its link opening the group's runs; a page of groups at a time, as the list pages its rows, said above the
 * table when more groups follow. `samples`: each group's newest record by id.
 */
export function failureGroupsBody(
  viewer: Viewer,
  query: FailureQuery,
  groups: readonly JobRecordGroup[],
  page: ListPage & { more: boolean },
  samples: ReadonlyMap<number, RegistroJob>,
  names: ListNames,
  choices: FilterChoices,
  total: number | string,
  retryable: number | string,
): Raw {
  const t = messages(viewer.locale);
  const act = viewer.papel !== 'leitor';
  const hidden = Object.entries(query).filter(([k, v]) => v !== undefined && v !== '' && k !== 'agrupar');
  const when = (at: Date) => formatTime(at, viewer.locale, viewer.timeZone);
  const rows = groups.map((g) => {
    const sample = samples.get(g.ultimoId);
    const integracao = g.integracaoId === null ? undefined : names.integracoes.get(`${g.empresaId}/${g.integracaoId}`);
    return html`<tr data-grupo="${groupKey(g)}">
<td>${act ? html`<input type="checkbox" name="grupo" value="${groupKey(g)}" aria-label="${groupKey(g)}">` : ''}</td>
<td class="empresa">${named(names.empresas.get(g.empresaId) ?? null, g.empresaId)}</td>
<td class="integracao">${g.integracaoId === null ? t.noIntegration : named(integracao ?? null, g.integracaoId)}</td>
<td>${sample ? failureCell(viewer, sample, 300) : technicalDetails(viewer, g.codigo ?? '', '')}</td>
<td class="num ocorrencias">${g.n}</td><td class="primeira">${when(g.primeiro)}</td><td class="ultima">${when(g.ultimo)}</td>
<td><a class="abrir-grupo" href="${groupHref(query, g)}">${t.openGroup(g.n)}</a></td></tr>`;
  });
  const shown = page.offset + groups.length;
  const links = pageLinks(viewer, query, page, groups.length, page.more ? `${shown}+` : shown);
  return html`${filterForm(viewer, query, choices)}
<p>${t.total}: <b id="total">${total}</b> · <span class="muted" id="grupos">${t.groupsShown(groups.length)}</span></p>
${page.more ? html`<p class="flash" id="mais-grupos" role="status">${t.moreGroups(page.offset + 1, shown)}</p>` : ''}
<form method="post" action="/dashboard/acoes/reprocessar" id="acoes">
<input type="hidden" name="_csrf" value="${viewer.csrf ?? ''}">
${hidden.map(([k, v]) => html`<input type="hidden" name="filtro_${k}" value="${v}">`)}
${act ? html`<p><button name="modo" value="selecao">${t.retrySelected}</button> <button name="modo" value="filtro" id="reprocessar-todos" ${retryable === 0 ? html`disabled` : ''}>${t.retryAll} (${retryable})</button> <button name="modo" value="descartar" formaction="/dashboard/acoes/descartar">${t.discard}</button></p>` : ''}
${links}
<table class="grupos"><thead><tr><th></th><th>${t.tenant}</th><th>${t.integration}</th><th>${t.error}</th><th class="num">${t.occurrences}</th><th>${t.firstSeen}</th><th>${t.lastSeen}</th><th></th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="8" class="muted">${t.noRows}</td></tr>`}</tbody></table></form>
${links}`;
}
