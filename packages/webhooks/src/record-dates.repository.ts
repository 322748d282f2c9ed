import { type Database, isUniqueViolation } from '@integrador/store';
import type { Kysely } from 'kysely';

type Db = Kysely<Database>;

// A record's creation date as its first body sent it, kept past the retention of the bodies (webhook_registros,
// migration 026): the CRM's oportunidades table has no creation column, so a later status change's body reads it here.

/** The `criacao` kept for a record of the empresa, or undefined when none was published. */
export async function keptCriacao(db: Db, empresaId: number, tabela: string, registroId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('webhook_registros')
    .select('criacao')
    .where('empresa_id', '=', empresaId)
    .where('tabela', '=', tabela)
    .where('registro_id', '=', registroId)
    .executeTakeFirst();
  return row?.criacao;
}

/** Keeps a record's `criacao` the first time one is published; a later one (a repeat, a racing publish) keeps the first. */
export async function keepCriacao(db: Db, empresaId: number, tabela: string, registroId: string, criacao: string): Promise<void> {
  if ((await keptCriacao(db, empresaId, tabela, registroId)) !== undefined) return;
  try {
    await db.insertInto('webhook_registros').values({ empresa_id: empresaId, tabela, registro_id: registroId, criacao }).execute();
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
  }
}
