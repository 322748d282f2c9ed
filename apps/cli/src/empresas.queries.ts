import type { Database } from '@integrador/store';
import type { Kysely } from 'kysely';

/** Whether an empresa exists. */
export async function empresaExists(db: Kysely<Database>, empresaId: number): Promise<boolean> {
  const row = await db.selectFrom('empresas').select('id').where('id', '=', empresaId).executeTakeFirst();
  return row !== undefined;
}

/** The id of the (oldest) empresa with this documento, or null. */
export async function findEmpresaIdByDocumento(db: Kysely<Database>, documento: string): Promise<number | null> {
  const row = await db.selectFrom('empresas').select('id').where('documento', '=', documento).orderBy('id').executeTakeFirst();
  return row ? Number(row.id) : null;
}

/** Whether a filial exists and belongs to the empresa. */
export async function filialBelongsTo(db: Kysely<Database>, empresaId: number, filialId: number): Promise<boolean> {
  const row = await db
    .selectFrom('empresa_filiais')
    .select('id')
    .where('id', '=', filialId)
    .where('empresa_id', '=', empresaId)
    .executeTakeFirst();
  return row !== undefined;
}

/** The id of the empresa's first filial, or null when it has none. */
export async function firstFilialId(db: Kysely<Database>, empresaId: number): Promise<number | null> {
  const row = await db.selectFrom('empresa_filiais').select('id').where('empresa_id', '=', empresaId).orderBy('id').executeTakeFirst();
  return row ? Number(row.id) : null;
}

/** An empresa's nome, or null when it does not exist. */
export async function findEmpresaNome(db: Kysely<Database>, empresaId: number): Promise<string | null> {
  const row = await db.selectFrom('empresas').select('nome').where('id', '=', empresaId).executeTakeFirst();
  return row ? row.nome : null;
}
