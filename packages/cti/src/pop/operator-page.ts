import { defineTexts, type Locale } from '@integrador/i18n';

/**
 * A small operator page for trying the screen pop in a browser: the pop token comes in the URL fragment
 * (#token=cpt_…, never sent to a server or written to a log) or is pasted in; the page opens the SSE stream and shows
 * each call's card — ringing, then the matching contas / contatos or "unknown caller", then ended. In the reader's
 * language (Accept-Language: pt-BR by default, or English).
 */
const TEXTS = defineTexts({
  'pt-BR': {
    heading: 'Screen pop',
    connect: 'Conectar',
    disconnected: 'desconectado',
    connected: 'conectado',
    reconnecting: 'reconectando…',
    badToken: 'token inválido ou expirado',
    ringing: 'Tocando no ramal {ramal} — de {numero}',
    lookingUp: 'Procurando o chamador…',
    unknown: 'Chamador desconhecido: {numero}',
    internal: 'Ligação interna do ramal {numero}',
    withheld: 'número privado',
    withheldCard: 'Número privado: a central não enviou o número de quem liga',
    ended: 'Encerrada',
    conta: 'Conta',
    contato: 'Contato',
  },
  en: {
    heading: 'Screen pop',
    connect: 'Connect',
    disconnected: 'disconnected',
    connected: 'connected',
    reconnecting: 'reconnecting…',
    badToken: 'invalid or expired token',
    ringing: 'Ringing on extension {ramal} — from {numero}',
    lookingUp: 'Looking up the caller…',
    unknown: 'Unknown caller: {numero}',
    internal: 'Internal call from extension {numero}',
    withheld: 'withheld number',
    withheldCard: 'Withheld number: the PBX did not send the caller’s number',
    ended: 'Ended',
    conta: 'Account',
    contato: 'Contact',
  },
});

const html = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** The texts as a script literal: JSON with every < escaped, so no text can close the script element. */
const script = (texts: object) => JSON.stringify(texts).replace(/</g, '\\u003c');

/** The operator page in one language. */
export function operatorPage(locale: Locale): string {
  const t = TEXTS(locale);
  return `<!doctype html>
<html lang="${locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Integrador · Screen pop</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 2rem; max-width: 40rem; color: #1b1b1b; }
  form { display: flex; gap: .5rem; margin-bottom: 1rem; }
  input { flex: 1; padding: .4rem; font-family: monospace; }
  #status { font-size: .9rem; color: #555; margin-bottom: 1rem; }
  .call { border: 1px solid #bbb; border-radius: .5rem; padding: .75rem 1rem; margin-bottom: .75rem; }
  .call.ringing { border-color: #d97706; background: #fff7ed; }
  .call.ended { opacity: .55; }
  .call h2 { font-size: 1.05rem; margin: 0 0 .4rem; }
  .call ul { margin: .3rem 0 0; padding-left: 1.2rem; }
</style>
</head>
<body>
<h1>${html(t.heading)}</h1>
<form id="connect"><input id="token" placeholder="token (cpt_…)" autocomplete="off"><button>${html(t.connect)}</button></form>
<div id="status">${html(t.disconnected)}</div>
<div id="calls"></div>
<script>
(function () {
  var T = ${script(t)};
  function fill(template, values) { return template.replace(/\\{(\\w+)\\}/g, function (w, k) { return values[k] === undefined ? w : values[k]; }); }
  var calls = document.getElementById('calls');
  var status = document.getElementById('status');
  var source;
  function text(tag, value, cls) { var el = document.createElement(tag); el.textContent = value; if (cls) el.className = cls; return el; }
  function card(event) {
    var el = document.getElementById('call-' + event.callId);
    if (!el) { el = document.createElement('div'); el.id = 'call-' + event.callId; el.dataset.callId = event.callId; calls.prepend(el); }
    return el;
  }
  function render(event) {
    var el = card(event);
    // Events may arrive out of order across processes: a late "ringing" never hides the caller card or an ended call.
    if (el.dataset.state === 'ended' || (event.type === 'ringing' && el.dataset.state)) return;
    el.dataset.state = event.type;
    if (event.type === 'ended') { el.classList.remove('ringing'); el.classList.add('ended'); el.appendChild(text('div', T.ended, 'state')); return; }
    el.className = 'call ringing';
    el.innerHTML = '';
    el.appendChild(text('h2', fill(T.ringing, { ramal: event.ramal, numero: event.privado ? T.withheld : event.numero })));
    if (event.type === 'ringing') { el.appendChild(text('div', T.lookingUp, 'state')); return; }
    if (event.interno) { el.appendChild(text('div', fill(T.internal, { numero: event.numero }), 'internal')); return; }
    if (event.privado) { el.appendChild(text('div', T.withheldCard, 'unknown')); return; }
    if (!event.matches.length) { el.appendChild(text('div', fill(T.unknown, { numero: event.normalizado || event.numero }), 'unknown')); return; }
    var list = document.createElement('ul');
    event.matches.forEach(function (m) {
      var label = (m.tabela === 'contas' ? T.conta : T.contato) + ' #' + m.id + ': ' + m.nome + ' (' + m.campo + ' ' + m.telefone + ')';
      list.appendChild(text('li', label, 'match'));
    });
    el.appendChild(list);
  }
  function connect(token) {
    if (source) source.close();
    source = new EventSource('/cti/pop?token=' + encodeURIComponent(token));
    source.onopen = function () { status.textContent = T.connected; };
    source.onerror = function () { status.textContent = source.readyState === 2 ? T.badToken : T.reconnecting; };
    ['ringing', 'caller', 'ended'].forEach(function (type) {
      source.addEventListener(type, function (e) { render(JSON.parse(e.data)); });
    });
  }
  document.getElementById('connect').addEventListener('submit', function (e) {
    e.preventDefault();
    connect(document.getElementById('token').value.trim());
  });
  var match = /token=([^&]+)/.exec(location.hash);
  if (match) { document.getElementById('token').value = decodeURIComponent(match[1]); connect(decodeURIComponent(match[1])); }
})();
</script>
</body>
</html>
`;
}
