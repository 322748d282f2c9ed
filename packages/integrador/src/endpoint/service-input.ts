import { type CronShapeProblem, cronParserProblem, cronShapeProblem } from '@integrador/queue';
import type { ServicoEndpointInput } from '@integrador/store';
import { CronExpressionParser } from 'cron-parser';
import { SECRET_REFERENCE } from './endpoint-auth';

/** A service setting that breaks a rule JSON Schema cannot express; `field` is its dotted path in the request. */
export interface ServiceInputProblem {
  field: string;
  code:
    | 'INPUT_URL'
    | 'INPUT_URL_CREDENTIALS'
    | 'INPUT_URL_DYNAMIC'
    | 'INPUT_URL_ORIGIN'
    | 'INPUT_TIPO_REPEATED'
    | 'INPUT_AUTH_REQUIRED'
    | 'INPUT_AUTH_UNUSED'
    | 'INPUT_SECRET_REFERENCE'
    | 'INPUT_CRON'
    | CronShapeProblem['code'];
  params: Record<string, string>;
}

// Seed 003: "A URL do serviço deve ser fixa" — #var#, {param} and ${VAR} are template syntax nothing here fills in.
const DYNAMIC = /#[A-Za-z_][\w]*#|\{[^}]*\}|\$\{/;

/** decodeURI, or null for malformed percent-encoding (a lone `%`, `%ZZ`), which URL accepts but decodeURI throws on. */
function decodedOrNull(text: string): string | null {
  try {
    return decodeURI(text);
  } catch {
    return null;
  }
}

function checkUrl(field: string, text: string): { url: URL } | { problem: ServiceInputProblem } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { problem: { field, code: 'INPUT_URL', params: { value: text } } };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { problem: { field, code: 'INPUT_URL', params: { value: text } } };
  // A URL the receptor's server would answer 400 to: refused here, naming the field.
  if (decodedOrNull(text) === null) return { problem: { field, code: 'INPUT_URL', params: { value: text } } };
  if (url.username || url.password) return { problem: { field, code: 'INPUT_URL_CREDENTIALS', params: {} } };
  if (DYNAMIC.test(decodedOrNull(text) ?? text)) return { problem: { field, code: 'INPUT_URL_DYNAMIC', params: { value: text } } };
  return { url };
}

/**
 * Checks what a tenant sets on a service: fixed http(s) URLs without credentials, every event URL on the URL base's
 * origin (the service's credentials go nowhere else), one URL per event type, and the secret a reference — never the
 * secret itself — exactly when the authentication needs one. `prefix` is prepended to field names (e.g. "body").
 */
export function checkServiceInput(input: ServicoEndpointInput, prefix = 'body'): ServiceInputProblem | null {
  const at = (name: string) => `${prefix}.${name}`;
  const base = checkUrl(at('urlBase'), input.urlBase);
  if ('problem' in base) return base.problem;
  const seen = new Set<string>();
  for (const [index, evento] of input.eventos.entries()) {
    const field = at(`eventos.${index}`);
    if (seen.has(evento.tipo)) return { field: `${field}.tipo`, code: 'INPUT_TIPO_REPEATED', params: { tipo: evento.tipo } };
    seen.add(evento.tipo);
    const checked = checkUrl(`${field}.url`, evento.url);
    if ('problem' in checked) return checked.problem;
    if (checked.url.origin !== base.url.origin) {
      return { field: `${field}.url`, code: 'INPUT_URL_ORIGIN', params: { origin: base.url.origin, value: checked.url.origin } };
    }
  }
  const needsUser = input.autenticacao === 'basic';
  const needsSecret = input.autenticacao !== 'nenhuma';
  const auth = { autenticacao: input.autenticacao };
  if (needsUser && !input.usuario) return { field: at('usuario'), code: 'INPUT_AUTH_REQUIRED', params: auth };
  if (!needsUser && input.usuario) return { field: at('usuario'), code: 'INPUT_AUTH_UNUSED', params: auth };
  if (needsSecret && !input.segredoRef) return { field: at('segredo'), code: 'INPUT_AUTH_REQUIRED', params: auth };
  if (!needsSecret && input.segredoRef) return { field: at('segredo'), code: 'INPUT_AUTH_UNUSED', params: auth };
  if (input.segredoRef && !SECRET_REFERENCE.test(input.segredoRef))
    return { field: at('segredo'), code: 'INPUT_SECRET_REFERENCE', params: {} };
  if (input.cron) {
    let shape: CronShapeProblem | null;
    try {
      // The parser BullMQ's job schedulers use: a cron accepted here is one worker-get can schedule.
      CronExpressionParser.parse(input.cron);
      // What that parser pads or lets through (4 fields, a step wider than its field): schedules sync refuses it too.
      shape = cronShapeProblem(input.cron);
    } catch (err) {
      // Its common refusals (a value out of its field) worded; another in its own words.
      shape = cronParserProblem(err);
      if (shape === null) return { field: at('cron'), code: 'INPUT_CRON', params: { value: input.cron, detail: (err as Error).message } };
    }
    if (shape !== null) {
      const params = Object.fromEntries(Object.entries(shape.params).map(([k, v]) => [k, String(v)]));
      return { field: at('cron'), code: shape.code, params: { value: input.cron, ...params } };
    }
  }
  return null;
}
