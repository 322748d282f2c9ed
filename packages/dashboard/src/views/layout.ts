import type { Viewer } from '../access';
import { html, Raw } from '../html';
import { messages } from '../i18n';

/** The pages' style sheet, served as /dashboard/style.css (the CSP allows no inline style). */
export const STYLE_CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2733;background:#f5f7fa}
header{background:#1d3557;color:#fff;padding:8px 16px;display:flex;gap:16px;align-items:center;flex-wrap:wrap}
header a{color:#fff;text-decoration:none}header a.on{text-decoration:underline}
header form{margin-left:auto}main{padding:16px}
table{border-collapse:collapse;width:100%;background:#fff}th,td{border-bottom:1px solid #e3e8ef;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef2f7}.num{text-align:right}.falhou,.bloqueado{color:#b00020}.concluido{color:#1b7f3b}.adiado,.aguardando_retentativa{color:#a86200}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin-bottom:16px}.card{background:#fff;border:1px solid #e3e8ef;border-radius:6px;padding:8px 12px;min-width:130px}
.card b{display:block;font-size:22px}pre{background:#fff;border:1px solid #e3e8ef;padding:8px;white-space:pre-wrap;word-break:break-all;max-height:360px;overflow:auto}
.flash{background:#e7f5ea;border:1px solid #9ccfa9;padding:8px;margin-bottom:12px}.err{background:#fdecee;border-color:#e5a3ac}
form.filters{display:flex;gap:8px;flex-wrap:wrap;align-items:end;margin-bottom:12px}form.filters label{display:flex;flex-direction:column;font-size:12px}
button{cursor:pointer}.muted{color:#66707c}section{margin-bottom:24px}.sem-inicio{display:inline-block;margin-left:4px;padding:0 4px;border:1px solid #a86200;border-radius:3px;color:#a86200;font-size:11px}
header .who{color:#cdd8e6}main.login{max-width:320px;margin:80px auto}form.inline{display:inline}form.job-actions{margin:12px 0}
`;

// The dashboard's icon, inline: a browser then asks no /favicon.ico (a 404 in its console on every page).
const FAVICON = `<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Crect width='16' height='16' rx='3' fill='%231d3557'/%3E%3Cpath d='M4 8h8M8 4v8' stroke='%23fff' stroke-width='2'/%3E%3C/svg%3E">`;

export interface PageOptions {
  title: string;
  active: string;
  body: Raw;
  flash?: { text: string; error?: boolean } | undefined;
}

/** The page frame: navigation by role, the live-update script, the operator's CSRF token for scripts. */
export function layout(viewer: Viewer, options: PageOptions): string {
  const t = messages(viewer.locale);
  const link = (href: string, key: string, label: string) =>
    html`<a href="${href}" class="${options.active === key ? 'on' : ''}">${label}</a>`;
  return html`<!doctype html>
<html lang="${viewer.locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="csrf-token" content="${viewer.csrf ?? ''}">${new Raw(FAVICON)}<title>${options.title} · ${t.title}</title><link rel="stylesheet" href="/dashboard/style.css"></head>
<body><header><strong>${t.title}</strong>
${link('/dashboard', 'overview', t.overview)} ${link('/dashboard/falhas', 'failures', t.failures)}
${link('/dashboard/agendamentos', 'schedules', t.schedules)} ${link('/dashboard/servicos', 'services', t.services)} ${link('/dashboard/conexoes', 'connections', t.connections)}
${link('/dashboard/ligacoes', 'calls', t.calls)} ${link('/dashboard/webhooks', 'webhooks', t.webhooks)}
${link('/dashboard/auditoria', 'audit', t.audit)} ${viewer.papel === 'admin' ? link('/dashboard/filas/', 'raw', t.rawQueues) : ''}
${languageSwitch(viewer)}
<span class="muted who">${viewer.autor} · ${t.roles[viewer.papel] ?? viewer.papel}${viewer.papel === 'leitor' ? ` (${t.readOnly})` : ''}</span>
<form method="post" action="/dashboard/logout"><input type="hidden" name="_csrf" value="${viewer.csrf ?? ''}"><button>${t.logout}</button></form>
</header><main>
${options.flash ? html`<div class="flash ${options.flash.error ? 'err' : ''}" role="status">${options.flash.text}</div>` : ''}
<h1>${options.title}</h1>
${options.body}
</main><script src="/dashboard/live.js" defer></script></body></html>`.value;
}

/**
 * The one-time reports an action's redirect adds to a page's query for its flash (a count, a refusal, a test's or a
 * sync's outcome): not the page's own filters.
 */
export const ACTION_REPORT_KEYS: readonly string[] = [
  'feito',
  'ignorados',
  'naoEncontrados',
  'vazio',
  'acao',
  'recusado',
  'jobRecusado',
  'estadoRecusado',
  'recusadoEndpoint',
  'testado',
  'sincronizado',
  'job',
  'pausada',
  'retomada',
];

/**
 * The link to the other language: this page with its query (its filters) kept and only `lang` changed, without an
 * action's report (its flash is not said again); none on a POST's answer (a confirmation), whose address answers no GET.
 */
function languageSwitch(viewer: Viewer) {
  if (viewer.pageQuery === null) return '';
  const other = viewer.locale === 'en' ? 'pt-BR' : 'en';
  const query = new URLSearchParams(viewer.pageQuery ?? '');
  for (const key of ACTION_REPORT_KEYS) query.delete(key);
  query.set('lang', other);
  return html`<a href="?${query.toString()}" id="idioma" lang="${other}">${other === 'en' ? 'English' : 'Português'}</a>`;
}

/**
 * The login page (no session yet); `csrf` is the login form's token (its cookie's value). `chosen`: its language came
 * from the page's own `?lang=` (the operator's choice), which the form carries on to the pages after the login; one
 * that came from the browser's Accept-Language is not carried: the operator's saved preference decides after the login.
 */
export function loginPage(locale: 'pt-BR' | 'en', csrf: string, error?: string, chosen = false): string {
  const t = messages(locale);
  return html`<!doctype html><html lang="${locale}"><head><meta charset="utf-8">${new Raw(FAVICON)}<title>${t.login} · ${t.title}</title><link rel="stylesheet" href="/dashboard/style.css"></head>
<body><main class="login"><h1>${t.title}</h1>
${error ? html`<div class="flash err" role="alert">${error}</div>` : ''}
<form method="post" action="/dashboard/login${chosen && locale === 'en' ? '?lang=en' : ''}"><input type="hidden" name="_csrf" value="${csrf}">
<p><label>${t.loginField}<br><input name="login" autocomplete="username" required></label></p>
<p><label>${t.password}<br><input name="senha" type="password" autocomplete="current-password" required></label></p>
<p><button type="submit">${t.login}</button></p></form></main></body></html>`.value;
}

/** A bare error page for a request without a viewer (no session to show the layout with). */
export function errorPage(text: string): string {
  return html`<!doctype html><html><head><meta charset="utf-8">${new Raw(FAVICON)}</head><body><p>${text}</p></body></html>`.value;
}

/**
 * Live updates by polling (no extra connection held per operator, works through any proxy): every 5 s elements with
 * data-live-count get fresh numbers from /dashboard/api/counts, and a list marked data-live-rows is reloaded unless
 * the operator is busy with it: rows selected, a "Detalhes técnicos" open or text selected in it (what support copies
 * into a ticket; a reload would close or drop it).
 */
export const LIVE_JS = `(() => {
  const every = 5000;
  async function tick() {
    const counters = document.querySelectorAll('[data-live-count]');
    if (counters.length) {
      const r = await fetch('/dashboard/api/counts', { credentials: 'same-origin' });
      if (r.ok) { const c = await r.json(); counters.forEach((el) => { const v = c.lastHour[el.dataset.liveCount]; if (v !== undefined) el.textContent = v; }); }
    }
    const rows = document.querySelector('[data-live-rows]');
    const selection = window.getSelection();
    const reading = rows && (rows.querySelector('details[open]') || (selection && !selection.isCollapsed && rows.contains(selection.anchorNode)));
    if (rows && !reading && !document.querySelector('input[name=job]:checked')) {
      const r = await fetch(rows.dataset.liveRows, { credentials: 'same-origin' });
      if (r.ok) rows.innerHTML = await r.text();
    }
  }
  setInterval(() => tick().catch(() => {}), every);
  // The failures filter lists the chosen empresa's integrações: choosing another empresa reloads them.
  const empresa = document.querySelector('form.filters select[name=empresa]');
  const integracao = document.querySelector('form.filters select[name=integracao]');
  if (empresa && integracao) empresa.addEventListener('change', () => { integracao.value = ''; empresa.form.submit(); });
})();`;
