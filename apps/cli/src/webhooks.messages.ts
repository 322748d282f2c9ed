import { defineTexts, plural } from '@integrador/i18n';

const PT = {
  webhooks: 'webhooks de saída (as mudanças do CRM enviadas a URLs de terceiros): endpoints, segredo, teste, entregas',
  empresaOption: 'empresa (tenant) dona do webhook (id)',
  create: 'cria um webhook; mostra o segredo de assinatura uma única vez',
  list: 'lista os webhooks da empresa',
  rotate: 'gera um novo segredo (o anterior continua assinando durante WEBHOOK_ROTATION_GRACE_MS, ou para na hora com --revogar-anterior)',
  revokeOption: 'o segredo vazou: os anteriores deixam de assinar agora, sem carência (mesmo durante uma); o destino precisa do novo já',
  test: 'envia um exemplo do gatilho e diz o que corrigir; código de saída 1 se falhar',
  deliveries: 'lista as entregas de um webhook, as mais novas primeiro',
  resend: 'reenvia uma entrega agora (uma tentativa); uma pendente é enviada pelo próprio job, sem criar um segundo',
  recover: 'reenvia as entregas que falharam ou foram canceladas pela desativação desde um instante',
  requeuePending:
    'reenfileira as entregas pendentes há mais de 10 minutos que nenhum job vai levar (depois de restaurar o Redis ou o banco); nunca cria um segundo job para uma entrega',
  requeued: (count: number) => `${count} entrega(s) pendente(s) sem job reenfileirada(s)`,
  requeueSkipped: (ids: readonly number[]) =>
    `${ids.length} entrega(s) pendente(s) não julgada(s), porque o job delas mudou durante a varredura (outra réplica ou um worker o levou ou removeu): ${ids.join(', ')}; rode o comando de novo`,
  requeueStopped: (requeued: number, detail: string) =>
    `a varredura parou: o Redis não pode receber jobs agora (${detail}); ${requeued} entrega(s) reenfileirada(s) antes disso, as demais pendentes não foram julgadas. Rode o comando de novo quando o Redis voltar`,
  redisMisconfigured:
    'o Redis está configurado de um jeito que pode perder jobs: maxmemory-policy diferente de noeviction ou versão anterior à 6.2',
  capture: 'instala (install) ou remove (remove) os gatilhos de captura no banco do CRM (WEBHOOK_CAPTURE=triggers)',
  nomeOption: 'nome do webhook',
  urlOption: 'URL fixa de destino',
  gatilhoOption: 'gatilho (repetível): contato.criado, contato.alterado, oportunidade.criada, …',
  headerOption: 'cabeçalho personalizado nome:valor (repetível)',
  rateOption: 'no máximo n entregas por segundo',
  statusOption: 'pendente, entregue, falhou ou cancelada',
  sinceOption: 'instante ISO 8601 com fuso, por exemplo 2026-12-01T09:00:00-03:00, ou uma data (2026-12-01: meia-noite UTC)',
  created: (id: number) => `webhook #${id} criado`,
  secretOnce: (secret: string) => `segredo de assinatura (mostrado só agora, guarde-o): ${secret}`,
  previousUntil: (until: string) => `o segredo anterior continua assinando até ${until}`,
  previousRevoked: 'os segredos anteriores foram revogados: só o novo assina a partir de agora',
  none: (empresaId: number) => `a empresa ${empresaId} não tem webhooks`,
  line: (id: number, nome: string, url: string, gatilhos: string, ativo: boolean) =>
    `#${id} ${nome} → ${url} [${gatilhos}] ${ativo ? 'ativo' : 'inativo'}`,
  /** Under an endpoint's line: its open breaker (the dashboard's words) and since when it fails. */
  circuitOpen: (until: string | null, failures: number) =>
    `circuito aberto${until ? ` até ${until}` : ''}, ${plural(failures, 'falha seguida', 'falhas seguidas')}`,
  circuitHalfOpen: 'circuito meio-aberto (a próxima entrega testa o endpoint)',
  failingSince: (since: string) => `falhando desde ${since}`,
  resent: (entregaId: number, jobId: string) => `entrega #${entregaId} reenfileirada (job ${jobId})`,
  recovered: (count: number, falhou: number, cancelada: number) =>
    `${count} entrega(s) reenfileirada(s): ${falhou} que falharam, ${cancelada} canceladas pela desativação`,
  invalidSince: (value: string) =>
    `--since inválido: "${value}"; use um instante ISO 8601 com fuso horário, por exemplo 2026-12-01T09:00:00-03:00 ou 2026-12-01T12:00:00Z, ou só a data, por exemplo 2026-12-01 (meia-noite UTC)`,
  invalidCapture: (value: string) => `ação desconhecida: ${value}; use install ou remove`,
  captureInstalled: 'gatilhos de captura instalados',
  captureRemoved: 'gatilhos de captura removidos',
  reseal: 'cifra com WEBHOOK_SECRET_KEY os segredos e valores de cabeçalhos guardados sem cifra (gravados antes de a chave existir)',
  resealNoKey: 'WEBHOOK_SECRET_KEY não está definida: defina a chave (32 bytes em base64 ou hex) e repita',
  resealed: (count: number) => `${count} webhook(s) com segredos ou cabeçalhos cifrados agora`,
  invalidStatus: (value: string) => `--status inválido: ${value}; use pendente, entregue, falhou ou cancelada`,
  deliveryColumns: ['entrega', 'gatilho', 'registro', 'status', 'tentativas', 'http', 'próxima tentativa', 'erro'],
  noDeliveries: (id: number) => `o webhook #${id} não tem entregas`,
  deletedEndpoint: (id: number) =>
    `o webhook #${id} foi excluído: estas são as entregas dele, mantidas até o fim da retenção (RETENTION_WEBHOOKS_DAYS); nada mais é enviado a ele`,
};

const EN: typeof PT = {
  webhooks: "outbound webhooks (the CRM's changes sent to third-party URLs): endpoints, secret, test, deliveries",
  empresaOption: 'the empresa (tenant) the webhook belongs to (id)',
  create: 'creates a webhook; shows its signing secret once',
  list: "lists the empresa's webhooks",
  rotate: 'issues a new secret (the previous one keeps signing for WEBHOOK_ROTATION_GRACE_MS, or stops now with --revogar-anterior)',
  revokeOption:
    'the secret leaked: the previous ones stop signing now, no grace period (even inside one); the receiver needs the new one at once',
  test: 'sends a sample of the gatilho and says what to fix; exit code 1 when it fails',
  deliveries: "lists a webhook's deliveries, newest first",
  resend: 'sends one delivery again now (one attempt); a pending one is sent by its own job, never a second one',
  recover: 'sends again the deliveries that failed or were cancelled by the disabling since a time',
  requeuePending:
    'enqueues again the deliveries pending for over 10 minutes that no job will take (after a Redis or database restore); never makes a second job for a delivery',
  requeued: (count) => `${count} pending deliveries without a job enqueued again`,
  requeueSkipped: (ids) =>
    `${ids.length} pending deliveries not judged, because their job changed during the sweep (another replica or a worker took or removed it): ${ids.join(', ')}; run the command again`,
  requeueStopped: (requeued, detail) =>
    `the sweep stopped: Redis cannot take jobs now (${detail}); ${requeued} deliveries enqueued again before that, the other pending ones were not judged. Run the command again once Redis is back`,
  redisMisconfigured: 'Redis is configured so that it could lose jobs: maxmemory-policy other than noeviction, or a version before 6.2',
  capture: 'installs (install) or removes (remove) the capture triggers on the CRM database (WEBHOOK_CAPTURE=triggers)',
  nomeOption: 'webhook name',
  urlOption: 'fixed destination URL',
  gatilhoOption: 'gatilho (repeatable): contato.criado, contato.alterado, oportunidade.criada, …',
  headerOption: 'custom header name:value (repeatable)',
  rateOption: 'at most n deliveries a second',
  statusOption: 'pendente, entregue, falhou or cancelada',
  sinceOption: 'ISO 8601 time with its zone, e.g. 2026-12-01T09:00:00-03:00, or a date (2026-12-01: midnight UTC)',
  created: (id) => `webhook #${id} created`,
  secretOnce: (secret) => `signing secret (shown only now, keep it): ${secret}`,
  previousUntil: (until) => `the previous secret keeps signing until ${until}`,
  previousRevoked: 'the previous secrets were revoked: only the new one signs from now on',
  none: (empresaId) => `empresa ${empresaId} has no webhooks`,
  line: (id, nome, url, gatilhos, ativo) => `#${id} ${nome} → ${url} [${gatilhos}] ${ativo ? 'active' : 'inactive'}`,
  circuitOpen: (until, failures) => `circuit open${until ? ` until ${until}` : ''}, ${plural(failures, 'failure', 'failures')} in a row`,
  circuitHalfOpen: 'circuit half-open (the next delivery tries the endpoint)',
  failingSince: (since) => `failing since ${since}`,
  resent: (entregaId, jobId) => `delivery #${entregaId} enqueued again (job ${jobId})`,
  recovered: (count, falhou, cancelada) => `${count} deliveries enqueued again: ${falhou} failed, ${cancelada} cancelled by the disabling`,
  invalidSince: (value) =>
    `invalid --since: "${value}"; use an ISO 8601 time with its time zone, e.g. 2026-12-01T09:00:00-03:00 or 2026-12-01T12:00:00Z, or a date alone, e.g. 2026-12-01 (midnight UTC)`,
  invalidCapture: (value) => `unknown action: ${value}; use install or remove`,
  captureInstalled: 'capture triggers installed',
  captureRemoved: 'capture triggers removed',
  reseal: 'seals with WEBHOOK_SECRET_KEY the secrets and header values stored plain (written before the key was set)',
  resealNoKey: 'WEBHOOK_SECRET_KEY is not set: set the key (32 bytes, base64 or hex) and run it again',
  resealed: (count) => `${count} webhook(s) with secrets or headers sealed now`,
  invalidStatus: (value) => `invalid --status: ${value}; use pendente, entregue, falhou or cancelada`,
  deliveryColumns: ['delivery', 'gatilho', 'record', 'status', 'attempts', 'http', 'next attempt', 'error'],
  noDeliveries: (id) => `webhook #${id} has no deliveries`,
  deletedEndpoint: (id) =>
    `webhook #${id} was deleted: these are its deliveries, kept until the retention period ends (RETENTION_WEBHOOKS_DAYS); nothing is sent to it any more`,
};

/** The webhooks commands' texts in the chosen language. */
export const webhookTexts = defineTexts<typeof PT>({ 'pt-BR': PT, en: EN });
