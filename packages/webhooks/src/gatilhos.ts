/**
 * Seed 004's gatilhos (what fires a webhook). The CRM tables are the hub's: contatos, oportunidades ("registro de
 * processo"), atividades, eventos.
 */
export const GATILHOS = [
  'contato.criado',
  'contato.alterado',
  'oportunidade.criada',
  'oportunidade.status_alterado',
  'atividade.criada',
  'atividade.concluida',
  'evento.criado',
] as const;

export type Gatilho = (typeof GATILHOS)[number];

/** What happened to a row: created, changed, its status changed, or (atividades) concluded. */
export const OPERACOES = ['criado', 'alterado', 'status_alterado', 'concluido'] as const;
export type Operacao = (typeof OPERACOES)[number];

/** The CRM tables whose changes fire gatilhos. */
export const WEBHOOK_TABLES = ['contatos', 'oportunidades', 'atividades', 'eventos'] as const;
export type WebhookTable = (typeof WEBHOOK_TABLES)[number];

export function isGatilho(value: string): value is Gatilho {
  return (GATILHOS as readonly string[]).includes(value);
}

export function isWebhookTable(value: string): value is WebhookTable {
  return (WEBHOOK_TABLES as readonly string[]).includes(value);
}

/** An atividade counts as concluded when its status says so (seed 004's `concluido: "1"`). */
export function isConcluida(status: string | null | undefined): boolean {
  return ['concluida', 'concluída', 'concluido', 'concluído', '1'].includes((status ?? '').trim().toLowerCase());
}

/**
 * The gatilho a change fires, or undefined when none does (e.g. an oportunidade changed without a status change).
 * `concluida` tells whether an atividade's current status is concluded (a status change or a `concluido` while it is not
 * fires nothing).
 */
export function gatilhoOf(tabela: string, operacao: Operacao, concluida = false): Gatilho | undefined {
  switch (tabela.toLowerCase()) {
    case 'contatos':
      return operacao === 'criado' ? 'contato.criado' : 'contato.alterado';
    case 'oportunidades':
      if (operacao === 'criado') return 'oportunidade.criada';
      return operacao === 'status_alterado' ? 'oportunidade.status_alterado' : undefined;
    case 'atividades':
      if (operacao === 'criado') return 'atividade.criada';
      // `concluido` is checked as `status_alterado` is: a header saying "concluded" over a body saying `concluido: "0"`
      // would have a receiver routing by the header close a pending task.
      return (operacao === 'status_alterado' || operacao === 'concluido') && concluida ? 'atividade.concluida' : undefined;
    case 'eventos':
      return operacao === 'criado' ? 'evento.criado' : undefined;
    default:
      return undefined;
  }
}

/**
 * The operacoes that fire a gatilho on the table, with the gatilho each fires (an atividade's status_alterado and
 * concluido only when its status is then concluded): what a "nothing fired" answer and the README name.
 */
export function firingOperacoes(tabela: WebhookTable): { operacao: Operacao; gatilho: Gatilho }[] {
  return OPERACOES.flatMap((operacao) => {
    const gatilho = gatilhoOf(tabela, operacao, true);
    return gatilho ? [{ operacao, gatilho }] : [];
  });
}

/** The table a gatilho's payload is built from. */
export function tableOf(gatilho: Gatilho): WebhookTable {
  const prefix = gatilho.slice(0, gatilho.indexOf('.'));
  return ({ contato: 'contatos', oportunidade: 'oportunidades', atividade: 'atividades', evento: 'eventos' } as const)[
    prefix as 'contato' | 'oportunidade' | 'atividade' | 'evento'
  ];
}
