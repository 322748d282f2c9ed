import type { ConnectionsRegistry } from '@integrador/connections';
import type { RetryPolicy } from '@integrador/jobs';
import type { Database } from '@integrador/store';
import type { Kysely } from 'kysely';

/** The nome_conexao of an integration of the empresa, or undefined (no such integration, or no connection row). */
async function connectionNameOf(db: Kysely<Database>, empresaId: number, integracaoId: number): Promise<string | undefined> {
  const row = await db
    .selectFrom('integracao')
    .innerJoin('conexao_integracao', 'conexao_integracao.id', 'integracao.conexao_integracao_id')
    .select('conexao_integracao.nome_conexao')
    .where('integracao.id', '=', integracaoId)
    .where('integracao.empresa_id', '=', empresaId)
    .executeTakeFirst();
  return row?.nome_conexao;
}

/**
 * The retry policy of the connection an integration's SET pushes go out on (its connections-file `retry`), or
 * undefined when it sets none, the connection is unknown here or restricted to another empresa: what gives a SET
 * job its attempts (maxAttemptsOf).
 */
export async function connectionRetryOf(
  db: Kysely<Database>,
  connections: ConnectionsRegistry,
  empresaId: number,
  integracaoId: number,
): Promise<RetryPolicy | undefined> {
  const name = await connectionNameOf(db, empresaId, integracaoId);
  // The worker's rule (connections.require): a connection restricted to another empresa is not this one's to show.
  return name === undefined ? undefined : connections.usableBy(name, empresaId)?.retry;
}
