import type { JobProducer } from '@integrador/queue';
import type { Database } from '@integrador/store';
import type { Kysely } from 'kysely';
import { failedEntregasSince, listTentativas, loadEntrega, restartEntrega } from './deliveries.repository';
import { checkGatilhos, checkHeaders, checkWebhookUrl } from './endpoint-input';
import {
  createWebhookEndpoint,
  findWebhookEndpoint,
  rotateWebhookSecret,
  updateWebhookEndpoint,
  type WebhookEndpoint,
  type WebhookEndpointInput,
} from './endpoints.repository';
import { WebhookError } from './errors';
import { disabledReasonMessage, type Locale } from './messages';
import { generateSigningSecret, isSealed, sealSecret } from './secret-box';
import type { WebhookSettings } from './settings';

type Db = Kysely<Database>;

/** An endpoint as a tenant writes it (API body, CLI flags). */
export interface EndpointSettingsInput {
  nome: string;
  url: string;
  gatilhos: string[];
  ativo?: boolean | undefined;
  cabecalhos?: Record<string, string> | undefined;
  limitePorSegundo?: number | null | undefined;
}

function checked(input: EndpointSettingsInput): WebhookEndpointInput {
  return {
    nome: input.nome.trim(),
    url: checkWebhookUrl(input.url),
    gatilhos: checkGatilhos(input.gatilhos),
    ativo: input.ativo ?? true,
    cabecalhos: checkHeaders(input.cabecalhos ?? {}),
    limitePorSegundo: input.limitePorSegundo ?? null,
  };
}

/** Creates an endpoint; the signing secret is answered here, once, and never again. */
export async function createEndpoint(
  db: Db,
  settings: Pick<WebhookSettings, 'secretKey'>,
  empresaId: number,
  input: EndpointSettingsInput,
) {
  const secret = generateSigningSecret();
  const id = await createWebhookEndpoint(db, empresaId, checked(input), sealSecret(secret, settings.secretKey));
  return { id, secret };
}

/** Replaces an endpoint's settings (404 for another tenant's id). */
export async function replaceEndpoint(db: Db, empresaId: number, id: number, input: EndpointSettingsInput): Promise<void> {
  if (!(await updateWebhookEndpoint(db, empresaId, id, checked(input)))) throw new WebhookError('WEBHOOK_NOT_FOUND', 404);
}

/**
 * A new secret, answered once; the old one keeps signing beside it for the grace period. Refused (503) on a host
 * without WEBHOOK_SECRET_KEY when the current secret is sealed: the new one would be stored plain while the sealed one,
 * kept as the previous for the grace period, still could not be opened, so every delivery would keep failing.
 */
export async function rotateSecret(
  db: Db,
  settings: Pick<WebhookSettings, 'secretKey' | 'rotationGraceMs'>,
  empresaId: number,
  id: number,
) {
  const endpoint = await requireEndpoint(db, empresaId, id);
  if (!settings.secretKey && isSealed(endpoint.segredo)) throw new WebhookError('WEBHOOK_SECRET_KEY_MISSING', 503);
  const secret = generateSigningSecret();
  const graceUntil = new Date(Date.now() + settings.rotationGraceMs);
  if (!(await rotateWebhookSecret(db, empresaId, id, sealSecret(secret, settings.secretKey), graceUntil))) {
    throw new WebhookError('WEBHOOK_NOT_FOUND', 404);
  }
  return { secret, previousValidUntil: graceUntil.toISOString() };
}

/** The endpoint or a 404 (another tenant's id included). */
export async function requireEndpoint(db: Db, empresaId: number, id: number): Promise<WebhookEndpoint> {
  const endpoint = await findWebhookEndpoint(db, empresaId, id);
  if (!endpoint) throw new WebhookError('WEBHOOK_NOT_FOUND', 404);
  return endpoint;
}

/** An endpoint as the API and CLI show it: never its secrets; the reason it was disabled in the reader's language. */
export function presentEndpoint(endpoint: WebhookEndpoint, locale: Locale) {
  return {
    id: endpoint.id,
    nome: endpoint.nome,
    url: endpoint.url,
    gatilhos: endpoint.gatilhos,
    ativo: endpoint.ativo,
    cabecalhos: Object.keys(endpoint.cabecalhos),
    limitePorSegundo: endpoint.limitePorSegundo,
    falhandoDesde: endpoint.primeiraFalhaEm?.toISOString() ?? null,
    desativado: disabledReasonMessage(locale, endpoint.desativadoMotivo),
    rotacaoAte: endpoint.segredoAnterior ? (endpoint.segredoAnteriorExpiraEm?.toISOString() ?? null) : null,
    criadoEm: endpoint.criadoEm.toISOString(),
  };
}

/** Sends one delivery again now (one attempt, no automatic retries after it); answers the job id. */
export async function resendDelivery(
  db: Db,
  producer: JobProducer,
  empresaId: number,
  endpointId: number,
  entregaId: number,
): Promise<string> {
  await requireEndpoint(db, empresaId, endpointId);
  const entrega = await loadEntrega(db, empresaId, entregaId);
  if (!entrega || entrega.endpoint_id !== endpointId) throw new WebhookError('DELIVERY_NOT_FOUND', 404);
  const job = await producer.enqueue(
    'webhook',
    'webhook.deliver',
    { tenant: { empresaId, filialId: null }, entregaId, endpointId, manual: true },
    { jobId: `whr-${entregaId}-${Date.now()}` },
  );
  return String(job.id);
}

/** Re-sends the endpoint's failed deliveries created since `since`, each with a fresh retry schedule; answers how many. */
export async function recoverDeliveries(
  db: Db,
  producer: JobProducer,
  empresaId: number,
  endpointId: number,
  since: Date,
): Promise<number> {
  await requireEndpoint(db, empresaId, endpointId);
  const ids = await failedEntregasSince(db, empresaId, endpointId, since);
  const stamp = Date.now();
  for (const entregaId of ids) {
    await restartEntrega(db, empresaId, entregaId);
    await producer.enqueue(
      'webhook',
      'webhook.deliver',
      { tenant: { empresaId, filialId: null }, entregaId, endpointId },
      { jobId: `whv-${entregaId}-${stamp}` },
    );
  }
  return ids.length;
}

/** The attempts of one delivery of the endpoint (404 unless both are the tenant's and belong together). */
export async function deliveryAttempts(db: Db, empresaId: number, endpointId: number, entregaId: number) {
  await requireEndpoint(db, empresaId, endpointId);
  const entrega = await loadEntrega(db, empresaId, entregaId);
  if (!entrega || entrega.endpoint_id !== endpointId) throw new WebhookError('DELIVERY_NOT_FOUND', 404);
  return listTentativas(db, empresaId, entregaId);
}
