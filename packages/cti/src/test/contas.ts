import type { Database } from '@integrador/store';
import type { Kysely } from 'kysely';

/** Inserts a conta of `empresa` with these phones and answers its id (read back by empresa and name: no RETURNING on MySQL). */
export async function insertConta(
  db: Kysely<Database>,
  empresa: number,
  nome: string,
  phones: { telefone?: string | null; celular?: string | null },
): Promise<number> {
  await db
    .insertInto('contas')
    .values({ empresa_id: empresa, nome, ...phones })
    .execute();
  const row = await db
    .selectFrom('contas')
    .select('id')
    .where('empresa_id', '=', empresa)
    .where('nome', '=', nome)
    .executeTakeFirstOrThrow();
  return Number(row.id);
}
