import type { RegistroJob } from '@integrador/store';
import type { Viewer } from '../access';
import { html, type Raw } from '../html';
import { messages } from '../i18n';
import { confirmJobList, type ListNames } from './pages';

// The one-click actions that cannot be undone by the operator's next click (a discard drops the customer's record for
// good; a pause stops every queue of the empresa) ask first, as the bulk retry does: the form posts again with
// `confirmado=1`, and `voltar` (the page the action came from) is where it returns.

const hiddenCsrf = (viewer: Viewer) => html`<input type="hidden" name="_csrf" value="${viewer.csrf ?? ''}">`;

/** "Discard these jobs?": the jobs with their customers, Confirmar posting them again, Cancelar back to the page. */
export function discardConfirmBody(
  viewer: Viewer,
  refs: ReadonlyArray<{ queue: string; id: string }>,
  shown: { records: readonly RegistroJob[]; names: ListNames },
  back: string,
): Raw {
  const t = messages(viewer.locale);
  return html`<p id="confirmacao">${t.discardConfirm(refs.length)}</p>
${confirmJobList(viewer, refs, shown)}
<form method="post" action="/dashboard/acoes/descartar">${hiddenCsrf(viewer)}${refs.map(
    (r) => html`<input type="hidden" name="job" value="${r.queue}/${r.id}">`,
  )}<input type="hidden" name="voltar" value="${back}"><input type="hidden" name="confirmado" value="1">
<button id="confirmar">${t.confirm} (${refs.length})</button> <a href="${back}">${t.cancel}</a></form>`;
}

/** "Pause this empresa?": what stops, named; Confirmar posts the pause again, Cancelar back to the schedules. */
export function pauseConfirmBody(viewer: Viewer, empresa: { id: number; nome: string }): Raw {
  const t = messages(viewer.locale);
  return html`<p id="confirmacao">${t.pauseConfirm(`${empresa.nome} (#${empresa.id})`)}</p>
<form method="post" action="/dashboard/acoes/empresa">${hiddenCsrf(viewer)}<input type="hidden" name="empresa" value="${empresa.id}"><input type="hidden" name="confirmado" value="1">
<button name="modo" value="pausar" id="confirmar">${t.confirm}</button> <a href="/dashboard/agendamentos">${t.cancel}</a></form>`;
}

/** The paused empresas among those the viewer sees, one line above the overview and the failures list (none: nothing). */
export function pausedNotice(viewer: Viewer, paused: ReadonlyArray<{ id: number; nome: string }>): Raw {
  if (paused.length === 0) return html``;
  const t = messages(viewer.locale);
  return html`<p class="flash err" id="empresas-pausadas">${t.pausedTenants} ${paused.map(
    (e, i) => html`${i ? ', ' : ''}<a href="/dashboard/agendamentos"><span class="badge pausada">${e.nome} (#${e.id})</span></a>`,
  )}</p>`;
}
