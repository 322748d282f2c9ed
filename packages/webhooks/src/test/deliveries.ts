import { createEmpresa, type Database } from '@integrador/store';
import type { Kysely } from 'kysely';
import { insertEntregaOnce, insertMensagemOnce } from '../deliveries.repository';
import { createWebhookEndpoint } from '../endpoints.repository';

/**
 * A new empresa named `nome` with one endpoint (to `url`, signing secret reference `segredo`) and one pending delivery
 * per body, each of its own message (keys and webhook ids `nome` + index).
 */
export async function endpointWithDeliveries(
  db: Kysely<Database>,
  { nome, url, segredo, bodies }: { nome: string; url: string; segredo: string; bodies: string[] },
): Promise<{ empresaId: number; endpointId: number; entregaIds: number[] }> {
  const empresaId = await createEmpresa(db, nome);
  const endpoint = { nome, url, gatilhos: ['contato.criado' as const], ativo: true, cabecalhos: {}, limitePorSegundo: null };
  const endpointId = await createWebhookEndpoint(db, empresaId, endpoint, segredo);
  const entregaIds: number[] = [];
  for (const [i, payload] of bodies.entries()) {
    const mensagem = await insertMensagemOnce(db, {
      empresaId,
      chave: `${nome}${i}`,
      gatilho: 'contato.criado',
      tabela: 'contatos',
      registroId: String(i),
      webhookId: `msg_${nome}${i}`,
      payload,
    });
    entregaIds.push((await insertEntregaOnce(db, empresaId, mensagem.id, endpointId)).id);
  }
  return { empresaId, endpointId, entregaIds };
}
