import type { Locale } from './messages';

const PT = {
  webhooks: 'webhooks de saída (seed 004): endpoints, segredo, teste, entregas',
  create: 'cria um webhook; mostra o segredo de assinatura uma única vez',
  list: 'lista os webhooks da empresa',
  rotate: 'gera um novo segredo (o anterior continua assinando durante WEBHOOK_ROTATION_GRACE_MS)',
  test: 'envia um exemplo do gatilho e diz o que corrigir; código de saída 1 se falhar',
  deliveries: 'entregas de um webhook, as mais novas primeiro',
  resend: 'reenvia uma entrega agora (uma tentativa)',
  recover: 'reenvia as entregas que falharam desde um instante',
  capture: 'install | remove: os gatilhos de captura no banco do CRM (WEBHOOK_CAPTURE=triggers)',
  nomeOption: 'nome do webhook',
  urlOption: 'URL fixa de destino',
  gatilhoOption: 'gatilho (repetível): contato.criado, contato.alterado, oportunidade.criada, …',
  headerOption: 'cabeçalho personalizado nome:valor (repetível)',
  rateOption: 'no máximo n entregas por segundo',
  statusOption: 'pendente, entregue, falhou ou cancelada',
  sinceOption: 'instante ISO 8601, por exemplo 2026-01-01T00:00:00Z',
  created: (id: number) => `webhook #${id} criado`,
  secretOnce: (secret: string) => `segredo de assinatura (mostrado só agora, guarde-o): ${secret}`,
  previousUntil: (until: string) => `o segredo anterior continua assinando até ${until}`,
  none: (empresaId: number) => `a empresa ${empresaId} não tem webhooks`,
  line: (id: number, nome: string, url: string, gatilhos: string, ativo: boolean) =>
    `#${id} ${nome} → ${url} [${gatilhos}] ${ativo ? 'ativo' : 'inativo'}`,
  resent: (entregaId: number, jobId: string) => `entrega #${entregaId} reenfileirada (job ${jobId})`,
  recovered: (count: number) => `${count} entrega(s) reenfileirada(s)`,
  invalidSince: (value: string) => `--since inválido: ${value}; esperado um instante ISO 8601`,
  invalidCapture: (value: string) => `ação desconhecida: ${value}; use install ou remove`,
  captureInstalled: 'gatilhos de captura instalados',
  captureRemoved: 'gatilhos de captura removidos',
};

const EN: typeof PT = {
  webhooks: 'outbound webhooks (seed 004): endpoints, secret, test, deliveries',
  create: 'creates a webhook; shows its signing secret once',
  list: "lists the empresa's webhooks",
  rotate: 'issues a new secret (the previous one keeps signing for WEBHOOK_ROTATION_GRACE_MS)',
  test: 'sends a sample of the gatilho and says what to fix; exit code 1 when it fails',
  deliveries: "a webhook's deliveries, newest first",
  resend: 'sends one delivery again now (one attempt)',
  recover: 'sends again the deliveries that failed since a time',
  capture: 'install | remove: the capture triggers on the CRM database (WEBHOOK_CAPTURE=triggers)',
  nomeOption: 'webhook name',
  urlOption: 'fixed destination URL',
  gatilhoOption: 'gatilho (repeatable): contato.criado, contato.alterado, oportunidade.criada, …',
  headerOption: 'custom header name:value (repeatable)',
  rateOption: 'at most n deliveries a second',
  statusOption: 'pendente, entregue, falhou or cancelada',
  sinceOption: 'ISO 8601 time, e.g. 2026-01-01T00:00:00Z',
  created: (id) => `webhook #${id} created`,
  secretOnce: (secret) => `signing secret (shown only now, keep it): ${secret}`,
  previousUntil: (until) => `the previous secret keeps signing until ${until}`,
  none: (empresaId) => `empresa ${empresaId} has no webhooks`,
  line: (id, nome, url, gatilhos, ativo) => `#${id} ${nome} → ${url} [${gatilhos}] ${ativo ? 'active' : 'inactive'}`,
  resent: (entregaId, jobId) => `delivery #${entregaId} enqueued again (job ${jobId})`,
  recovered: (count) => `${count} deliveries enqueued again`,
  invalidSince: (value) => `invalid --since: ${value}; expected an ISO 8601 time`,
  invalidCapture: (value) => `unknown action: ${value}; use install or remove`,
  captureInstalled: 'capture triggers installed',
  captureRemoved: 'capture triggers removed',
};

/** The webhooks commands' texts in the chosen language. */
export function webhookTexts(locale: Locale): typeof PT {
  return locale === 'en' ? EN : PT;
}
