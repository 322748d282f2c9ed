import { type CallRow, type ClickToCallFailure, callStatusReason, callStatusWord } from '@integrador/cti';
import { failureReason } from '@integrador/integrador';
import type { CircuitState } from '@integrador/webhooks';
import type { Viewer } from '../access';
import { html, type Raw } from '../html';
import { formatTime, messages, word } from '../i18n';
import { zoneLabel } from '../job-filter';
import { technicalDetails } from './pages';

/**
 * The tenant picker and filters above the calls and webhooks pages; `allOption` offers "all" (every tenant the viewer
 * sees), chosen when `chosen` is null.
 */
export function tenantFilters(
  viewer: Viewer,
  action: string,
  empresas: Array<{ id: number; nome: string }>,
  chosen: number | null,
  extra: Raw = html``,
  allOption = false,
): Raw {
  const t = messages(viewer.locale);
  const all = allOption ? html`<option value="" ${chosen === null ? html`selected` : ''}>${t.allTenants}</option>` : '';
  return html`<form class="filters" method="get" action="${action}"><label>${t.tenant}<select name="empresa">${all}${empresas.map(
    (e) => html`<option value="${e.id}" ${e.id === chosen ? html`selected` : ''}>${e.nome} (#${e.id})</option>`,
  )}</select></label>${extra}<button>${t.filter}</button></form>`;
}

/** A recording link only when it is an http(s) URL (a PBX-sent javascript: link is shown as text). */
function recordingLink(url: string | null, label: string): Raw | string {
  if (!url) return '—';
  return /^https?:\/\//i.test(url) ? html`<a href="${url}" target="_blank" rel="noopener noreferrer">${label}</a>` : url;
}

/** Why the hub ended a call (não atendida, sem fim recebido), under its status; nothing for other statuses. */
function statusReason(viewer: Viewer, status: string | null): Raw | string {
  const reason = callStatusReason(viewer.locale, status);
  return reason ? html`<div class="muted">${reason}</div>` : '';
}

/** What the calls page shows beside its rows (cti-webhooks.routes callExtras): names and failed click-to-calls' codes. */
export interface CallExtras {
  contas: ReadonlyMap<string, string>;
  contatos: ReadonlyMap<string, string>;
  /** The agents' names by "empresa/usuario id". */
  usuarios: ReadonlyMap<string, string>;
  /** By the call's "empresa/evento_id". */
  failures: ReadonlyMap<string, ClickToCallFailure>;
}

const NO_EXTRAS: CallExtras = { contas: new Map(), contatos: new Map(), usuarios: new Map(), failures: new Map() };

/** The conta (and contato) of a call by name when the page's empresa has it, else by id; '—' for none. */
function callCustomer(viewer: Viewer, c: CallRow, extras: CallExtras): string {
  const t = messages(viewer.locale);
  const one = (label: string, id: number | null, names: ReadonlyMap<string, string>) => {
    if (id === null) return undefined;
    const nome = names.get(`${c.empresa_id}/${id}`);
    return nome === undefined ? `${label} #${id}` : `${nome} (#${id})`;
  };
  return [one(t.account, c.conta_id, extras.contas), one(t.contact, c.contato_id, extras.contatos)].filter(Boolean).join(' · ') || '—';
}

/** Why a click-to-call failed, in the viewer's language (the failure catalogue), its technical message folded. */
function callFailure(viewer: Viewer, c: CallRow, extras: CallExtras): Raw | string {
  if (c.status !== 'falhou') return '';
  const t = messages(viewer.locale);
  const failure = c.evento_id ? extras.failures.get(`${c.empresa_id}/${c.evento_id}`) : undefined;
  const reason = failure ? failureReason(viewer.locale, failure.code, failure.params) : undefined;
  if (!reason && !c.erro) return '';
  return html`<div class="erro-motivo">${reason ?? t.unwordedFailure}</div>${technicalDetails(viewer, failure?.code ?? '', c.erro)}`;
}

/** Who took the call: its ramal's usuario (when the call was logged) with the ramal, or the ramal alone. */
function callAgent(c: CallRow, extras: CallExtras): string {
  const nome = c.usuario_id === null ? undefined : extras.usuarios.get(`${c.empresa_id}/${c.usuario_id}`);
  return nome === undefined ? c.ramal : `${nome} (${c.ramal})`;
}

/** A call whose end came without its start (sem_inicio): marked, since its time is the end's and it has no duration. */
function noStartMark(viewer: Viewer, c: CallRow): Raw | string {
  if (Number(c.sem_inicio) !== 1) return '';
  const t = messages(viewer.locale);
  return html`<span class="sem-inicio" title="${t.noStartTitle}">${t.noStart}</span>`;
}

/** How the calls page shows its rows: the tenant of each (when several are listed) and why the list is empty. */
export interface CallsShown {
  /** The listed tenants' names by id: a Empresa column names each call's. Absent: one tenant's calls. */
  empresas?: ReadonlyMap<number, string>;
  /** The text of an empty list (what it holds and why); "nothing found" by default. */
  empty?: string;
}

/** The call log of one tenant or several, newest first, with the recording link. */
export function callsBody(
  viewer: Viewer,
  filters: Raw,
  calls: CallRow[],
  next: string | null,
  extras: CallExtras = NO_EXTRAS,
  shown: CallsShown = {},
): Raw {
  const t = messages(viewer.locale);
  const { empresas } = shown;
  const tenant = (c: CallRow) => (empresas ? html`<td class="empresa">${empresas.get(c.empresa_id) ?? ''} (#${c.empresa_id})</td>` : '');
  const rows = calls.length
    ? calls.map(
        (
          c,
        ) => html`<tr data-call="${c.id}" data-empresa="${c.empresa_id}">${tenant(c)}<td>${formatTime(c.inicio, viewer.locale, viewer.timeZone)}${noStartMark(viewer, c)}</td><td>${c.telefone}</td><td class="agente">${callAgent(c, extras)}</td>
<td>${word(t.directions, c.direcao)}</td><td class="${c.status === 'falhou' ? 'falhou' : ''}">${callStatusWord(viewer.locale, c.status)}${statusReason(viewer, c.status)}${callFailure(viewer, c, extras)}</td><td class="num">${c.duracao_segundos ?? '—'}</td>
<td class="cliente">${callCustomer(viewer, c, extras)}</td><td>${recordingLink(c.url_audio, t.listen)}</td></tr>`,
      )
    : html`<tr><td colspan="${empresas ? 9 : 8}" class="muted vazio">${shown.empty ?? t.noRows}</td></tr>`;
  const tenantHeader = empresas ? html`<th>${t.tenant}</th>` : '';
  return html`${filters}<table id="ligacoes"><thead><tr>${tenantHeader}<th>${t.start}</th><th>${t.phone}</th><th>${t.agent}</th><th>${t.direction}</th><th>${t.status}</th><th class="num">${t.duration}</th><th>${t.account}</th><th>${t.recording}</th></tr></thead><tbody>${rows}</tbody></table>
${next ? html`<p><a href="${next}">${t.more}</a></p>` : ''}`;
}

export interface EndpointView {
  id: number;
  /** Null for a deleted endpoint (`excluido`): its row is gone, its deliveries are kept until the retention purge. */
  nome: string | null;
  url: string | null;
  ativo: boolean;
  excluido: boolean;
  desativado: string | null;
  /** Why the hub refuses every delivery to it as it is (an http:// URL under WEBHOOK_HTTPS_ONLY); null otherwise. */
  bloqueado: string | null;
  /** The next page of this endpoint's deliveries (?antes=), or null when these are the oldest. */
  nextCursor: number | null;
  /** Its circuit breaker now; null when Redis did not answer. */
  circuito: CircuitState | null;
  deliveries: Array<{
    id: number;
    status: string;
    tentativas: number;
    ultimo_status_http: number | null;
    ultimo_erro: string | null;
    criado_em: Date | string;
    gatilho: string;
    registro_id: string;
    attempts: Array<{
      numero: number;
      origem: string;
      status_http: number | null;
      erro: string | null;
      duracao_ms: number;
      criado_em: Date | string;
    }>;
  }>;
}

/** The endpoint's circuit breaker in the reader's words: its state, until when it stays open, its failures in a row. */
function circuitText(viewer: Viewer, circuit: CircuitState | null): Raw {
  const t = messages(viewer.locale);
  if (!circuit) return html`<span class="circuito muted">${t.circuit}: ${t.circuitUnknown}</span>`;
  const until = circuit.ate ? ` ${t.circuitOpenUntil(formatTime(circuit.ate, viewer.locale, viewer.timeZone))}` : '';
  const failures = circuit.falhasSeguidas ? ` · ${t.circuitFailures(circuit.falhasSeguidas)}` : '';
  return html`<span class="circuito ${circuit.estado === 'fechado' ? '' : 'falhou'}" data-estado="${circuit.estado}">${t.circuit}: ${word(t.circuitStates, circuit.estado)}${until}${failures}</span>`;
}

/**
 * One tenant's webhook endpoints with their latest deliveries, every attempt, resend and recover (not offered on a
 * disabled endpoint: the engine refuses them until it is enabled again, and its reason says so).
 */
export function webhooksBody(
  viewer: Viewer,
  filters: Raw,
  empresaId: number,
  endpoints: EndpointView[],
  canAct: boolean,
  older: (endpoint: EndpointView) => string | null = () => null,
  /** The deliveries filter's status, which an endpoint without deliveries names as why its list is empty. */
  status?: string,
): Raw {
  const t = messages(viewer.locale);
  const noDeliveries = status ? t.noDeliveriesWithStatus(word(t.deliveryStatuses, status)) : t.noDeliveriesYet;
  const hidden = (endpointId: number) =>
    html`<input type="hidden" name="_csrf" value="${viewer.csrf ?? ''}"><input type="hidden" name="empresa" value="${empresaId}"><input type="hidden" name="endpoint" value="${endpointId}">`;
  // A deleted endpoint's section says so in place of its URL, state, circuit and test button (nothing is sent to it).
  const heading = (e: EndpointView) =>
    e.excluido
      ? html`<h2 class="excluido">${t.deletedEndpoint(e.id)}</h2><p class="muted excluido">${t.deletedEndpointNote}</p>`
      : html`<h2>${e.nome} (#${e.id})</h2><p><code>${e.url}</code> · ${e.ativo ? t.endpointActive : html`<span class="falhou">${e.desativado ?? t.endpointInactive}</span>`}${e.bloqueado ? html` · <span class="falhou bloqueado">${e.bloqueado}</span>` : ''} · ${circuitText(viewer, e.circuito)}${canAct ? html` <form method="post" action="/dashboard/acoes/webhook-testar" class="inline">${hidden(e.id)}<button class="testar">${t.webhookTest}</button></form>` : ''}</p>`;
  const sections = endpoints.map(
    (e) => html`<section data-endpoint="${e.id}"${e.excluido ? html` data-excluido="1"` : ''}>${heading(e)}
${canAct && e.ativo ? html`<form method="post" action="/dashboard/acoes/webhook-recuperar" class="filters">${hidden(e.id)}<label>${t.recover}<input type="datetime-local" name="desde" required></label><span class="muted">${t.timeZone(zoneLabel(viewer.timeZone))}</span><button class="recuperar">${t.recoverButton}</button></form>` : ''}
<table><thead><tr><th>#</th><th>${t.trigger}</th><th>${t.status}</th><th class="num">${t.attempts}</th><th>${t.httpStatus}</th><th>${t.error}</th><th>${t.when}</th><th></th></tr></thead><tbody>
${
  e.deliveries.length
    ? e.deliveries.map(
        (
          d,
        ) => html`<tr data-entrega="${d.id}"><td>${d.id}</td><td>${d.gatilho} · <span class="registro">${t.webhookRecord(String(d.registro_id))}</span></td><td class="${d.status === 'falhou' ? 'falhou' : d.status === 'entregue' ? 'concluido' : ''}">${word(t.deliveryStatuses, d.status)}</td><td class="num">${d.tentativas}</td><td>${d.ultimo_status_http ?? '—'}</td>
<td>${d.ultimo_erro ?? ''}<details><summary>${t.attempts}</summary><ul>${d.attempts.map((a) => html`<li>${a.numero} · ${word(t.attemptOrigins, a.origem)} · ${a.status_http ?? '—'} · ${a.duracao_ms} ms · ${a.erro ?? ''} · ${formatTime(a.criado_em, viewer.locale, viewer.timeZone)}</li>`)}</ul></details></td>
<td>${formatTime(d.criado_em, viewer.locale, viewer.timeZone)}</td>
<td>${canAct && e.ativo ? html`<form method="post" action="/dashboard/acoes/webhook-reenviar">${hidden(e.id)}<input type="hidden" name="entrega" value="${d.id}"><button>${t.resend}</button></form>` : ''}</td></tr>`,
      )
    : html`<tr><td colspan="8" class="muted vazio">${noDeliveries}</td></tr>`
}
</tbody></table>${older(e) ? html`<p><a class="mais-antigas" href="${older(e)}">${t.more}</a></p>` : ''}</section>`,
  );
  return html`${filters}${sections.length ? sections : html`<p class="muted">${t.noRows}</p>`}`;
}
